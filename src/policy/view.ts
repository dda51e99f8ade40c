/**
 * The snapshot indexed once for a decision: one pass over the nodes and one over the pods, so
 * nothing later costs pods × nodes. It gives each node's requested resources, what DaemonSets take
 * on a worker, the pods of the nodes a scale-down could remove, the pending pods, the nodes pods
 * may be placed on, and which workers the config count expects but the cluster lacks.
 */
import { addCapacity, NO_CAPACITY, type NodeShape, subtractCapacity } from './placement.js';
import type { Capacity, ClusterSnapshot, NodeView, PodView } from './snapshot.js';

export interface ClusterView {
  /** The config count of the worker component. */
  count: number;
  nodes: readonly NodeView[];
  /** Position in `nodes` by name. */
  rowOf: ReadonlyMap<string, number>;
  /** Requests of the pods bound to each node (terminated pods excluded), by row. */
  requested: readonly Capacity[];
  /** Requests of each node's DaemonSet and mirror pods: what stays behind (and vanishes) when the node goes. */
  resident: readonly Capacity[];
  /** Per-node overhead of a new worker: the most DaemonSet and mirror pods request on any Ready worker. */
  overhead: Capacity;
  /** Pods not bound to a node, in phase Pending (whether or not the scheduler has tried them yet). */
  pending: readonly PodView[];
  /** The pods bound to each of the rows in `candidateRows`. */
  podsOn: ReadonlyMap<number, PodView[]>;
  /** Workers a scale-down could remove, highest index first: indices count-1, count-2, … present in the snapshot. */
  candidateRows: ReadonlyMap<number, number>;
  /** Nodes a pod may be placed on (Ready, schedulable, not being removed), in the order first-fit tries them. */
  destinations: readonly number[];
  /** Ready, schedulable workers the config count keeps: the pool whose utilisation is measured. */
  pool: readonly number[];
  /** Ready workers the config count keeps (cordoned ones included). */
  readyWorkers: number;
  /** Indices below the count without a Ready worker: nodes a raised count asked for that have not joined. */
  missing: readonly number[];
  /** How many workers the count expects but are not Ready (`missing.length`, or by count when some workers have no index). */
  missingCount: number;
  /** Workers at or above the count: a lowered count not yet applied. */
  beingRemoved: readonly string[];
  /** Workers without a LambdaStack VM index: the engine cannot tell which VM a lowered count removes. */
  unindexed: readonly string[];
}

const isTerminated = (pod: PodView): boolean => pod.phase === 'Succeeded' || pod.phase === 'Failed';
/** DaemonSet and mirror (static) pods belong to their node: they leave with it and are never placed elsewhere. */
export const staysWithNode = (pod: PodView): boolean => pod.mirror || pod.ownerKind === 'Node' || pod.ownerKind === 'DaemonSet';

/**
 * Indexes the snapshot for a config count. `candidates` is how many of the highest indices a
 * scale-down may look at (their pods are kept; nobody else's are).
 */
export function clusterView(snapshot: ClusterSnapshot, count: number, candidates: number): ClusterView {
  const nodes = snapshot.nodes;
  const rowOf = new Map<string, number>();
  const byIndex = new Map<number, number>();
  const beingRemoved: string[] = [];
  const unindexed: string[] = [];
  for (let row = 0; row < nodes.length; row++) {
    const node = nodes[row] as NodeView;
    rowOf.set(node.name, row);
    if (!node.worker) continue;
    if (node.index === undefined) unindexed.push(node.name);
    else if (node.index >= count) beingRemoved.push(node.name);
    else byIndex.set(node.index, row);
  }

  const candidateRows = new Map<number, number>();
  for (let index = count - 1; index >= Math.max(0, count - candidates); index--) {
    const row = byIndex.get(index);
    if (row !== undefined) candidateRows.set(row, index);
  }

  const requested = nodes.map(() => ({ cpu: 0, memory: 0, pods: 0 }));
  const resident = nodes.map(() => ({ cpu: 0, memory: 0, pods: 0 }));
  const podsOn = new Map<number, PodView[]>();
  for (const row of candidateRows.keys()) podsOn.set(row, []);
  const pending: PodView[] = [];
  for (const pod of snapshot.pods) {
    if (pod.nodeName === undefined) {
      if (pod.phase === 'Pending') pending.push(pod);
      continue;
    }
    const row = rowOf.get(pod.nodeName);
    if (row === undefined) continue;
    podsOn.get(row)?.push(pod);
    if (isTerminated(pod)) continue;
    accumulate(requested[row] as Capacity, pod.requests);
    if (staysWithNode(pod)) accumulate(resident[row] as Capacity, pod.requests);
  }

  let overhead: Capacity = NO_CAPACITY;
  const pool: number[] = [];
  const poolOrDestination: Array<{ row: number; rank: number }> = [];
  let readyWorkers = 0;
  const readyIndices = new Set<number>();
  for (let row = 0; row < nodes.length; row++) {
    const node = nodes[row] as NodeView;
    const removed = node.worker && node.index !== undefined && node.index >= count;
    if (node.worker && node.ready && !removed) {
      readyWorkers++;
      if (node.index !== undefined) readyIndices.add(node.index);
      overhead = maxCapacity(overhead, resident[row] as Capacity);
    }
    if (!node.ready || node.unschedulable || removed) continue;
    if (node.worker) pool.push(row);
    // Other nodes first, then workers from the lowest index: pods leave the highest indices,
    // which the next scale-down would remove.
    poolOrDestination.push({ row, rank: node.worker && node.index !== undefined ? node.index : -1 });
  }
  const destinations = poolOrDestination.sort((a, b) => a.rank - b.rank || a.row - b.row).map((d) => d.row);

  const missing: number[] = [];
  for (let index = 0; index < count; index++) if (!readyIndices.has(index)) missing.push(index);
  const missingCount = unindexed.length > 0 ? Math.max(0, count - readyWorkers) : missing.length;

  return {
    count,
    nodes,
    rowOf,
    requested,
    resident,
    overhead,
    pending,
    podsOn,
    candidateRows,
    destinations,
    pool,
    readyWorkers,
    missing: unindexed.length > 0 ? [] : missing,
    missingCount,
    beingRemoved,
    unindexed,
  };
}

function accumulate(total: Capacity, add: Capacity): void {
  total.cpu += add.cpu;
  total.memory += add.memory;
  total.pods += add.pods;
}

function maxCapacity(a: Capacity, b: Capacity): Capacity {
  return { cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory), pods: Math.max(a.pods, b.pods) };
}

/** A node's free capacity: allocatable less what its pods request. */
export function freeOf(view: ClusterView, row: number): Capacity {
  return subtractCapacity((view.nodes[row] as NodeView).allocatable, view.requested[row] as Capacity);
}

/** The destinations as the placer needs them: shapes and free capacity, in first-fit order. */
export function destinationsOf(view: ClusterView): { shapes: NodeShape[]; free: Capacity[] } {
  return {
    shapes: view.destinations.map((row) => view.nodes[row] as NodeView),
    free: view.destinations.map((row) => freeOf(view, row)),
  };
}

/** The sum of capacities. */
export function sumCapacity(items: Iterable<Capacity>): Capacity {
  let total: Capacity = NO_CAPACITY;
  for (const item of items) total = addCapacity(total, item);
  return total;
}
