import { describe, expect, it } from 'vitest';
import {
  type ClusterInput,
  type DecisionOutput,
  decide,
  describeMetricReadout,
  type MetricReading,
  type Policy,
  type PolicyState,
} from '../../src/policy/index.js';
import { readMetric, workersFor } from '../../src/policy/metric-signal.js';
import type { ClusterSnapshot } from '../../src/policy/snapshot.js';
import { cluster, MINUTE, policy, running, settled, snapshot, T0, unschedulable, workerName, workers } from './builders.js';

// The Prometheus signal in the decision: a query's value becomes ceil(value / target) workers,
// which scale up after scale_up_sustained_time, floor every scale-down, and, when the value cannot
// be used, rule scale-downs out without adding anything.

const QUERY = 'sum(rate(http_requests_total[2m]))';
const signal = { query: QUERY, targetPerNode: 100 };
const sample = (value: number, at?: number): MetricReading => ({
  kind: 'sample',
  value,
  ...(at === undefined ? { at: Number.NaN } : { at }),
});

/** Idle workers with fresh metrics: CPU and memory ask for nothing, and every node is unneeded. */
const idle = (count: number, at: number): ClusterSnapshot => snapshot({ nodes: workers(count), takenAt: at });

interface Run {
  count: number;
  /** One reading a minute from T0; a number is a fresh sample of that value. */
  readings: ReadonlyArray<number | MetricReading>;
  cluster?: Partial<ClusterInput>;
  policy?: Partial<Policy>;
  state?: PolicyState;
  snapshotAt?: (at: number) => ClusterSnapshot;
}

/** Decides once a minute from T0 with the readings in turn, feeding the state back; every output. */
function run(options: Run): DecisionOutput[] {
  let state = options.state ?? settled(options.count);
  const outputs: DecisionOutput[] = [];
  options.readings.forEach((given, i) => {
    const now = T0 + i * MINUTE;
    const reading =
      typeof given === 'number' ? sample(given, now) : given.kind === 'sample' && Number.isNaN(given.at) ? { ...given, at: now } : given;
    const output = decide({
      snapshot: options.snapshotAt?.(now) ?? idle(options.count, now),
      cluster: cluster(options.count, { max: 20, ...options.cluster }),
      policy: policy(options.policy),
      state,
      now,
      metric: { signal, reading },
    });
    outputs.push(output);
    state = output.state;
  });
  return outputs;
}

const last = (outputs: readonly DecisionOutput[]): DecisionOutput => outputs.at(-1) as DecisionOutput;

describe('the workers a value asks for', () => {
  it('are ceil(value / target per worker)', () => {
    expect([0, 1, 99, 100, 101, 1250].map((value) => workersFor(value, 100))).toEqual([0, 1, 1, 1, 2, 13]);
    expect(workersFor(7, 0.5)).toBe(14);
  });

  it('count a value a rounding error above a multiple as that multiple (0.3 / 0.1 is 3.0000000000000004)', () => {
    expect(workersFor(0.1 * 3, 0.1)).toBe(3);
    expect(workersFor(0.30001, 0.1)).toBe(4);
  });

  it('are read only from one fresh, finite, non-negative number', () => {
    const now = T0;
    const input = (reading: MetricReading) => readMetric({ signal, reading }, now, 2 * MINUTE);
    expect(input(sample(1250, now - MINUTE))).toMatchObject({ value: 1250, wants: 13, problem: undefined });
    expect(input(sample(1250, now - 3 * MINUTE))).toMatchObject({ wants: undefined, problem: { kind: 'stale', at: now - 3 * MINUTE } });
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, -5]) {
      expect(input(sample(value, now))).toMatchObject({ wants: undefined, problem: { kind: 'not-a-count', value } });
    }
    expect(input({ kind: 'empty' })).toMatchObject({ wants: undefined, problem: { kind: 'empty' } });
  });
});

