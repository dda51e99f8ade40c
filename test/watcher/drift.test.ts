import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/watcher/log.js';
import { WatcherMetrics } from '../../src/watcher/metrics.js';
import { Watcher } from '../../src/watcher/watcher.js';
import { withoutRetries } from '../github/autoscale-support.js';
import { until } from '../kube/snapshot-support.js';
import { client } from '../sim/github/support.js';
import { tempDir } from '../support/temp.js';
import { FILE, githubCalls, githubWrites, OWNER, REPO, readerOf, simTimer, startWorlds, WATCHER_TOKEN, type Worlds } from './support.js';

// Drift against both simulators: a worker deleted with kubectl, outside git, becomes one GitHub
// issue once it has been missing for longer than the provisioning timeout (15m by default, on the
// kube simulator's stopped clock), and the issue closes when the node is back.

const VM2 = 'demo-shop-kubernetes-node-vm-2';

/** kubectl against the kube simulator, with a kubeconfig and cache of this test's own. */
async function kubectl(w: Worlds, ...args: string[]): Promise<string> {
  const dir = await tempDir('drift-kubectl-');
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, w.kube.kubeConfigYaml, { mode: 0o600 });
  const result = await execa('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { env: { HOME: dir } });
  return String(result.stdout);
}

async function driftIssues(w: Worlds): Promise<Array<{ number: number; title: string; state: string; labels: string[]; body: string }>> {
  const { data } = await w.octokit.issues.listForRepo({ owner: OWNER, repo: REPO, state: 'all', labels: 'drift', direction: 'asc' });
  return data.map((issue) => ({
    number: issue.number,
    title: issue.title,
    state: issue.state,
    labels: issue.labels.map((label) => (typeof label === 'string' ? label : (label.name ?? ''))),
    body: issue.body ?? '',
  }));
}

async function driftMetric(w: Worlds, kind: 'missing' | 'extra'): Promise<number | undefined> {
  const { body } = await w.metrics.text();
  const match = new RegExp(`^lambdastack_autoscaler_drift_nodes\\{cluster="shop",kind="${kind}"\\} (\\d+)$`, 'm').exec(body);
  return match ? Number(match[1]) : undefined;
}

async function nodeGone(w: Worlds, name: string): Promise<void> {
  const reader = readerOf(w);
  await until(reader, `${name} gone from the cache`, () => !reader.caches.nodes.list().some((e) => e.view.name === name));
}

async function nodeReady(w: Worlds, name: string): Promise<void> {
  const reader = readerOf(w);
  await until(reader, `${name} Ready in the cache`, () => reader.caches.nodes.list().some((e) => e.view.name === name && e.view.ready));
}

