import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { DEMO_APP_TOKEN, DEMO_TOKEN } from '../../src/demo/github.js';
import { type DemoWorld, runDemo, STAGES, type StageId, type Story } from '../../src/demo/index.js';
import { DEMO_AWS_ENV } from '../../src/demo/state-servers.js';
import { Git } from '../../src/git/git.js';
import { PLAN_COMMENT_MARKER } from '../../src/github/plan-comment.js';
import { cli } from '../cli/run-cli.js';
import { tempDir } from '../support/temp.js';
import { listening, processesMentioning } from './support.js';

// The demo's loop, as `npm start` runs it, checked at the end of every stage: the PRs and their
// comments, the commits on main, the terraform state and the records beside it in s3rver, the nodes
// in the kube simulator, the machines ansible configured, the workflow runs' jobs and steps (the
// repository's own .github/workflows files on the local workflow runner), and the history.

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

function runOf(story: Story, workflow: string, change: string) {
  const run = story.runs.find((r) => r.workflow === workflow && r.change === change)?.run;
  if (!run) throw new Error(`no ${workflow} run for the ${change} change`);
  return run;
}

/** Each job's steps as `job › step: status`, the checkout's pin left out (it changes with a release). */
function stepsOf(story: Story, workflow: string, change: string): string[] {
  return runOf(story, workflow, change).jobs.flatMap((job) =>
    job.steps.map((step) => `${job.name} › ${step.name.replace(/@[0-9a-f]{40}$/, '')}: ${step.status}`),
  );
}

/** What the step whose name starts with `name` did, as the demo says it. */
function stepSummary(story: Story, workflow: string, change: string, name: string): string {
  const steps = runOf(story, workflow, change).jobs.flatMap((job) => job.steps);
  return steps.find((step) => step.name.startsWith(name))?.summary ?? '';
}

async function stateRecords(world: DemoWorld): Promise<{ summary: Record<string, unknown>; config: string | undefined }> {
  const summary = JSON.parse((await world.state.read(`${world.stateKey}.lambdastack/plan-summary.json`)) ?? '{}');
  return { summary, config: await world.state.read(`${world.stateKey}.lambdastack/applied-config.yml`) };
}

const nodeNames = (world: DemoWorld): string[] => world.cluster.workers();

const APPLY = 'Apply aws/demo-shop';
const PACKER = 'Worker image (packer, only when nodes are added; reused when already baked)';
const TF_PLAN = 'Terraform plan against the remote state';
const DRAIN = 'Drain the nodes the saved plan destroys';
const TF_APPLY = 'Terraform apply of the saved plan, and the applied config recorded beside the state';
const ANSIBLE = 'Join the created nodes (ansible, those hosts and the node-join plays only)';

/** apply.yml's jobs and steps, the nodes added (packer and ansible run) or removed (the drain runs). */
function applySteps(adds: boolean): string[] {
  const when = (yes: boolean): string => (yes ? 'success' : 'skipped');
  return [
    'Scale plan › Run actions/checkout: success',
    'Scale plan › Scale plan of the push: success',
    `${APPLY} › Run actions/checkout: success`,
    `${APPLY} › Check the cluster's ansible inventory (before anything changes): ${when(adds)}`,
    `${APPLY} › Run hashicorp/setup-terraform: success`,
    `${APPLY} › AWS credentials from the OIDC role: skipped`,
    `${APPLY} › Cloud credentials for the later steps (Azure OIDC, or repository secrets): success`,
    `${APPLY} › ${PACKER}: ${when(adds)}`,
    `${APPLY} › ${TF_PLAN}: success`,
    `${APPLY} › ${DRAIN}: ${when(!adds)}`,
    `${APPLY} › ${TF_APPLY}: success`,
    `${APPLY} › ${ANSIBLE}: ${when(adds)}`,
  ];
}

const PR_CHECK = [
  'Validate and plan › Run actions/checkout: success',
  'Validate and plan › Validate the cluster configs (annotations on the changed lines): success',
  'Validate and plan › Scale plan and monthly cost change, as one pull request comment: success',
];

/** The one comment on a PR: pr.yml's plan comment, by the workflow's token. */
async function planComment(world: DemoWorld, number: number): Promise<string> {
  const [comment, ...more] = await world.github.comments(number);
  expect(more).toEqual([]);
  expect(comment?.body).toContain(PLAN_COMMENT_MARKER);
  return comment?.body ?? '';
}

