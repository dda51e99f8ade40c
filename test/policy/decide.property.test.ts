// Properties of the decision engine over generated traces: sequences of snapshots of a simulated
// cluster over simulated time (test/policy/world.ts), the state fed back at every step, decisions
// merged as PRs after a lag.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, decide, type Policy } from '../../src/policy/index.js';
import { type App, applyDecision, runTrace, SHAPES, type Step, T0, type Trace, WORLD_TEMPLATE, worldPod } from './world.js';

const MINUTE = 60_000;

/** Replicas that swing between a low and a high level every `period` steps: oscillating load. */
const oscillating = (steps: number): fc.Arbitrary<number[]> =>
  fc
    .record({ low: fc.integer({ min: 0, max: 3 }), high: fc.integer({ min: 0, max: 10 }), period: fc.integer({ min: 1, max: 25 }) })
    .map(({ low, high, period }) => Array.from({ length: steps }, (_, s) => (Math.floor(s / period) % 2 === 0 ? low : high)));

const app = (steps: number): fc.Arbitrary<App> =>
  fc.record(
    {
      shape: fc.integer({ min: 0, max: SHAPES.length - 1 }),
      replicas: fc.oneof(oscillating(steps), fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: steps })),
      // Rare, or they would gate every scale-down (a pod pending forever) or keep every node.
      impossible: fc.constantFrom(false, false, false, false, false, true),
      pinned: fc.constantFrom(false, false, false, true),
      budget: fc.integer({ min: 0, max: 3 }),
    },
    { requiredKeys: ['shape', 'replicas'] },
  );

const duration = (maxMinutes: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: maxMinutes }).map((m) => m * MINUTE);

/** Any valid policy, the defaults among them. */
const policyArb: fc.Arbitrary<Policy> = fc.oneof(
  fc.constant(DEFAULT_POLICY),
  fc.record({
    scaleUpRequestsThreshold: fc.double({ min: 0.5, max: 1, noNaN: true }),
    scaleUpUsageThreshold: fc.double({ min: 0.5, max: 1, noNaN: true }),
    scaleUpSustainedTime: duration(10),
    scaleUpMaxStep: fc.integer({ min: 1, max: 5 }),
    scaleDownUtilizationThreshold: fc.double({ min: 0, max: 0.7, noNaN: true }),
    scaleDownUnneededTime: duration(15),
    scaleDownDelayAfterAdd: duration(15),
    scaleDownMaxStep: fc.integer({ min: 1, max: 4 }),
    provisioningTimeout: duration(20),
    metricsMaxAge: fc.integer({ min: 1, max: 5 }).map((m) => m * MINUTE),
  }),
);

const stepsOf = (steps: number, rate: number): fc.Arbitrary<Set<number>> =>
  fc
    .array(fc.boolean(), { minLength: steps, maxLength: steps })
    .map((hits) => new Set(hits.flatMap((hit, s) => (hit && s % rate === 0 ? [s] : []))));

const traceArb: fc.Arbitrary<Trace> = fc.integer({ min: 20, max: 100 }).chain((steps) =>
  fc
    .record({
      min: fc.integer({ min: 0, max: 3 }),
      span: fc.integer({ min: 0, max: 12 }),
      start: fc.double({ min: 0, max: 1, noNaN: true }),
      policy: policyArb,
      stepMs: fc.constantFrom(30_000, MINUTE, 2 * MINUTE),
      apps: fc.array(app(steps), { minLength: 1, maxLength: 3 }),
      usageFactor: fc.array(fc.double({ min: 0.1, max: 1.2, noNaN: true }), { minLength: 1, maxLength: steps }),
      metricsDown: stepsOf(steps, 7),
      metricsOld: stepsOf(steps, 11),
      metricsGap: stepsOf(steps, 5),
      stale: stepsOf(steps, 13),
      mergeLag: fc.integer({ min: 0, max: 4 }),
      // Now and then the nodes never join (a broken apply).
      calm: fc.boolean(),
      provisionLag: fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 12 }) },
        { weight: 1, arbitrary: fc.constant(Number.POSITIVE_INFINITY) },
      ),
    })
    .map(({ min, span, start, calm, ...rest }) => {
      const trace: Trace = { ...rest, min, max: min + span, initialCount: min + Math.round(start * span), steps };
      // Half the traces are calm: nothing fails and every pod can run somewhere, so scale-downs
      // happen often enough for the properties about them to be tested, not merely pass.
      if (!calm) return trace;
      const none = new Set<number>();
      return {
        ...trace,
        apps: trace.apps.map((a) => ({ ...a, impossible: false })),
        metricsDown: none,
        metricsOld: none,
        metricsGap: none,
        stale: none,
        provisionLag: Math.min(trace.provisionLag, 3),
      };
    }),
);

const RUNS = { numRuns: 150 };

const pendingIn = (step: Step): number => step.snapshot.pods.filter((p) => p.nodeName === undefined && p.phase === 'Pending').length;

