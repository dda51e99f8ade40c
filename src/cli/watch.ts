import { createGithubClient } from '../github/client.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { prometheusBaseUrl } from '../prometheus/url.js';
import { checkRecorderOptions, type RecorderOptions } from '../record/recorder.js';
import { createLogger, loadPolicyFile, redactError, runWatch, watcherEnvironment } from '../watcher/index.js';
import type { Io } from './io.js';
import { stopRequested } from './signals.js';

export interface WatchCommandOptions {
  once: boolean;
  dryRun: boolean;
  config?: string | undefined;
  interval: number;
  port: number;
  workerSelector?: string | undefined;
  policyFile?: string | undefined;
  autoMerge: boolean;
  prometheusUrl?: string | undefined;
  prometheusTimeout?: number | undefined;
  record?: string | undefined;
  recordMaxBytes: number;
  recordPodNames: boolean;
}

/**
 * `watch`: reads the environment (GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL, LOG_LEVEL,
 * KUBECONFIG or the pod's service account) and runs the watcher, logging JSON lines on stdout,
 * until SIGTERM or SIGINT (or for one cycle with --once). `until` stops it without a signal (tests).
 */
export async function watchCommand(
  options: WatchCommandOptions,
  io: Io,
  env: Readonly<Record<string, string | undefined>> = process.env,
  until?: AbortSignal,
): Promise<void> {
  const environment = watcherEnvironment(env);
  const secrets = [environment.token];
  const log = createLogger({ level: environment.logLevel, write: (line) => io.out(line), secrets });
  try {
    const policyDefaults = options.policyFile ? await loadPolicyFile(options.policyFile) : undefined;
    const prometheusUrl = prometheusBaseUrl(options.prometheusUrl, env);
    const record: RecorderOptions | undefined = options.record
      ? { path: options.record, maxBytes: options.recordMaxBytes, podNames: options.recordPodNames }
      : undefined;
    if (record) await checkRecorderOptions(record);
    const kubeConfig = loadKubeConfig();
    const github = createGithubClient({
      token: environment.token,
      baseUrl: environment.apiUrl,
      // One quick retry absorbs a blip; a longer outage is the loop's to wait out, between cycles.
      retries: 1,
      onRateLimit: (retryAfterSeconds) => log.warn('GitHub rate limit reached: waiting', { retryAfterSeconds }),
      // Octokit logs each answer, a 304 included, as info or error: the cycle's own lines say what
      // mattered, so those are debug here; its warnings (deprecations) stay warnings.
      log: { debug: (m) => log.debug(m), info: (m) => log.debug(m), warn: (m) => log.warn(m), error: (m) => log.debug(m) },
    });
    const stop = new AbortController();
    if (!options.once) {
      void stopRequested(until).then((signal) => {
        log.info('stop requested', { signal });
        stop.abort();
      });
    }
    await runWatch(
      {
        owner: environment.owner,
        repo: environment.repo,
        configPath: options.config,
        workerSelector: options.workerSelector,
        policyDefaults,
        dryRun: options.dryRun,
        autoMerge: options.autoMerge,
        prometheusUrl,
        prometheusTimeoutMs: options.prometheusTimeout === undefined ? undefined : options.prometheusTimeout * 1000,
        record,
        once: options.once,
        intervalMs: options.interval * 1000,
        port: options.port,
      },
      { github, kubeConfig, log, secrets, stop: stop.signal },
    );
  } catch (error) {
    throw redactError(error, secrets);
  }
}
