/**
 * Node usage from metrics.k8s.io, polled once per snapshot through client-node's Metrics API.
 * metrics-server is an aggregated API that is often down or absent (404, 503), and a decision must
 * not depend on it being up: any failure gives `undefined` (which rules out a scale-down) and is
 * kept as `lastError` for the watcher to report, never thrown.
 */
import { type KubeConfig, Metrics, type NodeMetricsList } from '@kubernetes/client-node';
import type { TransientError, UserError } from '../errors.js';
import type { UsageView } from '../policy/snapshot.js';
import { kubeFailure } from './api-errors.js';
import type { Timer } from './backoff.js';
import { cpuMillis, memoryBytes } from './quantity.js';

const NODE_METRICS = { resource: 'nodes', group: 'metrics.k8s.io' };

/**
 * The samples of a NodeMetricsList. Nodes whose usage cannot be read are left out; a list with no
 * readable sample is no usage at all, since zero usage everywhere would look like an idle cluster.
 */
export function usageFromNodeMetrics(list: Pick<NodeMetricsList, 'items'>): UsageView | undefined {
  const nodes = new Map<string, { cpu: number; memory: number }>();
  let at = Number.NEGATIVE_INFINITY;
  for (const item of list.items ?? []) {
    const cpu = cpuMillis(item.usage?.cpu ?? '');
    const memory = memoryBytes(item.usage?.memory ?? '');
    const taken = Date.parse(item.timestamp);
    if (!item.metadata?.name || cpu === undefined || memory === undefined || Number.isNaN(taken)) continue;
    nodes.set(item.metadata.name, { cpu, memory });
    at = Math.max(at, taken);
  }
  return nodes.size === 0 ? undefined : { at, nodes };
}

export class NodeUsageClient {
  private readonly metrics: Metrics;
  /** Why the last poll gave no usage; undefined after one that did. */
  lastError: TransientError | UserError | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly timer: Timer,
    /** A metrics-server that does not answer in this long counts as down (client-node's Metrics has no timeout of its own). */
    private readonly timeoutMs = 10_000,
  ) {
    this.metrics = new Metrics(kubeConfig);
  }

  async read(): Promise<UsageView | undefined> {
    let handle: unknown;
    const timeout = new Promise<never>((_, reject) => {
      handle = this.timer.setTimeout(() => reject(new Error(`no answer in ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    const request = this.metrics.getNodeMetrics();
    // A request that loses the race still settles later; its failure is of no interest then.
    request.catch(() => {});
    try {
      const usage = usageFromNodeMetrics(await Promise.race([request, timeout]));
      this.lastError = usage ? undefined : kubeFailure(new Error('metrics-server returned no readable node samples'), 'list', NODE_METRICS);
      return usage;
    } catch (error) {
      this.lastError = kubeFailure(error, 'list', NODE_METRICS);
      return undefined;
    } finally {
      this.timer.clearTimeout(handle);
    }
  }
}