describe('over generated traces', () => {
  it('the bounds are never violated', () => {
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

  it('no flapping: a scale-down never comes within scale_down_delay_after_add of a scale-up, under oscillating load', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        let lastUp: number | undefined;
        for (const step of runTrace(trace)) {
          const { direction } = step.output.decision;
          if (direction === 'up' || step.count > (step.stateBefore.lastCount ?? step.count)) lastUp = step.now;
          if (direction === 'down' && lastUp !== undefined) {
            expect(step.now - lastUp).toBeGreaterThanOrEqual(trace.policy.scaleDownDelayAfterAdd);
          }
        }
      }),
      RUNS,
    );
  });

  it('never a scale-down with pending pods, with missing, partial or stale metrics, or from a stale snapshot', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          if (step.output.decision.direction !== 'down') continue;
          expect(pendingIn(step)).toBe(0);
          expect(step.snapshot.stale).toBe(false);
          expect(step.snapshot.usage).toBeDefined();
          expect(step.now - (step.snapshot.usage?.at ?? 0)).toBeLessThanOrEqual(trace.policy.metricsMaxAge);
          for (const node of step.snapshot.nodes)
            if (node.worker && node.ready) expect(step.snapshot.usage?.nodes.has(node.name)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it('a stale snapshot gives nothing but hold', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          if (step.snapshot.stale) expect(step.output.decision).toMatchObject({ direction: 'hold', rule: { kind: 'stale-snapshot' } });
        }
      }),
      RUNS,
    );
  });

  it('more pending pods never give fewer nodes', () => {
    const extra = fc.array(fc.record({ shape: fc.integer({ min: 0, max: SHAPES.length - 1 }), unschedulable: fc.boolean() }), {
      minLength: 1,
      maxLength: 12,
    });
    fc.assert(
      fc.property(traceArb, fc.nat(), extra, (trace, pick, added) => {
        const steps = runTrace(trace);
        const step = steps[pick % steps.length] as Step;
        const more = added.map((p, i) =>
          worldPod(`extra/pod-${i}`, SHAPES[p.shape] ?? (SHAPES[0] as never), {
            phase: 'Pending',
            unschedulable: p.unschedulable,
            unschedulableSince: p.unschedulable ? step.now : undefined,
          }),
        );
        const input = { state: step.stateBefore, policy: trace.policy, cluster: step.cluster, now: step.now };
        const withMore = decide({ ...input, snapshot: { ...step.snapshot, pods: [...step.snapshot.pods, ...more] } });
        expect(withMore.decision.desired).toBeGreaterThanOrEqual(step.output.decision.desired);
      }),
      RUNS,
    );
  });

  it('deciding again on the cluster a decision leaves (merged and applied) changes nothing', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          const { decision, state } = step.output;
          // A change cut short by a limit leaves work for the next change, by design.
          if (decision.direction === 'hold' || decision.limitedBy) continue;
          const applied = applyDecision(step.snapshot, decision, WORLD_TEMPLATE);
          const again = decide({
            snapshot: applied,
            state,
            policy: trace.policy,
            cluster: { ...step.cluster, count: decision.desired },
            now: step.now,
          });
          expect(again.decision, `after ${decision.reason}`).toMatchObject({ desired: decision.desired, direction: 'hold' });
        }
      }),
      RUNS,
    );
  });

  it('never a second scale-up for pods a change in flight already covers, before or after the provisioning timeout', () => {
    fc.assert(
      fc.property(traceArb, fc.integer({ min: 1, max: 40 }), (trace, cycles) => {
        const unlimited = { ...trace, max: trace.min + 50, policy: { ...trace.policy, scaleUpMaxStep: 50 } };
        for (const step of runTrace(unlimited)) {
          const { decision, state } = step.output;
          if (decision.direction !== 'up' || decision.rule.kind !== 'pending-pods') continue;
          // Merged, but the nodes never join: the same pods stay pending for the next cycles.
          let carried = state;
          for (let c = 1; c <= cycles; c++) {
            const now = step.now + c * MINUTE;
            const snapshot = { ...step.snapshot, takenAt: now, usage: step.snapshot.usage && { ...step.snapshot.usage, at: now } };
            const next = decide({
              snapshot,
              state: carried,
              policy: unlimited.policy,
              cluster: { ...step.cluster, count: decision.desired, max: unlimited.max },
              now,
            });
            expect(next.decision.direction, next.decision.reason).not.toBe('up');
            carried = next.state;
          }
          return;
        }
      }),
      { numRuns: 100 },
    );
  });
});

describe('the world the properties run in', () => {
  it('makes every rule fire somewhere (so the properties are not vacuous)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) seen.add(step.output.decision.rule.kind);
      }),
      { numRuns: 150, seed: 42 },
    );
    expect([...seen].sort()).toEqual(
      expect.arrayContaining([
        'high-utilisation',
        'no-change',
        'pending-pods',
        'provisioning-timeout',
        'stale-snapshot',
        'unneeded-nodes',
        'waiting-for-nodes',
      ]),
    );
  });

  it('starts at T0', () => {
    expect(runTrace({ ...sampleTrace(), steps: 1 })[0]?.now).toBe(T0);
  });
});

function sampleTrace(): Trace {
  return {
    min: 1,
    max: 5,
    initialCount: 2,
    policy: DEFAULT_POLICY,
    stepMs: MINUTE,
    apps: [{ shape: 1, replicas: [2] }],
    usageFactor: [0.5],
    metricsDown: new Set(),
    metricsOld: new Set(),
    metricsGap: new Set(),
    stale: new Set(),
    mergeLag: 0,
    provisionLag: 0,
    steps: 5,
  };
}
