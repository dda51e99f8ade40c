/**
 * The watcher, in this process, as `watch --once` runs it but cycle by cycle when the scenario
 * says: it reads the cluster through the kube simulator's API and the config through the GitHub
 * simulator's, on the simulator's clock (so its windows are simulated time), with policy windows
 * shortened for the demo as a `--policy-file` would set them. Its JSON log goes to a file.
 */
import { appendFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import type { GithubClient } from '../github/client.js';
import { systemTimer, type Timer } from '../kube/backoff.js';
import type { SimCluster } from '../sim/kube/index.js';
import { createLogger } from '../watcher/log.js';
import { WatcherMetrics } from '../watcher/metrics.js';
import { type CycleReport, Watcher } from '../watcher/watcher.js';
import { DEMO_TOKEN } from './github.js';

/**
 * Policy settings for the demo, as the chart's `policy` values (a --policy-file) would give them:
 * windows of a minute of simulated time instead of Cluster Autoscaler's ten.
 */
export const DEMO_POLICY = {
  scale_down_unneeded_time: '1m',
  scale_down_delay_after_add: '1m',
} as const;

export interface DemoWatcher {
  /** One cycle, once the watcher's caches hold what the simulator holds now. */
  cycle(): Promise<CycleReport>;
  stop(): Promise<void>;
}

export interface DemoWatcherOptions {
  github: GithubClient;
  owner: string;
  repo: string;
  configPath: string;
  cluster: SimCluster;
  kubeConfigYaml: string;
  logFile: string;
}

/** How long the watcher's caches may take to catch up with the simulator: a deadline for a broken demo, not a wait it relies on. */
const CATCH_UP_MS = 15_000;

export function demoWatcher(options: DemoWatcherOptions): DemoWatcher {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(options.kubeConfigYaml);
  const abort = new AbortController();
  const clock = options.cluster.clock;
  const timer: Timer = { now: () => clock.now(), setTimeout: systemTimer.setTimeout, clearTimeout: systemTimer.clearTimeout };
  const watcher = new Watcher(
    {
      owner: options.owner,
      repo: options.repo,
      configPath: options.configPath,
      policyDefaults: DEMO_POLICY,
      dryRun: false,
      autoMerge: false,
    },
    {
      github: options.github,
      kubeConfig,
      log: createLogger({ level: 'debug', write: (line) => appendFileSync(options.logFile, `${line}\n`), secrets: [DEMO_TOKEN] }),
      metrics: new WatcherMetrics({ processMetrics: false }),
      timer,
      abort: abort.signal,
      reader: { backoff: { initialMs: 100, maxMs: 1_000 } },
    },
  );

  /** The simulator's nodes and pods, by key and resourceVersion: what the caches must hold. */
  const versions = (entries: ReadonlyArray<{ metadata: { name: string; namespace?: string; resourceVersion?: string } }>): string =>
    entries
      .map((e) => `${e.metadata.namespace ?? ''}/${e.metadata.name}@${e.metadata.resourceVersion ?? ''}`)
      .sort()
      .join('\n');
  const caughtUp = async (): Promise<void> => {
    const reader = watcher.snapshotReader;
    if (!reader) return;
    const check = (): boolean =>
      versions(reader.caches.nodes.list()) === versions(options.cluster.nodes()) &&
      versions(reader.caches.pods.list()) === versions(options.cluster.pods());
    if (check()) return;
    await new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => {
        unsubscribe();
        reject(new Error(`the watcher's caches did not catch up with the kube simulator in ${CATCH_UP_MS / 1000} s`));
      }, CATCH_UP_MS);
      const unsubscribe = reader.subscribe(() => {
        if (!check()) return;
        clearTimeout(deadline);
        unsubscribe();
        resolve();
      });
    });
  };

  return {
    cycle: async () => {
      await caughtUp();
      return watcher.cycle();
    },
    stop: async () => {
      abort.abort();
      await watcher.stop();
    },
  };
}
