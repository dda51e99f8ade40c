import { CoreV1Api, KubeConfig, PolicyV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError, UserError } from '../../src/errors.js';
import { Drainer, type DrainOptions } from '../../src/kube/drain.js';
import { type FaultProxy, startFaultProxy } from '../github/fault-proxy.js';
import type { SimHandle } from '../sim/kube/support.js';
import { drivenTimer } from './drain-clock.js';
import { named, podsOn, sixWorkers, WORKER } from './drain-support.js';

let handle: SimHandle | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await handle?.close();
  handle = undefined;
  proxy = undefined;
});

/** A kubeconfig that reaches the simulator through a proxy that fails the requests it is told to. */
async function throughProxy(sim: SimHandle): Promise<{ kc: KubeConfig; proxy: FaultProxy }> {
  proxy = await startFaultProxy(sim.sim.url);
  const kc = new KubeConfig();
  kc.loadFromString(sim.sim.kubeConfigYaml.replace(sim.sim.url, proxy.url));
  return { kc, proxy };
}

/** The requests the simulator answered, one line each: method, path, status, time. */
let requests: string[] = [];

async function cluster(scenario: Record<string, unknown> = {}): Promise<SimHandle> {
  requests = [];
  handle = await sixWorkers(scenario, { log: (line) => requests.push(line) });
  return handle;
}

function drainer(sim: SimHandle, options: Partial<DrainOptions> = {}): Drainer {
  return new Drainer(sim.kc, { timeoutSeconds: 600, timer: drivenTimer(sim.sim.cluster), ...options });
}

const nodeNames = (sim: SimHandle): string[] => sim.sim.cluster.nodes().map((node) => node.metadata.name);
const unschedulable = (sim: SimHandle, node: string): boolean | undefined =>
  sim.sim.cluster.nodes().find((n) => n.metadata.name === node)?.spec.unschedulable;
/** Web pods that run and are not being deleted. */
const runningWeb = (sim: SimHandle) =>
  sim.sim.cluster
    .pods('default')
    .filter((pod) => pod.metadata.labels?.app === 'web' && pod.status.phase === 'Running' && !pod.metadata.deletionTimestamp);