describe('a scale-up from the signal', () => {
  it('comes once it has asked for more workers for scale_up_sustained_time, naming the query, value, target and count', () => {
    const outputs = run({ count: 3, readings: Array(6).fill(1250) });
    for (const early of outputs.slice(0, 5)) expect(early.decision).toMatchObject({ direction: 'hold', rule: { kind: 'no-change' } });
    expect(outputs[2]?.decision.evidence?.metric).toMatchObject({ value: 1250, wants: 13, highSince: T0, sustainedAt: T0 + 5 * MINUTE });
    expect(last(outputs).decision).toMatchObject({
      current: 3,
      desired: 13,
      direction: 'up',
      rule: { kind: 'prometheus-query', query: QUERY, value: 1250, targetPerNode: 100, wants: 13, since: T0 },
    });
    expect(last(outputs).decision.reason).toBe(
      `Prometheus query ${QUERY} at 1250 (100 per worker) has asked for 13 workers or more since 2025-03-01T12:00:00.000Z: 3 → 13`,
    );
  });

  it('asks for the least it asked for over that time: the load that was sustained, not its last peak', () => {
    const outputs = run({ count: 3, readings: [900, 1250, 700, 1800, 1100, 2000] });
    expect(last(outputs).decision).toMatchObject({ desired: 7, rule: { kind: 'prometheus-query', value: 2000, wants: 7 } });
  });

  it('starts the clock again when the signal dips to the count, or cannot be read', () => {
    expect(last(run({ count: 3, readings: [1250, 1250, 1250, 300, 1250, 1250, 1250, 1250, 1250] })).decision.direction).toBe('hold');
    expect(last(run({ count: 3, readings: [1250, 1250, 1250, 1250, 1250, 1250, 1250, 1250, 1250, 1250] })).decision.direction).toBe('up');
    const failing: MetricReading = { kind: 'failed', reason: 'timeout', error: 'Prometheus did not answer' };
    const outputs = run({ count: 3, readings: [1250, 1250, 1250, failing, 1250, 1250, 1250, 1250, 1250] });
    expect(outputs.map((o) => o.decision.direction)).not.toContain('up');
    expect(outputs[3]?.decision.evidence?.metric).toMatchObject({ highSince: undefined, problem: { kind: 'failed', reason: 'timeout' } });
  });

  it('keeps within max and scale_up_max_step, and says which limit cut it short', () => {
    expect(last(run({ count: 3, readings: Array(6).fill(1250), policy: { scaleUpMaxStep: 4 } })).decision).toMatchObject({
      desired: 7,
      limitedBy: { limit: 'max-step', wanted: 13 },
    });
    const capped = last(run({ count: 3, readings: Array(6).fill(1250), cluster: { max: 8 } })).decision;
    expect(capped).toMatchObject({ desired: 8, limitedBy: { limit: 'max', wanted: 13 } });
    expect(capped.reason).toMatch(/: 3 → 8 \(capped at max; 13 wanted\)$/);
  });

  it('waits while nodes a raised count asked for are joining, as utilisation does', () => {
    // The config asks for 5 workers, 3 are Ready: the signal's clock does not run.
    const outputs = run({ count: 5, readings: Array(8).fill(1250), snapshotAt: (at) => idle(3, at) });
    expect(outputs.map((o) => o.decision.rule.kind)).toEqual(Array(8).fill('waiting-for-nodes'));
    expect(last(outputs).decision.evidence?.metric?.highSince).toBeUndefined();
  });

  it('wins when it asks for more nodes than the pending pods; the pods win when they ask for more', () => {
    // Three workers with 1500m of their 2000m taken, and two pods of 1900m: each needs a new worker of its own.
    const pods = [
      ...[0, 1, 2].map((i) => running(`app/web-${i}`, workerName(i), { requests: { cpu: 1500, memory: 2 ** 30, pods: 1 } })),
      ...[0, 1].map((i) => unschedulable(`app/big-${i}`, { requests: { cpu: 1900, memory: 2 ** 30, pods: 1 } })),
    ];
    const withPods = (at: number): ClusterSnapshot => snapshot({ nodes: workers(3), pods, takenAt: at });
    expect(last(run({ count: 3, readings: Array(6).fill(1250), snapshotAt: withPods })).decision).toMatchObject({
      desired: 13,
      rule: { kind: 'prometheus-query' },
    });
    expect(last(run({ count: 3, readings: Array(6).fill(400), snapshotAt: withPods })).decision).toMatchObject({
      desired: 5,
      rule: { kind: 'pending-pods', newNodes: 2 },
    });
  });
});

