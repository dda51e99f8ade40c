/**
 * Pod placement as the default scheduler does it, for the plugins that matter to an autoscaler:
 * filters NodeUnschedulable, NodeName, TaintToleration, NodeAffinity (node selector and required
 * node affinity, including the `metadata.name` field DaemonSets pin with) and NodeResourcesFit
 * (CPU, memory, pod count); scoring by least-allocated requests (with the scheduler's non-zero
 * defaults for containers without requests), spreading a workload's pods across nodes on ties.
 * In large clusters it stops after enough feasible nodes, rotating its starting point, as the
 * scheduler's percentageOfNodesToScore does.
 * A pod that fits nowhere gets the same message as the real scheduler's FitError.
 *
 * Not simulated: inter-pod affinity, topology spread constraints, volumes, host ports, and
 * preemption (the message reports, as the real one does when no lower-priority pod would help,
 * that preemption cannot help).
 *
 * The arithmetic it shares with the decision engine (quantities, pod requests, tolerations, node
 * affinity) is product code in src/kube; the filtering, scoring and search here are the
 * simulator's own, so that the simulator checks the engine's estimates independently.
 *
 * At 5,000 nodes a placement looks at 500 of them, and a build places 150,000 pods, so the
 * numbers it reads are kept ready: each node's load as pods bind and go (`NodeLoads`), the nodes
 * in name order with their loads in flat arrays (`Candidates`), and in a run the load-independent
 * filters' result per node and template (`FilterMemo`).
 */
import { matchesNodeAffinity } from '../../kube/node-affinity.js';
import { podRequests } from '../../kube/pod-requests.js';
import { cpuMillis, memoryBytes } from '../../kube/quantity.js';
import { tolerationsTolerate } from '../../kube/taints.js';
import { R, storeKey } from './resources.js';
import type { StoreEvent } from './store.js';
import type { Node, Pod } from './types.js';

const PODS = storeKey(R.pods);
const NODES = storeKey(R.nodes);

/** What is already committed on a node: the requests of its non-terminal pods (terminating ones too, until they are gone). */
export interface NodeLoad {
  cpu: number;
  memory: number;
  /** Requests with the scheduler's defaults for unset ones (100m, 200Mi), used only for scoring. */
  scoreCpu: number;
  scoreMemory: number;
  pods: number;
  /** Pods per owner uid: to spread a workload's replicas. */
  owners: Map<string, number>;
}

export function emptyLoad(): NodeLoad {
  return { cpu: 0, memory: 0, scoreCpu: 0, scoreMemory: 0, pods: 0, owners: new Map() };
}

const DEFAULT_CPU_REQUEST = 100;
const DEFAULT_MEMORY_REQUEST = 200 * 2 ** 20;

type Requests = { cpu: number; memory: number; scoreCpu: number; scoreMemory: number };

/**
 * Requests by the containers array they were computed from (checked against the init containers and
 * overhead they were computed with): a controller's pods share their template's containers, and a
 * binding or a status write copies the spec around them, so the array outlives every copy.
 */
const requestCache = new WeakMap<object, { spec: Pick<Pod['spec'], 'initContainers' | 'overhead'>; requests: Requests }>();

/** A pod's requests (for filtering) and non-zero requests (for scoring). */
function requestsOf(pod: Pod): Requests {
  const spec = pod.spec;
  const key: object = spec.containers ?? spec;
  const cached = requestCache.get(key);
  if (cached && cached.spec.initContainers === spec.initContainers && cached.spec.overhead === spec.overhead) return cached.requests;
  const req = podRequests(spec);
  const score = scoringRequests(pod);
  const requests = { cpu: req.cpu, memory: req.memory, scoreCpu: score.cpu, scoreMemory: score.memory };
  requestCache.set(key, { spec: { initContainers: spec.initContainers, overhead: spec.overhead }, requests });
  return requests;
}

