import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCommitMessage } from '../../src/history/commit-message.js';
import { callName, isWrite, requestLog } from '../github/autoscale-support.js';
import { NAME, OWNER, REPO, worldWithoutServerErrors } from '../sim/github/support.js';
import { clusterConfig } from '../support/config-text.js';
import { git } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, runBundledAction } from './runner.js';

// The scale action as the runner runs it from a workflow_dispatch form, against the GitHub
// simulator over a real bare repository whose main holds two clusters:
// - cluster-config/aws.yml: aws/prod-demo-shop, 3 nodes within [2, 10], 1 master;
// - cluster-config/azure.yml: azure/demo-analytics, 2 nodes within [1, 6], 3 masters.

const STACK_FRAME = /(^|%0A|\n)\s+at /m;
const TOKEN = 'ghs_scaleActionTestToken0123456789abcdef';

const world = worldWithoutServerErrors();

beforeAll(async () => {
  const dir = await tempDir('lsa-scale-seed-');
  await git(dir, ['clone', '-q', '-b', 'main', world.bare, '.']);
  await writeFile(
    join(dir, 'cluster-config', 'azure.yml'),
    clusterConfig({ provider: 'azure', name: 'analytics', nodes: 2, masters: 3, autoscaling: { min: 1, max: 6 } }),
  );
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-qm', 'Add the analytics cluster']);
  await git(dir, ['push', '-q', 'origin', 'main']);
});

interface Form {
  cluster?: string;
  component?: string;
  count?: string;
  reason?: string;
}

/** The workflow_dispatch event GitHub writes to GITHUB_EVENT_PATH for a submitted form. */
async function dispatchEvent(form: Form, sender = 'octocat'): Promise<string> {
  const file = join(await tempDir('lsa-event-'), 'event.json');
  await writeFile(
    file,
    JSON.stringify({
      inputs: form,
      ref: 'refs/heads/main',
      repository: { name: REPO, full_name: NAME, owner: { login: OWNER }, default_branch: 'main' },
      sender: { login: sender, id: 583231, type: 'User' },
      workflow: '.github/workflows/scale.yml',
    }),
  );
  return file;
}

interface ScaleRun {
  /** What `with:` passes; the runner fills in the action.yml defaults for the rest. */
  inputs?: Record<string, string>;
  /** The form as the event holds it. */
  form?: Form;
  runId?: string;
  env?: Record<string, string | undefined>;
}

async function scale(options: ScaleRun = {}): Promise<ActionRun> {
  return runBundledAction('scale', {
    workspace: await tempDir('lsa-workspace-'),
    inputs: { cluster: '', component: 'kubernetes_node', count: '', reason: '', path: 'cluster-config', token: TOKEN, ...options.inputs },
    env: {
      GITHUB_API_URL: world.sim.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: NAME,
      GITHUB_EVENT_NAME: 'workflow_dispatch',
      GITHUB_EVENT_PATH: await dispatchEvent(options.form ?? {}),
      GITHUB_ACTOR: 'octocat',
      GITHUB_RUN_ID: options.runId ?? '1001',
      ...options.env,
    },
  });
}

const errors = (run: ActionRun): string[] => run.commands.filter((c) => c.command === 'error').map((c) => c.message);

/** The token appears in no output, no summary and no log line (the runner's `::add-mask::` line aside: that is how it learns to mask it). */
function expectTokenNowhere(run: ActionRun): void {
  const logs = (run.stdout + run.stderr).split('\n').filter((line) => !line.startsWith('::add-mask::'));
  expect(logs.join('\n')).not.toContain(TOKEN);
  expect(JSON.stringify(run.outputs)).not.toContain(TOKEN);
  expect(run.summary).not.toContain(TOKEN);
}

/** The commits of a branch that main lacks, with their messages, and the lines they change. */
async function branchChange(branch: string): Promise<{ messages: string[]; numstat: string; diff: string }> {
  const commits = (await world.git(['rev-list', `main..${branch}`])).split('\n').filter((sha) => sha !== '');
  const messages: string[] = [];
  for (const sha of commits) {
    const object = await world.git(['cat-file', 'commit', sha]);
    // The message follows the headers' blank line; the runner of git strips its final newline.
    messages.push(`${object.slice(object.indexOf('\n\n') + 2)}\n`);
  }
  const numstat = await world.git(['diff', '--numstat', 'main', branch]);
  const diff = await world.git(['diff', '-U0', 'main', branch]);
  return { messages, numstat, diff };
}

