/**
 * Where a pod may go, as the scheduler's filters see it: enough free CPU, memory and pod slots
 * (NodeResourcesFit), no untolerated NoSchedule/NoExecute taint (TaintToleration), and a matching
 * nodeSelector and required node affinity (NodeAffinity). The arithmetic is src/kube's; this file
 * adds the first-fit placer that both the scale-up (pending pods onto existing nodes) and the
 * scale-down (pods of removed nodes onto the rest) simulate with.
 */
import { matchesNodeAffinity, type NodePlacement } from '../kube/node-affinity.js';
import { type Taint, untoleratedTaint } from '../kube/taints.js';
import type { Capacity, PodView } from './snapshot.js';

/** What a placement filter reads of a node (a real one, or the template of a new worker). */
export interface NodeShape {
  name: string;
  labels: Readonly<Record<string, string>>;
  taints: readonly Taint[];
}

/** Why a pod may not go to a node whatever its free resources. */
export type ConstraintMismatch = { kind: 'node-selector' } | { kind: 'untolerated-taint'; taint: Taint };

/** The pod's nodeSelector and required node affinity as src/kube reads them; undefined when it has neither. */
export function nodePlacementOf(pod: PodView): NodePlacement | undefined {
  if (pod.nodeSelector === undefined && pod.requiredNodeAffinity === undefined) return undefined;
  return {
    ...(pod.nodeSelector === undefined ? {} : { nodeSelector: pod.nodeSelector }),
    ...(pod.requiredNodeAffinity === undefined
      ? {}
      : {
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: pod.requiredNodeAffinity } } },
        }),
  };
}

/** The taint or selector that keeps the pod off the node, or undefined when only resources can. */
export function constraintMismatch(pod: PodView, placement: NodePlacement | undefined, node: NodeShape): ConstraintMismatch | undefined {
  const taint = untoleratedTaint(pod.tolerations, node.taints);
  if (taint) return { kind: 'untolerated-taint', taint };
  if (placement && !matchesNodeAffinity(placement, node)) return { kind: 'node-selector' };
  return undefined;
}

/** The first resource a request exceeds, or undefined when it fits. */
export function exceededResource(request: Capacity, free: Capacity): keyof Capacity | undefined {
  if (request.cpu > free.cpu) return 'cpu';
  if (request.memory > free.memory) return 'memory';
  if (request.pods > free.pods) return 'pods';
  return undefined;
}

/** Requests of `a` and `b` together. */
export function addCapacity(a: Capacity, b: Capacity): Capacity {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory, pods: a.pods + b.pods };
}

/** `a` less `b`, never below zero. */
export function subtractCapacity(a: Capacity, b: Capacity): Capacity {
  return { cpu: Math.max(0, a.cpu - b.cpu), memory: Math.max(0, a.memory - b.memory), pods: Math.max(0, a.pods - b.pods) };
}

export const NO_CAPACITY: Readonly<Capacity> = Object.freeze({ cpu: 0, memory: 0, pods: 0 });

/**
 * The order first-fit-decreasing places pods in: the largest share of a node first (the larger of
 * CPU and memory, against `capacity`), then by CPU, memory and key, so a decision never depends on
 * the order the API listed the pods in.
 */
export function largestFirst(capacity: Capacity): (a: PodView, b: PodView) => number {
  const share = (pod: PodView): number =>
    Math.max(capacity.cpu > 0 ? pod.requests.cpu / capacity.cpu : 0, capacity.memory > 0 ? pod.requests.memory / capacity.memory : 0);
  return (a, b) =>
    share(b) - share(a) ||
    b.requests.cpu - a.requests.cpu ||
    b.requests.memory - a.requests.memory ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
}

/**
 * First-fit over a fixed order of nodes with their free capacity. Free capacity only ever goes
 * down while a placer is used, so two shortcuts are sound: the largest free amount of each
 * resource (kept as an upper bound, never lowered) turns away a pod too big for every node without
 * a scan, and a pod identical in requests and constraints to one that found no node finds none either.
 */
export class FirstFitPlacer {
  private readonly freeCpu: Float64Array;
  private readonly freeMemory: Float64Array;
  private readonly freePods: Float64Array;
  private readonly maxFree: Capacity;
  private readonly failed = new Map<string, number>();

  /**
   * @param nodes the nodes in the order they are tried
   * @param free each node's free capacity, by the same position
   */
  constructor(
    private readonly nodes: readonly NodeShape[],
    free: readonly Capacity[],
  ) {
    this.freeCpu = Float64Array.from(free, (f) => f.cpu);
    this.freeMemory = Float64Array.from(free, (f) => f.memory);
    this.freePods = Float64Array.from(free, (f) => f.pods);
    this.maxFree = { cpu: 0, memory: 0, pods: 0 };
    for (let i = 0; i < free.length; i++) this.raiseMaxFree(i);
  }

  get size(): number {
    return this.nodes.length;
  }

  /**
   * Places the pod on the first of nodes `0..end-1` with room that it may go to, and takes the
   * room; returns that position, or undefined when none has.
   */
  place(pod: PodView, end = this.nodes.length): number | undefined {
    const r = pod.requests;
    if (exceededResource(r, this.maxFree)) return undefined;
    const signature = signatureOf(pod);
    const failedBelow = this.failed.get(signature);
    if (failedBelow !== undefined && failedBelow >= end) return undefined;
    const placement = nodePlacementOf(pod);
    for (let i = 0; i < end; i++) {
      if (r.cpu > (this.freeCpu[i] as number) || r.memory > (this.freeMemory[i] as number) || r.pods > (this.freePods[i] as number))
        continue;
      if (constraintMismatch(pod, placement, this.nodes[i] as NodeShape)) continue;
      this.take(i, r, 1);
      return i;
    }
    this.failed.set(signature, end);
    return undefined;
  }

  /**
   * Gives a placed pod's room back, because its node is being removed in the simulation: later
   * calls pass an `end` at or below that node's position, so no node they try ever gains room.
   */
  release(pod: PodView, position: number): void {
    this.take(position, pod.requests, -1);
    this.raiseMaxFree(position);
  }

  private raiseMaxFree(i: number): void {
    this.maxFree.cpu = Math.max(this.maxFree.cpu, this.freeCpu[i] as number);
    this.maxFree.memory = Math.max(this.maxFree.memory, this.freeMemory[i] as number);
    this.maxFree.pods = Math.max(this.maxFree.pods, this.freePods[i] as number);
  }

  private take(i: number, r: Capacity, sign: 1 | -1): void {
    this.freeCpu[i] = (this.freeCpu[i] as number) - sign * r.cpu;
    this.freeMemory[i] = (this.freeMemory[i] as number) - sign * r.memory;
    this.freePods[i] = (this.freePods[i] as number) - sign * r.pods;
  }
}

/** Pods alike in everything a placement reads (pods of one Deployment usually are). */
function signatureOf(pod: PodView): string {
  const r = pod.requests;
  const constraints =
    pod.nodeSelector === undefined && pod.requiredNodeAffinity === undefined && pod.tolerations.length === 0
      ? ''
      : JSON.stringify([pod.nodeSelector, pod.requiredNodeAffinity, pod.tolerations]);
  return `${r.cpu}/${r.memory}/${r.pods}/${constraints}`;
}
