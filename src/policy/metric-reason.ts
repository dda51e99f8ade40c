/**
 * The Prometheus signal in words: its rule, its gates and what is wrong with a reading, one line
 * each (src/policy/reason.ts calls these for the decision's reason and the PR's evidence).
 */
import type { MetricGate, MetricProblem, MetricReadout, MetricRule } from './metric-signal.js';
import { formatDuration } from './settings.js';

/** Queries can be long: a reason stays one line (the PR body shows the query in full). */
const QUERY_IN_REASON = 80;

export function shortQuery(query: string): string {
  const line = query.replace(/\s+/g, ' ').trim();
  return line.length <= QUERY_IN_REASON ? line : `${line.slice(0, QUERY_IN_REASON - 1)}…`;
}

/** A value as a person reads it: whole above 1000, else four significant digits. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return Math.abs(value) >= 1000 ? String(Math.round(value)) : String(Number(value.toPrecision(4)));
}

const workers = (n: number): string => `${n} ${n === 1 ? 'worker' : 'workers'}`;

export function describeMetricProblem(problem: MetricProblem): string {
  switch (problem.kind) {
    case 'failed':
      return problem.error;
    case 'empty':
      return 'the query returned no series (no data, or a selector that matches nothing)';
    case 'several-series':
      return `the query returned ${problem.series} series (${problem.labels.join(', ')}${problem.series > problem.labels.length ? ', …' : ''}), not one: aggregate it, e.g. sum(...)`;
    case 'not-a-count':
      return `the query's value ${formatValue(problem.value)} is not a number of workers can serve (NaN, infinite or negative)`;
    case 'stale':
      return `the query's sample is from ${new Date(problem.at).toISOString()}, older than metrics_max_age ${formatDuration(problem.maxAge)}`;
  }
}

export function describeMetricGate(gate: MetricGate): string {
  switch (gate.kind) {
    case 'prometheus-unusable':
      return `Prometheus query ${shortQuery(gate.query)} cannot be used: ${describeMetricProblem(gate.problem)}`;
    case 'prometheus-floor':
      return `Prometheus query ${shortQuery(gate.query)} asks for ${workers(gate.wants)}`;
  }
}

/** `Prometheus query sum(rate(…)) at 1250 (100 per worker) has asked for 13 workers or more since …`. */
export function describeMetricRule(rule: MetricRule): string {
  return (
    `Prometheus query ${shortQuery(rule.query)} at ${formatValue(rule.value)} (${formatValue(rule.targetPerNode)} per worker) ` +
    `has asked for ${workers(rule.wants)} or more since ${new Date(rule.since).toISOString()}`
  );
}

/** Markdown code: PromQL may hold backticks (raw strings), so the fence is longer than any run of them. */
function codeSpan(text: string): string {
  const fence = '`'.repeat(Math.max(0, ...[...text.matchAll(/`+/g)].map((run) => run[0].length)) + 1);
  return fence.length > 1 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** The signal's line in the PR body: the query in full, its value, the target and what it asks for. */
export function describeMetricReadout(readout: MetricReadout): string {
  const query = codeSpan(readout.query.replace(/\s+/g, ' ').trim());
  if (readout.problem)
    return `${query} (target ${formatValue(readout.targetPerNode)} per worker): ${describeMetricProblem(readout.problem)}`;
  return `${query} = ${formatValue(readout.value ?? 0)} (target ${formatValue(readout.targetPerNode)} per worker): asks for ${workers(readout.wants ?? 0)}`;
}
