/**
 * One watcher: the adapters around the pure core. Each cycle reads the cluster config from the
 * default branch (conditionally: an unchanged file is a 304 and the parsed config is reused),
 * takes a snapshot of the cluster, decides with the state remembered from the last cycle, and
 * does what `chooseAction` says with the autoscale PR.
 *
 * The decision state lives in memory only: a restarted watcher starts from `initialState()`, so
 * its windows (unneeded time, sustained time, the delay after a scale-up) start again. That errs
 * on the side of scaling down later, never sooner.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { ConfigError, TransientError, UserError } from '../errors.js';
import { AutoscalePrMemory, type AutoscalePrResult, closeAutoscalePr, syncAutoscalePr } from '../github/autoscale-pr.js';
import type { GithubClient } from '../github/client.js';
import { readClusterConfig } from '../github/config-reader.js';
import { githubFailure } from '../github/errors.js';
import { statusOf } from '../kube/api-errors.js';
import type { Timer } from '../kube/backoff.js';
import type { WorkerRule } from '../kube/snapshot.js';
import { type ReaderHealth, SnapshotReader, type SnapshotReaderOptions } from '../kube/snapshot-reader.js';
import { type Decision, decide, type Edge, initialState, nextEdge, type PolicyState, workerTemplate } from '../policy/index.js';
import { type RecorderOptions, SnapshotRecorder } from '../record/recorder.js';
import { type CycleAction, chooseAction, prMayBeOpenAfter } from './action.js';
import { type WatchedCluster, watchedCluster } from './cluster.js';
import { discoverConfig } from './discover.js';
import { type DriftCycle, DriftWatch } from './drift.js';
import { prEvidence } from './evidence.js';
import { type GithubCallCounter, instrumentGithub } from './github.js';
import { errorFields, errorKind, type Logger } from './log.js';
import type { WatcherMetrics } from './metrics.js';
import type { PolicyDefaults } from './policy-file.js';
import { type PrPreview, previewPr } from './preview.js';
import { DEFAULT_PROMETHEUS_TIMEOUT_MS, PrometheusSignalReader } from './prometheus.js';

export interface WatcherSettings {
  owner: string;
  repo: string;
  /** The cluster's config file, from the repository root; undefined: the one under cluster-config/ that names this cluster's nodes. */
  configPath?: string | undefined;
  /** A node label selector for the workers, instead of LambdaStack's naming rule. */
  workerSelector?: string | undefined;
  /** Policy settings the config's autoscaling document does not set (`--policy-file`). */
  policyDefaults?: PolicyDefaults | undefined;
  /** Decide and say what would be done; write nothing. */
  dryRun: boolean;
  /** Ask GitHub to merge scale-up PRs once their checks pass. */
  autoMerge: boolean;
  /** Prometheus' base URL, for a component whose autoscaling entry names a query (`--prometheus-url`). */
  prometheusUrl?: string | undefined;
  /** How long a Prometheus query may take; default DEFAULT_PROMETHEUS_TIMEOUT_MS. */
  prometheusTimeoutMs?: number | undefined;
  /** Append each cycle's snapshot to a recording (`--record`), for `replay`. */
  record?: RecorderOptions | undefined;
}

export interface WatcherDeps {
  github: GithubClient;
  kubeConfig: KubeConfig;
  log: Logger;
  metrics: WatcherMetrics;
  /** The clock of decisions and the snapshot reader's timers. */
  timer: Timer;
  random?: (() => number) | undefined;
  /** Aborts the GitHub requests in flight (a shutdown that cannot wait for the cycle). */
  abort: AbortSignal;
  /** Snapshot reader settings (tests shorten its backoff). */
  reader?: Partial<Omit<SnapshotReaderOptions, 'workers' | 'timer' | 'random'>> | undefined;
}

export interface CycleReport {
  cluster: string;
  /** The config's worker count this cycle. */
  count: number;
  decision: Decision;
  action: CycleAction;
  /** What syncAutoscalePr or closeAutoscalePr answered. */
  result: AutoscalePrResult | undefined;
  /** The PR a dry run would open. */
  preview: PrPreview | undefined;
  /** The drift check (undefined on a stale snapshot). */
  drift: DriftCycle | undefined;
  /** GitHub calls the cycle made (conditional reads answered 304 included). */
  githubCalls: number;
  durationMs: number;
  /** Milliseconds spent reading the config (and the default branch), taking the snapshot, deciding, and on the PR. */
  stages: { config: number; snapshot: number; decide: number; github: number };
}

