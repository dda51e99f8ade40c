// Properties of the Prometheus signal in the decision, over generated traces: a cluster of idle
// workers (so CPU and memory never stand in the way of a scale-down and the signal decides), a
// query whose value swings over time and whose reading now and then fails, comes back empty, gives
// several series, NaN or an old sample; each decision becomes a PR merged after a lag, and new
// workers become Ready after another.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClusterInput,
  DEFAULT_POLICY,
  type DecisionOutput,
  decide,
  type MetricInput,
  type MetricReading,
  type Policy,
  type PolicyState,
} from '../../src/policy/index.js';
import { readMetric } from '../../src/policy/metric-signal.js';
import type { ClusterSnapshot } from '../../src/policy/snapshot.js';
import { MINUTE, settled, snapshot, T0, TEMPLATE, worker } from './builders.js';

const QUERY = 'sum(rate(http_requests_total[2m]))';
const TARGET = 100;

type Bad = Exclude<MetricReading, { kind: 'sample' }> | { kind: 'nan' } | { kind: 'old' };

interface Trace {
  min: number;
  max: number;
  initialCount: number;
  policy: Policy;
  stepMs: number;
  /** The query's value at each step (the last repeats). */
  load: readonly number[];
  /** Steps whose reading cannot be used, and how. */
  bad: ReadonlyMap<number, Bad>;
  mergeLag: number;
  provisionLag: number;
  steps: number;
}

interface Step {
  now: number;
  count: number;
  snapshot: ClusterSnapshot;
  stateBefore: PolicyState;
  cluster: ClusterInput;
  metric: MetricInput;
  /** The reading can be used: one fresh, finite, non-negative number. */
  usable: boolean;
  output: DecisionOutput;
}

const at = <T>(values: readonly T[], step: number): T => values[Math.min(step, values.length - 1)] as T;

function readingAt(trace: Trace, step: number, now: number): MetricReading {
  const bad = trace.bad.get(step);
  const value = at(trace.load, step);
  if (!bad) return { kind: 'sample', value, at: now };
  if (bad.kind === 'nan') return { kind: 'sample', value: Number.NaN, at: now };
  if (bad.kind === 'old') return { kind: 'sample', value, at: now - trace.policy.metricsMaxAge - 1 };
  return bad;
}

/** Workers 0..count-1, each Ready once its time has come; idle, with fresh metrics. */
function snapshotAt(readyAt: readonly number[], now: number): ClusterSnapshot {
  const nodes = readyAt.map((ready, index) => worker(index, { ready: ready <= now, createdAt: Math.min(ready, now) }));
  return snapshot({ nodes, takenAt: now });
}

function runTrace(trace: Trace): Step[] {
  let count = trace.initialCount;
  let readyAt: number[] = Array.from({ length: count }, () => T0 - 3_600_000);
  let pr: { desired: number; mergeAt: number } | undefined;
  let state = settled(count);
  const steps: Step[] = [];
  for (let s = 0; s < trace.steps; s++) {
    const now = T0 + s * trace.stepMs;
    if (pr && now >= pr.mergeAt) {
      count = pr.desired;
      pr = undefined;
      readyAt = Array.from({ length: count }, (_, i) => readyAt[i] ?? now + trace.provisionLag * trace.stepMs);
    }
    const cluster: ClusterInput = { count, min: trace.min, max: trace.max, template: TEMPLATE };
    const metric: MetricInput = { signal: { query: QUERY, targetPerNode: TARGET }, reading: readingAt(trace, s, now) };
    const snap = snapshotAt(readyAt, now);
    const output = decide({ snapshot: snap, state, policy: trace.policy, cluster, now, metric });
    const usable = readMetric(metric, now, trace.policy.metricsMaxAge)?.wants !== undefined;
    steps.push({ now, count, snapshot: snap, stateBefore: state, cluster, metric, usable, output });
    state = output.state;
    const desired = output.decision.desired;
    if (desired === count) pr = undefined;
    else pr = { desired, mergeAt: pr?.mergeAt ?? now + trace.mergeLag * trace.stepMs };
  }
  return steps;
}

const duration = (maxMinutes: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: maxMinutes }).map((m) => m * MINUTE);

const policyArb: fc.Arbitrary<Policy> = fc.oneof(
  fc.constant(DEFAULT_POLICY),
  fc.record({
    scaleUpRequestsThreshold: fc.constant(DEFAULT_POLICY.scaleUpRequestsThreshold),
    scaleUpUsageThreshold: fc.constant(DEFAULT_POLICY.scaleUpUsageThreshold),
    scaleUpSustainedTime: duration(8),
    scaleUpMaxStep: fc.integer({ min: 1, max: 6 }),
    scaleDownUtilizationThreshold: fc.constant(DEFAULT_POLICY.scaleDownUtilizationThreshold),
    scaleDownUnneededTime: duration(10),
    scaleDownDelayAfterAdd: duration(10),
    scaleDownMaxStep: fc.integer({ min: 1, max: 4 }),
    provisioningTimeout: duration(15),
    metricsMaxAge: fc.integer({ min: 1, max: 5 }).map((m) => m * MINUTE),
  }),
);

/** A load that swings between two levels, or wanders: values around a few hundred to a few thousand. */
const loadArb = (steps: number): fc.Arbitrary<number[]> =>
  fc.oneof(
    fc
      .record({
        low: fc.integer({ min: 0, max: 600 }),
        high: fc.integer({ min: 0, max: 2500 }),
        period: fc.integer({ min: 1, max: 30 }),
      })
      .map(({ low, high, period }) => Array.from({ length: steps }, (_, s) => (Math.floor(s / period) % 2 === 0 ? low : high))),
    fc.array(fc.double({ min: 0, max: 2500, noNaN: true }), { minLength: 1, maxLength: steps }),
  );

