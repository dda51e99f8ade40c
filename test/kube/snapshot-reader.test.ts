import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError, UserError } from '../../src/errors.js';
import { DEFAULT_BACKOFF } from '../../src/kube/backoff.js';
import { type PodFacts, podEntry } from '../../src/kube/cache-entries.js';
import { SupervisedInformer } from '../../src/kube/informers.js';
import { SnapshotReader, type SnapshotReaderOptions } from '../../src/kube/snapshot-reader.js';
import type { PodView } from '../../src/policy/snapshot.js';
import { type KubeSim, type Scenario, startKubeSim } from '../../src/sim/kube/index.js';
import { kubeconfigYaml } from '../../src/sim/kube/kubeconfig.js';
import { ApiFront, ManualTimer, record, until } from './snapshot-support.js';

const SHOP = { cluster: { name: 'shop', prefix: 'demo' } };
const MASTER = 'demo-shop-kubernetes-master-vm-0';
const WORKERS = [0, 1, 2].map((i) => `demo-shop-kubernetes-node-vm-${i}`);

let cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

interface World {
  sim: KubeSim;
  front: ApiFront;
  reader: SnapshotReader;
  timer: ManualTimer;
}

/**
 * The aws-demo cluster in the simulator (a fast clock: 100 simulated seconds a second), served by
 * an API front the test can stop and restart, and a reader on a manual timer: restarts happen only
 * when the test fires them.
 */
async function world(
  scenario: Scenario = {},
  options: { timeScale?: number; watchHistory?: number; reader?: Partial<SnapshotReaderOptions> } = {},
): Promise<World> {
  const sim = await startKubeSim({
    config: 'cluster-config/aws-demo.yml',
    scenario,
    timeScale: options.timeScale ?? 100,
    ...(options.watchHistory ? { cluster: { watchHistory: options.watchHistory } } : {}),
  });
  cleanups.push(() => sim.close());
  const front = new ApiFront(sim.cluster);
  await front.start();
  cleanups.push(() => front.stop());
  const timer = new ManualTimer();
  const reader = new SnapshotReader(front.kubeConfig(), {
    workers: SHOP,
    timer,
    random: () => 0.5,
    backoff: { initialMs: 1000, maxMs: 4000, jitter: 0.5 },
    ...(options.reader ?? {}),
  });
  cleanups.push(() => reader.stop());
  return { sim, front, reader, timer };
}

const cachedPods = (reader: SnapshotReader): PodFacts[] => reader.caches.pods.list().map((entry) => entry.view);
const webPods = (reader: SnapshotReader): PodFacts[] => cachedPods(reader).filter((pod) => pod.key.startsWith('default/web-'));