export interface Readiness {
  ready: boolean;
  /** Why it is not ready. */
  reason?: string;
  stale: boolean;
  lastCycleAt?: string;
  informers: Array<{ resource: string; synced: boolean; error?: string; retryAt?: string }>;
}

/** A metrics.k8s.io refusal that is a missing grant (the chart gives it), not an absent metrics-server. */
function isRbacRefusal(error: unknown): boolean {
  const status = error instanceof UserError ? statusOf(error.cause) : undefined;
  return status === 401 || status === 403;
}

export class Watcher {
  private state: PolicyState = initialState();
  private defaultBranch: string | undefined;
  /** The last config read: its ETag, and the cluster read from it (or why it could not be). */
  private config: { etag: string | undefined; read: WatchedCluster | Error } | undefined;
  private reader: { key: string; reader: SnapshotReader } | undefined;
  /** Who wants to hear that a cycle should run now (the loop). */
  private readonly urgent = new Set<() => void>();
  /** Pods known to wait for a node the scheduler could not find: only a new one is news. */
  private readonly unplaced = new Set<string>();
  /** Unknown after a start, so the first cycle that needs it looks once. */
  private prMayBeOpen = true;
  private readonly memory = new AutoscalePrMemory();
  private readonly calls: GithubCallCounter;
  private readonly prometheus: PrometheusSignalReader;
  private synced = false;
  private lastFailure: unknown;
  private lastCycleAt: number | undefined;
  private lastMetricsError: string | undefined;
  private stopped = false;
  private configPath: string | undefined;
  private readonly drift: DriftWatch;
  private readonly recorder: SnapshotRecorder | undefined;

  constructor(
    private readonly settings: WatcherSettings,
    private readonly deps: WatcherDeps,
  ) {
    this.configPath = settings.configPath;
    this.calls = instrumentGithub(deps.github, deps.metrics, deps.abort);
    this.prometheus = new PrometheusSignalReader(
      { url: settings.prometheusUrl, timeoutMs: settings.prometheusTimeoutMs ?? DEFAULT_PROMETHEUS_TIMEOUT_MS },
      { log: deps.log, metrics: deps.metrics, abort: deps.abort },
    );
    const { owner, repo, dryRun } = settings;
    this.drift = new DriftWatch({ github: deps.github, owner, repo, dryRun, log: deps.log, metrics: deps.metrics });
    this.recorder = settings.record ? new SnapshotRecorder(settings.record, deps.log) : undefined;
  }

  /** The snapshot reader, once the first cycle has started it (tests wait on its caches). */
  get snapshotReader(): SnapshotReader | undefined {
    return this.reader?.reader;
  }

  /** The snapshot reader's health, once it runs. */
  health(): ReaderHealth | undefined {
    return this.reader?.reader.health();
  }

  /** One cycle. Throws what failed (classified: TransientError, UserError, ConfigError, or a bug). */
  /**
   * Calls `listener` when a pod the scheduler cannot place appears after the caches synced, so a
   * scale-up need not wait for the interval. A pod the scheduler retries again is no news.
   */
  onUrgent(listener: () => void): () => void {
    this.urgent.add(listener);
    return () => {
      this.urgent.delete(listener);
    };
  }

  private notePod(pod: { key: string; unschedulable: boolean }): void {
    if (!pod.unschedulable) {
      this.unplaced.delete(pod.key);
      return;
    }
    if (this.unplaced.has(pod.key)) return;
    this.unplaced.add(pod.key);
    if (!this.synced) return;
    this.deps.log.debug('a pod the scheduler cannot place: deciding now', { pod: pod.key });
    for (const listener of this.urgent) listener();
  }

