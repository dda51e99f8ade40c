import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { DEMO_TOKEN } from '../../src/demo/github.js';
import { type DemoWorld, runDemo, STAGES, type StageId, type Story } from '../../src/demo/index.js';
import { DEMO_AWS_ENV } from '../../src/demo/state-servers.js';
import { PLAN_COMMENT_MARK } from '../../src/demo/workflows/stand-in.js';
import { Git } from '../../src/git/git.js';
import { cli } from '../cli/run-cli.js';
import { tempDir } from '../support/temp.js';
import { listening, processesMentioning } from './support.js';

// The demo's loop, as `npm start` runs it, checked at the end of every stage: the PRs and their
// comments, the commits on main, the terraform state and the records beside it in s3rver, the nodes
// in the kube simulator, the machines ansible configured, the workflow runs' steps, and the history.
// The workflows are the stand-in's (src/demo/workflows/stand-in.ts) until the workflow runner lands.

const node = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;
const workers = (n: number): string[] => Array.from({ length: n }, (_, i) => node(i));
const CONFIG = 'cluster-config/aws-demo.yml';

type Check = (story: Story, world: DemoWorld) => Promise<void>;

/** The config file on main of the demo repository, as the clone has it. */
async function configAt(world: DemoWorld, commit: string): Promise<string> {
  return world.repository.git.run(['show', `${commit}:${CONFIG}`]);
}

