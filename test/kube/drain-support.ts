// What the drain tests share: the simulator's clock as the drain's timer, a cluster of six workers,
// and reads of the cluster's state through the simulator's own API (no HTTP, no clock of its own).
import type { Timer } from '../../src/kube/backoff.js';
import type { SimClock } from '../../src/sim/kube/index.js';
import type { Pod } from '../../src/sim/kube/types.js';
import { type SimHandle, startSim } from '../sim/kube/support.js';

/**
 * The simulator's clock as the drain's clock and timers: the drain's 5 s eviction retries, its
 * polls and its deadline run in simulated time, as fast as the simulator's time scale makes them,
 * and always in step with the grace periods and pod start-ups of the cluster.
 */
export function simTimer(clock: SimClock): Timer {
  return {
    now: () => clock.now(),
    setTimeout: (callback, ms) => clock.after(ms / 1000, callback),
    clearTimeout: (handle) => (handle as () => void)(),
  };
}

export const WORKER = (index: number): string => `demo-shop-kubernetes-node-vm-${index}`;

/**
 * The demo cluster (one master, workers vm-0..vm-2 from the config) with three more workers,
 * vm-3..vm-5, so the pods of three drained nodes have somewhere to go; kube-system runs as kubeadm
 * has it (kube-proxy and the CNI as DaemonSets on every node, mirror pods on the master).
 */
export async function sixWorkers(scenario: Record<string, unknown> = {}, timeScale = 100): Promise<SimHandle> {
  return startSim({
    config: 'cluster-config/aws-demo.yml',
    timeScale,
    scenario: { cluster: { nodes: [3, 4, 5].map((i) => ({ name: WORKER(i), size: 't3.large' })) }, ...scenario },
  });
}

/** `namespace/name` of the pods on a node, as the drain names them. */
export function podsOn(handle: SimHandle, node: string, namespace?: string): Pod[] {
  return handle.sim.cluster.pods(namespace).filter((pod) => pod.spec.nodeName === node);
}

export const named = (pods: readonly Pod[]): string[] => pods.map((pod) => `${pod.metadata.namespace}/${pod.metadata.name}`).sort();