  async cycle(): Promise<CycleReport> {
    if (this.stopped) throw new Error('the watcher is stopped');
    const started = performance.now();
    const callsBefore = this.calls.calls();
    const { log, metrics } = this.deps;
    try {
      const report = await this.run(started, callsBefore);
      this.lastFailure = undefined;
      this.lastCycleAt = this.deps.timer.now();
      metrics.cycleDuration.observe({ outcome: 'ok' }, report.durationMs / 1000);
      metrics.lastSuccess.set(this.lastCycleAt / 1000);
      const { decision, action } = report;
      log.info('cycle', {
        cluster: report.cluster,
        current: decision.current,
        desired: decision.desired,
        direction: decision.direction,
        rule: decision.rule.kind,
        reason: decision.reason,
        action: action.kind,
        ...(report.result ? { pr: report.result.action, number: report.result.number, detail: report.result.detail } : {}),
        ...(report.drift && (report.drift.issue !== 'none' || report.drift.settling > 0) ? { drift: report.drift } : {}),
        githubCalls: report.githubCalls,
        ms: Math.round(report.durationMs),
        stages: report.stages,
      });
      for (const warning of report.result?.warnings ?? []) log.warn(warning, { cluster: report.cluster });
      return report;
    } catch (error) {
      this.lastFailure = error;
      const durationMs = performance.now() - started;
      metrics.cycleDuration.observe({ outcome: error instanceof TransientError ? 'transient' : 'failed' }, durationMs / 1000);
      throw error;
    }
  }

  private async run(started: number, callsBefore: number): Promise<CycleReport> {
    let mark = started;
    const stages: CycleReport['stages'] = { config: 0, snapshot: 0, decide: 0, github: 0 };
    const lap = (stage: keyof CycleReport['stages']): void => {
      const now = performance.now();
      stages[stage] = Math.round(now - mark);
      mark = now;
    };
    const base = await this.defaultBranchName();
    const cluster = await this.readConfig(base);
    lap('config');
    const reader = await this.readerFor(cluster);
    const refused = reader.health().informers.find((informer) => informer.error instanceof UserError)?.error;
    if (refused) throw refused;
    // The query runs beside the snapshot, evaluated at the decision's time.
    const [snapshot, metric] = await Promise.all([reader.snapshot(), this.prometheus.read(cluster.prometheus, this.deps.timer.now())]);
    if (!snapshot.stale) this.synced = true;
    this.checkMetrics(reader.health().metricsError);
    lap('snapshot');

    const decidedAt = this.deps.timer.now();
    const { decision, state } = decide({
      snapshot,
      state: this.state,
      policy: cluster.policy,
      cluster: {
        count: cluster.count,
        min: cluster.min,
        max: cluster.max,
        template: workerTemplate(snapshot, cluster.vmSize),
        schedules: cluster.schedules,
      },
      now: decidedAt,
      metric,
    });
    this.state = state;
    this.deps.metrics.decided(cluster.name, decision);
    this.prometheus.observe(cluster.name, decision);
    const action = chooseAction({ decision, count: cluster.count, prMayBeOpen: this.prMayBeOpen, autoMerge: this.settings.autoMerge });
    lap('decide');
    let done: Awaited<ReturnType<Watcher['act']>>;
    let drift: DriftCycle | undefined;
    try {
      done = await this.act(action, cluster, decision, base);
      const now = this.deps.timer.now();
      drift = await this.drift.cycle({ cluster, snapshot, selector: this.settings.workerSelector !== undefined, now });
      lap('github');
    } finally {
      // After the PR (a recording never delays it), and whether or not GitHub answered: the cycle was measured.
      const { name, prefix, count, min, max, vmSize } = cluster;
      await this.recorder?.record(decidedAt, { cluster: name, prefix, count, min, max, vmSize }, snapshot, metric);
    }
    return {
      cluster: cluster.name,
      count: cluster.count,
      decision,
      action,
      result: done.result,
      preview: done.preview,
      drift,
      githubCalls: this.calls.calls() - callsBefore,
      durationMs: performance.now() - started,
      stages,
    };
  }

  /** The default branch, read once (repos.get) and remembered: PRs target it and the config is read from it. */
  private async defaultBranchName(): Promise<string> {
    if (this.defaultBranch) return this.defaultBranch;
    const { owner, repo } = this.settings;
    try {
      const { data } = await this.deps.github.repos.get({ owner, repo });
      this.defaultBranch = data.default_branch;
    } catch (error) {
      throw githubFailure(error, `read the repository ${owner}/${repo}`);
    }
    this.deps.log.info('repository', { repository: `${owner}/${repo}`, defaultBranch: this.defaultBranch });
    return this.defaultBranch;
  }

