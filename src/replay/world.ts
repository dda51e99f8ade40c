/**
 * The what-if world of a replay: the recorded cluster with the workers another policy would have
 * had. A recording holds the demand (the pods, what they request, what the nodes used) and the
 * supply the real policy gave it; a replay keeps the demand and replaces the supply. Pure.
 *
 * The model, kept simple on purpose and the same for every policy compared:
 *
 * - **Every PR merges at once; its nodes join, or leave, `applyDelay` later** (the apply
 *   workflow: plan, image, terraform, drain or join). The config count changes at the decision,
 *   so the engine sees a change in flight exactly as the watcher would.
 * - **A worker the world has is the recorded one when the recording has it** (its allocatable,
 *   labels, Ready or not, its pods and its measured use); otherwise a new one made from the
 *   worker template (`workerTemplate`: the first Ready worker, or the VM size), with copies of
 *   that worker's DaemonSet pods.
 * - **Pods of a recorded worker the world does not have** are placed first-fit (largest first,
 *   taints and selectors respected) on the other nodes' free room, or stay pending as
 *   Unschedulable; **recorded pending pods** run on the world's new workers when they fit there.
 *   Nothing else moves: the scheduler does not rebalance running pods either.
 * - **Use moves with the pods**: a pod is taken to use the share of its node's measured use that
 *   its requests are of the node's requests; a pod that was pending, the pool's average.
 *
 * When the world has exactly the recorded workers, its snapshot is the recorded one: replaying a
 * recording under the policy that made it decides as the watcher did, up to the apply delay.
 */
import { WORKER_COMPONENT } from '../config/schema.js';
import { vmName } from '../plan/naming.js';
import type { WorkerTemplate } from '../policy/index.js';
import { workerTemplate } from '../policy/index.js';
import { FirstFitPlacer, largestFirst, subtractCapacity } from '../policy/placement.js';
import type { Capacity, ClusterSnapshot, NodeView, PodView } from '../policy/snapshot.js';
import { staysWithNode } from '../policy/view.js';
import type { RecordedCycle } from '../record/format.js';

/** A worker VM of the world, by its index. */
export interface WorldVm {
  /** When its node is Ready (-Infinity: from before the recording). */
  readyAt: number;
  /** When a lowered count's apply destroys it; undefined while the count keeps it. */
  removeAt: number | undefined;
}

export interface World {
  /** The config count (merged). */
  count: number;
  vms: ReadonlyMap<number, WorldVm>;
}

type Usage = { cpu: number; memory: number };

const recordedWorkers = (snapshot: ClusterSnapshot): NodeView[] =>
  snapshot.nodes.filter((node): node is NodeView & { index: number } => node.worker && node.index !== undefined);

/** The world at the first cycle: the recorded count; its workers as recorded, the missing ones joining, the ones above the count leaving. */
export function startWorld(first: RecordedCycle, applyDelayMs: number): World {
  const vms = new Map<number, WorldVm>();
  const recorded = new Set(recordedWorkers(first.snapshot).map((node) => node.index as number));
  for (let index = 0; index < first.count; index++) {
    vms.set(index, { readyAt: recorded.has(index) ? Number.NEGATIVE_INFINITY : first.at + applyDelayMs, removeAt: undefined });
  }
  for (const index of recorded) {
    if (index >= first.count) vms.set(index, { readyAt: Number.NEGATIVE_INFINITY, removeAt: first.at + applyDelayMs });
  }
  return { count: first.count, vms };
}

/** The world after a merged count change at `at`: VMs created or destroyed `applyDelayMs` later. */
export function applyCount(world: World, at: number, to: number, applyDelayMs: number): World {
  const vms = new Map<number, WorldVm>();
  for (const [index, vm] of world.vms) if (vm.removeAt === undefined || vm.removeAt > at) vms.set(index, vm);
  if (to >= world.count) {
    for (let index = 0; index < to; index++) {
      const vm = vms.get(index);
      if (!vm) vms.set(index, { readyAt: at + applyDelayMs, removeAt: undefined });
      // A raised count keeps a VM that a lowered one was about to destroy.
      else if (vm.removeAt !== undefined) vms.set(index, { ...vm, removeAt: undefined });
    }
  } else {
    for (const [index, vm] of vms) {
      if (index < to) continue;
      if (vm.readyAt > at) vms.delete(index);
      else if (vm.removeAt === undefined) vms.set(index, { ...vm, removeAt: at + applyDelayMs });
    }
  }
  return { count: to, vms };
}