describe('a scale-down with the signal', () => {
  it('never goes below what the signal asks for, and says the signal keeps the workers', () => {
    const held = last(run({ count: 5, readings: Array(15).fill(480) }));
    expect(held.decision).toMatchObject({ desired: 5, direction: 'hold' });
    expect(held.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'prometheus-floor', query: QUERY, wants: 5 }]);
    expect(held.decision.reason).toBe(`no change needed: stays at 5 (no scale-down: Prometheus query ${QUERY} asks for 5 workers)`);
  });

  it('removes an idle worker once the signal has asked for fewer for scale_down_unneeded_time', () => {
    const outputs = run({ count: 5, readings: Array(11).fill(350) });
    expect(outputs.slice(0, 10).map((o) => o.decision.direction)).toEqual(Array(10).fill('hold'));
    expect(last(outputs).decision).toMatchObject({ desired: 4, rule: { kind: 'unneeded-nodes', nodes: [workerName(4)] } });
  });

  it('starts a node’s unneeded clock again when the signal asked for it meanwhile', () => {
    // Asking for all 5 at minute 6: the node is needed then, so its 10 minutes start after that.
    const readings = [350, 350, 350, 350, 350, 350, 480, ...Array(10).fill(350)];
    const outputs = run({ count: 5, readings });
    expect(outputs.slice(0, 17).map((o) => o.decision.direction)).toEqual(Array(17).fill('hold'));
    expect(last(run({ count: 5, readings: [...readings, 350] })).decision.direction).toBe('down');
  });

  it.each<[string, MetricReading]>([
    [
      'fails',
      { kind: 'failed', reason: 'unreachable', error: 'Prometheus at http://prometheus:9090 cannot be reached: connect ECONNREFUSED' },
    ],
    ['comes back empty', { kind: 'empty' }],
    ['returns several series', { kind: 'several-series', series: 2, labels: ['{pod="a"}', '{pod="b"}'] }],
    ['is not a count', { kind: 'sample', value: Number.NaN, at: Number.NaN }],
  ])('is ruled out while the query %s, and the unneeded clocks start again after it', (_, bad) => {
    const readings: Array<number | MetricReading> = [...Array(12).fill(bad)];
    const outputs = run({ count: 5, readings });
    for (const output of outputs) {
      expect(output.decision.direction).toBe('hold');
      expect(output.decision.evidence?.scaleDown.gates).toContainEqual(
        expect.objectContaining({ kind: 'prometheus-unusable', query: QUERY }),
      );
    }
    expect(last(outputs).state.unneeded).toEqual([]);
    // Readable again: the node must be unneeded for the whole time from now.
    const after = run({ count: 5, readings: Array(11).fill(100), state: last(outputs).state });
    expect(after.slice(0, 10).map((o) => o.decision.direction)).toEqual(Array(10).fill('hold'));
    expect(last(after).decision.direction).toBe('down');
  });

  it('is ruled out by a sample older than metrics_max_age, saying how old', () => {
    const output = last(run({ count: 5, readings: Array(12).fill(sample(100, T0 - 3 * MINUTE)), policy: { metricsMaxAge: 20 * MINUTE } }));
    expect(output.decision.direction).toBe('down');
    const stale = last(run({ count: 5, readings: Array(12).fill(sample(100, T0 - 3 * MINUTE)) }));
    expect(stale.decision.direction).toBe('hold');
    expect(stale.decision.reason).toBe(
      `no change needed: stays at 5 (no scale-down: Prometheus query ${QUERY} cannot be used: ` +
        "the query's sample is from 2025-03-01T11:57:00.000Z, older than metrics_max_age 2m)",
    );
  });

  it('still follows every other rule: a worker whose pods do not fit elsewhere stays, whatever the signal', () => {
    const busy = (at: number): ClusterSnapshot =>
      snapshot({
        nodes: workers(2),
        pods: [0, 1].map((i) => running(`app/web-${i}`, workerName(i), { requests: { cpu: 900, memory: 2 ** 30, pods: 1 } })),
        takenAt: at,
      });
    const output = last(run({ count: 2, readings: Array(12).fill(0), snapshotAt: busy }));
    expect(output.decision.direction).toBe('hold');
  });
});

describe('the evidence', () => {
  it('shows the query in full, its value, the target and the workers it asks for (or why it cannot be used)', () => {
    const fresh = readMetric(
      { signal: { query: 'sum(rate(x{path=~`/api/.*`}[2m]))', targetPerNode: 100 }, reading: sample(1250, T0) },
      T0,
      MINUTE,
    );
    expect(fresh && describeMetricReadout(fresh)).toBe(
      '`` sum(rate(x{path=~`/api/.*`}[2m])) `` = 1250 (target 100 per worker): asks for 13 workers',
    );
    const empty = readMetric({ signal, reading: { kind: 'empty' } }, T0, MINUTE);
    expect(empty && describeMetricReadout(empty)).toBe(
      `\`${QUERY}\` (target 100 per worker): the query returned no series (no data, or a selector that matches nothing)`,
    );
  });
});
