/**
 * The Prometheus signal in the decision: what the query answered this cycle turned into a count
 * of workers, ceil(value / target_per_node), with the windows CPU and memory have.
 *
 * - Scale-up: the signal asks for more workers than the count, without a break, for
 *   scale_up_sustained_time (and in an earlier cycle too, as utilisation must); it then asks for
 *   the fewest it asked for over that time, the load that was sustained rather than its last peak.
 *   While nodes are joining, and after the count changes, the clock starts again.
 * - Scale-down: what the signal asks for is a floor, as `min` is: no worker is removed below it,
 *   and a node the floor keeps is needed, so its unneeded clock starts again (a node must be
 *   unneeded for the whole scale_down_unneeded_time, by every signal).
 * - A reading that cannot be used (the query failed, came back empty, gave several series or a
 *   value that is not a count, or is older than metrics_max_age) rules out any scale-down, as
 *   missing metrics-server data does, and never adds a node: the scale-up clock stops.
 *
 * Pure: the watcher's adapter (src/prometheus) reads the query; this module only judges the answer.
 */
import type { PrometheusSignal } from './metric-settings.js';
import type { Policy } from './settings.js';

/** Why a query gave no answer at all. */
export type QueryFailure =
  /** The config names a query but the watcher was given no Prometheus URL. */
  | 'no-url'
  /** No connection (refused, DNS, reset). */
  | 'unreachable'
  | 'timeout'
  /** An HTTP status without a Prometheus answer (a proxy, a wrong path). */
  | 'http-status'
  /** Prometheus refused or could not run the query (bad_data, execution, timeout). */
  | 'query-error'
  /** The query is a range vector or a string, not a number. */
  | 'not-instant'
  /** An answer that is not the Prometheus API's (or is too large). */
  | 'invalid-response';

/** What the query answered, as the adapter read it. `at` is the sample's time, ms since the epoch. */
export type MetricReading =
  | { kind: 'sample'; value: number; at: number }
  | { kind: 'empty' }
  | { kind: 'several-series'; series: number; labels: string[] }
  | { kind: 'failed'; reason: QueryFailure; error: string };

/** The signal of the component and what its query answered this cycle. */
export interface MetricInput {
  signal: PrometheusSignal;
  reading: MetricReading;
}

/** Why the reading cannot be used. */
export type MetricProblem =
  | Exclude<MetricReading, { kind: 'sample' }>
  /** NaN, an infinity, or a negative number: no count of workers serves it. */
  | { kind: 'not-a-count'; value: number }
  | { kind: 'stale'; at: number; maxAge: number };

/** The reading judged at the decision's time. */
export interface MetricReadout {
  query: string;
  targetPerNode: number;
  /** The query's value, when it gave one number. */
  value: number | undefined;
  at: number | undefined;
  /** The workers it asks for, ceil(value / targetPerNode); undefined when the reading cannot be used. */
  wants: number | undefined;
  problem: MetricProblem | undefined;
}

/** A reason no worker is removed, from the signal (see ScaleDownGate). */
export type MetricGate =
  | { kind: 'prometheus-unusable'; query: string; problem: MetricProblem }
  /** The signal asks for at least this many workers, which the count does not exceed. */
  | { kind: 'prometheus-floor'; query: string; wants: number };

/** The scale-up clock the state keeps: since when the signal has asked for more than `count`. */
export interface MetricState {
  /** The config count the clock runs against: a change of it starts the clock again. */
  count: number;
  since: number;
  /** The fewest workers it asked for since then. */
  lowest: number;
}

/** The rule that chose the count when the signal asked for the most workers. */
export interface MetricRule {
  kind: 'prometheus-query';
  query: string;
  value: number;
  targetPerNode: number;
  /** The workers it has asked for at the least since `since`: the count it scales to. */
  wants: number;
  since: number;
}

export interface MetricEvidence extends MetricReadout {
  /** Since when it has asked for more workers than the count; undefined when it has not. */
  highSince: number | undefined;
  /** When that counts as sustained. */
  sustainedAt: number | undefined;
  /** The fewest workers it asked for since highSince. */
  lowest: number | undefined;
}

