/**
 * What the engine remembers between cycles. Plain, serialisable data (numbers, strings, arrays):
 * the watcher keeps it in memory, and may write it anywhere as JSON. Node names are kept in arrays
 * rather than as object keys, so a name such as `__proto__` is data like any other.
 */
import type { MetricState } from './metric-signal.js';
import type { Policy } from './settings.js';

/** One cycle's measurements, for the PR body's chart of utilisation and pending pods. */
export interface Sample {
  at: number;
  /** The config count of the worker component. */
  count: number;
  readyWorkers: number;
  /** Pods the scheduler could not place (PodScheduled=False/Unschedulable). */
  pending: number;
  /** Requested share of the workers' allocatable (0..1, three decimals); undefined without workers. */
  cpuRequests: number | undefined;
  memoryRequests: number | undefined;
  /** Measured share of the workers' allocatable; undefined without fresh metrics. */
  cpuUsage: number | undefined;
  memoryUsage: number | undefined;
}

/** A raised count whose nodes are not all Ready yet. */
export interface ChangeInFlight {
  /** The config count that asked for the nodes. */
  count: number;
  /** When the engine first saw nodes missing for this count. */
  since: number;
}

export interface PolicyState {
  version: 1;
  /** The config count seen in the previous cycle; a change tells that a PR was merged (or a hand edit made). */
  lastCount: number | undefined;
  /** The last scale-up decided or seen in the config: no scale-down within the delay after it. */
  lastScaleUpAt: number | undefined;
  /** The last scale-down seen in the config: the unneeded clock starts again after it. */
  lastScaleDownAt: number | undefined;
  /** Since when utilisation has been above a scale-up threshold without a break. */
  highSince: number | undefined;
  /** The nodes a scale-down would remove, with the time each became unneeded (highest index first). */
  unneeded: Array<{ node: string; since: number }>;
  inFlight: ChangeInFlight | undefined;
  /** A bounded ring of recent samples, oldest first. */
  samples: Sample[];
  /** The instant the schedules were last read at (src/policy/schedule.ts scheduleInstant); absent without schedules. */
  scheduleClock?: number | undefined;
  /** The Prometheus signal's scale-up clock (src/policy/metric-signal.ts); absent without one. */
  metric?: MetricState | undefined;
}

/** The state of a watcher that has not decided anything yet. */
export function initialState(): PolicyState {
  return {
    version: 1,
    lastCount: undefined,
    lastScaleUpAt: undefined,
    lastScaleDownAt: undefined,
    highSince: undefined,
    unneeded: [],
    inFlight: undefined,
    samples: [],
  };
}

/** The most samples kept: enough points for a readable chart, few enough to keep the state small. */
export const SAMPLE_LIMIT = 120;

/**
 * The span of time the samples cover: the longest window a decision looks back over (a node is
 * unneeded for a while after a scale-up's delay; utilisation is sustained; nodes are provisioned).
 */
export function sampleWindow(policy: Policy): number {
  return Math.max(policy.scaleDownDelayAfterAdd + policy.scaleDownUnneededTime, policy.scaleUpSustainedTime, policy.provisioningTimeout);
}

const maxOf = (a: number | undefined, b: number | undefined): number | undefined =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/**
 * The samples with `sample` added: older than the window are dropped, and a sample closer than
 * window / SAMPLE_LIMIT to the previous one is merged into it, keeping the peaks (the chart should
 * show the worst of a burst, not whichever cycle happened to be last).
 */
export function recordSample(samples: readonly Sample[], sample: Sample, policy: Policy): Sample[] {
  const window = sampleWindow(policy);
  const kept = samples.filter((s) => s.at >= sample.at - window && s.at <= sample.at);
  const last = kept.at(-1);
  if (last && sample.at - last.at < window / SAMPLE_LIMIT) {
    kept[kept.length - 1] = {
      at: last.at,
      count: sample.count,
      readyWorkers: sample.readyWorkers,
      pending: Math.max(last.pending, sample.pending),
      cpuRequests: maxOf(last.cpuRequests, sample.cpuRequests),
      memoryRequests: maxOf(last.memoryRequests, sample.memoryRequests),
      cpuUsage: maxOf(last.cpuUsage, sample.cpuUsage),
      memoryUsage: maxOf(last.memoryUsage, sample.memoryUsage),
    };
    return kept;
  }
  kept.push(sample);
  return kept.slice(-SAMPLE_LIMIT);
}
