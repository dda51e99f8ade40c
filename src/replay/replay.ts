/**
 * What-if replay: the real decision engine (src/policy `decide`) run over a recording, once per
 * policy, each in its own world (./world.ts) where its decisions merge and are applied. Time is the
 * recording's: each cycle is decided at its own timestamp, so windows and timeouts run as they
 * did. Pure and deterministic: the same cycles and policies give the same result, whatever the
 * machine or the hour.
 *
 * Node-hours are Ready workers × hours: each cycle's Ready workers count until the next cycle, the
 * last one for the usual interval (the median gap between cycles).
 */
import {
  decide,
  initialState,
  type Policy,
  type PolicyState,
  type PrometheusSignal,
  type RuleKind,
  type Schedule,
  workerTemplate,
} from '../policy/index.js';
import type { MetricInput } from '../policy/metric-signal.js';
import type { RecordedCycle } from '../record/format.js';
import { applyCount, startWorld, type World, worldSnapshot } from './world.js';

/** A policy to replay: the settings and bounds of a config's autoscaling entry. */
export interface ReplayPolicy {
  /** How the report names it (`A`, `B`, `before`…). */
  label: string;
  /** Where it was read from. */
  source: string;
  policy: Policy;
  min: number;
  max: number;
  /** The worker VM size of that config (a new worker's allocatable when none is Ready); the recording's otherwise. */
  vmSize: string | undefined;
  /**
   * Its Prometheus signal. The recording holds what the watcher's query answered, so a signal with
   * the same query is replayed with its own `target_per_node`; another query was never run, and
   * is replayed without (with a note).
   */
  prometheus: PrometheusSignal | undefined;
  /** Its time windows that raise `min` for their span (decided at the recording's times). */
  schedules: readonly Schedule[];
}

export interface ReplaySettings {
  /** From a merged change to its nodes joining or leaving. */
  applyDelayMs: number;
}

/** The count at one cycle: the config count after the cycle's decision, and the Ready workers it was decided on. */
export interface ReplayPoint {
  at: number;
  count: number;
  ready: number;
}

/** A PR the policy would have opened (and, in the replay, merged at once). */
export interface ReplayPr {
  at: number;
  from: number;
  to: number;
  rule: RuleKind;
  reason: string;
}

export interface ReplayRun {
  label: string;
  source: string;
  policy: Policy;
  min: number;
  max: number;
  points: ReplayPoint[];
  prs: ReplayPr[];
  nodeHours: number;
  /** What the replay of this policy could not do as the policy says. */
  notes: string[];
}

export interface ReplayResult {
  cluster: string;
  /** The first and last cycle's times. */
  start: number;
  end: number;
  cycles: number;
  /** The median gap between cycles (0 with one cycle). */
  intervalMs: number;
  settings: ReplaySettings;
  /** What the recording shows: the config count and Ready workers as they were. */
  recorded: { points: ReplayPoint[]; nodeHours: number };
  runs: ReplayRun[];
}

const HOUR = 3_600_000;

interface RunState {
  spec: ReplayPolicy;
  world: World | undefined;
  state: PolicyState;
  points: ReplayPoint[];
  prs: ReplayPr[];
  readyMs: number;
  /** Cycles whose recording had no answer for this policy's Prometheus query. */
  unanswered: number;
  otherQuery: string | undefined;
}

const readyWorkers = (nodes: RecordedCycle['snapshot']['nodes']): number => nodes.filter((node) => node.worker && node.ready).length;

/** A replay fed one cycle at a time (a long recording is read and decoded as it goes). */
export class Replay {
  private readonly runs: RunState[];
  private readonly recorded: ReplayPoint[] = [];
  private readonly gaps: number[] = [];
  private cluster: string | undefined;
  private recordedReadyMs = 0;

  constructor(
    policies: readonly ReplayPolicy[],
    private readonly settings: ReplaySettings,
  ) {
    this.runs = policies.map((spec) => ({
      spec,
      world: undefined,
      state: initialState(),
      points: [],
      prs: [],
      readyMs: 0,
      unanswered: 0,
      otherQuery: undefined,
    }));
  }