const CHECKS: Record<StageId, Check> = {
  'load-rises': async (_story, world) => {
    // Before the story: the demo's own provision.yml recorded the workers LambdaStack made.
    expect(
      world.provisioned.jobs.flatMap((job) => job.steps.map((step) => `${step.name.replace(/@[0-9a-f]{40}$/, '')}: ${step.status}`)),
    ).toEqual([
      'Run actions/checkout: success',
      'Terraform plan of the workers the config has: success',
      'Terraform apply of that plan: success',
    ]);
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
    expect(stepsOf(story, 'pr.yml', 'up')).toEqual(PR_CHECK);
    const body = await planComment(world, 1);
    expect(body).toContain('1 cluster scaled: 2 nodes added, 0 removed; monthly cost change **+$66.58**.');
    expect(body).toContain('| `aws/demo-shop` | `cluster-config/aws-demo.yml` | kubernetes\\_node 3 → 5 | +2 | +$66.58 |');
    expect(body).toContain(`+ ${node(3)}\n+ ${node(4)}`);
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
    expect(stepsOf(story, 'apply.yml', 'up')).toEqual(applySteps(true));
    expect(stepSummary(story, 'apply.yml', 'up', 'Scale plan of the push')).toBe('shop kubernetes_node 3 → 5 (+ vm-3, vm-4)');
    expect(stepSummary(story, 'apply.yml', 'up', PACKER)).toMatch(/^baked image local-[0-9a-f]{16} \(null builder\)$/);
    expect(stepSummary(story, 'apply.yml', 'up', TF_PLAN)).toBe('saved plan: create vm-3, vm-4; destroy none');
    expect(stepSummary(story, 'apply.yml', 'up', ANSIBLE)).toMatch(/^--tags node-join on vm-3 changed, vm-4 changed /);
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
    expect(stepsOf(story, 'pr.yml', 'down')).toEqual(PR_CHECK);
    const body = await planComment(world, 2);
    expect(body).toContain('1 cluster scaled: 0 nodes added, 1 removed; monthly cost change **-$33.29**.');
    expect(body).toContain(`- ${node(4)}`);
  },
  'scale-down-merge': async (story, world) => {
    expect(await world.repository.head()).toBe(story.merges.down?.after);
    expect(await count(world, 'HEAD')).toBe(4);
  },
  'scale-down-apply': async (story, world) => {
    expect(stepsOf(story, 'apply.yml', 'down')).toEqual(applySteps(false));
    // Exactly the node the saved plan destroys was drained, and it is gone from the cluster, the state and the machines.
    expect(stepSummary(story, 'apply.yml', 'down', TF_PLAN)).toBe('saved plan: create none; destroy vm-4');
    expect(stepSummary(story, 'apply.yml', 'down', DRAIN)).toBe('drained and deleted vm-4');
    expect(nodeNames(world)).toEqual(workers(4));
    expect(await world.stateWorkers()).toEqual(workers(4));
    expect((await stateRecords(world)).summary).toMatchObject({ workers: { before: 5, after: 4 }, destroyed: [node(4)] });
    expect(existsSync(join(world.machines.dir, node(4)))).toBe(false);
    expect(world.cluster.workloadCounts()).toEqual({ running: 2, pending: 0, unschedulable: 0 });
  },
  'manual-scale': async (story, world) => {
    expect(stepsOf(story, 'scale.yml', 'manual')).toEqual([
      'Open the scale pull request › Run actions/checkout: success',
      'Open the scale pull request › Run ./actions/scale: success',
    ]);
    expect(story.pulls.manual).toBe(3);
    const pull = await world.github.pull(3);
    expect(pull).toMatchObject({ state: 'open', title: 'Scale shop kubernetes_node 4 → 6' });
    expect(pull.head).toMatch(/^scale\/shop-6-\d+$/);
    const message = await new Git(world.repository.bare).run(['log', '-1', '--format=%B', pull.headSha]);
    expect(message).toContain(`Autoscale-Reason: requested by @octocat: ${story.manual.reason}`);
  },
  'manual-check': async (story, world) => {
    // Opened with the App token (secrets.SCALE_TOKEN), so checked as any other PR.
    expect(stepsOf(story, 'pr.yml', 'manual')).toEqual(PR_CHECK);
    expect(await planComment(world, 3)).toContain(
      '| `aws/demo-shop` | `cluster-config/aws-demo.yml` | kubernetes\\_node 4 → 6 | +2 | +$66.58 |',
    );
  },
  'manual-merge': async (story, world) => {
    expect(await world.repository.head()).toBe(story.merges.manual?.after);
    expect(await count(world, 'HEAD')).toBe(6);
  },
  'manual-apply': async (story, world) => {
    expect(stepsOf(story, 'apply.yml', 'manual')).toEqual(applySteps(true));
    // The same image inputs: a cache hit, nothing baked again.
    expect(stepSummary(story, 'apply.yml', 'manual', PACKER)).toMatch(/^cache hit: image local-[0-9a-f]{16} reused, nothing built$/);
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
    expect(output).not.toMatch(/stand-in: the bundled actions|STAND-IN/);
    expect(output).toContain('workflows: .github/workflows/*.yml of the repository, on the local workflow runner');
    // Each job and step as it runs, with its time; each PR's plan comment with its cost.
    expect(output).toMatch(/\n {4}job Apply aws\/demo-shop\n/);
    expect(output).toMatch(/\n {6}✓ step 10 Join the created nodes \(ansible, those hosts and the node-join plays only\): success in \d/);
    expect(output).toContain(
      'PR #1, plan comment by @lambdastack-autoscaler[bot]: 1 cluster scaled: 2 nodes added, 0 removed; monthly cost change +$66.58.',
    );
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
    // provision.yml, then pr.yml and apply.yml three times and scale.yml once: each a log and its job summaries.
    expect(files.filter((f) => f.name === 'run.log')).toHaveLength(8);
    expect(files.length).toBeGreaterThan(16);
    for (const file of files) {
      const text = await readFile(join(file.parentPath, file.name), 'utf8');
      for (const secret of [DEMO_AWS_ENV.AWS_SECRET_ACCESS_KEY, DEMO_TOKEN, DEMO_APP_TOKEN]) expect(text, file.name).not.toContain(secret);
      expect(text, file.name).not.toContain('client-key-data');
    }

    // The repository stays in the workdir (--keep), and the history command works there.
    const history = await cli(['history', '--json'], workdir);
    expect(history.exitCode, history.stderr).toBe(0);
    const entries = (JSON.parse(history.stdout) as { entries: Array<{ pr: number | null }> }).entries;
    expect(entries.map((entry) => entry.pr)).toEqual([3, 2, 1, null]);
    expect((await cli(['history'], workdir)).stdout).toContain('reason: 2 unschedulable pods need 2 new nodes: 3 → 5');
  }, 300_000);
});