describe('the scale action (its committed bundle, run as the runner runs it from the form)', () => {
  it('opens one PR whose single commit changes one line and names who asked, in 7 GitHub calls and one more per config file (9 here)', async () => {
    const log = requestLog(world);
    const run = await scale({ form: { cluster: 'demo-shop', count: '5', reason: 'Black Friday traffic' } });
    const calls = log().map(callName);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toEqual({
      'pull-request-number': expect.stringMatching(/^\d+$/),
      'pull-request-url': expect.stringMatching(/\/pull\/\d+$/),
      branch: 'scale/demo-shop-5-1001',
    });
    const number = Number(run.outputs['pull-request-number']);
    const { data: pull } = await world.octokit.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
    expect(pull.title).toBe('Scale demo-shop kubernetes_node 3 → 5');
    expect(pull.base.ref).toBe('main');
    expect(pull.head.ref).toBe('scale/demo-shop-5-1001');
    expect(pull.html_url).toBe(run.outputs['pull-request-url']);
    expect(pull.labels.map((label) => label.name)).toEqual(['manual-scale', 'scale-up']);
    expect(pull.body).toContain(
      '@octocat asked for ` kubernetes_node 3 → 5 ` on cluster ` aws/prod-demo-shop `: merging this PR adds 2 nodes.',
    );
    expect(pull.body).toContain('**Reason:** ` Black Friday traffic `');
    expect(pull.body).toContain('+ prod-demo-shop-kubernetes-node-vm-3\n+ prod-demo-shop-kubernetes-node-vm-4');
    expect(pull.body).toContain('[workflow run 1001](https://github.com/example/cluster-config/actions/runs/1001)');

    const change = await branchChange('scale/demo-shop-5-1001');
    expect(change.messages).toEqual([
      'Scale demo-shop kubernetes_node 3 → 5\n\nAutoscale-Reason: requested by @octocat: Black Friday traffic\n',
    ]);
    expect(parseCommitMessage(change.messages[0] ?? '').reason).toBe('requested by @octocat: Black Friday traffic');
    expect(change.numstat).toBe('1\t1\tcluster-config/aws.yml');
    expect(change.diff).toMatch(/^-\s+count: 3\n\+\s+count: 5$/m);

    // The calls, in order: read the tip and the configs, then five writes.
    expect(calls).toEqual([
      'GET branches/main',
      expect.stringMatching(/^GET git\/trees\/[0-9a-f]{40}$/),
      expect.stringMatching(/^GET git\/blobs\//),
      expect.stringMatching(/^GET git\/blobs\//),
      'POST git/trees',
      'POST git/commits',
      'POST git/refs',
      'POST pulls',
      `POST issues/${number}/labels`,
    ]);
    expect(run.summary).toContain(`✅ opened PR #${number} for aws/prod-demo-shop: kubernetes_node 3 → 5`);
    expect(run.summary).toContain('<td>@octocat</td><td>Black Friday traffic</td>');
    expect(run.summary).toContain('+ prod-demo-shop-kubernetes-node-vm-3<br>+ prod-demo-shop-kubernetes-node-vm-4');
    expect(run.commands).toContainEqual(expect.objectContaining({ command: 'add-mask', message: TOKEN }));
    expectTokenNowhere(run);
  }, 60_000);

  it.each<[string, Record<string, string>, string]>([
    [
      'a count outside the bounds',
      { cluster: 'demo-shop', count: '11', reason: 'r' },
      'input `count`: cluster-config/aws.yml: cluster demo-shop: kubernetes_node count 11 refused: outside the autoscaling bounds [2, 10] in the configuration/autoscaling document; change the bounds first if you mean it',
    ],
    [
      'an unknown cluster',
      { cluster: 'nope', count: '4', reason: 'r' },
      'input `cluster`: no cluster "nope" under cluster-config on main (clusters: aws/prod-demo-shop (cluster-config/aws.yml), azure/demo-analytics (cluster-config/azure.yml)): give its specification.name or its provider/prefix-name id',
    ],
    [
      'an unknown component',
      { cluster: 'analytics', component: 'kafka', count: '4', reason: 'r' },
      'input `component`: cluster azure/demo-analytics (cluster-config/azure.yml) has no component "kafka"; its components: kubernetes_master, kubernetes_node',
    ],
    [
      'a lower master count',
      { cluster: 'azure/demo-analytics', component: 'kubernetes_master', count: '1', reason: 'r' },
      'input `count`: cluster-config/azure.yml: cluster analytics: kubernetes_master count 3 → 1 refused: masters are never scaled down (LambdaStack cannot remove a control-plane node safely)',
    ],
  ])('refuses %s with a clear error, and writes nothing', async (_what, inputs, message) => {
    const log = requestLog(world);
    const run = await scale({ inputs, runId: '2002' });

    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([message]);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    expect(log().filter(isWrite)).toEqual([]);
    expect(run.outputs).toEqual({});
    expectTokenNowhere(run);
  });

  it.each([
    ['five', 'input `count`: count "five" refused: give a whole number, 0 or more (e.g. 5)'],
    ['3.5', 'input `count`: count "3.5" refused: give a whole number, 0 or more (e.g. 5)'],
    ['', 'input `count` is empty: set it to the number of nodes wanted (for example `5`)'],
  ])('refuses the count %j before any GitHub call', async (count, message) => {
    const log = requestLog(world);
    const run = await scale({ inputs: { count }, form: { cluster: 'demo-shop', reason: 'x' } });

    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([message]);
    expect(log()).toEqual([]);
  });

  it('opens nothing when the count is already the one asked for', async () => {
    const log = requestLog(world);
    const run = await scale({ inputs: { cluster: 'demo-shop', count: '3', reason: 'just checking' } });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toEqual({ 'pull-request-number': '', 'pull-request-url': '', branch: '' });
    expect(run.summary).toContain(
      '✅ nothing to do: cluster-config/aws.yml on main already sets kubernetes_node.count to 3 for aws/prod-demo-shop',
    );
    expect(log().filter(isWrite)).toEqual([]);
  });

  it('scales down by id, keeps untrusted text inert, and a re-run of the run finds its PR instead of opening another', async () => {
    const reason = 'quiet `week` <img src=x onerror=alert(1)> **now** @admins #1 [x](http://evil)\n::warning::injected';
    const options = {
      inputs: { cluster: 'aws/prod-demo-shop', count: '2', reason },
      runId: '3003',
    };
    const first = await scale(options);

    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    expect(first.outputs.branch).toBe('scale/demo-shop-2-3003');
    const number = Number(first.outputs['pull-request-number']);
    const { data: pull } = await world.octokit.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
    expect(pull.labels.map((label) => label.name)).toEqual(['manual-scale', 'scale-down']);
    // The reason is one line, in a code span whose fence is longer than its backticks: no markup, mention or link renders.
    expect(pull.body).toContain(
      '**Reason:** `` quiet `week` <img src=x onerror=alert(1)> **now** @admins #1 [x](http://evil) ::warning::injected ``',
    );
    expect(pull.body).toContain('- prod-demo-shop-kubernetes-node-vm-2');
    const change = await branchChange('scale/demo-shop-2-3003');
    expect(change.messages).toEqual([
      'Scale demo-shop kubernetes_node 3 → 2\n\nAutoscale-Reason: requested by @octocat: quiet `week` <img src=x onerror=alert(1)> **now** @admins #1 [x](http://evil) ::warning::injected\n',
    ]);
    expect(first.summary).toContain(
      'quiet `week` &lt;img src=x onerror=alert(1)&gt; **now** @admins #1 [x](http://evil) ::warning::injected',
    );
    expect(first.summary).not.toContain('<img');
    // Nothing the user typed reaches the runner as a workflow command.
    expect(first.commands.filter((c) => c.command === 'warning')).toEqual([]);

    const log = requestLog(world);
    const again = await scale(options);

    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    expect(again.outputs).toEqual(first.outputs);
    expect(again.summary).toContain(`already open (an earlier attempt of this run opened it): PR #${number}`);
    expect(log().filter(isWrite).map(callName)).toEqual(['POST git/trees', 'POST git/commits', 'POST git/refs']);
    const { data: pulls } = await world.octokit.pulls.list({
      owner: OWNER,
      repo: REPO,
      head: `${OWNER}:scale/demo-shop-2-3003`,
      state: 'all',
    });
    expect(pulls).toHaveLength(1);
  }, 60_000);

  it('needs a token, a repository and a known user, and says how to give each', async () => {
    const form = { cluster: 'demo-shop', count: '4', reason: 'x' };
    const noToken = await scale({ inputs: { token: '' }, form });
    expect(errors(noToken)).toEqual([
      "input `token` is empty: pass a token that can push a branch and open a PR (by default the job's GITHUB_TOKEN, which needs the permissions `contents: write` and `pull-requests: write`)",
    ]);
    const noRepository = await scale({ form, env: { GITHUB_REPOSITORY: undefined, GITHUB_EVENT_PATH: undefined } });
    expect(errors(noRepository)).toEqual([
      'the repository is unknown: GITHUB_REPOSITORY (owner/name) is not set (the runner sets it; set it when running the action elsewhere)',
    ]);
    const noUser = await runBundledAction('scale', {
      workspace: await tempDir(),
      inputs: { cluster: 'demo-shop', count: '4', reason: 'x', token: TOKEN, component: 'kubernetes_node', path: 'cluster-config' },
      env: { GITHUB_API_URL: world.sim.url, GITHUB_REPOSITORY: NAME },
    });
    expect(errors(noUser)).toEqual([
      'the user who asked is unknown: the event has no sender and GITHUB_ACTOR is not set (the runner sets both; set GITHUB_ACTOR when running the action elsewhere)',
    ]);
    for (const run of [noToken, noRepository, noUser]) {
      expect(run.exitCode).toBe(1);
      expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    }
  });
});