const badArb: fc.Arbitrary<Bad> = fc.oneof(
  fc.constant<Bad>({ kind: 'failed', reason: 'timeout', error: 'Prometheus did not answer within 10000 ms' }),
  fc.constant<Bad>({ kind: 'failed', reason: 'query-error', error: 'Prometheus refused the query (bad_data)' }),
  fc.constant<Bad>({ kind: 'empty' }),
  fc.constant<Bad>({ kind: 'several-series', series: 2, labels: ['{pod="a"}', '{pod="b"}'] }),
  fc.constant<Bad>({ kind: 'nan' }),
  fc.constant<Bad>({ kind: 'old' }),
);

const traceArb: fc.Arbitrary<Trace> = fc.integer({ min: 20, max: 80 }).chain((steps) =>
  fc
    .record({
      min: fc.integer({ min: 0, max: 3 }),
      span: fc.integer({ min: 0, max: 15 }),
      start: fc.double({ min: 0, max: 1, noNaN: true }),
      policy: policyArb,
      stepMs: fc.constantFrom(30_000, MINUTE, 2 * MINUTE),
      load: loadArb(steps),
      // Half the traces read the query without a fault, so scale-downs happen often enough to be tested.
      bad: fc.oneof(
        fc.constant(new Map<number, Bad>()),
        fc
          .array(fc.tuple(fc.integer({ min: 0, max: steps - 1 }), badArb), { maxLength: Math.floor(steps / 3) })
          .map((pairs) => new Map(pairs)),
      ),
      mergeLag: fc.integer({ min: 0, max: 3 }),
      provisionLag: fc.integer({ min: 0, max: 5 }),
    })
    .map(({ min, span, start, ...rest }) => ({ ...rest, min, max: min + span, initialCount: min + Math.round(start * span), steps })),
);

const RUNS = { numRuns: 150 };

describe('the Prometheus signal, over generated traces', () => {
  it('never takes the count outside [min, max]', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          expect(step.output.decision.desired).toBeGreaterThanOrEqual(trace.min);
          expect(step.output.decision.desired).toBeLessThanOrEqual(trace.max);
        }
      }),
      RUNS,
    );
  });

  it('more load never gives fewer nodes', () => {
    fc.assert(
      fc.property(traceArb, fc.nat(), fc.double({ min: 0, max: 5000, noNaN: true }), (trace, pick, extra) => {
        const steps = runTrace(trace);
        const step = steps[pick % steps.length] as Step;
        const value = at(trace.load, pick % steps.length);
        const withLoad = (v: number) =>
          decide({
            snapshot: step.snapshot,
            state: step.stateBefore,
            policy: trace.policy,
            cluster: step.cluster,
            now: step.now,
            metric: { signal: step.metric.signal, reading: { kind: 'sample', value: v, at: step.now } },
          }).decision.desired;
        expect(withLoad(value + extra)).toBeGreaterThanOrEqual(withLoad(value));
      }),
      RUNS,
    );
  });

  it('a reading that cannot be used never scales down, and never scales up where the other signals would not', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          if (step.usable) continue;
          const { decision } = step.output;
          expect(decision.direction, decision.reason).not.toBe('down');
          const without = decide({
            snapshot: step.snapshot,
            state: step.stateBefore,
            policy: trace.policy,
            cluster: step.cluster,
            now: step.now,
          }).decision;
          expect(decision.desired).toBe(without.direction === 'down' ? step.count : without.desired);
        }
      }),
      RUNS,
    );
  });

  it('a scale-down never leaves fewer workers than the signal asks for', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          if (step.output.decision.direction !== 'down') continue;
          const wants = readMetric(step.metric, step.now, trace.policy.metricsMaxAge)?.wants;
          expect(wants).toBeDefined();
          expect(step.output.decision.desired).toBeGreaterThanOrEqual(wants ?? Number.POSITIVE_INFINITY);
        }
      }),
      RUNS,
    );
  });

  it('scales up for the signal only after it asked for at least that many workers, readably, for scale_up_sustained_time', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        const steps = runTrace(trace);
        for (const step of steps) {
          const rule = step.output.decision.rule;
          if (rule.kind !== 'prometheus-query') continue;
          expect(rule.since).toBeLessThanOrEqual(step.now - trace.policy.scaleUpSustainedTime);
          expect(rule.since).toBeLessThan(step.now);
          for (const earlier of steps) {
            if (earlier.now < rule.since || earlier.now > step.now) continue;
            expect(earlier.usable).toBe(true);
            expect(readMetric(earlier.metric, earlier.now, trace.policy.metricsMaxAge)?.wants).toBeGreaterThanOrEqual(rule.wants);
            expect(earlier.count).toBe(step.count);
          }
        }
      }),
      RUNS,
    );
  });

  it('makes the signal scale up, floor scale-downs, let them happen and rule them out (so the properties are not vacuous)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          const { decision } = step.output;
          seen.add(decision.rule.kind);
          for (const gate of decision.evidence?.scaleDown.gates ?? []) seen.add(gate.kind);
        }
      }),
      { numRuns: 150, seed: 42 },
    );
    expect([...seen]).toEqual(expect.arrayContaining(['prometheus-query', 'unneeded-nodes', 'prometheus-floor', 'prometheus-unusable']));
  });
});
