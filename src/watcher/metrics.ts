/**
 * The watcher's Prometheus metrics, in a Registry of its own (two watchers in one process, as in
 * the tests, never share counters): what it decided, the workers it sees, the pending pods, the
 * calls and errors of the two APIs, and how long cycles take and when one last succeeded.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Decision } from '../policy/index.js';

const PREFIX = 'lambdastack_autoscaler_';

export type Api = 'kube' | 'github';

export class WatcherMetrics {
  readonly registry = new Registry();
  readonly decisions = new Counter({
    name: `${PREFIX}decisions_total`,
    help: 'Decisions made, by cluster, the rule that chose the count, and direction (up, down, hold).',
    labelNames: ['cluster', 'rule', 'direction'] as const,
    registers: [this.registry],
  });
  readonly workers = new Gauge({
    name: `${PREFIX}workers`,
    help: 'Workers per cluster: the count the config asks for (current), the count decided (desired), and the Ready workers (ready).',
    labelNames: ['cluster', 'kind'] as const,
    registers: [this.registry],
  });
  readonly pendingPods = new Gauge({
    name: `${PREFIX}pending_pods`,
    help: 'Pods the scheduler marked Unschedulable, per cluster, at the last decision.',
    labelNames: ['cluster'] as const,
    registers: [this.registry],
  });
  readonly driftNodes = new Gauge({
    name: `${PREFIX}drift_nodes`,
    help: 'Workers that have differed from the config for longer than provisioning_timeout, by cluster and kind (missing: a VM the count declares without a Ready node; extra: a node the count does not declare).',
    labelNames: ['cluster', 'kind'] as const,
    registers: [this.registry],
  });
  readonly apiErrors = new Counter({
    name: `${PREFIX}api_errors_total`,
    help: 'Failed API calls by API (kube, github) and kind (transient, refused; for GitHub also the HTTP status class).',
    labelNames: ['api', 'kind'] as const,
    registers: [this.registry],
  });
  readonly githubRequests = new Counter({
    name: `${PREFIX}github_requests_total`,
    help: 'GitHub API calls by method and answer status (304: a conditional read that found no change, free of rate limit).',
    labelNames: ['method', 'status'] as const,
    registers: [this.registry],
  });
  readonly cycleDuration = new Histogram({
    name: `${PREFIX}cycle_duration_seconds`,
    help: 'How long a cycle took (read the config, snapshot, decide, write), by outcome (ok, transient, failed).',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: `${PREFIX}last_successful_cycle_timestamp_seconds`,
    help: 'When the last cycle that did not fail ended (Unix time): alert when it is long ago.',
    registers: [this.registry],
  });

  constructor(options: { processMetrics?: boolean } = {}) {
    // Memory and CPU of the process, which grow with the cluster (the caches hold every pod).
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one decision and the numbers behind it. */
  decided(cluster: string, decision: Decision): void {
    this.decisions.inc({ cluster, rule: decision.rule.kind, direction: decision.direction });
    this.workers.set({ cluster, kind: 'current' }, decision.current);
    this.workers.set({ cluster, kind: 'desired' }, decision.desired);
    const evidence = decision.evidence;
    // A stale snapshot was not read: the last known numbers stay rather than reading as zero.
    if (evidence) {
      this.workers.set({ cluster, kind: 'ready' }, evidence.workers.ready);
      this.pendingPods.set({ cluster }, evidence.pending.unschedulable);
    }
  }

  apiError(api: Api, kind: string): void {
    this.apiErrors.inc({ api, kind });
  }

  async text(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
