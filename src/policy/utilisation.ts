/**
 * Utilisation: requested and measured CPU and memory as shares of allocatable, for the worker
 * pool (the scale-up on sustained high utilisation) and for one node (whether it is unneeded).
 */
import type { Capacity, NodeView, UsageView } from './snapshot.js';
import type { ClusterView } from './view.js';
import { sumCapacity } from './view.js';

export type Resource = 'cpu' | 'memory';
export type Measure = 'requests' | 'usage';

/** Shares of allocatable (0..1, more for usage above allocatable); usage is undefined without fresh metrics. */
export interface Ratios {
  cpuRequests: number;
  memoryRequests: number;
  cpuUsage: number | undefined;
  memoryUsage: number | undefined;
}

export interface PoolUtilisation {
  /** Ready, schedulable workers the count keeps. */
  workers: number;
  allocatable: Capacity;
  requested: Capacity;
  /** Measured use; undefined when metrics are missing, stale, or lack one of the workers. */
  used: { cpu: number; memory: number } | undefined;
  /** Undefined when there are no such workers (nothing to measure). */
  ratios: Ratios | undefined;
}

/** One share above (or, for a scale-down, at or above) its threshold. */
export interface Exceeded {
  measure: Measure;
  resource: Resource;
  ratio: number;
  threshold: number;
}

const share = (part: number, whole: number): number => (whole > 0 ? part / whole : part > 0 ? Number.POSITIVE_INFINITY : 0);

/** Fresh usage, or undefined: metrics-server down, or its newest sample older than `maxAge`. */
export function freshUsage(usage: UsageView | undefined, now: number, maxAge: number): UsageView | undefined {
  return usage !== undefined && now - usage.at <= maxAge ? usage : undefined;
}

/** The ratios of a requested and used amount against allocatable. */
export function ratiosOf(allocatable: Capacity, requested: Capacity, used: { cpu: number; memory: number } | undefined): Ratios {
  return {
    cpuRequests: share(requested.cpu, allocatable.cpu),
    memoryRequests: share(requested.memory, allocatable.memory),
    cpuUsage: used === undefined ? undefined : share(used.cpu, allocatable.cpu),
    memoryUsage: used === undefined ? undefined : share(used.memory, allocatable.memory),
  };
}

/** The worker pool's utilisation. */
export function poolUtilisation(view: ClusterView, usage: UsageView | undefined): PoolUtilisation {
  const allocatable = sumCapacity(view.pool.map((row) => (view.nodes[row] as NodeView).allocatable));
  const requested = sumCapacity(view.pool.map((row) => view.requested[row] as Capacity));
  let used: { cpu: number; memory: number } | undefined = usage ? { cpu: 0, memory: 0 } : undefined;
  for (const row of view.pool) {
    const measured = usage?.nodes.get((view.nodes[row] as NodeView).name);
    if (!used || !measured) {
      used = undefined;
      break;
    }
    used.cpu += measured.cpu;
    used.memory += measured.memory;
  }
  return {
    workers: view.pool.length,
    allocatable,
    requested,
    used,
    ratios: view.pool.length > 0 ? ratiosOf(allocatable, requested, used) : undefined,
  };
}

/** The shares above their scale-up thresholds (strictly: a share at the threshold is not high). */
export function highShares(ratios: Ratios | undefined, requestsThreshold: number, usageThreshold: number): Exceeded[] {
  if (!ratios) return [];
  const all: Exceeded[] = [
    { measure: 'requests', resource: 'cpu', ratio: ratios.cpuRequests, threshold: requestsThreshold },
    { measure: 'requests', resource: 'memory', ratio: ratios.memoryRequests, threshold: requestsThreshold },
  ];
  if (ratios.cpuUsage !== undefined) all.push({ measure: 'usage', resource: 'cpu', ratio: ratios.cpuUsage, threshold: usageThreshold });
  if (ratios.memoryUsage !== undefined) {
    all.push({ measure: 'usage', resource: 'memory', ratio: ratios.memoryUsage, threshold: usageThreshold });
  }
  return all.filter((e) => e.ratio > e.threshold);
}

/** The largest of a node's four shares: CA's utilisation (requests), with measured use as well. */
export function nodeUtilisation(ratios: Ratios): number {
  return Math.max(ratios.cpuRequests, ratios.memoryRequests, ratios.cpuUsage ?? 0, ratios.memoryUsage ?? 0);
}

/** Rounds a share to three decimals for samples and evidence (a PR body does not need more). */
export function roundShare(value: number | undefined): number | undefined {
  return value === undefined || !Number.isFinite(value) ? value : Math.round(value * 1000) / 1000;
}
