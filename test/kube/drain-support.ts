// What the drain tests share: a cluster of six workers on a stopped clock (the drain moves it: see
// ./drain-clock.ts), and reads of the cluster's state through the simulator's own API.
import type { KubeSimOptions } from '../../src/sim/kube/index.js';
import type { Pod } from '../../src/sim/kube/types.js';
import { type SimHandle, startSim } from '../sim/kube/support.js';

export const WORKER = (index: number): string => `demo-shop-kubernetes-node-vm-${index}`;

/**
 * The demo cluster (one master, workers vm-0..vm-2 from the config) with three more workers,
 * vm-3..vm-5, so the pods of three drained nodes have somewhere to go; kube-system runs as kubeadm
 * has it (kube-proxy and the CNI as DaemonSets on every node, mirror pods on the master).
 */
export async function sixWorkers(scenario: Record<string, unknown> = {}, options: KubeSimOptions = {}): Promise<SimHandle> {
  return startSim({
    config: 'cluster-config/aws-demo.yml',
    timeScale: 0,
    ...options,
    scenario: { cluster: { nodes: [3, 4, 5].map((i) => ({ name: WORKER(i), size: 't3.large' })) }, ...scenario },
  });
}

/** `namespace/name` of the pods on a node, as the drain names them. */
export function podsOn(handle: SimHandle, node: string, namespace?: string): Pod[] {
  return handle.sim.cluster.pods(namespace).filter((pod) => pod.spec.nodeName === node);
}

export const named = (pods: readonly Pod[]): string[] => pods.map((pod) => `${pod.metadata.namespace}/${pod.metadata.name}`).sort();