describe('drift', () => {
  it('a node deleted with kubectl outside git is one drift issue after the provisioning timeout, closed when the node returns', async () => {
    const w = await startWorlds();
    const calls = githubCalls(w.github);
    const first = await w.cycle();
    // A watcher that has just started looks once for an open drift issue (and finds none).
    expect(calls()).toContain('GET issues 200');
    expect(first.drift).toEqual({ missing: [], extra: [], settling: 0, issue: 'none' });
    expect(await driftMetric(w, 'missing')).toBe(0);

    expect(await kubectl(w, 'delete', 'node', VM2)).toContain(`node "${VM2}" deleted`);
    await nodeGone(w, VM2);
    const writes = githubWrites(w.github);
    const seen = await w.cycle();
    expect(seen.drift).toMatchObject({ missing: [], settling: 1, issue: 'none' });

    // Exactly the timeout is not drift yet: a merged scale-up may take that long.
    w.kube.cluster.advance(15 * 60);
    expect((await w.cycle()).drift).toMatchObject({ missing: [], settling: 1, issue: 'none' });
    expect(writes()).toEqual([]);

    w.kube.cluster.advance(1);
    const drifted = await w.cycle();
    expect(drifted.drift).toEqual({ missing: [VM2], extra: [], settling: 0, issue: 'opened', number: 1 });
    expect(writes()).toEqual(['POST issues']);
    expect(await driftMetric(w, 'missing')).toBe(1);
    const [issue, ...others] = await driftIssues(w);
    expect(others).toEqual([]);
    expect(issue).toMatchObject({ number: 1, title: 'Drift: shop has 1 missing worker', state: 'open', labels: ['autoscaler', 'drift'] });
    expect(issue?.body).toContain(`| ${VM2} |`);
    expect(issue?.body).toContain('no node of this name');
    expect(issue?.body).toContain('`kubernetes_node.count: 3`');
    expect(w.logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'drift: issue opened', number: 1, missing: 1 }));

    // While nothing changes, no GitHub write, and the cycle's only call is the config read.
    const idle = githubCalls(w.github);
    w.kube.cluster.advance(60);
    expect((await w.cycle()).drift).toMatchObject({ missing: [VM2], issue: 'unchanged', number: 1 });
    expect(idle()).toEqual([`GET contents/${FILE} 304`]);

    // The VM comes back (the apply workflow run again): its kubelet registers, then turns Ready.
    w.kube.cluster.addNode(VM2);
    w.kube.cluster.advance(10);
    await nodeReady(w, VM2);
    const back = await w.cycle();
    expect(back.drift).toEqual({ missing: [], extra: [], settling: 0, issue: 'closed', number: 1 });
    expect(writes()).toEqual(['POST issues', 'POST issues/1/comments', 'PATCH issues/1']);
    expect(await driftMetric(w, 'missing')).toBe(0);
    const [closed] = await driftIssues(w);
    expect(closed).toMatchObject({ number: 1, state: 'closed' });
    const { data: comments } = await w.octokit.issues.listComments({ owner: OWNER, repo: REPO, issue_number: 1 });
    expect(comments.map((c) => c.body)).toEqual([
      `The workers of **shop** match its config again (\`kubernetes_node.count: 3\`): closing.\n\n- ${VM2} (was missing)`,
    ]);
    const { data: closedIssue } = await w.octokit.issues.get({ owner: OWNER, repo: REPO, issue_number: 1 });
    expect(closedIssue.state_reason).toBe('completed');
  });

  it('rewrites the one issue when the drifting nodes change, and a restarted watcher carries on with it', async () => {
    const w = await startWorlds();
    await w.cycle();
    // A VM made by hand, and one destroyed outside git.
    w.kube.cluster.addNode('gpu-box-1');
    w.kube.cluster.removeNode(VM2);
    w.kube.cluster.advance(10);
    await nodeReady(w, 'gpu-box-1');
    await nodeGone(w, VM2);
    await w.cycle();
    w.kube.cluster.advance(16 * 60);
    expect((await w.cycle()).drift).toMatchObject({ missing: [VM2], extra: ['gpu-box-1'], issue: 'opened', number: 1 });
    expect((await driftIssues(w))[0]?.title).toBe('Drift: shop has 1 missing and 1 extra workers');

    const writes = githubWrites(w.github);
    w.kube.cluster.removeNode('gpu-box-1');
    await nodeGone(w, 'gpu-box-1');
    expect((await w.cycle()).drift).toMatchObject({ missing: [VM2], extra: [], issue: 'updated', number: 1 });
    expect(writes()).toEqual(['PATCH issues/1']);
    const [issue, ...others] = await driftIssues(w);
    expect(others).toEqual([]);
    expect(issue?.title).toBe('Drift: shop has 1 missing worker');
    expect(issue?.body).not.toContain('gpu-box-1');

    // A new watcher process: it finds the issue, takes the clocks from it, and writes nothing.
    const logs: Array<Record<string, unknown>> = [];
    const stop = new AbortController();
    const restarted = new Watcher(
      { owner: OWNER, repo: REPO, configPath: FILE, dryRun: false, autoMerge: false },
      {
        github: withoutRetries(client(w.github.sim)),
        kubeConfig: w.kubeConfig,
        log: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)), secrets: [WATCHER_TOKEN] }),
        metrics: new WatcherMetrics({ processMetrics: false }),
        timer: simTimer(w.kube),
        abort: stop.signal,
      },
    );
    try {
      const report = await restarted.cycle();
      expect(report.drift).toMatchObject({ missing: [VM2], issue: 'unchanged', number: 1 });
      expect(writes()).toEqual(['PATCH issues/1']);
      expect(logs).toContainEqual(expect.objectContaining({ msg: 'an open drift issue', number: 1 }));
    } finally {
      stop.abort();
      await restarted.stop();
    }
  });

  it('--dry-run says what it would do with the issue and writes nothing', async () => {
    const w = await startWorlds({ watcher: { dryRun: true } });
    await w.cycle();
    w.kube.cluster.removeNode(VM2);
    await nodeGone(w, VM2);
    await w.cycle();
    w.kube.cluster.advance(16 * 60);
    const writes = githubWrites(w.github);
    expect((await w.cycle()).drift).toMatchObject({ missing: [VM2], issue: 'dry-run' });
    expect(writes()).toEqual([]);
    expect(await driftIssues(w)).toEqual([]);
    const said = w.logs.find((line) => line.msg === 'dry run: the drift issue would be opened');
    expect(said).toMatchObject({ cluster: 'shop', title: 'Drift: shop has 1 missing worker' });
    expect(String(said?.body)).toContain(VM2);
  });
});