async function count(world: DemoWorld, commit: string): Promise<number> {
  return Number(/count: (\d+) {2}# managed by lambdastack-autoscaler/.exec(await configAt(world, commit))?.[1]);
}

function stepsOf(story: Story, workflow: string, change: string): Array<[string, string]> {
  const run = story.runs.find((r) => r.workflow === workflow && r.change === change)?.run;
  return (run?.steps ?? []).map((step) => [step.name, step.status]);
}

function stepSummary(story: Story, workflow: string, change: string, name: string): string {
  return story.runs.find((r) => r.workflow === workflow && r.change === change)?.run.steps.find((s) => s.name === name)?.summary ?? '';
}

async function stateRecords(world: DemoWorld): Promise<{ summary: Record<string, unknown>; config: string | undefined }> {
  const summary = JSON.parse((await world.state.read(`${world.stateKey}.lambdastack/plan-summary.json`)) ?? '{}');
  return { summary, config: await world.state.read(`${world.stateKey}.lambdastack/applied-config.yml`) };
}

const nodeNames = (world: DemoWorld): string[] => world.cluster.workers();

const APPLY_UP: Array<[string, string]> = [
  ['scale plan', 'success'],
  ['packer', 'success'],
  ['terraform plan', 'success'],
  ['drain', 'skipped'],
  ['terraform apply', 'success'],
  ['ansible', 'success'],
];

const CHECKS: Record<StageId, Check> = {
  'load-rises': async (_story, world) => {
    expect(world.cluster.workloadCounts()).toEqual({ running: 3, pending: 2, unschedulable: 2 });
    expect(await world.github.pulls()).toEqual([]);
    expect(await world.stateWorkers()).toEqual(workers(3));
  },
  'scale-up-pr': async (story, world) => {
    expect(story.pulls.up).toBe(1);
    const [pull, ...others] = await world.github.pulls();
    expect(others).toEqual([]);
    expect(pull).toMatchObject({ number: 1, state: 'open', title: 'Scale shop kubernetes_node 3 → 5', head: 'autoscale/shop' });
    expect(pull?.labels).toEqual(['autoscaler', 'scale-up']);
    expect(pull?.body).toContain('2 unschedulable pods need 2 new nodes: 3 → 5');
    // One line of the config changes, on the PR's branch.
    const diff = await new Git(world.repository.bare).run(['diff', '-U0', 'main', 'autoscale/shop']);
    expect(diff.split('\n').filter((line) => /^[-+](?![-+])/.test(line))).toEqual([
      '-      count: 3  # managed by lambdastack-autoscaler within the bounds below',
      '+      count: 5  # managed by lambdastack-autoscaler within the bounds below',
    ]);
  },
  'scale-up-check': async (story, world) => {
    expect(stepsOf(story, 'pr.yml', 'up')).toEqual([
      ['validate', 'success'],
      ['scale plan', 'success'],
      ['plan comment', 'success'],
    ]);
    const [comment, ...more] = await world.github.comments(1);
    expect(more).toEqual([]);
    expect(comment?.body.startsWith(PLAN_COMMENT_MARK)).toBe(true);
    expect(comment?.body).toContain('| shop (`cluster-config/aws-demo.yml`) | kubernetes_node 3 → 5 | vm-3, vm-4 | — |');
  },
  'scale-up-merge': async (story, world) => {
    const merge = story.merges.up;
    expect(merge).toBeDefined();
    expect(await world.github.mainSha()).toBe(merge?.after);
    expect(await world.repository.head()).toBe(merge?.after);
    expect((await world.repository.git.run(['log', '-1', '--format=%s%n%P'])).trim().split('\n')).toEqual([
      'Merge pull request #1 from example/autoscale/shop',
      `${merge?.before} ${(await world.github.pull(1)).headSha}`,
    ]);
    expect(await world.github.pull(1)).toMatchObject({ state: 'closed', merged: true, mergeCommit: merge?.after });
    expect(await count(world, 'HEAD')).toBe(5);
  },
  'scale-up-apply': async (story, world) => {
    expect(stepsOf(story, 'apply.yml', 'up')).toEqual(APPLY_UP);
    expect(stepSummary(story, 'apply.yml', 'up', 'packer')).toMatch(/^baked image local-[0-9a-f]{16} \(null builder\)$/);
    expect(stepSummary(story, 'apply.yml', 'up', 'terraform plan')).toBe('saved plan: create vm-3, vm-4; destroy none');
    // The state in s3rver holds the five workers; beside it, the config applied and the plan's summary.
    expect(await world.stateWorkers()).toEqual(workers(5));
    const records = await stateRecords(world);
    expect(records.config).toBe(await configAt(world, story.merges.up?.after ?? ''));
    expect(records.summary).toMatchObject({ cluster: 'aws/demo-shop', workers: { before: 3, after: 5 }, destroyed: [] });
    // The image baked once, recorded beside the state.
    const images = await world.state.keys(`${world.stateKey}.lambdastack/images/`);
    expect(images).toHaveLength(1);
    expect((await readFile(join(world.demoDir, 'images', 'bakes.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
    // ansible joined the new machines only, and their kubelets registered them with the labels ansible gave them.
    expect(nodeNames(world)).toEqual(workers(5));
    for (const i of [3, 4]) {
      const registered = world.cluster.nodes().find((n) => n.metadata.name === node(i));
      expect(registered?.metadata.labels?.['node-type']).toBe('lambdastack');
      expect(registered?.status.addresses?.[0]).toEqual({ type: 'InternalIP', address: `127.0.0.${i + 1}` });
      const [join, ...again] = await world.machines.kubeadmCalls(node(i));
      expect(again).toEqual([]);
      expect(join).toMatch(
        new RegExp(`^join 127\\.0\\.0\\.1:\\d+ --token \\S+ --discovery-token-ca-cert-hash sha256:0+ --node-name ${node(i)}$`),
      );
    }
    for (const i of [0, 1, 2]) expect(await world.machines.kubeadmCalls(node(i))).toEqual([]);
  },
  'pods-run': async (_story, world) => {
    expect(world.cluster.workloadCounts()).toEqual({ running: 5, pending: 0, unschedulable: 0 });
    const placed = world.cluster.workloadPods().map((pod) => pod.spec.nodeName);
    expect(placed).toEqual(expect.arrayContaining([node(3), node(4)]));
  },
  'load-falls': async (_story, world) => {
    expect(world.cluster.workloadCounts()).toEqual({ running: 2, pending: 0, unschedulable: 0 });
    // The ReplicaSet removed its newest pods, the ones on the new nodes: the highest worker is empty.
    expect(world.cluster.workloadPods().map((pod) => pod.spec.nodeName)).not.toContain(node(4));
  },
  'scale-down-pr': async (story, world) => {
    expect(story.pulls.down).toBe(2);
    const pull = await world.github.pull(2);
    expect(pull).toMatchObject({ state: 'open', title: 'Scale shop kubernetes_node 5 → 4', head: 'autoscale/shop' });
    expect(pull.labels).toEqual(['autoscaler', 'scale-down']);
    expect(pull.body).toContain(`- ${node(4)}`);
    // Not before the (demo's shortened) unneeded window of one minute.
    expect(story.scaleDownAfter).toBeGreaterThanOrEqual(60);
  },
  'scale-down-check': async (story, world) => {
    expect(stepsOf(story, 'pr.yml', 'down').map(([, status]) => status)).toEqual(['success', 'success', 'success']);
    const comments = await world.github.comments(2);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('| kubernetes_node 5 → 4 | — | vm-4 |');
  },
  'scale-down-merge': async (story, world) => {
    expect(await world.repository.head()).toBe(story.merges.down?.after);
    expect(await count(world, 'HEAD')).toBe(4);
  },
  'scale-down-apply': async (story, world) => {
    expect(stepsOf(story, 'apply.yml', 'down')).toEqual([
      ['scale plan', 'success'],
      ['packer', 'skipped'],
      ['terraform plan', 'success'],
      ['drain', 'success'],
      ['terraform apply', 'success'],
      ['ansible', 'skipped'],
    ]);
    // Exactly the node the saved plan destroys was drained, and it is gone from the cluster, the state and the machines.
    expect(stepSummary(story, 'apply.yml', 'down', 'terraform plan')).toBe('saved plan: create none; destroy vm-4');
    expect(stepSummary(story, 'apply.yml', 'down', 'drain')).toBe('drained and deleted vm-4');
    expect(nodeNames(world)).toEqual(workers(4));
    expect(await world.stateWorkers()).toEqual(workers(4));
    expect((await stateRecords(world)).summary).toMatchObject({ workers: { before: 5, after: 4 }, destroyed: [node(4)] });
    expect(existsSync(join(world.machines.dir, node(4)))).toBe(false);
    expect(world.cluster.workloadCounts()).toEqual({ running: 2, pending: 0, unschedulable: 0 });
  },
  'manual-scale': async (story, world) => {
    expect(stepsOf(story, 'scale.yml', 'manual')).toEqual([['scale', 'success']]);
    expect(story.pulls.manual).toBe(3);
    const pull = await world.github.pull(3);
    expect(pull).toMatchObject({ state: 'open', title: 'Scale shop kubernetes_node 4 → 6' });
    expect(pull.head).toMatch(/^scale\/shop-6-\d+$/);
    const message = await new Git(world.repository.bare).run(['log', '-1', '--format=%B', pull.headSha]);
    expect(message).toContain(`Autoscale-Reason: requested by @octocat: ${story.manual.reason}`);
  },
  'manual-check': async (_story, world) => {
    expect((await world.github.comments(3))[0]?.body).toContain('| kubernetes_node 4 → 6 | vm-4, vm-5 | — |');
  },
  'manual-merge': async (story, world) => {
    expect(await world.repository.head()).toBe(story.merges.manual?.after);
    expect(await count(world, 'HEAD')).toBe(6);
  },
  'manual-apply': async (story, world) => {
    expect(stepsOf(story, 'apply.yml', 'manual')).toEqual(APPLY_UP);
    // The same image inputs: a cache hit, nothing baked again.
    expect(stepSummary(story, 'apply.yml', 'manual', 'packer')).toMatch(/^cache hit: image local-[0-9a-f]{16} reused, nothing built$/);
    expect((await readFile(join(world.demoDir, 'images', 'bakes.log'), 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(await world.stateWorkers()).toEqual(workers(6));
    expect(nodeNames(world)).toEqual(workers(6));
    // vm-4 is a new machine: it joined again (its old disk went with the old VM).
    expect(await world.machines.kubeadmCalls(node(4))).toHaveLength(1);
    expect(await world.machines.kubeadmCalls(node(5))).toHaveLength(1);
  },
  history: async (story) => {
    const scaled = story.history.filter((entry) => entry.pr !== null);
    expect(scaled.map((entry) => [entry.pr, entry.clusters.map((c) => c.components.map((x) => `${x.from} → ${x.to}`).join())])).toEqual([
      [3, ['4 → 6']],
      [2, ['5 → 4']],
      [1, ['3 → 5']],
    ]);
    expect(scaled.map((entry) => entry.reason)).toEqual([
      `requested by @octocat: ${story.manual.reason}`,
      `${node(4)} unneeded and its pods fit elsewhere: 5 → 4`,
      '2 unschedulable pods need 2 new nodes: 3 → 5',
    ]);
  },
};

describe('the demo (npm start): the whole loop on one machine', () => {
  it('scales up through a merged autoscale PR, down through a drained one, by hand through scale.yml, and leaves its history', async () => {
    const workdir = join(await tempDir('lsa-demo-'), 'work');
    const lines: string[] = [];
    const io: Io = { out: (text) => lines.push(text), err: (text) => lines.push(text) };
    const checked: StageId[] = [];
    let world: DemoWorld | undefined;

    const result = await runDemo(
      {
        workdir,
        keep: true,
        after: async (stage, story, current) => {
          world = current;
          await CHECKS[stage](story, current);
          checked.push(stage);
        },
      },
      io,
    );

    expect(checked).toEqual([...STAGES]);
    const output = lines.join('\n');
    expect(output).toContain('STAND-IN until src/workflow runs .github/workflows itself');
    expect(output).toContain('$ kubectl scale deployment/storefront --replicas=5');
    expect(output).toMatch(/The demo took \d+\.\d s\./);
    // design: the whole demo in under two minutes. Measured, not asserted: the machine is shared.
    console.info(`the demo took ${(result.durationMs / 1000).toFixed(1)} s`);

    // Everything it started is stopped: no server answers, no process of the workdir is left.
    const started = world as DemoWorld;
    for (const url of [started.github.sim.url, started.cluster.sim.url, started.state.s3, started.state.dynamodb]) {
      expect(await listening(url), url).toBe(false);
    }
    expect(await processesMentioning(workdir)).toEqual([]);

    // As on a runner, no secret of the repository reaches a step's log or job summary.
    const logs = join(workdir, '.demo', 'logs');
    const files = (await readdir(logs, { recursive: true, withFileTypes: true })).filter((f) => f.isFile() && f.name !== 'watcher.jsonl');
    expect(files.length).toBeGreaterThan(20);
    for (const file of files) {
      const text = await readFile(join(file.parentPath, file.name), 'utf8');
      for (const secret of [DEMO_AWS_ENV.AWS_SECRET_ACCESS_KEY, DEMO_TOKEN]) expect(text, file.name).not.toContain(secret);
    }

    // The repository stays in the workdir (--keep), and the history command works there.
    const history = await cli(['history', '--json'], workdir);
    expect(history.exitCode, history.stderr).toBe(0);
    const entries = (JSON.parse(history.stdout) as { entries: Array<{ pr: number | null }> }).entries;
    expect(entries.map((entry) => entry.pr)).toEqual([3, 2, 1, null]);
    expect((await cli(['history'], workdir)).stdout).toContain('reason: 2 unschedulable pods need 2 new nodes: 3 → 5');
  }, 300_000);
});
