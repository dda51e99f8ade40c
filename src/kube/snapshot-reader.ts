/**
 * The cluster reader the watcher runs: three supervised informers (nodes, pods,
 * PodDisruptionBudgets) that list once and then watch, and a metrics.k8s.io poll per snapshot.
 *
 * ```ts
 * const reader = new SnapshotReader(loadKubeConfig(), { workers: { cluster: { name, prefix } } });
 * await reader.start();                 // first lists done (or failed: then restarts are under way)
 * const snapshot = await reader.snapshot(); // each cycle: caches as they are + one metrics GET
 * reader.health();                      // stale?, each informer's error and next retry, metrics error
 * await reader.stop();
 * ```
 */
import {
  CoreV1Api,
  type KubeConfig,
  type KubernetesObject,
  PolicyV1Api,
  type V1Node,
  type V1Pod,
  type V1PodDisruptionBudget,
} from '@kubernetes/client-node';
import type { TransientError, UserError } from '../errors.js';
import type { ClusterSnapshot } from '../policy/snapshot.js';
import { type BackoffPolicy, DEFAULT_BACKOFF, systemTimer, type Timer } from './backoff.js';
import { type BudgetFacts, budgetEntry, type NodeFacts, nodeEntry, type PodFacts, podEntry } from './cache-entries.js';
import { type InformerListener, type InformerOptions, type InformerStatus, type ResourceKind, SupervisedInformer } from './informers.js';
import { NodeUsageClient } from './metrics-client.js';
import { buildSnapshot, type SnapshotCaches, type WorkerMatcher, type WorkerRule, workerMatcher } from './snapshot.js';

export interface SnapshotReaderOptions {
  /** Which nodes are workers (the naming rule, or a label selector). */
  workers: WorkerRule;
  /** Clock and timers for restarts, reconnects and the metrics timeout (tests inject one they drive). */
  timer?: Timer;
  /** Jitter source, in [0, 1) (default Math.random). */
  random?: () => number;
  /** Restart backoff (default: 1 s doubling to 30 s, 20% jitter, reset after a healthy minute). */
  backoff?: Partial<BackoffPolicy>;
  /** Objects per list page (default 500). */
  pageSize?: number;
  /** How long a metrics.k8s.io poll may take before usage counts as unavailable (default 10 s). */
  metricsTimeoutMs?: number;
}

export type ReaderEvent =
  | { type: 'synced'; resource: string }
  | { type: 'failed'; resource: string; error: TransientError | UserError; retryInMs: number }
  | {
      type: 'changed';
      resource: string;
      /** For a pod: its key, and whether it is now waiting for a node the scheduler could not find (gone: false). */
      pod?: { key: string; unschedulable: boolean };
    };

export interface ReaderHealth {
  /** Some cache is not complete and current: snapshots say `stale: true`. */
  stale: boolean;
  informers: InformerStatus[];
  /** Why the last snapshot had no usage (undefined when it had). */
  metricsError: TransientError | UserError | undefined;
}

type Informers = {
  nodes: SupervisedInformer<V1Node, NodeFacts>;
  pods: SupervisedInformer<V1Pod, PodFacts>;
  budgets: SupervisedInformer<V1PodDisruptionBudget, BudgetFacts>;
};

function resourceKinds(kubeConfig: KubeConfig): {
  nodes: ResourceKind<V1Node, NodeFacts>;
  pods: ResourceKind<V1Pod, PodFacts>;
  budgets: ResourceKind<V1PodDisruptionBudget, BudgetFacts>;
} {
  const core = kubeConfig.makeApiClient(CoreV1Api);
  const policy = kubeConfig.makeApiClient(PolicyV1Api);
  return {
    nodes: { target: { resource: 'nodes', group: '' }, path: '/api/v1/nodes', listPage: (page) => core.listNode(page), toEntry: nodeEntry },
    pods: {
      target: { resource: 'pods', group: '' },
      path: '/api/v1/pods',
      listPage: (page) => core.listPodForAllNamespaces(page),
      toEntry: podEntry,
    },
    budgets: {
      target: { resource: 'poddisruptionbudgets', group: 'policy' },
      path: '/apis/policy/v1/poddisruptionbudgets',
      listPage: (page) => policy.listPodDisruptionBudgetForAllNamespaces(page),
      toEntry: budgetEntry,
    },
  };
}