/** Per-container non-zero requests, as the scheduler's scoring uses them. */
function scoringRequests(pod: Pod): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of pod.spec.containers ?? []) {
    const r = c.resources?.requests ?? {};
    cpu += r.cpu !== undefined ? (cpuMillis(r.cpu) ?? 0) : DEFAULT_CPU_REQUEST;
    memory += r.memory !== undefined ? (memoryBytes(r.memory) ?? 0) : DEFAULT_MEMORY_REQUEST;
  }
  return { cpu, memory };
}

const keyCache = new WeakMap<Pod['spec'], string>();

/**
 * What the filters read of a pod (requests, node name, selector, affinity, tolerations), as one
 * string: pods with the same key fit the same nodes. Cached per stored spec.
 */
export function schedulingKey(pod: Pod): string {
  let key = keyCache.get(pod.spec);
  if (key === undefined) {
    const req = requestsOf(pod);
    const { nodeName, nodeSelector, affinity, tolerations } = pod.spec;
    key = JSON.stringify([req.cpu, req.memory, nodeName, nodeSelector, affinity, tolerations]);
    keyCache.set(pod.spec, key);
  }
  return key;
}

function ownerUid(pod: Pod): string | undefined {
  return pod.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

/** Whether a pod takes room on a node: bound there and not finished (a terminating pod does, until it is gone). */
export function takesRoom(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.spec.nodeName) && phase !== 'Succeeded' && phase !== 'Failed';
}

/** Adds a pod to a node's load (when it is bound there or just placed). */
export function addToLoad(load: NodeLoad, pod: Pod): void {
  const req = requestsOf(pod);
  load.cpu += req.cpu;
  load.memory += req.memory;
  load.scoreCpu += req.scoreCpu;
  load.scoreMemory += req.scoreMemory;
  load.pods += 1;
  const owner = ownerUid(pod);
  if (owner) load.owners.set(owner, (load.owners.get(owner) ?? 0) + 1);
}

/** Takes a pod out of a node's load: exactly what `addToLoad` added (a pod's requests never change). */
function removeFromLoad(load: NodeLoad, pod: Pod): void {
  const req = requestsOf(pod);
  load.cpu -= req.cpu;
  load.memory -= req.memory;
  load.scoreCpu -= req.scoreCpu;
  load.scoreMemory -= req.scoreMemory;
  load.pods -= 1;
  const owner = ownerUid(pod);
  if (owner) {
    const left = (load.owners.get(owner) ?? 0) - 1;
    if (left > 0) load.owners.set(owner, left);
    else load.owners.delete(owner);
  }
}

/**
 * What is committed on every node, kept as pods come, bind, finish and go (the scheduler's cache of
 * node infos), so that placing a pod reads a node's free room instead of summing its pods.
 * A node's load object stays the same for the life of the cluster: candidates hold on to it.
 */
export class NodeLoads {
  private readonly loads = new Map<string, NodeLoad>();

  /** @param changed told the node whose load changed (and the owner of the pod that did it), after the change. */
  constructor(private readonly changed: (node: string, owner: string | undefined) => void = () => {}) {}

  get(node: string): NodeLoad {
    let load = this.loads.get(node);
    if (!load) {
      load = emptyLoad();
      this.loads.set(node, load);
    }
    return load;
  }

  /** Follows one change of a pod (other resources are ignored). */
  observe(event: StoreEvent): void {
    if (event.resource !== PODS) return;
    const before = event.previous as Pod | undefined;
    const after = event.type === 'DELETED' ? undefined : (event.object as Pod);
    const was = before !== undefined && takesRoom(before);
    const is = after !== undefined && takesRoom(after);
    if (was && is && (before as Pod).spec.nodeName === (after as Pod).spec.nodeName) return;
    if (was) {
      const node = (before as Pod).spec.nodeName as string;
      removeFromLoad(this.get(node), before as Pod);
      this.changed(node, ownerUid(before as Pod));
    }
    if (is) {
      const node = (after as Pod).spec.nodeName as string;
      addToLoad(this.get(node), after as Pod);
      this.changed(node, ownerUid(after as Pod));
    }
  }

