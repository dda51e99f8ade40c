/**
 * The worker template: what a node the next scale-up adds will look like. A Ready worker is the
 * best witness (its allocatable is what the kubelet really leaves, its labels and taints are what
 * the node playbooks set); without one, the VM size of the worker machine gives the allocatable.
 */
import { nodeResources, vmSize } from '../kube/vm-sizes.js';
import type { WorkerTemplate } from './scale-up.js';
import type { ClusterSnapshot, NodeView } from './snapshot.js';

/** Labels that name one node, so a new node never has them (a pod pinned to a hostname is not helped by adding nodes). */
const NODE_SPECIFIC_LABELS: readonly string[] = ['kubernetes.io/hostname'];

/**
 * Taints the node lifecycle controller and kubelet put on a node for its condition (not-ready,
 * unreachable, cordoned, pressure…): a new node does not start with them.
 */
const CONDITION_TAINT_PREFIX = 'node.kubernetes.io/';

/** Labels every Linux node has; a template from a VM size has these and nothing else. */
const BASE_LABELS: Readonly<Record<string, string>> = { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' };

/**
 * The template from the snapshot's first Ready, schedulable worker (lowest index), else its first
 * Ready worker, else the VM size `size` (as `infrastructure/virtual-machine` `specification.size`
 * writes it). Throws a UserError for an unknown size, naming the known ones.
 */
export function workerTemplate(snapshot: ClusterSnapshot, size: string | undefined): WorkerTemplate {
  const ready = snapshot.nodes
    .filter((node) => node.worker && node.ready)
    .sort(
      (a, b) =>
        Number(a.unschedulable) - Number(b.unschedulable) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER),
    );
  const witness: NodeView | undefined = ready[0];
  if (witness) {
    return {
      allocatable: { ...witness.allocatable },
      labels: Object.fromEntries(Object.entries(witness.labels).filter(([key]) => !NODE_SPECIFIC_LABELS.includes(key))),
      taints: witness.taints.filter((taint) => !taint.key?.startsWith(CONDITION_TAINT_PREFIX)),
    };
  }
  if (size === undefined) {
    return { allocatable: { cpu: 0, memory: 0, pods: 0 }, labels: { ...BASE_LABELS }, taints: [] };
  }
  const resources = nodeResources(vmSize(size));
  return {
    allocatable: { cpu: resources.cpuMillis, memory: resources.memoryBytes, pods: resources.pods },
    labels: { ...BASE_LABELS },
    taints: [],
  };
}
