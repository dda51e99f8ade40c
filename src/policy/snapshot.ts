/**
 * The cluster as the decision engine sees it: plain data, built by src/kube/snapshot.ts from the
 * informers' caches (or, in tests, by hand). Only the fields a decision reads are kept, so a
 * snapshot of 5,000 nodes and 150,000 pods stays small: a pod keeps its requests and placement
 * constraints, not its spec.
 *
 * Times are milliseconds since the epoch; quantities are whole millicores and bytes.
 */
import type { NodeSelectorTerm } from '../kube/node-affinity.js';
import type { Taint, Toleration } from '../kube/taints.js';

/** CPU in millicores, memory in bytes, and pod slots. */
export interface Capacity {
  cpu: number;
  memory: number;
  pods: number;
}

export interface NodeView {
  name: string;
  /** True when the node is a worker of the cluster: named by the LambdaStack rule for kubernetes_node, or matched by the configured label selector. */
  worker: boolean;
  /** The VM index of a worker named by the LambdaStack rule (`…-kubernetes-node-vm-<index>`); undefined for other nodes. */
  index: number | undefined;
  /** The Ready condition is True. */
  ready: boolean;
  /** `spec.unschedulable` (cordoned). */
  unschedulable: boolean;
  taints: readonly Taint[];
  labels: Readonly<Record<string, string>>;
  allocatable: Capacity;
  /** `cluster-autoscaler.kubernetes.io/scale-down-disabled: "true"`. */
  scaleDownDisabled: boolean;
  /** `metadata.creationTimestamp`: when the node registered. */
  createdAt: number;
}

/** What created a pod, as far as moving it matters. */
export type OwnerKind = 'DaemonSet' | 'ReplicaSet' | 'StatefulSet' | 'Job' | 'ReplicationController' | 'Node' | 'other' | 'none';

export interface PodView {
  /** `namespace/name`. */
  key: string;
  /** The node the pod is bound to; undefined while it is not scheduled. */
  nodeName: string | undefined;
  phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** Requests as the scheduler counts them (init containers, sidecars and overhead included); `pods` is 1. */
  requests: Capacity;
  ownerKind: OwnerKind;
  /** `PodScheduled=False` with reason `Unschedulable`: the scheduler found no node for it. */
  unschedulable: boolean;
  /** When it became unschedulable (the condition's lastTransitionTime); undefined when it is not. */
  unschedulableSince: number | undefined;
  /** Where the pod may go: `nodeSelector` and required node affinity. */
  nodeSelector: Readonly<Record<string, string>> | undefined;
  requiredNodeAffinity: readonly NodeSelectorTerm[] | undefined;
  tolerations: readonly Toleration[];
  /** `cluster-autoscaler.kubernetes.io/safe-to-evict`: true, false, or undefined when not annotated. */
  safeToEvict: boolean | undefined;
  /** `karpenter.sh/do-not-disrupt: "true"`. */
  doNotDisrupt: boolean;
  /** A mirror pod (`kubernetes.io/config.mirror`): the kubelet runs it from a file; it is never evicted. */
  mirror: boolean;
  /** Keys (`namespace/name`) of the PodDisruptionBudgets whose selector matches the pod, so pods need not keep their labels. */
  budgets: readonly string[];
}

export interface BudgetView {
  /** `namespace/name`. */
  key: string;
  /** `status.disruptionsAllowed` as the disruption controller computed it. */
  disruptionsAllowed: number;
}

/** Measured usage from metrics.k8s.io. */
export interface UsageView {
  /** When metrics-server took the samples (the newest `timestamp`). */
  at: number;
  nodes: ReadonlyMap<string, { cpu: number; memory: number }>;
}

export interface ClusterSnapshot {
  /** When the snapshot was built. */
  takenAt: number;
  /**
   * True while an informer is restarting after an error, or has not finished its first list: the
   * caches may miss changes, so no scale-down is decided from it.
   */
  stale: boolean;
  nodes: readonly NodeView[];
  pods: readonly PodView[];
  budgets: readonly BudgetView[];
  /** Undefined when metrics.k8s.io did not answer (metrics-server down): no scale-down then. */
  usage: UsageView | undefined;
}
