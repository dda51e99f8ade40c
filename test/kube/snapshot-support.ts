import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type V1Node, type V1Pod, type V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { Timer, TimerHandle } from '../../src/kube/backoff.js';
import { budgetEntry, type CacheEntry, nodeEntry, podEntry } from '../../src/kube/cache-entries.js';
import type { EntryCache, SnapshotCaches } from '../../src/kube/snapshot.js';
import type { ReaderEvent, SnapshotReader } from '../../src/kube/snapshot-reader.js';
import type { SimCluster } from '../../src/sim/kube/index.js';
import { kubeconfigYaml } from '../../src/sim/kube/kubeconfig.js';
import { createKubeServer } from '../../src/sim/kube/server.js';

/** An informer cache in memory: what the snapshot reads of client-node's ObjectCache. */
export function memoryCache<V>(entries: ReadonlyArray<CacheEntry<V>>): EntryCache<V> {
  return { list: () => entries };
}

/** Caches holding these objects, each turned into its entry as an informer would. */
export function cachesOf(objects: { nodes?: V1Node[]; pods?: V1Pod[]; budgets?: V1PodDisruptionBudget[] }): SnapshotCaches {
  return {
    nodes: memoryCache((objects.nodes ?? []).map(nodeEntry)),
    pods: memoryCache((objects.pods ?? []).map(podEntry)),
    budgets: memoryCache((objects.budgets ?? []).map(budgetEntry)),
  };
}

/**
 * A clock that stands still and timers that fire only when the test says, so backoff delays are
 * exact and nothing races the CPU.
 */
export class ManualTimer implements Timer {
  private time: number;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.seq++;
    this.pending.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending.delete(handle as number);
  }

  /** Delays of the pending timers from now, soonest first. */
  get delays(): number[] {
    return [...this.pending.values()].map((t) => t.at - this.time).sort((a, b) => a - b);
  }

  /** Moves the clock to the soonest pending timer and fires every timer due then; false when none is pending. */
  fireNext(): boolean {
    const next = Math.min(...[...this.pending.values()].map((t) => t.at));
    if (!Number.isFinite(next)) return false;
    this.advance(Math.max(0, next - this.time));
    return true;
  }

  /** Moves the clock on by `ms` and fires the timers due by then, in the order they were set. */
  advance(ms: number): void {
    this.time += ms;
    for (const [id, timer] of [...this.pending].sort(([a], [b]) => a - b)) {
      if (timer.at > this.time) continue;
      this.pending.delete(id);
      timer.callback();
    }
  }
}

/**
 * Resolves once `check` holds, testing it now and after every reader event; fails after
 * `timeoutMs` (a deadline for a broken test, not a wait the test relies on).
 */
export function until(reader: SnapshotReader, what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check()) {
      resolve();
      return;
    }
    const deadline = setTimeout(() => {
      unsubscribe();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const unsubscribe = reader.subscribe(() => {
      if (!check()) return;
      clearTimeout(deadline);
      unsubscribe();
      resolve();
    });
  });
}

/** Collects a reader's events of some types, in order. */
export function record(reader: SnapshotReader, types: ReaderEvent['type'][]): ReaderEvent[] {
  const events: ReaderEvent[] = [];
  reader.subscribe((event) => {
    if (types.includes(event.type)) events.push(event);
  });
  return events;
}

/**
 * An API server process over a simulated cluster's storage, that a test can stop and start again
 * on the same port while the cluster (etcd, as it were) lives on: what an API server restart is.
 */
export class ApiFront {
  private server: Server | undefined;
  port = 0;
  /** Requests served, one line each (method, path, status, time). */
  readonly log: string[] = [];

  constructor(private readonly cluster: SimCluster) {}

  async start(): Promise<void> {
    const { server } = createKubeServer({ cluster: this.cluster, log: (line) => this.log.push(line) });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops as a crashed process does: every connection cut, watches included. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfigYaml(`http://127.0.0.1:${this.port}`, 'front'));
    return kc;
  }

  /** List requests (not watches) for a path such as `/api/v1/pods`. */
  lists(path: string): number {
    return this.log
      .filter((line) => line.startsWith(`GET ${path}?`) || line.startsWith(`GET ${path} `))
      .filter((line) => !line.includes('watch=true')).length;
  }
}
