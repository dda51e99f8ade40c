/**
 * How many nodes the pending pods need, and how many sustained high utilisation needs.
 *
 * Pending pods: those the scheduler marked Unschedulable are placed first-fit-decreasing onto the
 * existing nodes' free room (room freed since the scheduler tried, or nodes that joined since:
 * counting those pods again would add nodes twice), then onto new nodes of the worker template,
 * each with the template's allocatable less what DaemonSets take on every worker. A pod no new
 * worker could take (too big, a selector or taint the template does not match) is reported and
 * never counted: adding nodes would not help it.
 */
import {
  addCapacity,
  type ConstraintMismatch,
  constraintMismatch,
  exceededResource,
  FirstFitPlacer,
  largestFirst,
  NO_CAPACITY,
  type NodeShape,
  nodePlacementOf,
  subtractCapacity,
} from './placement.js';
import type { Capacity, PodView } from './snapshot.js';
import type { Exceeded, PoolUtilisation } from './utilisation.js';
import { type ClusterView, destinationsOf, staysWithNode } from './view.js';

/** What a new worker looks like: from an existing Ready worker, or from the VM size when there is none. */
export interface WorkerTemplate {
  allocatable: Capacity;
  labels: Readonly<Record<string, string>>;
  taints: NodeShape['taints'];
}

/** Why a new worker could never take a pod. */
export type NeverFits = { kind: 'too-big'; resource: keyof Capacity; request: number; room: number } | ConstraintMismatch;

/** What became of one pending pod. */
export type PendingOutcome =
  /** Not (yet) marked Unschedulable: the scheduler has not given up on it. */
  | { kind: 'awaiting-scheduler' }
  /** A DaemonSet or mirror pod belongs to one node: another node does not help it. */
  | { kind: 'node-bound' }
  /** Room on an existing node by this engine's reckoning: no node is added for it. */
  | { kind: 'fits-existing-node'; node: string }
  | { kind: 'never-fits'; why: NeverFits }
  /** Packed onto new node `node` (0-based, in packing order); `inFlight` when a raised count already asked for that node. */
  | { kind: 'new-node'; node: number; inFlight: boolean };

export interface PendingPod {
  pod: string;
  requests: Capacity;
  /** When the scheduler marked it Unschedulable. */
  since: number | undefined;
  outcome: PendingOutcome;
}

export interface NewNode {
  pods: string[];
  requested: Capacity;
  /** A node a raised count already asked for (a change in flight), rather than one to add. */
  inFlight: boolean;
}

export interface PendingPlan {
  /** Every pod not bound to a node in phase Pending, with what became of it. */
  pods: PendingPod[];
  /** How many of them the scheduler marked Unschedulable. */
  unschedulable: number;
  /** Per-node overhead of a new worker (DaemonSet and mirror pods on a Ready worker). */
  overhead: Capacity;
  /** The room a new worker has for pending pods: the template's allocatable less the overhead. */
  nodeRoom: Capacity;
  /** The new nodes the pods were packed onto; the first `inFlight` of them are nodes a raised count already asked for. */
  newNodes: NewNode[];
  /** Nodes asked for by a raised count that have not joined. */
  inFlight: number;
  /** New nodes beyond those in flight: what a scale-up adds. */
  extra: number;
}