  private async readConfig(base: string): Promise<WatchedCluster> {
    const { owner, repo } = this.settings;
    if (!this.configPath) {
      this.configPath = await discoverConfig(this.deps.github, this.deps.kubeConfig, { owner, repo, ref: base });
      this.deps.log.info("watching the cluster config that names this cluster's nodes", { file: this.configPath });
    }
    const configPath = this.configPath;
    const read = await readClusterConfig(this.deps.github, { owner, repo, path: configPath, ref: base, etag: this.config?.etag });
    if (read.unchanged) {
      if (!this.config) throw new Error('a config read without an ETag answered "unchanged"');
      if (this.config.read instanceof Error) throw this.config.read;
      return this.config.read;
    }
    try {
      const cluster = watchedCluster(read.path, read.text, this.settings.policyDefaults);
      this.config = { etag: read.etag, read: cluster };
      this.deps.log.info('config', {
        file: read.path,
        sha: read.sha,
        cluster: cluster.name,
        count: cluster.count,
        min: cluster.min,
        max: cluster.max,
        vmSize: cluster.vmSize,
        ...(cluster.schedules.length > 0 ? { schedules: cluster.schedules.map((s) => s.name) } : {}),
      });
      return cluster;
    } catch (error) {
      // Remembered with its ETag: an invalid file is not read again in full until it changes.
      if (error instanceof ConfigError || error instanceof UserError) this.config = { etag: read.etag, read: error };
      throw error;
    }
  }

  /** The snapshot reader for the cluster's workers: started on the first cycle, restarted when the cluster's identity changes. */
  private async readerFor(cluster: WatchedCluster): Promise<SnapshotReader> {
    const workers: WorkerRule = {
      cluster: { name: cluster.name, prefix: cluster.prefix },
      ...(this.settings.workerSelector ? { selector: this.settings.workerSelector } : {}),
    };
    const key = JSON.stringify(workers);
    if (this.reader?.key === key) return this.reader.reader;
    const { log, metrics } = this.deps;
    if (this.reader) {
      log.info('the cluster was renamed in its config: restarting the snapshot reader', { cluster: cluster.name });
      await this.reader.reader.stop();
      this.synced = false;
    }
    const reader = new SnapshotReader(this.deps.kubeConfig, {
      ...(this.deps.reader ?? {}),
      workers,
      timer: this.deps.timer,
      ...(this.deps.random ? { random: this.deps.random } : {}),
    });
    reader.subscribe((event) => {
      if (event.type === 'changed' && event.pod) {
        this.notePod(event.pod);
      } else if (event.type === 'failed') {
        metrics.apiError('kube', errorKind(event.error));
        log.warn('cluster read failed; retrying', { resource: event.resource, ...errorFields(event.error), retryInMs: event.retryInMs });
      } else if (event.type === 'synced') {
        log.debug('cluster cache synced', { resource: event.resource });
        if (!reader.stale) this.synced = true;
      }
    });
    this.reader = { key, reader };
    await reader.start();
    if (this.stopped) await reader.stop();
    log.info('watching the cluster', {
      cluster: cluster.name,
      workers: workers.selector ?? 'LambdaStack naming rule',
      stale: reader.stale,
    });
    return reader;
  }

  /**
   * metrics.k8s.io failing only rules out a scale-down (the engine sees no usage); a refusal for
   * want of a grant fails the cycle, since it will not pass by itself.
   */
  private checkMetrics(error: ReaderHealth['metricsError']): void {
    if (error === undefined) {
      if (this.lastMetricsError) this.deps.log.info('metrics.k8s.io answers again');
      this.lastMetricsError = undefined;
      return;
    }
    this.deps.metrics.apiError('kube', errorKind(error));
    if (isRbacRefusal(error)) throw error;
    // Said once per kind of failure, not every cycle (the message carries a request id that changes).
    const failure = `${errorKind(error)} ${statusOf(error.cause) ?? error.message}`;
    if (failure !== this.lastMetricsError) {
      this.deps.log.warn('no node metrics: no scale-down until metrics.k8s.io answers', errorFields(error));
    }
    this.lastMetricsError = failure;
  }