/** The workers a value asks for. A ratio within a billionth above a whole number is that number (0.3 / 0.1 is 3.0000000000000004). */
export function workersFor(value: number, targetPerNode: number): number {
  const ratio = value / targetPerNode;
  return Math.max(0, Math.ceil(ratio - ratio * 1e-9));
}

/** The reading judged at `now`: fresh and one usable number, or the problem with it. Undefined without a signal. */
export function readMetric(input: MetricInput | undefined, now: number, maxAge: number): MetricReadout | undefined {
  if (!input) return undefined;
  const { signal, reading } = input;
  const base = { query: signal.query, targetPerNode: signal.targetPerNode };
  if (reading.kind !== 'sample') return { ...base, value: undefined, at: undefined, wants: undefined, problem: reading };
  const { value, at } = reading;
  let problem: MetricProblem | undefined;
  if (!Number.isFinite(value) || value < 0) problem = { kind: 'not-a-count', value };
  else if (now - at > maxAge) problem = { kind: 'stale', at, maxAge };
  return { ...base, value, at, wants: problem ? undefined : workersFor(value, signal.targetPerNode), problem };
}

/** The lowest count a scale-down may leave: the larger of `min` and what the signal asks for. */
export function scaleDownFloor(readout: MetricReadout | undefined, min: number): number {
  return Math.max(min, readout?.wants ?? min);
}

/** The gate an unusable reading puts on any scale-down (and stops the unneeded clocks with). */
export function unusableGate(readout: MetricReadout | undefined): MetricGate[] {
  return readout?.problem ? [{ kind: 'prometheus-unusable', query: readout.query, problem: readout.problem }] : [];
}

/**
 * The scale-down gates with the signal's floor named as such: the engine is given the floor as
 * its `min`, so a floor above the config's min shows as `at-min`.
 */
export function nameFloor<G extends { kind: string }>(
  gates: readonly G[],
  readout: MetricReadout | undefined,
  min: number,
): Array<G | MetricGate> {
  return gates.map((gate) =>
    gate.kind === 'at-min' && readout?.wants !== undefined && readout.wants > min
      ? { kind: 'prometheus-floor', query: readout.query, wants: readout.wants }
      : gate,
  );
}

export interface MetricScaleUp {
  state: MetricState | undefined;
  evidence: MetricEvidence | undefined;
  /** The rule and the workers to add, when the signal's scale-up is due. */
  up: { nodes: number; rule: MetricRule } | undefined;
}

/** The signal's scale-up clock and, when it has run for scale_up_sustained_time, the workers it adds. */
export function metricScaleUp(
  readout: MetricReadout | undefined,
  previous: MetricState | undefined,
  context: { count: number; changing: boolean; now: number; policy: Policy },
): MetricScaleUp {
  if (!readout) return { state: undefined, evidence: undefined, up: undefined };
  const { count, changing, now, policy } = context;
  const quiet = { ...readout, highSince: undefined, sustainedAt: undefined, lowest: undefined };
  // A reading that cannot be used breaks the run: a failing query never adds nodes.
  if (readout.wants === undefined || readout.wants <= count || changing) return { state: undefined, evidence: quiet, up: undefined };
  const continued = previous !== undefined && previous.count === count;
  const state: MetricState = {
    count,
    since: continued ? previous.since : now,
    lowest: continued ? Math.min(previous.lowest, readout.wants) : readout.wants,
  };
  const sustainedAt = state.since + policy.scaleUpSustainedTime;
  const evidence: MetricEvidence = { ...readout, highSince: state.since, sustainedAt, lowest: state.lowest };
  // Asked for in an earlier cycle too, so a sustained time of 0 still never adds nodes on the cycle that applied the last change.
  if (now < sustainedAt || state.since >= now || readout.value === undefined) return { state, evidence, up: undefined };
  const rule: MetricRule = {
    kind: 'prometheus-query',
    query: readout.query,
    value: readout.value,
    targetPerNode: readout.targetPerNode,
    wants: state.lowest,
    since: state.since,
  };
  return { state, evidence, up: { nodes: state.lowest - count, rule } };
}
