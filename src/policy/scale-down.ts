/**
 * Which workers a lowered count may remove now. Lowering the count removes the highest VM indices
 * (src/plan/naming.ts), so the candidates are fixed: indices count-1, count-2, … up to the step.
 * Each is removable only when every rule lets it go (its utilisation, its annotations, its pods'
 * drainability, the PodDisruptionBudgets, room for its pods on the nodes that stay, and no
 * scale-up as a consequence); the first one that is not stops the list, because a lower index
 * cannot go while a higher one stays. A removable node is removed once it has been unneeded for
 * the unneeded time, as in Cluster Autoscaler.
 */
import { type BudgetBlock, budgetBlocks, type PodBlockRule, podDrainability } from './drainability.js';
import type { MetricGate } from './metric-signal.js';
import { FirstFitPlacer, largestFirst, type NodeShape, subtractCapacity } from './placement.js';
import type { Policy } from './settings.js';
import type { BudgetView, Capacity, ClusterSnapshot, NodeView, PodView, UsageView } from './snapshot.js';
import type { PolicyState } from './state.js';
import { type Exceeded, highShares, nodeUtilisation, type PoolUtilisation, type Ratios, ratiosOf } from './utilisation.js';
import { type ClusterView, destinationsOf } from './view.js';

/** A reason no worker is removed this cycle, whatever the nodes. */
export type ScaleDownGate =
  /** Pods wait for room: capacity may be needed, not removed. */
  | { kind: 'pending-pods'; pods: number }
  /** metrics.k8s.io did not answer. */
  | { kind: 'metrics-unavailable' }
  /** The newest metrics sample is older than metrics_max_age. */
  | { kind: 'metrics-stale'; at: number; maxAge: number }
  /** Workers metrics-server has no sample for: the use of the nodes that would stay is unknown. */
  | { kind: 'metrics-incomplete'; nodes: string[] }
  /** Workers without a VM index: which VM a lowered count removes cannot be told from the cluster. */
  | { kind: 'workers-without-index'; nodes: string[] }
  /** The count and the Ready workers disagree: a change is still being applied. */
  | { kind: 'change-in-flight'; missing: number; removing: string[] }
  | { kind: 'at-min'; min: number }
  /** Within scale_down_delay_after_add of a scale-up. */
  | { kind: 'scale-up-cooldown'; since: number; until: number }
  /** The Prometheus signal cannot be read, or asks for the workers there are. */
  | MetricGate;

/** A rule that keeps one node. */
export type NodeBlocker =
  | { rule: 'scale-down-disabled' }
  /** No measured use for the node: missing metrics never remove a node. */
  | { rule: 'no-usage' }
  | { rule: 'not-underutilised'; utilisation: number; threshold: number }
  | { rule: PodBlockRule; pod: string }
  | ({ rule: 'disruption-budget' } & BudgetBlock)
  /** Pods that would find no room on the nodes that stay. */
  | { rule: 'pods-do-not-fit'; pods: string[] }
  /** Removing it would push the remaining workers above a scale-up threshold (and so flap). */
  | { rule: 'would-trigger-scale-up'; exceeded: Exceeded[] };

export interface Candidate {
  node: string;
  index: number;
  /** The node's shares; usage undefined without its metrics. */
  ratios: Ratios;
  /** Empty when the node is removable. */
  blockers: NodeBlocker[];
  /** When it became unneeded (removable); undefined when it is not. */
  unneededSince: number | undefined;
  /** When it may be removed: unneeded since + scale_down_unneeded_time. */
  removableAt: number | undefined;
}

/** Where a pod of a removed node goes in the simulation. */
export interface Move {
  pod: string;
  from: string;
  to: string;
}

export interface ScaleDownPlan {
  gates: ScaleDownGate[];
  /** The candidates looked at, highest index first; the last one is the one that stopped the list, if any did. */
  candidates: Candidate[];
  /** How many to remove now. */
  remove: number;
  /** Where the pods of the nodes to remove go. */
  moves: Move[];
  /** The unneeded clocks to remember: the removable candidates, highest index first. */
  unneeded: Array<{ node: string; since: number }>;
}

