import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readValidConfigs } from '../../src/config/index.js';
import { Git } from '../../src/git/git.js';
import { GitTreeSource } from '../../src/git/tree-source.js';
import { scalePlan } from '../../src/plan/index.js';
import { clusterConfig } from '../support/config-text.js';
import { git, ISOLATED_GIT_ENV, newRepository, type TestRepository } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, runBundledAction } from './runner.js';

const STACK_FRAME = /(^|%0A|\n)\s+at /m;
const ZERO = '0'.repeat(40);

const aws = (nodes: number, more: Parameters<typeof clusterConfig>[0] = {}): string =>
  clusterConfig({ name: 'shop', nodes, autoscaling: { min: 0, max: 200 }, ...more });
const azure = (nodes: number): string => clusterConfig({ provider: 'azure', name: 'analytics', nodes, autoscaling: { min: 1, max: 6 } });

/** The repository a push landed in: main with both clusters, as the apply workflow's checkout sees it. */
async function clusters(awsNodes = 3, azureNodes = 4): Promise<TestRepository> {
  return newRepository({
    'cluster-config/aws.yml': aws(awsNodes),
    'cluster-config/azure.yml': azure(azureNodes),
    'README.md': '# configs\n',
  });
}

/** A push event as GitHub writes it to GITHUB_EVENT_PATH (the fields the action reads, and some it does not). */
async function pushEvent(before: string, after: string): Promise<string> {
  const file = join(await tempDir('lsa-event-'), 'event.json');
  await writeFile(
    file,
    JSON.stringify({ ref: 'refs/heads/main', before, after, created: before === ZERO, repository: { full_name: 'example/clusters' } }),
  );
  return file;
}

/** Runs the bundled plan action in `checkout` as a push from `before` to `after` would. */
async function plan(
  checkout: string,
  push: { before: string; after: string },
  inputs: Record<string, string> = {},
  env: Record<string, string> = {},
): Promise<ActionRun> {
  return runBundledAction('plan', {
    workspace: checkout,
    inputs: { base: '', head: '', path: 'cluster-config', ...inputs },
    env: {
      // The runner's PATH: the action runs git.
      PATH: process.env.PATH ?? '',
      ...ISOLATED_GIT_ENV,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: await pushEvent(push.before, push.after),
      GITHUB_SHA: push.after,
      ...env,
    },
  });
}

const errors = (run: ActionRun): string[] => run.commands.filter((c) => c.command === 'error').map((c) => c.message);