  private async act(
    action: CycleAction,
    cluster: WatchedCluster,
    decision: Decision,
    base: string,
  ): Promise<{ result?: AutoscalePrResult; preview?: PrPreview }> {
    const { log } = this.deps;
    if (action.kind === 'none') return {};
    if (action.kind === 'hold-stale') {
      const informers = this.health()?.informers.filter((i) => i.error) ?? [];
      log.warn('the cluster snapshot is stale: holding, with no GitHub write', {
        cluster: cluster.name,
        errors: informers.map((i) => `${i.resource}: ${i.error?.message}`),
      });
      return {};
    }
    if (this.settings.dryRun) {
      if (action.kind === 'close') {
        log.info('dry run: an open autoscale PR would be closed', { cluster: cluster.name, why: action.why });
        return {};
      }
      const preview = previewPr(cluster, {
        to: action.to,
        reason: decision.reason,
        evidence: prEvidence(decision, this.state.samples),
        base,
      });
      log.info('dry run: the PR the watcher would open', {
        cluster: cluster.name,
        title: preview.title,
        branch: preview.branch,
        base: preview.base,
        diff: `${preview.diff.file}:${preview.diff.line}\n-${preview.diff.before}\n+${preview.diff.after}`,
        body: preview.body,
      });
      return { preview };
    }
    const repository = { owner: this.settings.owner, repo: this.settings.repo, defaultBranch: base, memory: this.memory };
    try {
      const result =
        action.kind === 'propose'
          ? await syncAutoscalePr(this.deps.github, {
              ...repository,
              file: cluster.file,
              cluster: cluster.name,
              component: cluster.component,
              from: action.from,
              to: action.to,
              reason: decision.reason,
              evidence: prEvidence(decision, this.state.samples),
              autoMerge: action.autoMerge,
            })
          : await closeAutoscalePr(this.deps.github, { ...repository, cluster: cluster.name, why: action.why });
      this.prMayBeOpen = prMayBeOpenAfter(action, result.action, this.prMayBeOpen);
      return { result };
    } catch (error) {
      this.prMayBeOpen = prMayBeOpenAfter(action, 'failed', this.prMayBeOpen);
      throw error;
    }
  }

  /**
   * The next instant a schedule window changes the min of the cluster last read (its lead
   * included), if one does: the loop wakes then rather than at its interval, so that the PR is
   * opened on time.
   */
  nextScheduleEdge(): Edge | undefined {
    const read = this.config?.read;
    if (!read || read instanceof Error) return undefined;
    return nextEdge(read.schedules, read, this.deps.timer.now());
  }

  /** Ready once the cluster has been read in full, while the last cycle did not fail for a reason that will not pass by itself. */
  readiness(): Readiness {
    const health = this.health();
    const informers = (health?.informers ?? []).map((i) => ({
      resource: i.resource,
      synced: i.synced,
      ...(i.error ? { error: i.error.message } : {}),
      ...(i.retryAt !== undefined ? { retryAt: new Date(i.retryAt).toISOString() } : {}),
    }));
    const base = {
      stale: health?.stale ?? true,
      ...(this.lastCycleAt !== undefined ? { lastCycleAt: new Date(this.lastCycleAt).toISOString() } : {}),
      informers,
    };
    const failure = this.lastFailure;
    const failed =
      failure !== undefined && !(failure instanceof TransientError) ? `the last cycle failed: ${errorFields(failure).error}` : undefined;
    if (!this.synced) {
      const errors = (health?.informers ?? []).flatMap((i) => (i.error ? [i.error] : []));
      const why = [
        ...errors.map((error) => error.message),
        // The cycle failed for another reason than an informer's (which it would repeat).
        ...(failure !== undefined && !errors.includes(failure as Error) ? [`last cycle: ${errorFields(failure).error}`] : []),
      ];
      return { ready: false, reason: `the cluster snapshot has not synced yet${why.length > 0 ? ` (${why.join('; ')})` : ''}`, ...base };
    }
    if (failed) return { ready: false, reason: failed, ...base };
    return { ready: true, ...base };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.reader?.reader.stop();
  }
}
