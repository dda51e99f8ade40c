import { CoreV1Api, PolicyV1Api } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { Drainer, type DrainOptions, type DrainReport } from '../../src/kube/drain.js';
import type { SimHandle } from '../sim/kube/support.js';
import { named, podsOn, simTimer, sixWorkers, WORKER } from './drain-support.js';

let handle: SimHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

async function cluster(scenario: Record<string, unknown> = {}): Promise<SimHandle> {
  handle = await sixWorkers(scenario);
  return handle;
}

function drainer(sim: SimHandle, options: Partial<DrainOptions> = {}): Drainer {
  return new Drainer(sim.kc, { timeoutSeconds: 600, timer: simTimer(sim.sim.cluster.clock), ...options });
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
    // Every evicted pod was gone before the node was deleted: a 30 s grace period at least.
    expect(result?.ms).toBeGreaterThanOrEqual(30_000);
  });
});