describe('draining nodes against the kube simulator', () => {
  it('drains one node: its Deployment pods move elsewhere, DaemonSet pods are skipped, the Node is deleted', async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 12, requests: { cpu: '100m' } }] });
    const node = WORKER(0);
    const web = named(podsOn(sim, node, 'default'));
    const daemons = named(podsOn(sim, node, 'kube-system').filter((pod) => pod.metadata.ownerReferences?.[0]?.kind === 'DaemonSet'));
    expect(web.length).toBeGreaterThan(0);
    expect(daemons.length).toBe(2);

    const report = await drainer(sim).drain([node]);

    expect(report.ok).toBe(true);
    const [result] = report.nodes;
    expect(result?.outcome).toBe('deleted');
    expect(
      result?.evicted
        .map((pod) => pod.pod)
        .filter((pod) => pod.startsWith('default/'))
        .sort(),
    ).toEqual(web);
    expect(result?.skipped.map((pod) => pod.pod).sort()).toEqual(daemons);
    expect(result?.skipped.every((pod) => pod.reason === 'DaemonSet')).toBe(true);
    expect(result?.blocked).toEqual([]);
    expect(nodeNames(sim)).not.toContain(node);
    const running = runningWeb(sim);
    expect(running).toHaveLength(12);
    expect(running.every((pod) => pod.spec.nodeName !== node)).toBe(true);
    // The pods' 30 s grace period, seen gone at the list after it (lists at 1, 3, 7, 12, … 32 s).
    expect(result?.ms).toBe(32_000);
    expect(report.ms).toBe(32_000);
  });

  it("drains three nodes at once: their pods move to the other three, and it takes about one node's time", async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 18, requests: { cpu: '100m' }, emptyDir: true }] });
    const nodes = [WORKER(0), WORKER(1), WORKER(2)];
    const web = named(nodes.flatMap((node) => podsOn(sim, node, 'default')));

    const report = await drainer(sim).drain(nodes);

    expect(report.ok).toBe(true);
    expect(report.nodes.map((node) => [node.node, node.outcome])).toEqual(nodes.map((node) => [node, 'deleted']));
    const evicted = report.nodes.flatMap((node) => node.evicted);
    expect(
      evicted
        .map((pod) => pod.pod)
        .filter((pod) => pod.startsWith('default/'))
        .sort(),
    ).toEqual(web);
    // emptyDir volumes are allowed, and said: their data went with the pods.
    expect(evicted.filter((pod) => pod.pod.startsWith('default/')).every((pod) => pod.emptyDir)).toBe(true);
    for (const node of report.nodes) {
      expect(node.skipped.map((pod) => pod.reason)).toEqual(['DaemonSet', 'DaemonSet']);
    }
    expect(nodeNames(sim).filter((name) => nodes.includes(name))).toEqual([]);
    const running = runningWeb(sim);
    expect(running).toHaveLength(18);
    expect(new Set(running.map((pod) => pod.spec.nodeName))).toEqual(new Set([WORKER(3), WORKER(4), WORKER(5)]));
    // In parallel: the three take one node's time, not three times it.
    expect(report.nodes.map((node) => node.ms)).toEqual([32_000, 32_000, 32_000]);
    expect(report.ms).toBe(32_000);
  });

  it('drains one node at a time with parallelism 1', async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 12, requests: { cpu: '100m' } }] });
    const nodes = [WORKER(0), WORKER(1), WORKER(2)];
    const report = await drainer(sim, { parallelism: 1 }).drain(nodes);
    expect(report.ok).toBe(true);
    // As kubectl drain takes them: one after the other.
    expect(report.nodes.map((node) => node.ms)).toEqual([32_000, 32_000, 32_000]);
    expect(report.ms).toBe(96_000);
  });

  it('drains through a budget that allows one disruption at a time, asking again every 5 s', async () => {
    const sim = await cluster({
      workloads: [{ name: 'web', replicas: 12, requests: { cpu: '100m' } }],
      pdbs: [{ name: 'web', selector: { app: 'web' }, maxUnavailable: 1 }],
    });
    const nodes = [WORKER(0), WORKER(1), WORKER(2)];
    const moving = named(nodes.flatMap((node) => podsOn(sim, node, 'default'))).length;
    expect(moving).toBeGreaterThan(2);

    const report = await drainer(sim).drain(nodes);

    expect(report.ok).toBe(true);
    expect(report.nodes.flatMap((node) => node.evicted).filter((pod) => pod.pod.startsWith('default/'))).toHaveLength(moving);
    const refused = requests.filter((line) => /POST \/api\/v1\/namespaces\/default\/pods\/web-[\w-]+\/eviction 429/.test(line));
    expect(refused.length).toBeGreaterThan(0);
    // One pod at a time: each waits for the one before it to be replaced (2 s to start) and the 5 s retry.
    expect(report.ms).toBeGreaterThanOrEqual((moving - 1) * 5_000);
    expect(runningWeb(sim)).toHaveLength(12);
  });

  it('skips mirror pods', async () => {
    const sim = await cluster();
    const node = WORKER(0);
    const core = sim.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'kube-system',
      body: {
        metadata: {
          name: `static-web-${node}`,
          annotations: { 'kubernetes.io/config.mirror': 'abc123' },
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node, uid: 'node-uid', controller: true }],
        },
        spec: { nodeName: node, containers: [{ name: 'web', image: 'nginx:1.27' }] },
      },
    });

    const report = await drainer(sim).drain([node]);

    expect(report.ok).toBe(true);
    expect(report.nodes[0]?.skipped).toContainEqual({ pod: `kube-system/static-web-${node}`, reason: 'mirror' });
  });

  it('refuses a node with a pod no controller recreates, evicting nothing anywhere; with force it evicts it', async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 12, requests: { cpu: '100m' } }] });
    const core = sim.kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({
      namespace: 'default',
      body: { metadata: { name: 'scratch' }, spec: { nodeName: WORKER(0), containers: [{ name: 'sh', image: 'busybox' }] } },
    });
    const nodes = [WORKER(0), WORKER(1)];
    const webBefore = named(runningWeb(sim));

    const refused = await drainer(sim).drain(nodes);

    expect(refused.ok).toBe(false);
    expect(refused.nodes.map((node) => node.outcome)).toEqual(['refused', 'held']);
    expect(refused.nodes[0]?.note).toContain('default/scratch');
    expect(refused.nodes[0]?.blocked).toEqual([
      { pod: 'default/scratch', reason: expect.stringContaining('no controller would recreate it'), budgets: [] },
    ]);
    expect(refused.nodes.flatMap((node) => node.evicted)).toEqual([]);
    // Nothing was evicted, on either node; both stay registered and cordoned, as kubectl drain leaves them.
    expect(named(runningWeb(sim))).toEqual(webBefore);
    expect(sim.sim.cluster.pods('default').some((pod) => pod.metadata.name === 'scratch' && !pod.metadata.deletionTimestamp)).toBe(true);
    expect(nodeNames(sim)).toEqual(expect.arrayContaining(nodes));
    expect(nodes.map((node) => unschedulable(sim, node))).toEqual([true, true]);

    const forced = await drainer(sim, { force: true }).drain(nodes);

    expect(forced.ok).toBe(true);
    expect(forced.nodes[0]?.evicted.map((pod) => pod.pod)).toContain('default/scratch');
    expect(sim.sim.cluster.pods('default').some((pod) => pod.metadata.name === 'scratch')).toBe(false);
    expect(nodeNames(sim)).not.toContain(WORKER(0));
  });

  it('times out on a budget that allows no disruption: nodes stay cordoned and registered, the pods and the budget are named', async () => {
    const sim = await cluster({
      workloads: [{ name: 'web', replicas: 3, requests: { cpu: '100m' } }],
      pdbs: [{ name: 'web', selector: { app: 'web' }, minAvailable: 3 }],
    });
    const blockedNode = runningWeb(sim)[0]?.spec.nodeName as string;
    const webThere = named(podsOn(sim, blockedNode, 'default'));
    const idle = [0, 1, 2, 3, 4, 5].map(WORKER).find((node) => podsOn(sim, node, 'default').length === 0) as string;
    const nodes = [blockedNode, idle];

    const report = await drainer(sim, { timeoutSeconds: 60 }).drain(nodes);

    expect(report.ok).toBe(false);
    expect(report.ms).toBe(60_000);
    const [blocked, other] = report.nodes;
    expect(blocked?.outcome).toBe('timed-out');
    expect(blocked?.blocked.map((pod) => pod.pod).sort()).toEqual(webThere);
    for (const pod of blocked?.blocked ?? []) {
      expect(pod.budgets).toEqual(['default/web']);
      expect(pod.reason).toBe('eviction refused (429): The disruption budget web needs 3 healthy pods and has 3 currently');
    }
    expect(blocked?.evicted.filter((pod) => pod.pod.startsWith('default/'))).toEqual([]);
    // Asked every 5 s of the 60: at 0, 5, …, 55 s.
    const [first] = webThere;
    const asked = requests.filter((line) => line.includes(`/pods/${first?.split('/')[1]}/eviction`));
    expect(asked).toHaveLength(12);
    expect(asked.every((line) => line.includes(' 429'))).toBe(true);
    // The other node drained, but stays registered: nothing is removed unless every node drained.
    expect(other?.outcome).toBe('drained');
    expect(nodeNames(sim)).toEqual(expect.arrayContaining(nodes));
    expect(nodes.map((node) => unschedulable(sim, node))).toEqual([true, true]);
    expect(runningWeb(sim)).toHaveLength(3);

    // A rerun once the budget allows it carries on: cordoned nodes are fine, the drained one drains at once.
    await sim.kc.makeApiClient(PolicyV1Api).deleteNamespacedPodDisruptionBudget({ namespace: 'default', name: 'web' });
    requests = [];
    const rerun = await drainer(sim).drain(nodes);
    expect(rerun.ok).toBe(true);
    expect(requests.filter((line) => line.startsWith('PATCH '))).toEqual([]);
    expect(rerun.nodes.map((node) => node.outcome)).toEqual(['deleted', 'deleted']);
    expect(rerun.nodes[1]?.evicted).toEqual([]);

    // And once more, with the nodes gone: nothing to do, and that is a success.
    const again = await drainer(sim).drain(nodes);
    expect(again).toMatchObject({ ok: true, nodes: [{ outcome: 'gone' }, { outcome: 'gone' }] });
  });

  it('refuses a pod that two budgets select, which the Eviction API never evicts, naming it and the fix', async () => {
    const sim = await cluster({
      workloads: [{ name: 'web', replicas: 6, requests: { cpu: '100m' } }],
      pdbs: [
        { name: 'web', selector: { app: 'web' }, maxUnavailable: 1 },
        { name: 'web-too', selector: { app: 'web' }, maxUnavailable: 1 },
      ],
    });
    const pod = runningWeb(sim)[0];
    const failure = await drainer(sim)
      .drain([pod?.spec.nodeName as string])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserError);
    expect((failure as Error).message).toMatch(
      /^cannot evict pod default\/web-[\w-]+: more than one PodDisruptionBudget selects it, and the Eviction API refuses such pods: change the budgets' selectors/,
    );
    expect(nodeNames(sim)).toContain(pod?.spec.nodeName);
  });

  it('counts a pod being deleted until it is gone: a grace period longer than the timeout times out', async () => {
    const sim = await cluster({
      workloads: [{ name: 'slow', replicas: 6, requests: { cpu: '100m' }, terminationGracePeriodSeconds: 120 }],
    });
    const node = sim.sim.cluster.pods('default')[0]?.spec.nodeName as string;
    const there = named(podsOn(sim, node, 'default'));

    const report = await drainer(sim, { timeoutSeconds: 60 }).drain([node]);

    expect(report.nodes[0]?.outcome).toBe('timed-out');
    expect(report.nodes[0]?.blocked).toEqual(there.map((pod) => ({ pod, reason: 'still terminating (grace period 120 s)', budgets: [] })));
    expect(nodeNames(sim)).toContain(node);
  });

  it('refuses a control-plane node before cordoning anything', async () => {
    const sim = await cluster();
    const master = 'demo-shop-kubernetes-master-vm-0';
    const report = await drainer(sim).drain([master, WORKER(0)]);
    expect(report.nodes.map((node) => [node.outcome, node.cordoned])).toEqual([
      ['refused', false],
      ['held', false],
    ]);
    expect(report.nodes[0]?.note).toContain('control-plane');
    expect([master, WORKER(0)].map((node) => unschedulable(sim, node) ?? false)).toEqual([false, false]);
  });

  it('fails as transient when the API server cannot be reached, after retrying', async () => {
    const sim = await cluster();
    await sim.close();
    let waits = 0;
    // The simulator's clock stops with it: retries wait on a timer that fires at once and counts them.
    const timer = {
      now: () => Date.now(),
      setTimeout: (callback: () => void) =>
        setImmediate(() => {
          waits++;
          callback();
        }),
      clearTimeout: () => {},
    };
    const failure = await drainer(sim, { timer })
      .drain([WORKER(0)])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TransientError);
    expect((failure as Error).message).toMatch(/^cannot get nodes: /);
    expect(waits).toBe(2);
  });

  it('retries a list the API server failed with 503, and goes on', async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 6, requests: { cpu: '100m' } }] });
    const { kc, proxy } = await throughProxy(sim);
    proxy.fail({ method: 'GET', path: /^\/api\/v1\/pods\?/, when: 'before', status: 503, times: 2 });
    const report = await new Drainer(kc, { timeoutSeconds: 600, timer: drivenTimer(sim.sim.cluster) }).drain([WORKER(0)]);
    expect(proxy.unused()).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('fails naming the grant when evictions are forbidden, with the node cordoned and registered', async () => {
    const sim = await cluster({ workloads: [{ name: 'web', replicas: 6, requests: { cpu: '100m' } }] });
    const node = runningWeb(sim)[0]?.spec.nodeName as string;
    const { kc, proxy } = await throughProxy(sim);
    proxy.fail({ method: 'POST', path: /\/eviction$/, when: 'before', status: 403, times: 100 });
    const failure = await new Drainer(kc, { timeoutSeconds: 600, timer: drivenTimer(sim.sim.cluster) })
      .drain([node])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserError);
    expect((failure as Error).message).toMatch(
      /^cannot create pods\/eviction: forbidden \(403\): the kubeconfig's user must be granted "create" on "pods\/eviction" in apiGroup ""/,
    );
    expect(nodeNames(sim)).toContain(node);
    expect(unschedulable(sim, node)).toBe(true);
    expect(runningWeb(sim)).toHaveLength(6);
  });
});
