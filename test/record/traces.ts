// Recordings for the tests: generated traces of the policy tests' small simulated cluster
// (test/policy/world.ts), each step encoded as the watcher records a cycle.
import fc from 'fast-check';
import { DEFAULT_POLICY, type Policy } from '../../src/policy/index.js';
import { encodeCycle, type RecordLine } from '../../src/record/format.js';
import { type App, runTrace, SHAPES, type Step, type Trace } from '../policy/world.js';

export const MINUTE = 60_000;

const app = (steps: number): fc.Arbitrary<App> =>
  fc.record(
    {
      shape: fc.integer({ min: 0, max: SHAPES.length - 1 }),
      replicas: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: steps }),
      impossible: fc.constantFrom(false, false, false, false, true),
      pinned: fc.constantFrom(false, false, false, true),
      budget: fc.integer({ min: 0, max: 3 }),
    },
    { requiredKeys: ['shape', 'replicas'] },
  );

const stepsOf = (steps: number, rate: number): fc.Arbitrary<Set<number>> =>
  fc
    .array(fc.boolean(), { minLength: steps, maxLength: steps })
    .map((hits) => new Set(hits.flatMap((hit, s) => (hit && s % rate === 0 ? [s] : []))));

/** A policy with short windows, so things happen within a short trace. */
export const policyArb: fc.Arbitrary<Policy> = fc.oneof(
  fc.constant(DEFAULT_POLICY),
  fc.record({
    scaleUpRequestsThreshold: fc.double({ min: 0.5, max: 1, noNaN: true }),
    scaleUpUsageThreshold: fc.double({ min: 0.5, max: 1, noNaN: true }),
    scaleUpSustainedTime: fc.integer({ min: 0, max: 10 }).map((m) => m * MINUTE),
    scaleUpMaxStep: fc.integer({ min: 1, max: 5 }),
    scaleDownUtilizationThreshold: fc.double({ min: 0, max: 0.7, noNaN: true }),
    scaleDownUnneededTime: fc.integer({ min: 0, max: 15 }).map((m) => m * MINUTE),
    scaleDownDelayAfterAdd: fc.integer({ min: 0, max: 15 }).map((m) => m * MINUTE),
    scaleDownMaxStep: fc.integer({ min: 1, max: 4 }),
    provisioningTimeout: fc.integer({ min: 0, max: 20 }).map((m) => m * MINUTE),
    metricsMaxAge: fc.integer({ min: 1, max: 5 }).map((m) => m * MINUTE),
  }),
);

export const traceArb: fc.Arbitrary<Trace> = fc.integer({ min: 5, max: 40 }).chain((steps) =>
  fc
    .record({
      min: fc.integer({ min: 0, max: 3 }),
      span: fc.integer({ min: 0, max: 8 }),
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
      provisionLag: fc.integer({ min: 0, max: 8 }),
    })
    .map(({ min, span, start, ...rest }) => ({ ...rest, min, max: min + span, initialCount: min + Math.round(start * span), steps })),
);

/** A step of a trace as the watcher would have recorded it. */
export function recordStep(step: Step, podNames = false): RecordLine {
  return encodeCycle({
    at: step.now,
    config: { cluster: 'shop', prefix: 'demo', count: step.count, min: step.cluster.min, max: step.cluster.max, vmSize: 't3.medium' },
    snapshot: step.snapshot,
    podNames,
  });
}

/** The recording of a whole trace, as the text of one file. */
export function recordingText(trace: Trace): string {
  return runTrace(trace)
    .map((step) => `${JSON.stringify(recordStep(step))}\n`)
    .join('');
}
