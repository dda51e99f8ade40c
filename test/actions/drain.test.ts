import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseFlag, parseNodeNames, parseWholeNumber } from '../../src/actions/drain-inputs.js';
import { withSecretFile } from '../../src/actions/secret-file.js';
import { UserError } from '../../src/errors.js';
import { named, podsOn, sixWorkers, WORKER } from '../kube/drain-support.js';
import type { SimHandle } from '../sim/kube/support.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, runBundledAction } from './runner.js';

const STACK_FRAME = /(^|%0A|\n)\s+at /m;
/** A bearer token in the kubeconfig: the simulator ignores it, the action must never show it. */
const TOKEN = 'sim-token-7f3a9c1e5b2d4f6a8c0e';

let handle: SimHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

/**
 * The demo cluster with six workers on a running clock (100 simulated seconds a second): the
 * bundled action runs in a process of its own on real time, so the pods' 30 s grace periods take 0.3 s.
 */
async function cluster(scenario: Record<string, unknown>): Promise<SimHandle> {
  handle = await sixWorkers(scenario, { timeScale: 100 });
  return handle;
}

/** The simulator's kubeconfig with a token for its user, as a secret's content would be. */
function kubeconfigWithToken(sim: SimHandle): string {
  const config = YAML.parse(sim.sim.kubeConfigYaml) as { users: Array<{ user: Record<string, unknown> }> };
  for (const user of config.users) user.user = { token: TOKEN };
  return YAML.stringify(config);
}

const errors = (run: ActionRun) => run.commands.filter((command) => command.command === 'error');
const nodeNames = (sim: SimHandle): string[] => sim.sim.cluster.nodes().map((node) => node.metadata.name);
const unschedulable = (sim: SimHandle, node: string): boolean | undefined =>
  sim.sim.cluster.nodes().find((n) => n.metadata.name === node)?.spec.unschedulable;

/** Everything the action showed except the add-mask commands, which hand the secrets to the runner to hide. */
const shown = (run: ActionRun): string =>
  [...run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')), run.stderr, JSON.stringify(run.outputs), run.summary].join(
    '\n',
  );