  /** The loads of the nodes that have pods (or had some). */
  entries(): IterableIterator<[string, NodeLoad]> {
    return this.loads.entries();
  }
}

/** The loads summed from scratch over `pods`: what `NodeLoads` must always equal. */
export function loadsOf(pods: Iterable<Pod>): Map<string, NodeLoad> {
  const loads = new Map<string, NodeLoad>();
  for (const pod of pods) {
    if (!takesRoom(pod)) continue;
    const node = pod.spec.nodeName as string;
    let load = loads.get(node);
    if (!load) {
      load = emptyLoad();
      loads.set(node, load);
    }
    addToLoad(load, pod);
  }
  return loads;
}

// Stored objects are never changed in place (a write stores a new object), so per-object caches stay valid.
const allocatableCache = new WeakMap<Node, { cpu: number; memory: number; pods: number }>();

/** A node's allocatable CPU (millicores), memory (bytes) and pods. */
export function allocatable(node: Node): { cpu: number; memory: number; pods: number } {
  let cached = allocatableCache.get(node);
  if (!cached) {
    const a = node.status?.allocatable ?? {};
    cached = {
      cpu: cpuMillis(a.cpu ?? '0') ?? 0,
      memory: memoryBytes(a.memory ?? '0') ?? 0,
      pods: Number.parseInt(a.pods ?? '0', 10) || 0,
    };
    allocatableCache.set(node, cached);
  }
  return cached;
}

/** Why a node does not take a pod: the filters' reasons, and whether evicting pods (preemption) could change that. */
export interface Failure {
  reasons: string[];
  resolvable: boolean;
}

const EMPTY: readonly never[] = [];

/**
 * The filters that do not depend on what runs on the node (NodeUnschedulable, NodeName,
 * TaintToleration, NodeAffinity), in the scheduler's order; the first that fails, or undefined.
 */