export class SnapshotReader {
  private readonly informers: Informers;
  private readonly usage: NodeUsageClient;
  private readonly workers: WorkerMatcher;
  private readonly timer: Timer;
  private readonly listeners = new Set<(event: ReaderEvent) => void>();
  private running = false;

  /** Throws a UserError for a worker rule that cannot be used (neither part given, or a selector that does not parse). */
  constructor(kubeConfig: KubeConfig, options: SnapshotReaderOptions) {
    this.workers = workerMatcher(options.workers);
    this.timer = options.timer ?? systemTimer;
    this.usage = new NodeUsageClient(kubeConfig, this.timer, options.metricsTimeoutMs);
    const kinds = resourceKinds(kubeConfig);
    const informerOptions = (resource: string): InformerOptions => ({
      timer: this.timer,
      random: options.random ?? Math.random,
      backoff: { ...DEFAULT_BACKOFF, ...(options.backoff ?? {}) },
      pageSize: options.pageSize ?? 500,
      listener: this.listenerFor(resource),
    });
    this.informers = {
      nodes: new SupervisedInformer(kubeConfig, kinds.nodes, informerOptions('nodes')),
      pods: new SupervisedInformer(kubeConfig, kinds.pods, informerOptions('pods')),
      budgets: new SupervisedInformer(kubeConfig, kinds.budgets, informerOptions('poddisruptionbudgets')),
    };
  }

  /** The informers' caches, as `buildSnapshot` reads them. */
  get caches(): SnapshotCaches {
    return this.informers;
  }

  /** Some informer has not listed yet, is re-listing, or is restarting after a failure. */
  get stale(): boolean {
    return !this.all().every((informer) => informer.synced);
  }

  /**
   * Starts the informers. Resolves when each has listed and is watching, or has failed its first
   * attempt (then it restarts with backoff on its own: see `health()`); never rejects.
   */
  async start(): Promise<void> {
    this.running = true;
    await Promise.all(this.all().map((informer) => informer.start()));
  }

  /**
   * The cluster now: the caches as they are (no request) and node usage from one metrics.k8s.io
   * poll. Never throws; an unavailable metrics API gives `usage: undefined`.
   */
  async snapshot(): Promise<ClusterSnapshot> {
    const usage = this.running ? await this.usage.read() : undefined;
    return buildSnapshot(this.caches, usage, { workers: this.workers, takenAt: this.timer.now(), stale: this.stale });
  }

  health(): ReaderHealth {
    return { stale: this.stale, informers: this.all().map((informer) => informer.status()), metricsError: this.usage.lastError };
  }

  /** Calls `listener` on every informer event; returns the function that unsubscribes it. */
  subscribe(listener: (event: ReaderEvent) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  /** Stops every informer, its watches and pending restarts. A stopped reader stays stopped: make a new one to read again. */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.all().map((informer) => informer.stop()));
  }

  private all(): SupervisedInformer<KubernetesObject, unknown>[] {
    return Object.values(this.informers) as SupervisedInformer<KubernetesObject, unknown>[];
  }

  private listenerFor(resource: string): InformerListener {
    return {
      synced: () => this.emit({ type: 'synced', resource }),
      failed: (error, retryInMs) => this.emit({ type: 'failed', resource, error, retryInMs }),
      changed: (entry, removed) => {
        const facts = resource === 'pods' ? (entry?.view as PodFacts | undefined) : undefined;
        this.emit(
          facts
            ? { type: 'changed', resource, pod: { key: facts.key, unschedulable: !removed && facts.unschedulable } }
            : { type: 'changed', resource },
        );
      },
    };
  }

  private emit(event: ReaderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A listener's bug must not cut an informer's update short; it still surfaces, uncaught.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
