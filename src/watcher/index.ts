/**
 * `watch`: the watcher wired together. With `once`, one cycle and its result; otherwise the
 * health server and the loop until `stop` aborts, then a graceful shutdown: the cycle under way
 * gets `shutdownGraceMs` to finish, after which its GitHub calls are aborted, and the snapshot
 * reader and the server are stopped either way.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { TransientError } from '../errors.js';
import type { GithubClient } from '../github/client.js';
import { systemTimer, type Timer } from '../kube/backoff.js';
import { errorFields, type Logger, maskSecrets } from './log.js';
import { runLoop, sleep } from './loop.js';
import { WatcherMetrics } from './metrics.js';
import { type HealthServer, startHealthServer } from './server.js';
import { type CycleReport, Watcher, type WatcherDeps, type WatcherSettings } from './watcher.js';

export { watcherEnvironment } from './env.js';
export { createLogger, redactError } from './log.js';
export { loadPolicyFile } from './policy-file.js';

export interface WatchOptions extends WatcherSettings {
  once: boolean;
  intervalMs: number;
  /** The health server's port (0: any free one); not served with `once`. */
  port: number;
  host?: string | undefined;
  /** How long a stop waits for the cycle under way before aborting its GitHub calls. Default 5 s. */
  shutdownGraceMs?: number | undefined;
}

export interface WatchDeps {
  github: GithubClient;
  kubeConfig: KubeConfig;
  log: Logger;
  /** Masked in the server's answers too (the log masks them itself). */
  secrets: readonly string[];
  /** Aborting it stops the watcher (SIGTERM, SIGINT; tests). */
  stop: AbortSignal;
  timer?: Timer | undefined;
  random?: (() => number) | undefined;
  metrics?: WatcherMetrics | undefined;
  reader?: WatcherDeps['reader'];
  /** Told the server's address once it listens. */
  onServing?: ((server: HealthServer) => void) | undefined;
}

/** Resolves when `signal` aborts. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** Whether `promise` settles within `ms` on `timer`. */
async function settlesWithin(timer: Timer, promise: Promise<unknown>, ms: number): Promise<boolean> {
  const giveUp = new AbortController();
  const settled = promise.then(
    () => true,
    () => true,
  );
  const result = await Promise.race([settled, sleep(timer, ms, giveUp.signal).then(() => false)]);
  giveUp.abort();
  return result;
}

/**
 * Runs the watcher. With `once`: one cycle, resolving with its report; a snapshot that could not
 * be read in full is a TransientError then (nothing was decided: try again). Otherwise resolves
 * when stopped, and never rejects for a failed cycle (they are logged and retried).
 */
export async function runWatch(options: WatchOptions, deps: WatchDeps): Promise<CycleReport | undefined> {
  const timer = deps.timer ?? systemTimer;
  const requests = new AbortController();
  const metrics = deps.metrics ?? new WatcherMetrics();
  const watcher = new Watcher(options, {
    github: deps.github,
    kubeConfig: deps.kubeConfig,
    log: deps.log,
    metrics,
    timer,
    random: deps.random,
    abort: requests.signal,
    reader: deps.reader,
  });
  const { log } = deps;

  if (options.once) {
    try {
      const report = await watcher.cycle();
      if (report.action.kind === 'hold-stale') {
        const errors = (watcher.health()?.informers ?? []).filter((i) => i.error).map((i) => `${i.resource}: ${i.error?.message}`);
        throw new TransientError(`the cluster could not be read in full (${errors.join('; ') || 'not synced'}): nothing was decided`);
      }
      return report;
    } finally {
      await watcher.stop();
    }
  }

  const server = await startHealthServer({
    host: options.host,
    port: options.port,
    readiness: () => watcher.readiness(),
    metrics: () => metrics.text(),
    mask: (text) => maskSecrets(text, deps.secrets),
  });
  log.info('serving /healthz, /readyz and /metrics', { url: server.url, port: server.port });
  deps.onServing?.(server);

  const loop = runLoop({
    intervalMs: options.intervalMs,
    timer,
    random: deps.random ?? Math.random,
    signal: deps.stop,
    cycle: () => watcher.cycle(),
    wake: (request) => watcher.onUrgent(request),
    dueAt: () => watcher.nextScheduleEdge()?.at,
    onFailure: (error, retryInMs) => {
      const fields = { ...errorFields(error), retryInMs };
      if (error instanceof TransientError) log.warn('cycle failed; retrying', fields);
      else log.error('cycle failed', fields);
    },
  });
  await Promise.race([aborted(deps.stop), loop]);
  const graceMs = options.shutdownGraceMs ?? 5_000;
  log.info('stopping', { graceMs });
  if (!(await settlesWithin(timer, loop, graceMs))) {
    log.warn('the cycle under way did not finish in time: its GitHub calls are aborted');
    requests.abort();
    await settlesWithin(timer, loop, 1_000);
  }
  await watcher.stop();
  await server.close();
  log.info('stopped');
  return undefined;
}
