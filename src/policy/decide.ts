/**
 * The decision engine: snapshot + remembered state + policy → the desired worker count, the rule
 * that chose it, and the evidence (numbers, pods, nodes, and for a scale-down the rule that keeps
 * each node it cannot remove). A pure function over plain data: the watcher feeds the returned
 * state into the next cycle, and the PR body is drawn from the decision and the state's samples.
 *
 * Order of the rules, most cautious first:
 *  1. the bounds: a count outside [min, max] is brought inside (the config reader refuses such a
 *     config, so this only guards hand-made input), and a count below the min a schedule window
 *     raises it to (src/policy/schedule.ts) is raised to it, ahead of the window by its lead;
 *  2. a stale snapshot holds: nothing else is decided from caches that may miss changes;
 *  3. scale up for pending pods that lack CPU or memory, for sustained high utilisation, and for
 *     a Prometheus signal asking for more workers (the largest wins), minus the nodes a change in
 *     flight already asked for;
 *  4. scale down unneeded workers (highest indices) when nothing gates it and no rule keeps them,
 *     never below what the Prometheus signal asks for, nor while its query cannot be used;
 *  5. otherwise hold, saying why (nodes still joining, or what kept each node).
 */
import {
  type MetricEvidence,
  type MetricInput,
  type MetricRule,
  metricScaleUp,
  nameFloor,
  readMetric,
  scaleDownFloor,
  unusableGate,
} from './metric-signal.js';
import { describeDecision } from './reason.js';
import { planScaleDown, type ScaleDownPlan } from './scale-down.js';
import { type NewNode, nodesForShares, type PendingPlan, planPendingPods, type WorkerTemplate } from './scale-up.js';
import { applySchedules, type ScheduledMin, type WindowSpan } from './schedule.js';
import type { Schedule } from './schedule-settings.js';
import type { Policy } from './settings.js';
import type { ClusterSnapshot } from './snapshot.js';
import { type ChangeInFlight, type PolicyState, recordSample } from './state.js';
import { type Exceeded, freshUsage, highShares, type PoolUtilisation, poolUtilisation, roundShare } from './utilisation.js';
import { type ClusterView, clusterView } from './view.js';

/** What the engine needs to know of the cluster config. */
export interface ClusterInput {
  /** The worker component's count in the config (the default branch's, merged PRs included). */
  count: number;
  min: number;
  max: number;
  /** What a new worker looks like (see workerTemplate). */
  template: WorkerTemplate;
  /** Time windows that raise `min` for their span. */
  schedules?: readonly Schedule[] | undefined;
}

export interface DecisionInput {
  snapshot: ClusterSnapshot;
  state: PolicyState;
  policy: Policy;
  cluster: ClusterInput;
  /** The time of the decision, ms since the epoch (the engine never reads a clock). */
  now: number;
  /** The component's Prometheus signal and what its query answered (src/policy/metric-signal.ts). */
  metric?: MetricInput | undefined;
}

/** The rule that chose the desired count. */
export type Rule =
  | { kind: 'below-min'; min: number }
  /** A schedule window raises the component's min (`base`) to `min` now: its span opens, or opens within its lead. */
  | { kind: 'scheduled-min'; min: number; base: number; window: WindowSpan }
  | { kind: 'above-max'; max: number }
  | { kind: 'stale-snapshot'; why: 'informers-not-synced' | 'too-old'; takenAt: number }
  /** Unschedulable pods need `newNodes` nodes, `inFlight` of which a raised count already asked for. */
  | { kind: 'pending-pods'; pods: number; newNodes: number; inFlight: number }
  /** Utilisation above a scale-up threshold since `since`; `nodes` more bring it down. */
  | { kind: 'high-utilisation'; exceeded: Exceeded[]; since: number; nodes: number }
  /** Nodes a raised count asked for are not Ready yet; pods waiting for them add nothing. */
  | { kind: 'waiting-for-nodes'; missing: number; since: number; timeoutAt: number; pods: number }
  /** They are still not Ready after provisioning_timeout: the shortfall is reported, not scaled again. */
  | { kind: 'provisioning-timeout'; missing: number; since: number; pods: number }
  /** These workers (highest indices) have been unneeded for scale_down_unneeded_time. */
  | { kind: 'unneeded-nodes'; nodes: string[]; since: number }
  /** The Prometheus signal has asked for more workers for scale_up_sustained_time. */
  | MetricRule
  /** Nothing to do; the evidence's scale-down part says what kept the nodes. */
  | { kind: 'no-change' };