export interface ScaleDownContext {
  view: ClusterView;
  snapshot: ClusterSnapshot;
  /** Fresh usage, or undefined. */
  usage: UsageView | undefined;
  pool: PoolUtilisation;
  policy: Policy;
  state: PolicyState;
  min: number;
  now: number;
  /** Other signals that cannot be measured this cycle (the Prometheus query): no scale-down, and the unneeded clocks stop. */
  signalGates?: readonly ScaleDownGate[];
}

/** The gates, the candidates and their blockers, and how many nodes go now. */
export function planScaleDown(context: ScaleDownContext): ScaleDownPlan {
  const { snapshot, policy, state, now } = context;
  const gates = measurementGates(context);
  const measurable = gates.length === 0;
  if (state.lastScaleUpAt !== undefined && now < state.lastScaleUpAt + policy.scaleDownDelayAfterAdd) {
    gates.push({ kind: 'scale-up-cooldown', since: state.lastScaleUpAt, until: state.lastScaleUpAt + policy.scaleDownDelayAfterAdd });
  }
  // Without a measurement the unneeded clocks stop: a node must be seen unneeded for the whole time.
  if (!measurable) return { gates, candidates: [], remove: 0, moves: [], unneeded: [] };

  const { candidates, movesAfter } = evaluateCandidates(context, new Map(snapshot.budgets.map((b) => [b.key, b])));
  const previous = new Map(state.unneeded.map((u) => [u.node, u.since]));
  const unneeded: Array<{ node: string; since: number }> = [];
  for (const candidate of candidates) {
    if (candidate.blockers.length > 0) break;
    const since = Math.min(previous.get(candidate.node) ?? now, now);
    candidate.unneededSince = since;
    candidate.removableAt = since + policy.scaleDownUnneededTime;
    unneeded.push({ node: candidate.node, since });
  }
  // Unneeded for the whole time, and seen so in an earlier cycle too: with an unneeded time of 0,
  // a node is still never removed on the cycle that first sees it (the one that applied the last change).
  const longEnough = (since: number): boolean => since + policy.scaleDownUnneededTime <= now && since < now;
  let remove = 0;
  if (gates.length === 0) {
    while (remove < unneeded.length && longEnough((unneeded[remove] as { since: number }).since)) remove++;
  }
  return { gates, candidates, remove, moves: remove > 0 ? (movesAfter[remove - 1] ?? []) : [], unneeded };
}

/** The gates that make a node's need unmeasurable (the unneeded clocks restart after them). */
function measurementGates({ view, snapshot, usage, policy, min, signalGates = [] }: ScaleDownContext): ScaleDownGate[] {
  const gates: ScaleDownGate[] = [];
  if (view.pending.length > 0) gates.push({ kind: 'pending-pods', pods: view.pending.length });
  if (snapshot.usage === undefined) gates.push({ kind: 'metrics-unavailable' });
  else if (usage === undefined) gates.push({ kind: 'metrics-stale', at: snapshot.usage.at, maxAge: policy.metricsMaxAge });
  else {
    const unmeasured = view.pool.map((row) => (view.nodes[row] as NodeView).name).filter((name) => !usage.nodes.has(name));
    if (unmeasured.length > 0) gates.push({ kind: 'metrics-incomplete', nodes: unmeasured });
  }
  gates.push(...signalGates);
  if (view.unindexed.length > 0) gates.push({ kind: 'workers-without-index', nodes: [...view.unindexed] });
  if (view.missingCount > 0 || view.beingRemoved.length > 0) {
    gates.push({ kind: 'change-in-flight', missing: view.missingCount, removing: [...view.beingRemoved] });
  }
  if (Math.min(policy.scaleDownMaxStep, view.count - min) <= 0) gates.push({ kind: 'at-min', min });
  return gates;
}