describe('the plan action (its committed bundle, run as the runner runs it on a push)', () => {
  it('plans a push that scales two clusters: the plan, the nodes added and removed, and a summary', async () => {
    const repo = await clusters(3, 4);
    const before = await repo.git(['rev-parse', 'HEAD']);
    await repo.commit('Scale shop up', { files: { 'cluster-config/aws.yml': aws(5) } });
    const after = await repo.commit('Scale analytics down', { files: { 'cluster-config/azure.yml': azure(2) } });

    const run = await plan(repo.dir, { before, after });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const expected = {
      clusters: [
        {
          file: 'cluster-config/aws.yml',
          name: 'shop',
          provider: 'aws',
          change: 'scaled',
          counts: { kubernetes_master: 1, kubernetes_node: 5 },
          components: [
            {
              component: 'kubernetes_node',
              from: 3,
              to: 5,
              add: ['demo-shop-kubernetes-node-vm-3', 'demo-shop-kubernetes-node-vm-4'],
              remove: [],
            },
          ],
        },
        {
          file: 'cluster-config/azure.yml',
          name: 'analytics',
          provider: 'azure',
          change: 'scaled',
          counts: { kubernetes_master: 1, kubernetes_node: 2 },
          components: [
            {
              component: 'kubernetes_node',
              from: 4,
              to: 2,
              add: [],
              remove: ['demo-analytics-kubernetes-node-vm-3', 'demo-analytics-kubernetes-node-vm-2'],
            },
          ],
        },
      ],
    };
    expect(JSON.parse(run.outputs.plan ?? '')).toEqual(expected);
    // One matrix entry per cluster scaled in place: the apply workflow runs a job for each.
    expect(JSON.parse(run.outputs.clusters ?? '')).toEqual([
      {
        file: 'cluster-config/aws.yml',
        id: 'aws/demo-shop',
        name: 'shop',
        provider: 'aws',
        region: null,
        key: 'AWS_DEMO_SHOP',
        adds: true,
        removes: false,
      },
      {
        file: 'cluster-config/azure.yml',
        id: 'azure/demo-analytics',
        name: 'analytics',
        provider: 'azure',
        region: null,
        key: 'AZURE_DEMO_ANALYTICS',
        adds: false,
        removes: true,
      },
    ]);
    expect(run.outputs).toMatchObject({
      'has-changes': 'true',
      adds: 'true',
      removes: 'true',
      'nodes-added': 'demo-shop-kubernetes-node-vm-3\ndemo-shop-kubernetes-node-vm-4',
      'nodes-removed': 'demo-analytics-kubernetes-node-vm-3\ndemo-analytics-kubernetes-node-vm-2',
    });
    expect(run.summary).toContain(`<code>${before.slice(0, 12)}</code> → <code>${after.slice(0, 12)}</code>`);
    expect(run.summary).toContain('✅ 2 cluster(s) scaled: 2 node(s) added, 2 removed');
    expect(run.summary).toContain(
      '<tr><td><code>cluster-config/aws.yml</code></td><td>aws/demo-shop</td><td>kubernetes_node 3 → 5</td>' +
        '<td>demo-shop-kubernetes-node-vm-3<br>demo-shop-kubernetes-node-vm-4</td><td>—</td></tr>',
    );
    expect(run.summary).toContain(
      '<tr><td><code>cluster-config/azure.yml</code></td><td>azure/demo-analytics</td><td>kubernetes_node 4 → 2</td><td>—</td>' +
        '<td>demo-analytics-kubernetes-node-vm-3<br>demo-analytics-kubernetes-node-vm-2</td></tr>',
    );
    expect(run.stdout).toContain('cluster-config/aws.yml: cluster aws/demo-shop: kubernetes_node 3 → 5\n');
  });

  it('says there is nothing to apply when the push changes no count', async () => {
    const repo = await clusters();
    const before = await repo.git(['rev-parse', 'HEAD']);
    const after = await repo.commit('Edit the README', { files: { 'README.md': '# cluster configs\n' } });

    const run = await plan(repo.dir, { before, after });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toEqual({
      plan: '{"clusters":[]}',
      clusters: '[]',
      'has-changes': 'false',
      adds: 'false',
      removes: 'false',
      'nodes-added': '',
      'nodes-removed': '',
    });
    expect(run.summary).toContain('No scale changes: nothing to apply');
    expect(run.summary).not.toContain('<table>');
  });

  it('takes a push that created the branch (before is all zeros) as no base: the clusters are new, nothing is scaled', async () => {
    const repo = await clusters();
    const after = await repo.git(['rev-parse', 'HEAD']);

    const run = await plan(repo.dir, { before: ZERO, after });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs['has-changes']).toBe('false');
    expect(run.outputs['nodes-added']).toBe('');
    expect(JSON.parse(run.outputs.plan ?? '').clusters.map((c: { change: string; name: string }) => `${c.change} ${c.name}`)).toEqual([
      'added shop',
      'added analytics',
    ]);
    const notices = run.commands.filter((c) => c.command === 'notice');
    expect(notices.map((c) => c.properties.file)).toEqual(['cluster-config/aws.yml', 'cluster-config/azure.yml']);
    expect(notices[0]?.message).toBe(
      'cluster aws/demo-shop: cluster added with kubernetes_master 1, kubernetes_node 3 (a new cluster is created by LambdaStack, not by autoscaling); this pipeline leaves it alone',
    );
    expect(run.summary).toContain('no base (a new branch) → ');
    expect(run.summary).toContain('Whole-cluster changes (not applied by autoscaling)');
  });

  it('fails clearly when the checkout lacks the base commit (a shallow clone), naming fetch-depth; depth 2 is enough for one commit', async () => {
    const repo = await clusters();
    const before = await repo.git(['rev-parse', 'HEAD']);
    const after = await repo.commit('Scale shop up', { files: { 'cluster-config/aws.yml': aws(4) } });
    const shallow = await tempDir('lsa-shallow-');
    await git(shallow, ['clone', '-q', '--depth', '1', `file://${repo.dir}`, '.']);

    const run = await plan(shallow, { before, after });

    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([
      `input \`base\` (default: the push's \`before\`): commit ${before} is not in the checkout: actions/checkout fetches one commit unless told otherwise, so give it \`fetch-depth: 0\` (all history), or \`fetch-depth: 2\` when every push is a single commit`,
    ]);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    expect(run.outputs).toEqual({});

    const deeper = await tempDir('lsa-depth2-');
    await git(deeper, ['clone', '-q', '--depth', '2', `file://${repo.dir}`, '.']);
    const again = await plan(deeper, { before, after });
    expect(again.exitCode, again.stdout).toBe(0);
    expect(again.outputs['nodes-added']).toBe('demo-shop-kubernetes-node-vm-3');
  });

  it('refuses a renamed cluster: the step fails naming the cluster and the fix, and the summary says so', async () => {
    const repo = await clusters();
    const before = await repo.git(['rev-parse', 'HEAD']);
    const after = await repo.commit('Rename shop to store', { files: { 'cluster-config/aws.yml': aws(3, { name: 'store' }) } });

    const run = await plan(repo.dir, { before, after });

    expect(run.exitCode).toBe(1);
    const why =
      'cluster aws/demo-store (cluster-config/aws.yml) was aws/demo-shop: a rename changes every VM name, so applying it would replace the cluster; restore its specification.name and prefix, or rename it with LambdaStack outside this pipeline';
    expect(errors(run)).toEqual([`the push makes changes this pipeline does not apply:\n- ${why}`]);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    // Outputs and summary are written before the step fails, for `if: failure()` steps.
    expect(run.outputs['has-changes']).toBe('false');
    expect(JSON.parse(run.outputs.plan ?? '').clusters[0]).toMatchObject({ change: 'renamed', previous: { id: 'aws/demo-shop' } });
    expect(run.summary).toContain('❌ refused: 1 change(s) this pipeline does not apply (below); nothing is applied');
    expect(run.summary).toContain(`<h3>Refused</h3>\n<ul><li>${why}</li></ul>`);
  });

  it('refuses a removed cluster and a lower master count, each with its fix, even beside a change it would apply', async () => {
    const repo = await clusters();
    await repo.commit('Three masters', { files: { 'cluster-config/aws.yml': aws(3, { masters: 3 }) } });
    const before = await repo.git(['rev-parse', 'HEAD']);
    await repo.git(['rm', '-q', 'cluster-config/azure.yml']);
    const after = await repo.commit('Drop analytics, one master for shop, more nodes', {
      files: { 'cluster-config/aws.yml': aws(6, { masters: 1 }) },
    });

    const run = await plan(repo.dir, { before, after });

    expect(run.exitCode).toBe(1);
    const [message] = errors(run);
    expect(message).toContain(
      '- cluster aws/demo-shop (cluster-config/aws.yml): kubernetes_master 3 → 1 refused: masters are never scaled down (LambdaStack cannot remove a control-plane node safely); restore kubernetes_master.count to 3',
    );
    expect(message).toContain(
      '- cluster azure/demo-analytics (cluster-config/azure.yml) was removed: this pipeline never tears a cluster down; restore the file, or destroy the cluster with LambdaStack outside this pipeline',
    );
    expect(run.summary).toContain('❌ refused: 2 change(s)');
  });

  it('takes base and head as inputs (any ref), and lists all node names in the outputs but caps them in the summary', async () => {
    const repo = await clusters(0);
    await repo.commit('Scale shop to 120', { files: { 'cluster-config/aws.yml': aws(120) } });

    const run = await plan(repo.dir, { before: 'ignored', after: 'ignored' }, { base: 'HEAD~1', head: 'main' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const added = (run.outputs['nodes-added'] ?? '').split('\n');
    expect(added).toHaveLength(120);
    expect(added.at(-1)).toBe('demo-shop-kubernetes-node-vm-119');
    expect(run.summary).toContain('demo-shop-kubernetes-node-vm-49<br>… and 70 more</td>');
    expect(run.summary).not.toContain('vm-50<');
  });

  it('plans a push that deleted the branch (after is all zeros) as nothing to do', async () => {
    const repo = await clusters();
    const before = await repo.git(['rev-parse', 'HEAD']);

    const run = await plan(repo.dir, { before, after: ZERO });

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs['has-changes']).toBe('false');
    expect(run.summary).toContain('The push deleted the branch: nothing to plan.');
  });

  it('names the commit of a problem in an old version, and annotates one at the checked-out commit on its line', async () => {
    const repo = await newRepository({ 'cluster-config/aws.yml': aws(-1) });
    const before = await repo.git(['rev-parse', 'HEAD']);
    const after = await repo.commit('Fix the count', { files: { 'cluster-config/aws.yml': aws(3) } });
    const broken = await repo.commit('Break it again', { files: { 'cluster-config/aws.yml': aws(-2) } });

    const old = await plan(repo.dir, { before, after });
    expect(old.exitCode).toBe(1);
    const oldProblem = old.commands.find((c) => c.command === 'error' && c.properties.file !== undefined);
    expect(oldProblem?.properties.file).toBe(`${before.slice(0, 12)}:cluster-config/aws.yml`);

    const now = await plan(repo.dir, { before: after, after: broken });
    expect(now.exitCode).toBe(1);
    const problem = now.commands.find((c) => c.command === 'error' && c.properties.file !== undefined);
    expect(problem?.properties).toMatchObject({ file: 'cluster-config/aws.yml', line: '11' });
    expect(problem?.message).toBe('specification.components.kubernetes_node.count: must be 0 or more');
  });

  it('refuses a workspace that is not a git checkout, and a non-push event without base', async () => {
    const dir = await tempDir('lsa-no-checkout-');
    await writeFile(join(dir, 'x.yml'), aws(3));
    const run = await plan(dir, { before: 'a'.repeat(40), after: 'b'.repeat(40) }, { path: '.' });
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([
      `${dir} is not a git checkout: run actions/checkout with \`fetch-depth: 0\` before this step (the plan reads both commits from git)`,
    ]);

    const repo = await clusters();
    const dispatch = await runBundledAction('plan', {
      workspace: repo.dir,
      inputs: { base: '', head: '', path: 'cluster-config' },
      env: { PATH: process.env.PATH ?? '', GITHUB_EVENT_NAME: 'workflow_dispatch' },
    });
    expect(dispatch.exitCode).toBe(1);
    expect(errors(dispatch)).toEqual([
      'input `base` is empty and the workflow_dispatch event has no `before`: set `base` to the commit to compare (on a push it defaults to `github.event.before`)',
    ]);
  });

  it('gives the same plan as the core for the same two versions', async () => {
    // The action is a shell over scalePlan: what it outputs is what the core computes.
    const repo = await clusters(2, 2);
    const before = await repo.git(['rev-parse', 'HEAD']);
    const after = await repo.commit('Both up', { files: { 'cluster-config/aws.yml': aws(7), 'cluster-config/azure.yml': azure(6) } });
    const run = await plan(repo.dir, { before, after });
    const gitRepo = new Git(repo.dir);
    const sides = await Promise.all(
      [before, after].map((commit) => readValidConfigs(new GitTreeSource(gitRepo, commit, 'cluster-config', commit))),
    );
    expect(JSON.parse(run.outputs.plan ?? '')).toEqual(scalePlan(sides[0] ?? [], sides[1] ?? []));
  });
});