describe('the drain action (its committed bundle, run as the runner runs it)', () => {
  it('drains the nodes with the kubeconfig content as input, which is masked and never shown, and its file removed', async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 12, requests: { cpu: '100m' } }] });
    const nodes = [WORKER(0), WORKER(1)];
    const web = named(nodes.flatMap((node) => podsOn(sim, node, 'default')));
    const kubeconfig = kubeconfigWithToken(sim);
    const runnerTemp = await tempDir('lsa-runner-temp-');

    const run = await runBundledAction('drain', {
      workspace: await tempDir('lsa-workspace-'),
      inputs: { nodes: ` ${nodes[0]}\n${nodes[1]}, ${nodes[0]}\n`, kubeconfig, timeout: '600', force: 'false', parallelism: '10' },
      env: { RUNNER_TEMP: runnerTemp },
    });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(JSON.parse(run.outputs.drained ?? '')).toEqual(nodes);
    expect(JSON.parse(run.outputs.blocked ?? '')).toEqual({});
    expect(nodeNames(sim).filter((node) => nodes.includes(node))).toEqual([]);
    // The summary: a row per node, its pods evicted and skipped, and the time.
    expect(run.summary).toContain('✅ 2 node(s) drained and deleted in ');
    expect(run.summary).toContain(
      '<tr><th>Node</th><th>Result</th><th>Evicted</th><th>Skipped (DaemonSet, mirror)</th><th>Blocked</th><th>Time</th></tr>',
    );
    for (const node of nodes) expect(run.summary).toContain(`<tr><td><code>${node}</code></td><td>✅ drained, Node deleted</td>`);
    for (const pod of web) expect(run.summary).toContain(`<code>${pod}</code>`);
    expect(run.summary).toContain('<summary>2 skipped</summary>');
    expect(run.summary).toMatch(/kube-system\/kube-proxy-\w+ \(DaemonSet\)/);
    // The secret: masked whole and its token on its own (a log line holds one line of it), shown nowhere.
    const masks = run.commands.filter((command) => command.command === 'add-mask').map((command) => command.message);
    expect(masks).toEqual(expect.arrayContaining([kubeconfig.trim(), TOKEN]));
    expect(shown(run)).not.toContain(TOKEN);
    expect(shown(run)).not.toContain(kubeconfig.trim());
    // Written under RUNNER_TEMP for the step, and gone after it.
    expect(await readdir(runnerTemp)).toEqual([]);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
  });

  it('fails with ::error:: when a budget blocks: the pods and the budget named, the nodes cordoned and registered', async () => {
    const sim = await cluster({
      workloads: [{ name: 'web', replicas: 3, requests: { cpu: '100m' } }],
      pdbs: [{ name: 'web', selector: { app: 'web' }, minAvailable: 3 }],
    });
    const node = sim.sim.cluster.pods('default')[0]?.spec.nodeName as string;
    const stuck = named(podsOn(sim, node, 'default'));
    const workspace = await tempDir('lsa-workspace-');

    // Through KUBECONFIG this time, as a step before (a cloud login, say) may have set it.
    const run = await runBundledAction('drain', {
      workspace,
      inputs: { nodes: node, kubeconfig: '', timeout: '2', force: 'false', parallelism: '10' },
      env: { KUBECONFIG: sim.kubeconfig },
    });

    expect(run.exitCode).toBe(1);
    const annotations = errors(run);
    expect(annotations.map((command) => command.properties.title)).toEqual([`Drain of ${node} timed out`, undefined]);
    expect(annotations[0]?.message).toBe(`pods left: ${stuck.join(', ')}; blocked by PodDisruptionBudget default/web`);
    expect(annotations[1]?.message).toMatch(
      new RegExp(
        `^drain failed: ${node} still had pods after 2 s\\. No Node was deleted and the nodes stay cordoned, so the plan must not be applied: let the budgets allow the evictions \\(default/web: `,
      ),
    );
    expect(JSON.parse(run.outputs.blocked ?? '')).toEqual({ [node]: { outcome: 'timed-out', pods: stuck, budgets: ['default/web'] } });
    expect(JSON.parse(run.outputs.drained ?? '')).toEqual([]);
    expect(run.summary).toContain(`<tr><td><code>${node}</code></td><td>❌ timed out: cordoned, kept registered</td>`);
    expect(run.summary).toContain('<tr><th>Node</th><th>Pod</th><th>PodDisruptionBudget</th><th>Why</th></tr>');
    expect(run.summary).toContain(
      `<td><code>${stuck[0]}</code></td><td><code>default/web</code></td><td>eviction refused (429): The disruption budget web needs 3 healthy pods and has 3 currently</td>`,
    );
    expect(run.stdout).toContain('refused, asking again every 5 s');
    expect(nodeNames(sim)).toContain(node);
    expect(unschedulable(sim, node)).toBe(true);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
  });

  it('succeeds with nothing to do when no node is named, without reading any kubeconfig', async () => {
    const run = await runBundledAction('drain', {
      workspace: await tempDir('lsa-workspace-'),
      inputs: { nodes: ' \n', kubeconfig: '', timeout: '600', force: 'false', parallelism: '10' },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toEqual({ drained: '[]', blocked: '{}' });
    expect(run.summary).toContain('Nothing to drain: the plan destroys no node.');
  });

  it('refuses inputs it cannot use, naming the input and the fix, before reaching any cluster', async () => {
    const workspace = await tempDir('lsa-workspace-');
    const inputs = { nodes: 'worker-1', kubeconfig: '', timeout: '600', force: 'false', parallelism: '10' };
    const refusal = async (override: Record<string, string>): Promise<string> => {
      const run = await runBundledAction('drain', { workspace, inputs: { ...inputs, ...override }, env: { HOME: workspace } });
      expect(run.exitCode).toBe(1);
      expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
      return errors(run)
        .map((command) => command.message)
        .join('\n');
    };
    expect(await refusal({ nodes: 'worker-1,Worker_2' })).toContain('input `nodes`: "Worker_2" is not a node name');
    expect(await refusal({ timeout: '10m' })).toContain('input `timeout`: "10m" is not a whole number of seconds from 1 to 86400');
    expect(await refusal({ force: 'yes' })).toContain('input `force`: "yes" is neither true nor false');
    expect(await refusal({ parallelism: '0' })).toContain('input `parallelism`: "0" is not a whole number of nodes from 1 to 100');
    // No kubeconfig at all: neither the input nor KUBECONFIG (nor ~/.kube/config, nor a pod's service account).
    expect(await refusal({ nodes: 'worker-1' })).toMatch(
      /^input `kubeconfig` is empty, so the kubeconfig comes from the environment, and no kubeconfig found: set KUBECONFIG, .*: pass the kubeconfig's content/,
    );
    // A kubeconfig that does not parse: where the mistake is, and nothing of the content.
    const broken = `apiVersion: v1\nusers:\n - name: a\n   user: {token: ${TOKEN}\nclusters: [`;
    const message = await refusal({ kubeconfig: broken });
    expect(message).toMatch(/^input `kubeconfig` is not the content of a kubeconfig file \(a YAML mistake at line \d+, column \d+\)/);
    expect(message).not.toContain(TOKEN);
  });
});