function staticFilter(pod: Pod, node: Node): Failure | undefined {
  if (node.spec?.unschedulable) {
    const tolerated = tolerationsTolerate(pod.spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' });
    if (!tolerated) return { reasons: ['node(s) were unschedulable'], resolvable: false };
  }
  if (pod.spec.nodeName && pod.spec.nodeName !== node.metadata.name)
    return { reasons: ["node(s) didn't match the requested node name"], resolvable: false };
  for (const taint of node.spec?.taints ?? EMPTY) {
    if (taint.effect !== 'NoSchedule' && taint.effect !== 'NoExecute') continue;
    if (!tolerationsTolerate(pod.spec.tolerations, taint))
      return { reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`], resolvable: false };
  }
  if (!matchesNodeAffinity(pod.spec, node.metadata))
    return { reasons: ["node(s) didn't match Pod's node affinity/selector"], resolvable: false };
  return undefined;
}

/** NodeResourcesFit: whether the node has room left for the pod's requests and one more pod. */
function resourceFilter(req: Requests, load: NodeLoad, alloc: { cpu: number; memory: number; pods: number }): Failure | undefined {
  const tooMany = load.pods + 1 > alloc.pods;
  const noCpu = req.cpu > 0 && load.cpu + req.cpu > alloc.cpu;
  const noMemory = req.memory > 0 && load.memory + req.memory > alloc.memory;
  // Runs for every node of every placement: no allocation unless the node fails.
  if (!tooMany && !noCpu && !noMemory) return undefined;
  const reasons: string[] = [];
  if (tooMany) reasons.push('Too many pods');
  if (noCpu) reasons.push('Insufficient cpu');
  if (noMemory) reasons.push('Insufficient memory');
  return { reasons, resolvable: true };
}

/**
 * The load-independent filters' results for one scheduling run, by scheduling key and node
 * position: the nodes do not change during a run, and thousands of replicas of one template ask
 * the same of them, so each node is checked once per template, not once per pod. (null: passes.)
 */
export class FilterMemo {
  private readonly byKey = new Map<string, StaticResults>();

  /** The results for pods like this one, by node position (filled in as nodes are checked). */
  for(pod: Pod, total: number): StaticResults {
    const key = schedulingKey(pod);
    let results = this.byKey.get(key);
    if (!results) {
      results = { state: new Uint8Array(total), failures: [] };
      this.byKey.set(key, results);
    }
    return results;
  }
}

/** Per node position: 0 not checked yet, PASSES, or FAILS with the failure in `failures`. */
interface StaticResults {
  state: Uint8Array;
  failures: Array<Failure | undefined>;
}

const PASSES = 1;
const FAILS = 2;

export type Placement = { node: string } | { unschedulable: string };

function histogram(counts: Map<string, number>): string {
  // The scheduler sorts the "<count> <reason>" strings as strings, so "10 ..." sorts before "2 ...".
  return [...counts.entries()]
    .map(([reason, n]) => `${n} ${reason}`)
    .sort()
    .join(', ');
}

/** A node as the scheduler sees it: its allocatable resources and what is committed on it. */
export interface Candidate {
  node: Node;
  alloc: { cpu: number; memory: number; pods: number };
  readonly load: NodeLoad;
}

/**
 * What the resource filter and the score read of each node, by its position in `Candidates.all`,
 * in flat arrays: a placement reads hundreds of nodes, and numbers side by side read several times
 * faster than the same numbers behind two objects each.
 */
interface Layout {
  cpu: Float64Array;
  memory: Float64Array;
  scoreCpu: Float64Array;
  scoreMemory: Float64Array;
  pods: Float64Array;
  allocCpu: Float64Array;
  allocMemory: Float64Array;
  allocPods: Float64Array;
  /** Per owner uid, its pods on each node (what SelectorSpread breaks ties with). */
  owners: Map<string, Int32Array>;
  /** Node name → position. */
  positions: Map<string, number>;
}

/**
 * The nodes as the scheduler sees them, in name order, kept as nodes come, change and go (not
 * rebuilt and re-sorted for every run), each with its load from `NodeLoads`; and their numbers in
 * flat arrays, rebuilt when a node comes or goes and updated when a load changes.
 */
export class Candidates {
  private readonly list: Candidate[] = [];
  private readonly byName = new Map<string, Candidate>();
  private layout: Layout | undefined;

  constructor(private readonly loads: NodeLoads) {}

  get all(): readonly Candidate[] {
    return this.list;
  }

  /** Follows one change of a node (other resources are ignored). */
  observe(event: StoreEvent): void {
    if (event.resource !== NODES) return;
    const name = event.object.metadata.name;
    const known = this.byName.get(name);
    if (event.type === 'DELETED') {
      if (!known) return;
      this.byName.delete(name);
      this.list.splice(this.position(name), 1);
      this.layout = undefined;
      return;
    }
    const node = event.object as Node;
    if (known) {
      known.node = node;
      known.alloc = allocatable(node);
      this.copy(name);
      return;
    }
    const candidate: Candidate = { node, alloc: allocatable(node), load: this.loads.get(name) };
    this.byName.set(name, candidate);
    this.list.splice(this.position(name), 0, candidate);
    this.layout = undefined;
  }

  /** Brings a node's numbers in the flat arrays up to date (its load changed, by a pod of `owner`). */
  copy(name: string, owner?: string): void {
    const layout = this.layout;
    const at = layout?.positions.get(name);
    if (!layout || at === undefined) return;
    const { load, alloc } = this.list[at] as Candidate;
    if (owner !== undefined) this.spreadOf(layout, owner)[at] = load.owners.get(owner) ?? 0;
    layout.cpu[at] = load.cpu;
    layout.memory[at] = load.memory;
    layout.scoreCpu[at] = load.scoreCpu;
    layout.scoreMemory[at] = load.scoreMemory;
    layout.pods[at] = load.pods;
    layout.allocCpu[at] = alloc.cpu;
    layout.allocMemory[at] = alloc.memory;
    layout.allocPods[at] = alloc.pods;
  }

  /** The flat arrays, built when nodes came or went since. */
  flat(): Layout {
    if (!this.layout) {
      const n = this.list.length;
      this.layout = {
        cpu: new Float64Array(n),
        memory: new Float64Array(n),
        scoreCpu: new Float64Array(n),
        scoreMemory: new Float64Array(n),
        pods: new Float64Array(n),
        allocCpu: new Float64Array(n),
        allocMemory: new Float64Array(n),
        allocPods: new Float64Array(n),
        owners: new Map(),
        positions: new Map(this.list.map((c, i) => [c.node.metadata.name, i])),
      };
      for (const c of this.list) this.copy(c.node.metadata.name);
      for (const [at, c] of this.list.entries()) for (const [owner, count] of c.load.owners) this.spreadOf(this.layout, owner)[at] = count;
    }
    return this.layout;
  }

  private spreadOf(layout: Layout, owner: string): Int32Array {
    let counts = layout.owners.get(owner);
    if (!counts) {
      counts = new Int32Array(this.list.length);
      layout.owners.set(owner, counts);
    }
    return counts;
  }

  /** Where a node is in `all`, or -1. */
  indexOf(name: string): number {
    const at = this.position(name);
    return this.list[at]?.node.metadata.name === name ? at : -1;
  }

  private position(name: string): number {
    let lo = 0;
    let hi = this.list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.list[mid] as Candidate).node.metadata.name < name) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Where the pod goes (the best of the nodes it fits, as the scheduler searches them), or the scheduler's FitError message. */
export function placePod(
  pod: Pod,
  nodes: Candidates,
  search: SearchState = { start: 0, examined: 0 },
  memo: FilterMemo = new FilterMemo(),
): Placement {
  const candidates = nodes.all;
  const total = candidates.length;
  if (total === 0) return { unschedulable: 'no nodes available to schedule pods' };
  // Nodes may have gone since the last search ended.
  const start = search.start % total;
  const { state, failures: staticFailures } = memo.for(pod, total);
  const req = requestsOf(pod);
  const { cpu: reqCpu, memory: reqMemory, scoreCpu: reqScoreCpu, scoreMemory: reqScoreMemory } = req;
  const owner = ownerUid(pod);
  const layout = nodes.flat();
  const { cpu, memory, scoreCpu, scoreMemory, pods, allocCpu, allocMemory, allocPods } = layout;
  const spreads = owner !== undefined ? layout.owners.get(owner) : undefined;
  const failures: Failure[] = [];
  let best = -1;
  let bestScore = 0;
  const pinned = pinnedNodes(pod);
  // NodeAffinity's PreFilter: a pod pinned to named nodes (DaemonSet pods) is filtered on those only, in
  // the order the search would reach them; every other node fails the affinity filter without a look.
  const only = pinned ? [...pinned].map((name) => nodes.indexOf(name)).filter((i) => i >= 0) : undefined;
  only?.sort((a, b) => ((a - start + total) % total) - ((b - start + total) % total));
  const count = only ? only.length : total;
  const wanted = only ? count : feasibleNodesToFind(total);
  let feasible = 0;
  let processed = 0;
  let next = start;
  // A hot loop (thousands of pods times hundreds of nodes): flat numbers, no calls or allocation unless a node fails.
  for (; processed < count && feasible < wanted; processed++) {
    let at = next;
    if (only) at = only[processed] as number;
    else next = next + 1 === total ? 0 : next + 1;
    let known = state[at];
    if (known === 0) {
      const failed = staticFilter(pod, (candidates[at] as Candidate).node);
      staticFailures[at] = failed;
      known = failed ? FAILS : PASSES;
      state[at] = known;
    }
    if (known === FAILS) {
      failures.push(staticFailures[at] as Failure);
      continue;
    }
    const capCpu = allocCpu[at] as number;
    const capMemory = allocMemory[at] as number;
    if (
      (pods[at] as number) + 1 > (allocPods[at] as number) ||
      (reqCpu > 0 && (cpu[at] as number) + reqCpu > capCpu) ||
      (reqMemory > 0 && (memory[at] as number) + reqMemory > capMemory)
    ) {
      const candidate = candidates[at] as Candidate;
      failures.push(resourceFilter(req, candidate.load, candidate.alloc) as Failure);
      continue;
    }
    feasible++;
    // NodeResourcesFit LeastAllocated: the mean free share of CPU and memory after placing the pod (0..100).
    const freeCpu = capCpu <= 0 ? 0 : Math.max(0, (capCpu - ((scoreCpu[at] as number) + reqScoreCpu)) / capCpu);
    const freeMemory = capMemory <= 0 ? 0 : Math.max(0, (capMemory - ((scoreMemory[at] as number) + reqScoreMemory)) / capMemory);
    const s = ((freeCpu + freeMemory) / 2) * 100;
    // Highest score; on a tie, fewer replicas of the same workload (SelectorSpread).
    if (
      best < 0 ||
      s > bestScore + 1e-9 ||
      (s >= bestScore - 1e-9 && spreads !== undefined && (spreads[at] as number) < (spreads[best] as number))
    ) {
      best = at;
      bestScore = s;
    }
  }
  search.examined += processed;
  // The next pod's search starts where this one stopped, so placements rotate over the nodes as in the scheduler.
  if (!only) search.start = next;
  const unpinned = only ? total - count : 0;
  if (best >= 0) return { node: (candidates[best] as Candidate).node.metadata.name };
  return { unschedulable: fitError(total, failures, unpinned) };
}

/**
 * The scheduler's FitError message from the nodes' failures (and `unpinned` nodes that a pinned
 * pod's affinity ruled out):
 * `0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu.
 * preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.`
 */
function fitError(total: number, failures: readonly Failure[], unpinned: number): string {
  const reasons = new Map<string, number>();
  const preemption = new Map<string, number>();
  const count = (map: Map<string, number>, key: string, n = 1): void => {
    map.set(key, (map.get(key) ?? 0) + n);
  };
  for (const failed of failures) {
    for (const reason of failed.reasons) count(reasons, reason);
    count(preemption, failed.resolvable ? 'No preemption victims found for incoming pod' : 'Preemption is not helpful for scheduling');
  }
  if (unpinned > 0) {
    count(reasons, "node(s) didn't match Pod's node affinity/selector", unpinned);
    count(preemption, 'Preemption is not helpful for scheduling', unpinned);
  }
  return `0/${total} nodes are available: ${histogram(reasons)}. preemption: 0/${total} nodes are available: ${histogram(preemption)}.`;
}

/** The node names a pod's required node affinity pins it to with `matchFields` on `metadata.name` (as DaemonSet pods are). */
function pinnedNodes(pod: Pod): Set<string> | undefined {
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms?.length !== 1) return undefined;
  const fields = terms[0]?.matchFields ?? [];
  const byName = fields.find((f) => f.key === 'metadata.name' && f.operator === 'In');
  return byName ? new Set(byName.values ?? []) : undefined;
}

/** Where the scheduler's next search over the nodes starts (it persists across pods). */
export interface SearchState {
  start: number;
  /** Nodes filtered so far: the work the searches cost. */
  examined: number;
}

/**
 * How many feasible nodes the scheduler looks for before it stops filtering and scores them
 * (`numFeasibleNodesToFind` with the default adaptive percentageOfNodesToScore): all of them
 * below 100 nodes; otherwise 50% minus 1% per 125 nodes, at least 5% and at least 100 nodes.
 */
export function feasibleNodesToFind(total: number): number {
  if (total < 100) return total;
  const percentage = Math.max(5, 50 - Math.floor(total / 125));
  return Math.max(100, Math.floor((total * percentage) / 100));
}