export type RuleKind = Rule['kind'];

/** A limit that cut the change short. */
export interface Limit {
  limit: 'max' | 'max-step';
  /** The count the rule wanted before the limit. */
  wanted: number;
}

export interface Evidence {
  now: number;
  snapshotAt: number;
  bounds: { min: number; max: number };
  /** The schedule windows that raise `bounds.min` above the component's own, when they do. */
  schedule: ScheduledMin | undefined;
  workers: {
    /** The config count. */
    count: number;
    ready: number;
    /** Indices below the count without a Ready worker. */
    missing: readonly number[];
    missingCount: number;
    /** Workers at or above the count (a lowered count being applied). */
    removing: readonly string[];
    /** Workers without a VM index. */
    unindexed: readonly string[];
  };
  inFlight: (ChangeInFlight & { timeoutAt: number; timedOut: boolean }) | undefined;
  utilisation: PoolUtilisation & {
    /** Shares above their scale-up thresholds now. */
    high: Exceeded[];
    highSince: number | undefined;
    /** When the high utilisation counts as sustained. */
    sustainedAt: number | undefined;
  };
  pending: PendingPlan;
  scaleDown: ScaleDownPlan;
  /** The Prometheus signal, when the component has one. */
  metric: MetricEvidence | undefined;
}

export interface Decision {
  current: number;
  desired: number;
  direction: 'up' | 'down' | 'hold';
  rule: Rule;
  /** The decision in one line, for logs and the commit's Autoscale-Reason trailer. */
  reason: string;
  limitedBy: Limit | undefined;
  /** Undefined when the snapshot was not used (stale, or the bounds alone decided). */
  evidence: Evidence | undefined;
}

export interface DecisionOutput {
  decision: Decision;
  state: PolicyState;
}