describe('drain inputs', () => {
  it('reads node names separated by commas or newlines, once each', () => {
    expect(parseNodeNames('a-1, b.example\r\nc\n\n,a-1')).toEqual(['a-1', 'b.example', 'c']);
    expect(parseNodeNames('  ')).toEqual([]);
    expect(() => parseNodeNames('ok,-bad,also_bad')).toThrow(
      new UserError(
        'input `nodes`: "-bad", "also_bad" are not node names: Kubernetes node names are DNS-1123 subdomains ' +
          "(lower-case letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters); " +
          'separate names with commas or newlines, for example `nodes: demo-shop-kubernetes-node-vm-3,demo-shop-kubernetes-node-vm-4`',
      ),
    );
    expect(() => parseNodeNames('a'.repeat(254))).toThrow(/is not a node name/);
  });

  it('reads whole numbers within bounds and flags in the spellings of getBooleanInput', () => {
    expect(parseWholeNumber('timeout', '', 600, 1, 86_400, 'seconds')).toBe(600);
    expect(parseWholeNumber('timeout', ' 90 ', 600, 1, 86_400, 'seconds')).toBe(90);
    for (const bad of ['0', '-1', '1.5', '1e3', '86401', 'ten']) {
      expect(() => parseWholeNumber('timeout', bad, 600, 1, 86_400, 'seconds')).toThrow(UserError);
    }
    expect([parseFlag('force', ''), parseFlag('force', 'TRUE'), parseFlag('force', 'False')]).toEqual([false, true, false]);
    expect(() => parseFlag('force', '1')).toThrow(/input `force`: "1" is neither true nor false/);
  });
});

describe('withSecretFile', () => {
  it('writes the content 0600 in a 0700 folder under RUNNER_TEMP, and removes both after, also on failure', async () => {
    const runnerTemp = await tempDir('lsa-runner-temp-');
    const before = process.env.RUNNER_TEMP;
    process.env.RUNNER_TEMP = runnerTemp;
    try {
      let seen = '';
      await withSecretFile('secret', 'kubeconfig', async (path) => {
        seen = path;
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        expect((await stat(join(path, '..'))).mode & 0o777).toBe(0o700);
      });
      expect(seen.startsWith(runnerTemp)).toBe(true);
      const failed = await withSecretFile('secret', 'kubeconfig', async () => {
        throw new Error('used and failed');
      }).catch((error: unknown) => error);
      expect((failed as Error).message).toBe('used and failed');
      expect(await readdir(runnerTemp)).toEqual([]);
    } finally {
      if (before === undefined) delete process.env.RUNNER_TEMP;
      else process.env.RUNNER_TEMP = before;
    }
  });
});