/** The indices whose node is in the world at `at`. */
export function presentIndices(world: World, at: number): Set<number> {
  const present = new Set<number>();
  for (const [index, vm] of world.vms) if (vm.readyAt <= at && (vm.removeAt === undefined || vm.removeAt > at)) present.add(index);
  return present;
}

const isTerminated = (pod: PodView): boolean => pod.phase === 'Succeeded' || pod.phase === 'Failed';

/** Each node's requests (pods not terminated), by name. */
function requestsByNode(pods: readonly PodView[]): Map<string, Capacity> {
  const requested = new Map<string, Capacity>();
  for (const pod of pods) {
    if (pod.nodeName === undefined || isTerminated(pod)) continue;
    const total = requested.get(pod.nodeName) ?? { cpu: 0, memory: 0, pods: 0 };
    total.cpu += pod.requests.cpu;
    total.memory += pod.requests.memory;
    total.pods += pod.requests.pods;
    requested.set(pod.nodeName, total);
  }
  return requested;
}

const ratio = (used: number, requested: number): number => (requested > 0 ? used / requested : 0);

/** The worker whose shape and DaemonSet pods a new worker copies: as workerTemplate picks it. */
function witnessOf(snapshot: ClusterSnapshot): NodeView | undefined {
  return snapshot.nodes
    .filter((node) => node.worker && node.ready)
    .sort(
      (a, b) =>
        Number(a.unschedulable) - Number(b.unschedulable) || (a.index ?? Number.MAX_SAFE_INTEGER) - (b.index ?? Number.MAX_SAFE_INTEGER),
    )[0];
}

function newWorker(cycle: RecordedCycle, index: number, template: WorkerTemplate, createdAt: number): NodeView {
  const name = vmName(cycle.prefix, cycle.cluster, WORKER_COMPONENT, index);
  return {
    name,
    worker: true,
    index,
    ready: true,
    unschedulable: false,
    taints: template.taints,
    labels: { ...template.labels, 'kubernetes.io/hostname': name },
    allocatable: { ...template.allocatable },
    scaleDownDisabled: false,
    createdAt: Number.isFinite(createdAt) ? createdAt : cycle.at,
  };
}

/** Where first-fit tries pods: like the engine's destinations, other nodes first, then workers from the lowest index. */
const rank = (node: NodeView): number => (node.worker && node.index !== undefined ? node.index : -1);

/**
 * The snapshot of the world at the cycle's time: the recorded one, with the world's workers in
 * place of the recorded ones (see the file's comment for the model).
 */