/** The pending pods, classified and packed. */
export function planPendingPods(view: ClusterView, template: WorkerTemplate): PendingPlan {
  const nodeRoom = subtractCapacity(template.allocatable, view.overhead);
  const outcomes = new Map<PodView, PendingOutcome>();
  const schedulable: PodView[] = [];
  for (const pod of view.pending) {
    if (!pod.unschedulable) outcomes.set(pod, { kind: 'awaiting-scheduler' });
    else if (staysWithNode(pod)) outcomes.set(pod, { kind: 'node-bound' });
    else schedulable.push(pod);
  }
  schedulable.sort(largestFirst(nodeRoom));

  const { shapes, free } = schedulable.length > 0 ? destinationsOf(view) : { shapes: [], free: [] };
  const existing = new FirstFitPlacer(shapes, free);
  const newWorker = templateShape(template);
  const toPack: PodView[] = [];
  for (const pod of schedulable) {
    const position = existing.place(pod);
    if (position !== undefined) {
      outcomes.set(pod, { kind: 'fits-existing-node', node: (shapes[position] as NodeShape).name });
      continue;
    }
    const why = neverFits(pod, newWorker, nodeRoom);
    if (why) outcomes.set(pod, { kind: 'never-fits', why });
    else toPack.push(pod);
  }

  // The first nodes of the packing are the ones a raised count already asked for.
  const inFlight = view.missingCount;
  const { nodes: newNodes, nodeOf } = packOntoNewNodes(toPack, nodeRoom, inFlight);
  toPack.forEach((pod, i) => {
    const node = nodeOf[i] as number;
    outcomes.set(pod, { kind: 'new-node', node, inFlight: node < inFlight });
  });

  return {
    pods: view.pending.map((pod) => ({
      pod: pod.key,
      requests: pod.requests,
      since: pod.unschedulableSince,
      outcome: outcomes.get(pod) as PendingOutcome,
    })),
    unschedulable: view.pending.filter((pod) => pod.unschedulable).length,
    overhead: view.overhead,
    nodeRoom,
    newNodes,
    inFlight,
    extra: Math.max(0, newNodes.length - inFlight),
  };
}

/** Why a new worker with `room` could never take the pod, or undefined when it could. */
function neverFits(pod: PodView, template: NodeShape, room: Capacity): NeverFits | undefined {
  const mismatch = constraintMismatch(pod, nodePlacementOf(pod), template);
  if (mismatch) return mismatch;
  const resource = exceededResource(pod.requests, room);
  return resource ? { kind: 'too-big', resource, request: pod.requests[resource], room: room[resource] } : undefined;
}

/**
 * First-fit of pods (already largest first) onto as many new nodes of `room` as they need; the
 * first `inFlight` nodes are marked as asked for already. `nodeOf[i]` is the node of `pods[i]`.
 */
function packOntoNewNodes(pods: readonly PodView[], room: Capacity, inFlight: number): { nodes: NewNode[]; nodeOf: number[] } {
  const nodes: NewNode[] = [];
  const free: Capacity[] = [];
  const nodeOf = pods.map((pod) => {
    let index = free.findIndex((f) => exceededResource(pod.requests, f) === undefined);
    if (index < 0) {
      index = nodes.length;
      nodes.push({ pods: [], requested: NO_CAPACITY, inFlight: index < inFlight });
      free.push({ ...room });
    }
    const node = nodes[index] as NewNode;
    node.pods.push(pod.key);
    node.requested = addCapacity(node.requested, pod.requests);
    free[index] = subtractCapacity(free[index] as Capacity, pod.requests);
    return index;
  });
  return { nodes, nodeOf };
}

/**
 * The fewest nodes of the template that bring every high share down to its threshold: n with
 * (amount + n × overhead) / (allocatable + n × new allocatable) ≤ threshold. New nodes bring their
 * DaemonSet pods with them, which request the overhead and are taken to use about as much.
 * Infinity when no number of nodes would do (the overhead alone is above the threshold).
 */
export function nodesForShares(pool: PoolUtilisation, high: readonly Exceeded[], template: WorkerTemplate, overhead: Capacity): number {
  let needed = 0;
  for (const e of high) {
    const amount = e.measure === 'requests' ? pool.requested[e.resource] : (pool.used?.[e.resource] ?? 0);
    const perNode = overhead[e.resource];
    const room = e.threshold * template.allocatable[e.resource] - perNode;
    if (room <= 0) return Number.POSITIVE_INFINITY;
    let n = Math.max(1, Math.ceil((amount - e.threshold * pool.allocatable[e.resource]) / room));
    // Floating point can leave the share a hair above the threshold; one more node settles it.
    const after = (k: number): number => (amount + k * perNode) / (pool.allocatable[e.resource] + k * template.allocatable[e.resource]);
    if (after(n) > e.threshold) n++;
    needed = Math.max(needed, n);
  }
  return needed;
}

/** A new worker's shape, for placement filters. */
export function templateShape(template: WorkerTemplate): NodeShape {
  return { name: '', labels: template.labels, taints: template.taints };
}
