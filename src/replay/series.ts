/**
 * The numbers a replay report shows, shared by its text and Markdown forms: count curves reduced
 * to a few buckets for a chart, the rows where a count changes, and the policy settings that tell
 * two policies apart. Pure.
 */
import {
  formatDuration,
  POLICY_SETTINGS,
  type Policy,
  type PolicySettingKey,
  type PrometheusSignal,
  type Schedule,
} from '../policy/index.js';
import type { ReplayPoint, ReplayResult, ReplayRun } from './replay.js';

/** `points` reduced to `buckets` equal spans of [start, end]: the highest count in each (a span without a cycle repeats the one before). */
export function bucketed(points: readonly ReplayPoint[], start: number, end: number, buckets: number): number[] {
  const values: number[] = [];
  const span = Math.max(1, end - start);
  let i = 0;
  let last = points[0]?.count ?? 0;
  for (let b = 0; b < buckets; b++) {
    const until = b === buckets - 1 ? Number.POSITIVE_INFINITY : start + ((b + 1) * span) / buckets;
    let high: number | undefined;
    while (i < points.length && (points[i] as ReplayPoint).at < until) {
      const count = (points[i] as ReplayPoint).count;
      high = high === undefined ? count : Math.max(high, count);
      last = count;
      i++;
    }
    values.push(high ?? last);
  }
  return values;
}

/** The times at which any of the series changes count (the first cycle too), with each series' count then. */
export function changeRows(result: ReplayResult): Array<{ at: number; counts: number[] }> {
  const series = [result.recorded.points, ...result.runs.map((run) => run.points)];
  const rows: Array<{ at: number; counts: number[] }> = [];
  let previous: number[] | undefined;
  for (let i = 0; i < result.recorded.points.length; i++) {
    const counts = series.map((points) => (points[i] as ReplayPoint).count);
    if (!previous || counts.some((count, s) => count !== previous?.[s]))
      rows.push({ at: (result.recorded.points[i] as ReplayPoint).at, counts });
    previous = counts;
  }
  return rows;
}

/** A setting's value as the document writes it. */
function written(key: PolicySettingKey, policy: Policy): string {
  const definition = POLICY_SETTINGS[key];
  const value = policy[definition.field];
  return definition.kind === 'duration' ? formatDuration(value) : String(value);
}

/** What tells policies apart: their bounds and settings. */
export type PolicyLike = Pick<ReplayRun, 'min' | 'max' | 'policy'> & {
  prometheus?: PrometheusSignal | undefined;
  schedules?: readonly Schedule[] | undefined;
};

/** Windows as a line: `business-hours 0 8 * * 1-5 to 0 18 * * 1-5 Europe/Warsaw, min 6`. */
function windows(p: PolicyLike): string {
  const list = p.schedules ?? [];
  if (list.length === 0) return '(none)';
  return list
    .map((w) => `${w.name} ${w.start} to ${w.end} ${w.timezone}, min ${w.min}${w.lead > 0 ? `, lead ${formatDuration(w.lead)}` : ''}`)
    .join('; ');
}

/** The bounds and settings in which `run` differs from `other`: `min 2 → 3`, `scale_down_unneeded_time 10m → 30m`. */
export function differences(other: PolicyLike, run: PolicyLike): Array<{ key: string; from: string; to: string }> {
  const found: Array<{ key: string; from: string; to: string }> = [];
  if (other.min !== run.min) found.push({ key: 'min', from: String(other.min), to: String(run.min) });
  if (other.max !== run.max) found.push({ key: 'max', from: String(other.max), to: String(run.max) });
  for (const key of Object.keys(POLICY_SETTINGS) as PolicySettingKey[]) {
    const from = written(key, other.policy);
    const to = written(key, run.policy);
    if (from !== to) found.push({ key, from, to });
  }
  const query = (p: PolicyLike): string => p.prometheus?.query ?? '(none)';
  const target = (p: PolicyLike): string => (p.prometheus ? String(p.prometheus.targetPerNode) : '(none)');
  if (query(other) !== query(run)) found.push({ key: 'prometheus.query', from: query(other), to: query(run) });
  if (target(other) !== target(run)) found.push({ key: 'prometheus.target_per_node', from: target(other), to: target(run) });
  if (windows(other) !== windows(run)) found.push({ key: 'schedules', from: windows(other), to: windows(run) });
  return found;
}

/** `+12.5 (+4.1 %)`, with a real minus sign; whole numbers (`digits` 0) without the share. */
export function signedChange(from: number, to: number, digits = 1): string {
  const delta = to - from;
  const sign = (n: number): string => (n > 0 ? '+' : n < 0 ? '−' : '±');
  const percent = from === 0 || digits === 0 ? '' : ` (${sign(delta)}${Math.abs((delta / from) * 100).toFixed(1)} %)`;
  return `${sign(delta)}${Math.abs(delta).toFixed(digits)}${percent}`;
}

/** `2025-03-01 12:00` in UTC. */
export function utcMinute(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
}

export const peakOf = (points: readonly ReplayPoint[]): number => points.reduce((high, p) => Math.max(high, p.count), 0);