/** Decides the worker count for one cycle. Pure: the same input always gives the same output. */
export function decide(input: DecisionInput): DecisionOutput {
  const { snapshot, policy, now } = input;
  // From here on, cluster.min is the effective min: the component's, raised by any window.
  const { cluster, scheduled, state: read } = applySchedules(input.cluster, input.state, now);
  const raisedBy = scheduled?.by && scheduled.min > scheduled.base ? scheduled : undefined;
  const current = cluster.count;
  const state = observeCount(read, current, now);

  if (current < cluster.min || current > cluster.max) {
    const rule: Rule =
      current > cluster.max
        ? { kind: 'above-max', max: cluster.max }
        : raisedBy?.by
          ? { kind: 'scheduled-min', min: cluster.min, base: raisedBy.base, window: raisedBy.by }
          : { kind: 'below-min', min: cluster.min };
    const desired = Math.min(cluster.max, Math.max(cluster.min, current));
    return { decision: decisionOf(current, desired, rule, undefined, undefined), state: { ...state, unneeded: [] } };
  }

  const staleWhy = snapshot.stale ? 'informers-not-synced' : now - snapshot.takenAt > policy.metricsMaxAge ? 'too-old' : undefined;
  if (staleWhy) {
    const rule: Rule = { kind: 'stale-snapshot', why: staleWhy, takenAt: snapshot.takenAt };
    // The unneeded clocks restart: a node must be seen unneeded for the whole time.
    return { decision: decisionOf(current, current, rule, undefined, undefined), state: { ...state, unneeded: [] } };
  }

  const metric = readMetric(input.metric, now, policy.metricsMaxAge);
  // What the signal asks for is a floor for a scale-down, as min is.
  const floor = scaleDownFloor(metric, cluster.min);
  const view = clusterView(snapshot, current, Math.min(policy.scaleDownMaxStep, Math.max(0, current - floor)));
  const usage = freshUsage(snapshot.usage, now, policy.metricsMaxAge);
  const pool = poolUtilisation(view, usage);
  const inFlight = changeInFlight(state.inFlight, view, current, now);
  const changing = view.missingCount > 0;

  const high = highShares(pool.ratios, policy.scaleUpRequestsThreshold, policy.scaleUpUsageThreshold);
  // While nodes are joining, utilisation is expected to be high: the clock starts when they have.
  const highSince = high.length > 0 && !changing ? (state.highSince ?? now) : undefined;
  const sustainedAt = highSince === undefined ? undefined : highSince + policy.scaleUpSustainedTime;

  const metricUp = metricScaleUp(metric, state.metric, { count: current, changing, now, policy });

  const pending = planPendingPods(view, cluster.template);
  const planned = planScaleDown({ view, snapshot, usage, pool, policy, state, min: floor, now, signalGates: unusableGate(metric) });
  const scaleDown = { ...planned, gates: nameFloor(planned.gates, metric, cluster.min) };
  const evidence: Evidence = {
    now,
    snapshotAt: snapshot.takenAt,
    bounds: { min: cluster.min, max: cluster.max },
    schedule: raisedBy,
    workers: workersOf(view),
    inFlight: inFlight && {
      ...inFlight,
      timeoutAt: inFlight.since + policy.provisioningTimeout,
      timedOut: now >= inFlight.since + policy.provisioningTimeout,
    },
    utilisation: { ...pool, high, highSince, sustainedAt },
    pending,
    scaleDown,
    metric: metricUp.evidence,
  };

  const up = largest(scaleUpRule(pending, pool, high, highSince, sustainedAt, cluster, now), metricUp.up);
  let desired = current;
  let rule: Rule;
  let limitedBy: Limit | undefined;
  if (up) {
    const wanted = current + up.nodes;
    desired = Math.min(wanted, current + policy.scaleUpMaxStep, cluster.max);
    if (desired < wanted) limitedBy = { limit: desired === cluster.max ? 'max' : 'max-step', wanted };
    rule = up.rule;
  } else if (scaleDown.remove > 0) {
    const removed = scaleDown.unneeded.slice(0, scaleDown.remove);
    desired = current - scaleDown.remove;
    rule = { kind: 'unneeded-nodes', nodes: removed.map((u) => u.node), since: Math.max(...removed.map((u) => u.since)) };
  } else if (evidence.inFlight) {
    const pods = pending.newNodes.filter((node) => node.inFlight).reduce((sum, node: NewNode) => sum + node.pods.length, 0);
    rule = evidence.inFlight.timedOut
      ? { kind: 'provisioning-timeout', missing: view.missingCount, since: evidence.inFlight.since, pods }
      : {
          kind: 'waiting-for-nodes',
          missing: view.missingCount,
          since: evidence.inFlight.since,
          timeoutAt: evidence.inFlight.timeoutAt,
          pods,
        };
  } else {
    rule = { kind: 'no-change' };
  }

  const decision = decisionOf(current, desired, rule, limitedBy, evidence);
  const next: PolicyState = {
    ...state,
    // A decided scale-up starts the delay before any scale-down, merged or not: a PR that asked
    // for nodes is never followed by one that removes them inside the window.
    lastScaleUpAt: decision.direction === 'up' ? now : state.lastScaleUpAt,
    highSince,
    unneeded: scaleDown.unneeded,
    inFlight,
    samples: recordSample(state.samples, sampleOf(view, pool, pending, now), policy),
    metric: metricUp.state,
  };
  return { decision, state: next };
}

/**
 * The state after seeing the config count: a raised count (a merged PR, or a hand edit) is a
 * scale-up and restarts the high-utilisation clock; a lowered one is a scale-down and restarts
 * the unneeded clocks, so the next node must be unneeded for the whole time after it.
 */