/**
 * The candidates from the highest index down, each with its blockers, stopping at the first
 * blocked one. The pods of removed nodes are placed first-fit on the nodes that stay, the lowest
 * indices first; when a later candidate goes too, the pods placed on it move again, so the
 * placement after k candidates is one that removing exactly those k allows.
 */
function evaluateCandidates(
  { view, usage, pool, policy }: ScaleDownContext,
  budgets: ReadonlyMap<string, BudgetView>,
): { candidates: Candidate[]; movesAfter: Move[][] } {
  const { shapes, free } = destinationsOf(view);
  const placer = new FirstFitPlacer(shapes, free);
  const positionOf = new Map(view.destinations.map((row, position) => [row, position]));
  const inPool = new Set(view.pool);
  let end = placer.size;
  /** The simulation's current placement of every moved pod. */
  const placed = new Map<PodView, { from: string; position: number }>();
  const evicted = new Map<string, number>();
  let poolAfter = { allocatable: pool.allocatable, requested: pool.requested };
  const candidates: Candidate[] = [];
  const movesAfter: Move[][] = [];

  for (const [row, index] of view.candidateRows) {
    const node = view.nodes[row] as NodeView;
    const measured = usage?.nodes.get(node.name);
    const ratios = ratiosOf(node.allocatable, view.requested[row] as Capacity, measured);
    const blockers: NodeBlocker[] = [];
    if (node.scaleDownDisabled) blockers.push({ rule: 'scale-down-disabled' });
    if (!measured) blockers.push({ rule: 'no-usage' });
    const utilisation = nodeUtilisation(ratios);
    if (utilisation >= policy.scaleDownUtilizationThreshold) {
      blockers.push({ rule: 'not-underutilised', utilisation, threshold: policy.scaleDownUtilizationThreshold });
    }
    const drained: PodView[] = [];
    for (const pod of view.podsOn.get(row) ?? []) {
      const verdict = podDrainability(pod);
      if (verdict.outcome === 'block') blockers.push({ rule: verdict.rule, pod: pod.key });
      else if (verdict.outcome === 'drain') drained.push(pod);
    }
    for (const block of budgetBlocks(drained, budgets, evicted)) blockers.push({ rule: 'disruption-budget', ...block });

    if (inPool.has(row)) {
      poolAfter = {
        allocatable: subtractCapacity(poolAfter.allocatable, node.allocatable),
        requested: subtractCapacity(poolAfter.requested, view.resident[row] as Capacity),
      };
    }
    const exceeded = highShares(
      ratiosOf(poolAfter.allocatable, poolAfter.requested, pool.used),
      policy.scaleUpRequestsThreshold,
      policy.scaleUpUsageThreshold,
    );
    if (exceeded.length > 0) blockers.push({ rule: 'would-trigger-scale-up', exceeded });

    // Placing pods costs the most, so only a node nothing else keeps is simulated.
    if (blockers.length === 0) {
      end = Math.min(end, positionOf.get(row) ?? end);
      const toPlace = drained.map((pod) => ({ pod, from: node.name }));
      for (const [pod, at] of placed) {
        if (at.position < end) continue;
        placer.release(pod, at.position);
        toPlace.push({ pod, from: at.from });
      }
      const order = largestFirst(node.allocatable);
      toPlace.sort((a, b) => order(a.pod, b.pod));
      const homeless: string[] = [];
      for (const { pod, from } of toPlace) {
        const position = placer.place(pod, end);
        if (position === undefined) homeless.push(pod.key);
        else placed.set(pod, { from, position });
      }
      if (homeless.length > 0) blockers.push({ rule: 'pods-do-not-fit', pods: homeless });
      movesAfter.push([...placed].map(([pod, at]) => ({ pod: pod.key, from: at.from, to: (shapes[at.position] as NodeShape).name })));
    }

    candidates.push({ node: node.name, index, ratios, blockers, unneededSince: undefined, removableAt: undefined });
    if (blockers.length > 0) break;
  }
  return { candidates, movesAfter };
}
