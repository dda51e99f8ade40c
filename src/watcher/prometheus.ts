/**
 * The watcher's side of the Prometheus signal: each cycle, the component's query is run at the
 * decision's time (src/prometheus/client.ts), and after the decision its value, the workers it
 * asks for and any query error are exported as metrics. A signal that cannot be used is logged
 * once when it starts failing (and once per new kind of failure), and once when it recovers,
 * not every cycle.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { type Decision, describeMetricProblem, type MetricInput, type MetricProblem, type PrometheusSignal } from '../policy/index.js';
import { instantQuery } from '../prometheus/client.js';
import type { Logger } from './log.js';
import type { WatcherMetrics } from './metrics.js';

/** How long a query may take by default: a cycle must not wait long for one signal among several. */
export const DEFAULT_PROMETHEUS_TIMEOUT_MS = 10_000;

const PREFIX = 'lambdastack_autoscaler_prometheus_';

interface SignalMetrics {
  value: Gauge<'cluster'>;
  wants: Gauge<'cluster'>;
  errors: Counter<'cluster' | 'reason'>;
}

// One set per registry: the watcher's metrics object owns the registry, and a second reader on it
// (a test, a restart in process) must not register the same names twice.
const perRegistry = new WeakMap<Registry, SignalMetrics>();

function signalMetrics(registry: Registry): SignalMetrics {
  const known = perRegistry.get(registry);
  if (known) return known;
  const made: SignalMetrics = {
    value: new Gauge({
      name: `${PREFIX}signal_value`,
      help: "The value of the component's Prometheus query at the last decision; absent while it cannot be used.",
      labelNames: ['cluster'] as const,
      registers: [registry],
    }),
    wants: new Gauge({
      name: `${PREFIX}signal_desired_workers`,
      help: 'The workers the Prometheus query asked for at the last decision, ceil(value / target_per_node); absent while it cannot be used.',
      labelNames: ['cluster'] as const,
      registers: [registry],
    }),
    errors: new Counter({
      name: `${PREFIX}query_errors_total`,
      help: 'Cycles whose Prometheus query could not be used, by reason (timeout, unreachable, http-status, query-error, not-instant, invalid-response, no-url, empty, several-series, not-a-count, stale).',
      labelNames: ['cluster', 'reason'] as const,
      registers: [registry],
    }),
  };
  perRegistry.set(registry, made);
  return made;
}

const reasonOf = (problem: MetricProblem): string => (problem.kind === 'failed' ? problem.reason : problem.kind);

export interface PrometheusSettings {
  /** Prometheus' base URL; undefined when the watcher was given none. */
  url: string | undefined;
  timeoutMs: number;
}

export class PrometheusSignalReader {
  private readonly metrics: SignalMetrics;
  /** The kind of the last problem logged, so a failure is said once. */
  private lastProblem: string | undefined;

  constructor(
    private readonly settings: PrometheusSettings,
    private readonly deps: { log: Logger; metrics: WatcherMetrics; abort: AbortSignal },
  ) {
    this.metrics = signalMetrics(deps.metrics.registry);
  }

  /** What the component's query answered at `time` (ms), or undefined when it names none. */
  async read(signal: PrometheusSignal | undefined, time: number): Promise<MetricInput | undefined> {
    if (!signal) return undefined;
    const { url, timeoutMs } = this.settings;
    if (url === undefined) {
      return {
        signal,
        reading: {
          kind: 'failed',
          reason: 'no-url',
          error: 'the autoscaling document names a Prometheus query, but the watcher has no --prometheus-url (or PROMETHEUS_URL)',
        },
      };
    }
    const started = performance.now();
    const reading = await instantQuery({ url, query: signal.query, time, timeoutMs, signal: this.deps.abort });
    this.deps.log.debug('prometheus query', {
      query: signal.query,
      reading: reading.kind,
      ...(reading.kind === 'sample' ? { value: reading.value, at: new Date(reading.at).toISOString() } : {}),
      ms: Math.round(performance.now() - started),
    });
    return { signal, reading };
  }

  /** Exports what the decision made of the signal, and says when it stops (or starts again) being usable. */
  observe(cluster: string, decision: Decision): void {
    // A stale snapshot decided nothing: the last known numbers stay.
    if (!decision.evidence) return;
    const metric = decision.evidence.metric;
    if (!metric || metric.wants === undefined || metric.value === undefined) {
      this.metrics.value.remove({ cluster });
      this.metrics.wants.remove({ cluster });
    } else {
      this.metrics.value.set({ cluster }, metric.value);
      this.metrics.wants.set({ cluster }, metric.wants);
    }
    const problem = metric?.problem;
    if (problem) this.metrics.errors.inc({ cluster, reason: reasonOf(problem) });
    const kind = problem ? reasonOf(problem) : undefined;
    if (kind !== this.lastProblem) {
      const { log } = this.deps;
      if (problem && metric) {
        log.warn('the Prometheus signal cannot be used: no scale-down until it can', {
          cluster,
          query: metric.query,
          reason: kind,
          problem: describeMetricProblem(problem),
        });
      } else if (this.lastProblem !== undefined && metric) {
        log.info('the Prometheus signal can be used again', { cluster, query: metric.query });
      }
    }
    this.lastProblem = kind;
  }
}