function observeCount(state: PolicyState, count: number, now: number): PolicyState {
  const last = state.lastCount;
  if (last === undefined || last === count) return { ...state, lastCount: count };
  if (count > last) return { ...state, lastCount: count, lastScaleUpAt: now, highSince: undefined };
  return { ...state, lastCount: count, lastScaleDownAt: now, unneeded: [] };
}

/**
 * The change in flight, if nodes the count asks for are not Ready: its clock starts when the
 * engine first sees them missing, and again when the count is raised further (new nodes asked for).
 */
function changeInFlight(previous: ChangeInFlight | undefined, view: ClusterView, count: number, now: number): ChangeInFlight | undefined {
  if (view.missingCount === 0) return undefined;
  if (previous && previous.count >= count) return { count, since: previous.since };
  return { count, since: now };
}

interface UpRule {
  nodes: number;
  rule: Rule;
}

/** The scale-up the pending pods and the utilisation want (the larger), or undefined for none. */
function scaleUpRule(
  pending: PendingPlan,
  pool: PoolUtilisation,
  high: readonly Exceeded[],
  highSince: number | undefined,
  sustainedAt: number | undefined,
  cluster: ClusterInput,
  now: number,
): UpRule | undefined {
  const counted = pending.newNodes.reduce((sum, node) => sum + node.pods.length, 0);
  const forPods: UpRule | undefined =
    pending.extra > 0
      ? {
          nodes: pending.extra,
          rule: { kind: 'pending-pods', pods: counted, newNodes: pending.newNodes.length, inFlight: pending.inFlight },
        }
      : undefined;
  let forUtilisation: UpRule | undefined;
  // Sustained: high for the whole time, and seen so in an earlier cycle too (so a sustained time
  // of 0 still never adds nodes on the cycle that applied the last change).
  if (highSince !== undefined && sustainedAt !== undefined && now >= sustainedAt && highSince < now) {
    // Infinity when no number of template nodes brings the share down (their DaemonSets alone
    // are above the threshold): adding nodes would not end the high utilisation, so none are added.
    const nodes = nodesForShares(pool, high, cluster.template, pending.overhead);
    if (Number.isFinite(nodes) && nodes > 0) {
      forUtilisation = { nodes, rule: { kind: 'high-utilisation', exceeded: [...high], since: highSince, nodes } };
    }
  }
  if (forPods && forUtilisation) return forUtilisation.nodes > forPods.nodes ? forUtilisation : forPods;
  return forPods ?? forUtilisation;
}

/** The scale-up that adds the most nodes; on a tie, the first. */
function largest(...ups: Array<UpRule | undefined>): UpRule | undefined {
  return ups.reduce<UpRule | undefined>((best, up) => (up && (!best || up.nodes > best.nodes) ? up : best), undefined);
}

function workersOf(view: ClusterView): Evidence['workers'] {
  return {
    count: view.count,
    ready: view.readyWorkers,
    missing: view.missing,
    missingCount: view.missingCount,
    removing: view.beingRemoved,
    unindexed: view.unindexed,
  };
}

function sampleOf(view: ClusterView, pool: PoolUtilisation, pending: PendingPlan, now: number): PolicyState['samples'][number] {
  return {
    at: now,
    count: view.count,
    readyWorkers: view.readyWorkers,
    pending: pending.unschedulable,
    cpuRequests: roundShare(pool.ratios?.cpuRequests),
    memoryRequests: roundShare(pool.ratios?.memoryRequests),
    cpuUsage: roundShare(pool.ratios?.cpuUsage),
    memoryUsage: roundShare(pool.ratios?.memoryUsage),
  };
}

function decisionOf(current: number, desired: number, rule: Rule, limitedBy: Limit | undefined, evidence: Evidence | undefined): Decision {
  const direction = desired > current ? 'up' : desired < current ? 'down' : 'hold';
  const decision: Omit<Decision, 'reason'> = { current, desired, direction, rule, limitedBy, evidence };
  return { ...decision, reason: describeDecision(decision) };
}
