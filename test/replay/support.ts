// Recordings of a business day for the replay tests: the policy tests' small simulated cluster
// (test/policy/world.ts) with one app at 2 replicas, 14 for two hours, then 6, then 2 again,
// recorded once a minute as the watcher records, and read back through the format.
import { DEFAULT_POLICY, type Policy } from '../../src/policy/index.js';
import { decodeLine, type RecordedCycle, type RecordLine, recordLineSchema } from '../../src/record/format.js';
import type { ReplayPolicy } from '../../src/replay/replay.js';
import { runTrace, type Trace } from '../policy/world.js';
import { MINUTE, recordStep } from '../record/traces.js';

export { MINUTE };

/** Eight hours, one cycle a minute. */
export function businessDay(): Trace {
  const steps = 8 * 60;
  const replicas = (s: number): number => (s < 60 ? 2 : s < 180 ? 14 : s < 300 ? 6 : 2);
  const none = new Set<number>();
  return {
    min: 2,
    max: 10,
    initialCount: 3,
    policy: DEFAULT_POLICY,
    stepMs: MINUTE,
    apps: [{ shape: 1, replicas: Array.from({ length: steps }, (_, s) => replicas(s)) }],
    usageFactor: [0.6],
    metricsDown: none,
    metricsOld: none,
    metricsGap: none,
    stale: none,
    mergeLag: 2,
    provisionLag: 5,
    steps,
  };
}

/** A line as the reader takes it: through JSON and the schema. */
export function readLine(line: RecordLine): RecordedCycle {
  const cycle = decodeLine(recordLineSchema.parse(JSON.parse(JSON.stringify(line))));
  if (typeof cycle === 'string') throw new Error(cycle);
  return cycle;
}

export function recordedLines(trace: Trace): RecordLine[] {
  return runTrace(trace).map((step) => recordStep(step));
}

export function recordedCycles(trace: Trace): RecordedCycle[] {
  return recordedLines(trace).map(readLine);
}

export function policy(label: string, settings: Partial<Policy> = {}, bounds = { min: 2, max: 10 }): ReplayPolicy {
  return {
    label,
    source: `${label.toLowerCase()}.yml`,
    policy: { ...DEFAULT_POLICY, ...settings },
    ...bounds,
    vmSize: undefined,
    prometheus: undefined,
    schedules: [],
  };
}

/** The business day's two policies: the defaults, and a patient one that removes nodes after an hour, three at a time. */
export const DEFAULTS = policy('A');
export const PATIENT = policy('B', { scaleDownUnneededTime: 60 * MINUTE, scaleDownMaxStep: 3 });