  step(cycle: RecordedCycle): void {
    const previous = this.recorded.at(-1);
    if (previous && cycle.at <= previous.at) throw new Error('replay: cycles must come in time order');
    if (previous) {
      const gap = cycle.at - previous.at;
      this.gaps.push(gap);
      this.recordedReadyMs += previous.ready * gap;
      for (const run of this.runs) run.readyMs += (run.points.at(-1)?.ready ?? 0) * gap;
    }
    this.cluster ??= cycle.cluster;
    this.recorded.push({ at: cycle.at, count: cycle.count, ready: readyWorkers(cycle.snapshot.nodes) });
    for (const run of this.runs) this.stepRun(run, cycle);
  }

  private stepRun(run: RunState, cycle: RecordedCycle): void {
    const { spec } = run;
    const delay = this.settings.applyDelayMs;
    const world = run.world ?? startWorld(cycle, delay);
    const snapshot = worldSnapshot(world, cycle, spec.vmSize ?? cycle.vmSize);
    const { decision, state } = decide({
      snapshot,
      state: run.state,
      policy: spec.policy,
      cluster: {
        count: world.count,
        min: spec.min,
        max: spec.max,
        template: workerTemplate(snapshot, spec.vmSize ?? cycle.vmSize),
        schedules: spec.schedules,
      },
      now: cycle.at,
      metric: this.metricOf(run, cycle),
    });
    run.state = state;
    run.world = world;
    if (decision.desired !== world.count) {
      run.prs.push({ at: cycle.at, from: world.count, to: decision.desired, rule: decision.rule.kind, reason: decision.reason });
      run.world = applyCount(world, cycle.at, decision.desired, delay);
    }
    run.points.push({ at: cycle.at, count: run.world.count, ready: readyWorkers(snapshot.nodes) });
  }

  /** The recorded answer to this policy's query, when the watcher ran that query. */
  private metricOf(run: RunState, cycle: RecordedCycle): MetricInput | undefined {
    const signal = run.spec.prometheus;
    if (!signal) return undefined;
    if (cycle.prometheus?.query === signal.query) return { signal, reading: cycle.prometheus.reading };
    run.unanswered++;
    run.otherQuery ??= cycle.prometheus?.query;
    return undefined;
  }

  result(): ReplayResult {
    const first = this.recorded[0];
    const last = this.recorded.at(-1);
    if (!first || !last || this.cluster === undefined) throw new Error('replay: no cycles');
    const sorted = [...this.gaps].sort((a, b) => a - b);
    const intervalMs = sorted.length === 0 ? 0 : (sorted[Math.floor((sorted.length - 1) / 2)] as number);
    const hours = (readyMs: number, lastReady: number): number => (readyMs + lastReady * intervalMs) / HOUR;
    return {
      cluster: this.cluster,
      start: first.at,
      end: last.at,
      cycles: this.recorded.length,
      intervalMs,
      settings: { ...this.settings },
      recorded: { points: this.recorded, nodeHours: hours(this.recordedReadyMs, last.ready) },
      runs: this.runs.map((run) => ({
        label: run.spec.label,
        source: run.spec.source,
        policy: run.spec.policy,
        min: run.spec.min,
        max: run.spec.max,
        points: run.points,
        prs: run.prs,
        nodeHours: hours(run.readyMs, run.points.at(-1)?.ready ?? 0),
        notes:
          run.unanswered === 0
            ? []
            : [
                `its Prometheus query was not recorded in ${run.unanswered} of ${run.points.length} cycles` +
                  `${run.otherQuery === undefined ? '' : ` (the watcher ran ${JSON.stringify(run.otherQuery)})`}: those were replayed without the signal`,
              ],
      })),
    };
  }
}

/** Replays `cycles` under each policy. */
export function replay(cycles: Iterable<RecordedCycle>, policies: readonly ReplayPolicy[], settings: ReplaySettings): ReplayResult {
  const run = new Replay(policies, settings);
  for (const cycle of cycles) run.step(cycle);
  return run.result();
}