describe('the snapshot reader against the kube simulator', () => {
  it('lists each kind once, then keeps its caches current from the watch alone', async () => {
    const { sim, front, reader } = await world({
      workloads: [{ name: 'web', replicas: 2, requests: { cpu: '250m', memory: '256Mi' } }],
      pdbs: [{ name: 'web', selector: { app: 'web' }, minAvailable: 1 }],
    });
    const synced = record(reader, ['synced']);
    expect(reader.stale).toBe(true);
    await reader.start();
    expect(reader.stale).toBe(false);
    expect(synced.map((e) => e.resource).sort()).toEqual(['nodes', 'poddisruptionbudgets', 'pods']);
    // The disruption controller writes the budget's status soon after the pods run.
    await until(reader, 'the budget allows one disruption', () => reader.caches.budgets.list()[0]?.view.disruptionsAllowed === 1);

    const snapshot = await reader.snapshot();
    expect(snapshot.stale).toBe(false);
    expect(snapshot.nodes.map((n) => [n.name, n.worker, n.index, n.ready])).toEqual([
      [MASTER, false, undefined, true],
      ...WORKERS.map((name, i) => [name, true, i, true]),
    ]);
    expect(snapshot.nodes[0]?.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect(snapshot.nodes[1]?.allocatable).toMatchObject({ pods: 110 });
    expect(snapshot.nodes[1]?.allocatable.cpu).toBeGreaterThan(1000);
    const web = snapshot.pods.filter((p) => p.key.startsWith('default/web-'));
    expect(web).toHaveLength(2);
    for (const pod of web) {
      expect(pod).toMatchObject({ phase: 'Running', ownerKind: 'ReplicaSet', requests: { cpu: 250, memory: 256 * 2 ** 20, pods: 1 } });
      expect(pod.budgets).toEqual(['default/web']);
      expect(WORKERS).toContain(pod.nodeName);
    }
    const system = (prefix: string): PodView[] => snapshot.pods.filter((p) => p.key.startsWith(`kube-system/${prefix}`));
    expect(system('kube-proxy-').map((p) => p.ownerKind)).toEqual(['DaemonSet', 'DaemonSet', 'DaemonSet', 'DaemonSet']);
    expect(system('etcd-')).toMatchObject([{ mirror: true, ownerKind: 'Node', nodeName: MASTER }]);
    expect(snapshot.budgets).toEqual([{ key: 'default/web', disruptionsAllowed: 1 }]);
    expect([...(snapshot.usage?.nodes.keys() ?? [])].sort()).toEqual([MASTER, ...WORKERS]);

    sim.cluster.scaleDeployment('web', 5);
    await until(reader, 'five running web pods', () => webPods(reader).filter((p) => p.phase === 'Running').length === 5);
    const joining = sim.nextWorkerName();
    const readiness: boolean[] = [];
    reader.subscribe((event) => {
      const node = reader.caches.nodes.list().find((e) => e.view.name === joining);
      if (event.resource === 'nodes' && node) readiness.push(node.view.ready);
    });
    sim.cluster.addNode(joining);
    await until(reader, 'the new worker, Ready', () => readiness.at(-1) === true);
    // A joining node is NotReady first; the watch brought both states.
    expect(readiness[0]).toBe(false);
    expect((await reader.snapshot()).nodes.find((n) => n.name === joining)).toMatchObject({ worker: true, index: 3, ready: true });

    expect([front.lists('/api/v1/nodes'), front.lists('/api/v1/pods'), front.lists('/apis/policy/v1/poddisruptionbudgets')]).toEqual([
      1, 1, 1,
    ]);
  });

  it('shows a pod that fits no node as unschedulable, since when the scheduler said so', async () => {
    const { sim, reader } = await world({ workloads: [{ name: 'web', replicas: 3, requests: { cpu: '1500m', memory: '256Mi' } }] });
    await reader.start();
    const before = sim.cluster.clock.now();
    sim.cluster.scaleDeployment('web', 4);
    await until(reader, 'an unschedulable web pod', () => webPods(reader).some((p) => p.unschedulable));
    const pending = (await reader.snapshot()).pods.filter((p) => p.unschedulable);
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({ phase: 'Pending', nodeName: undefined, ownerKind: 'ReplicaSet', requests: { cpu: 1500 } });
    // Simulated time: the condition's lastTransitionTime has whole seconds.
    expect(pending[0]?.unschedulableSince).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(pending[0]?.unschedulableSince).toBeLessThanOrEqual(sim.cluster.clock.now());
  });

  it('gives no usage while metrics-server is down (a scenario turns it off), and usage again when it is back', async () => {
    const { sim, reader } = await world({ timeline: [{ at: '1m', metrics: 'unavailable' }] }, { timeScale: 0 });
    await reader.start();
    expect((await reader.snapshot()).usage?.nodes.size).toBe(4);
    expect(reader.health().metricsError).toBeUndefined();
    sim.cluster.advance(60);
    const down = await reader.snapshot();
    expect(down.usage).toBeUndefined();
    expect(down.stale).toBe(false);
    expect(reader.health().metricsError).toBeInstanceOf(TransientError);
    expect(reader.health().metricsError?.message).toMatch(/^cannot list nodes\.metrics\.k8s\.io \(HTTP 503\)/);
    sim.cluster.setMetricsAvailable(true);
    expect((await reader.snapshot()).usage?.nodes.size).toBe(4);
    expect(reader.health().metricsError).toBeUndefined();
  });

  it('marks the snapshot stale while the API server is down, and restarts with growing, capped delays until it is back', async () => {
    const { sim, front, reader, timer } = await world({ workloads: [{ name: 'web', replicas: 2 }] });
    await reader.start();
    const failures = record(reader, ['failed']);
    await front.stop();
    await until(reader, 'all three informers failed', () => reader.health().informers.every((i) => i.error !== undefined));
    const down = await reader.snapshot();
    expect(down.stale).toBe(true);
    expect(down.usage).toBeUndefined();
    // What the caches held stays readable, marked stale.
    expect(down.nodes).toHaveLength(4);
    for (const status of reader.health().informers) {
      expect(status).toMatchObject({ synced: false, restarts: 0, retryAt: timer.now() + 750 });
      expect(status.error).toBeInstanceOf(TransientError);
      expect(status.error?.message).toMatch(/^cannot watch /);
    }
    // Jitter takes a quarter off (random 0.5 × jitter 0.5): 750, 1500, 3000, then the 4000 cap less a quarter.
    for (const expected of [750, 1500, 3000, 3000]) {
      expect(timer.delays).toEqual([expected, expected, expected]);
      const before = failures.length;
      timer.fireNext();
      await until(reader, 'three more failures', () => failures.length === before + 3);
    }
    // The streams were cut first; every restart since found the port closed.
    const restarts = failures.slice(3).map((e) => (e.type === 'failed' ? e.error.message : ''));
    expect(restarts).toHaveLength(12);
    for (const message of restarts) expect(message).toMatch(/^cannot list .*ECONNREFUSED|^cannot watch .*ECONNREFUSED/);

    sim.cluster.scaleDeployment('web', 3);
    await front.start();
    expect(timer.delays).toEqual([3000, 3000, 3000]);
    timer.fireNext();
    await until(reader, 'fresh caches', () => !reader.stale);
    // Four restarts found the server down, the fifth found it back.
    expect(reader.health().informers.map((i) => [i.restarts, i.error, i.retryAt])).toEqual([
      [5, undefined, undefined],
      [5, undefined, undefined],
      [5, undefined, undefined],
    ]);
    // The restart resumed each watch from its resourceVersion: what changed meanwhile arrives without a list.
    await until(reader, 'three web pods', () => webPods(reader).length === 3);
    expect(front.lists('/api/v1/pods')).toBe(1);
    const after = await reader.snapshot();
    expect(after.stale).toBe(false);
    expect(after.usage).toBeDefined();
  });

  it('starts the backoff over after a healthy stretch', async () => {
    const { front, reader, timer } = await world(
      {},
      { reader: { backoff: { ...DEFAULT_BACKOFF, initialMs: 1000, maxMs: 4000, jitter: 0.5, resetAfterMs: 10_000 } } },
    );
    await reader.start();
    const failures = record(reader, ['failed']);
    await front.stop();
    await until(reader, 'three failures', () => failures.length === 3);
    timer.fireNext();
    await until(reader, 'three more failures', () => failures.length === 6);
    expect(timer.delays).toEqual([1500, 1500, 1500]);
    await front.start();
    timer.fireNext();
    await until(reader, 'fresh caches', () => !reader.stale);
    // The clock moves on past resetAfterMs: the next failure waits the first delay again.
    timer.advance(10_000);
    await front.stop();
    await until(reader, 'three failures again', () => failures.length === 9);
    expect(timer.delays).toEqual([750, 750, 750]);
  });

  it('re-lists after 410 Expired: the watch history moved past the resourceVersion while the reader was cut off', async () => {
    const { sim, front, reader, timer } = await world({ workloads: [{ name: 'web', replicas: 4 }] }, { watchHistory: 20 });
    await reader.start();
    const expiredFrom = sim.cluster.store.revision;
    await front.stop();
    await until(reader, 'all three informers failed', () => reader.health().informers.every((i) => i.error !== undefined));
    sim.cluster.scaleDeployment('web', 1);
    sim.cluster.createDeployment({ name: 'api', replicas: 6 });
    await new Promise<void>((resolve) => {
      // Resolves once the history no longer reaches back to the reader's resourceVersion (store events, no polling).
      const check = (): void => {
        if (sim.cluster.store.oldestRevision <= expiredFrom || sim.cluster.pods('default').length !== 7) return;
        unsubscribe();
        resolve();
      };
      const unsubscribe = sim.cluster.store.subscribe(check);
      check();
    });
    await front.start();
    timer.fireNext();
    await until(
      reader,
      'fresh caches with the new pods',
      () => !reader.stale && cachedPods(reader).filter((p) => p.key.startsWith('default/')).length === 7,
    );
    expect(front.lists('/api/v1/pods')).toBe(2);
    const keys = (await reader.snapshot()).pods.map((p) => p.key).filter((key) => key.startsWith('default/'));
    expect(keys.filter((key) => key.startsWith('default/web-'))).toHaveLength(1);
    expect(keys.filter((key) => key.startsWith('default/api-'))).toHaveLength(6);
    expect(front.log.some((line) => /^GET \/api\/v1\/pods\?watch=true&resourceVersion=\d+ 200/.test(line))).toBe(true);
  });
});

/** An API server that refuses: 403 to everything, or only to watches (lists then answer empty). */
async function refusingServer(refuse: 'everything' | 'watch', status = 403): Promise<{ kc: KubeConfig; requests: string[] }> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    const watching = req.url?.includes('watch=true') ?? false;
    res.setHeader('Content-Type', 'application/json');
    if (refuse === 'everything' || watching) {
      res.statusCode = status;
      res.end(
        JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: status, message: 'forbidden' }),
      );
      return;
    }
    res.end(JSON.stringify({ kind: 'List', apiVersion: 'v1', metadata: { resourceVersion: '5' }, items: [] }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'refusing'));
  return { kc, requests };
}