export function worldSnapshot(world: World, cycle: RecordedCycle, vmSize: string | undefined): ClusterSnapshot {
  const recorded = cycle.snapshot;
  const at = cycle.at;
  const present = presentIndices(world, at);
  const dropped = new Set<string>();
  const kept: NodeView[] = [];
  const keptIndices = new Set<number>();
  for (const node of recorded.nodes) {
    if (node.worker && node.index !== undefined) {
      if (!present.has(node.index)) {
        dropped.add(node.name);
        continue;
      }
      keptIndices.add(node.index);
    }
    kept.push(node);
  }
  const joining = [...present].filter((index) => !keptIndices.has(index)).sort((a, b) => a - b);
  if (dropped.size === 0 && joining.length === 0) return recorded;

  const template = workerTemplate(recorded, vmSize);
  const added = joining.map((index) => newWorker(cycle, index, template, world.vms.get(index)?.readyAt ?? at));
  const requested = requestsByNode(recorded.pods);
  const used = recorded.usage?.nodes;
  let poolUsed = { cpu: 0, memory: 0 };
  let poolRequested = { cpu: 0, memory: 0 };
  for (const node of recorded.nodes) {
    const u = used?.get(node.name);
    const r = requested.get(node.name);
    if (!node.worker || !node.ready || !u || !r) continue;
    poolUsed = { cpu: poolUsed.cpu + u.cpu, memory: poolUsed.memory + u.memory };
    poolRequested = { cpu: poolRequested.cpu + r.cpu, memory: poolRequested.memory + r.memory };
  }
  /** The use a pod is taken to make: its node's ratio of use to requests, or the pool's for a pod from nowhere. */
  const usageOf = (pod: PodView, from: string | undefined): Usage => {
    const u = from === undefined ? undefined : used?.get(from);
    const r = from === undefined ? undefined : requested.get(from);
    const cpu = u && r ? ratio(u.cpu, r.cpu) : ratio(poolUsed.cpu, poolRequested.cpu);
    const memory = u && r ? ratio(u.memory, r.memory) : ratio(poolUsed.memory, poolRequested.memory);
    return { cpu: pod.requests.cpu * cpu, memory: pod.requests.memory * memory };
  };

  const pods: PodView[] = [];
  const displaced: PodView[] = [];
  const pending: PodView[] = [];
  for (const pod of recorded.pods) {
    if (pod.nodeName !== undefined && dropped.has(pod.nodeName)) {
      // DaemonSet and mirror pods leave with their node; finished pods are gone with it.
      if (!staysWithNode(pod) && !isTerminated(pod)) displaced.push(pod);
    } else if (pod.nodeName === undefined && pod.phase === 'Pending') {
      pending.push(pod);
    } else {
      pods.push(pod);
    }
  }
  const usage = new Map<string, Usage>();
  for (const [name, u] of used ?? []) if (!dropped.has(name)) usage.set(name, u);
  const addUse = (node: string, use: Usage): void => {
    const before = usage.get(node);
    // A node without a sample keeps none: a metrics gap stays a gap.
    if (before) usage.set(node, { cpu: before.cpu + use.cpu, memory: before.memory + use.memory });
  };

  // New workers start with the witness's DaemonSet pods.
  const witness = witnessOf(recorded);
  const daemons = witness ? recorded.pods.filter((pod) => pod.nodeName === witness.name && staysWithNode(pod) && !isTerminated(pod)) : [];
  for (const node of added) {
    if (used) usage.set(node.name, { cpu: 0, memory: 0 });
    for (const daemon of daemons) {
      pods.push({ ...daemon, key: `${daemon.key}@${node.name}`, nodeName: node.name });
      addUse(node.name, usageOf(daemon, witness?.name));
    }
  }

  // First-fit onto the new workers first, then the others; recorded pending pods onto new workers only.
  const destinations = [
    ...added,
    ...kept.filter((node) => node.ready && !node.unschedulable).sort((a, b) => rank(a) - rank(b) || (a.name < b.name ? -1 : 1)),
  ];
  const taken = requestsByNode(pods);
  const placer = new FirstFitPlacer(
    destinations,
    destinations.map((node) => subtractCapacity(node.allocatable, taken.get(node.name) ?? { cpu: 0, memory: 0, pods: 0 })),
  );
  const order = largestFirst(template.allocatable);
  const place = (pod: PodView, from: string | undefined, end: number): boolean => {
    const position = placer.place(pod, end);
    const node = position === undefined ? undefined : destinations[position];
    if (!node) return false;
    pods.push({ ...pod, nodeName: node.name, phase: 'Running', unschedulable: false, unschedulableSince: undefined });
    addUse(node.name, usageOf(pod, from));
    return true;
  };
  for (const pod of [...displaced].sort(order)) {
    if (!place(pod, pod.nodeName, destinations.length)) {
      pods.push({ ...pod, nodeName: undefined, phase: 'Pending', unschedulable: true, unschedulableSince: at });
    }
  }
  for (const pod of [...pending].sort(order)) if (!place(pod, undefined, added.length)) pods.push(pod);

  const nodes = [...kept, ...added].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { ...recorded, nodes, pods, usage: recorded.usage && { at: recorded.usage.at, nodes: usage } };
}