describe('the snapshot reader without the permissions it needs', () => {
  it('names the verb and resource the ClusterRole must grant when a list is forbidden, and keeps retrying', async () => {
    const { kc } = await refusingServer('everything');
    const timer = new ManualTimer();
    const reader = new SnapshotReader(kc, { workers: SHOP, timer, random: () => 0 });
    cleanups.push(() => reader.stop());
    await reader.start();
    const health = reader.health();
    expect(health.stale).toBe(true);
    expect(health.informers.map((i) => [i.resource, i.error?.constructor, i.error?.message])).toEqual([
      ['nodes', UserError, `cannot list nodes: forbidden (403): the watcher's ClusterRole must grant "list" on "nodes" in apiGroup ""`],
      ['pods', UserError, `cannot list pods: forbidden (403): the watcher's ClusterRole must grant "list" on "pods" in apiGroup ""`],
      [
        'poddisruptionbudgets',
        UserError,
        `cannot list poddisruptionbudgets.policy: forbidden (403): the watcher's ClusterRole must grant "list" on "poddisruptionbudgets" in apiGroup "policy"`,
      ],
    ]);
    const snapshot = await reader.snapshot();
    expect(snapshot).toMatchObject({ stale: true, nodes: [], pods: [], usage: undefined });
    expect(reader.health().metricsError?.message).toMatch(/^cannot list nodes\.metrics\.k8s\.io: forbidden \(403\)/);
    // A role can be fixed while the watcher runs: it retries, on the backoff.
    expect(timer.delays).toEqual([1000, 1000, 1000]);
  });

  it('names "watch" when the list is allowed but the watch is not', async () => {
    const { kc } = await refusingServer('watch', 401);
    const reader = new SnapshotReader(kc, { workers: SHOP, timer: new ManualTimer() });
    cleanups.push(() => reader.stop());
    await reader.start();
    const pods = reader.health().informers.find((i) => i.resource === 'pods');
    expect(pods?.error).toBeInstanceOf(UserError);
    expect(pods?.error?.message).toMatch(/^cannot watch pods: the API server refused the credentials \(401\)/);
    expect(reader.stale).toBe(true);
  });
});

describe('a cache of one namespace with more pods than a call can take as arguments', () => {
  it('lists all of them (client-node would spread them into one push and overflow the stack)', async () => {
    // The watch of this informer goes to a server that holds it open and says nothing.
    const { kc } = await refusingServer('everything');
    const count = 140_000;
    const informer = new SupervisedInformer<V1Pod, PodFacts>(
      kc,
      {
        target: { resource: 'pods', group: '' },
        path: '/api/v1/pods',
        listPage: async () => ({
          metadata: { resourceVersion: '1' },
          items: Array.from({ length: count }, (_, i) => ({ metadata: { name: `p-${i}`, namespace: 'big', resourceVersion: '1' } })),
        }),
        toEntry: podEntry,
      },
      {
        timer: new ManualTimer(),
        random: () => 0,
        backoff: DEFAULT_BACKOFF,
        pageSize: 500,
        listener: { synced: () => {}, failed: () => {}, changed: () => {} },
      },
    );
    cleanups.push(() => informer.stop());
    await informer.start();
    expect(informer.list()).toHaveLength(count);
  });
});
