import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterEach } from 'vitest';
import { parseClusterConfig } from '../../src/config/index.js';
import type { GithubClient } from '../../src/github/client.js';
import { systemTimer, type Timer } from '../../src/kube/backoff.js';
import type { SnapshotReader } from '../../src/kube/snapshot-reader.js';
import type { RequestRecord } from '../../src/sim/github/index.js';
import { type KubeSim, type Scenario, startKubeSim } from '../../src/sim/kube/index.js';
import { createLogger } from '../../src/watcher/log.js';
import { WatcherMetrics } from '../../src/watcher/metrics.js';
import { type CycleReport, Watcher, type WatcherSettings } from '../../src/watcher/watcher.js';
import { callName, isWrite, withoutRetries } from '../github/autoscale-support.js';
import { type FaultProxy, startFaultProxy } from '../github/fault-proxy.js';
import { until } from '../kube/snapshot-support.js';
import { client, gitIn, NAME, OWNER, REPO, startWorld, type World } from '../sim/github/support.js';
import { alice, ISOLATED_GIT_ENV, newRepository } from '../support/git.js';
import { tempDir } from '../support/temp.js';

// Both simulators and a watcher between them, all in this process: the kube simulator with its
// clock stopped (only `kube.cluster.advance()` moves it, and the watcher decides on that clock),
// the GitHub simulator over a bare repository whose main holds the same cluster config the kube
// simulator was started from, and a watcher whose cycles the test runs one at a time.

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const FILE = 'cluster-config/aws-demo.yml';
export const BRANCH = 'autoscale/shop';
/** The token the in-process watcher's client sends (test/sim/github/support.ts `client`). */
export const WATCHER_TOKEN = 'test-token';
const EXAMPLE = readFileSync(join(REPO_ROOT, FILE), 'utf8');

/** The example cluster (aws-demo: shop, 3 t3.medium workers) with its autoscaling entry set to these settings. */
export function demoConfig(autoscaling: Record<string, string | number> = { min: 2, max: 10 }): string {
  const entry = '      min: 2\n      max: 10\n';
  if (!EXAMPLE.includes(entry)) throw new Error(`${FILE} no longer has the autoscaling entry this helper replaces`);
  return EXAMPLE.replace(
    entry,
    Object.entries(autoscaling)
      .map(([key, value]) => `      ${key}: ${value}\n`)
      .join(''),
  );
}

/** A bare repository whose main holds these files, pushed as a person would. */
export async function bareRepository(files: Record<string, string>): Promise<string> {
  const bare = `${await tempDir('watcher-github-')}/cluster-config.git`;
  const work = await newRepository();
  await work.commit('Add the cluster', { who: alice, files });
  await execa('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: ISOLATED_GIT_ENV });
  await work.git(['push', '-q', bare, 'main']);
  return bare;
}

/** The simulator's clock as the watcher's: decisions see simulated time; timers (retries, timeouts) stay real. */
export function simTimer(kube: KubeSim): Timer {
  return { now: () => kube.cluster.clock.now(), setTimeout: systemTimer.setTimeout, clearTimeout: systemTimer.clearTimeout };
}

export interface Worlds {
  kube: KubeSim;
  github: World;
  /** The fault proxy the watcher talks to GitHub through, when asked for. */
  proxy: FaultProxy | undefined;
  watcher: Watcher;
  metrics: WatcherMetrics;
  /** Every log line the watcher wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** The client the test checks GitHub with (not the watcher's). */
  octokit: GithubClient;
  /** The kube simulator's kubeconfig, loaded. */
  kubeConfig: KubeConfig;
  cycle(): Promise<CycleReport>;
  close(): Promise<void>;
}

export interface WorldOptions {
  config?: string;
  scenario?: Scenario;
  watcher?: Partial<WatcherSettings>;
  /** Put a fault proxy (test/github/fault-proxy.ts) between the watcher and the GitHub simulator. */
  faults?: boolean;
  /** The simulated time at start (default: the real time now). */
  start?: number;
}

const open: Worlds[] = [];

// Every world a test starts is closed after it, whatever the test did.
afterEach(async () => {
  for (const worlds of open.splice(0).reverse()) await worlds.close();
});

export async function startWorlds(options: WorldOptions = {}): Promise<Worlds> {
  const config = options.config ?? demoConfig();
  const github = await startWorld({ repoDir: await bareRepository({ [FILE]: config }) });
  const kube = await startKubeSim({
    config: parseClusterConfig(FILE, config),
    scenario: options.scenario ?? {},
    timeScale: 0,
    ...(options.start !== undefined ? { start: options.start } : {}),
  });
  const logs: Array<Record<string, unknown>> = [];
  const metrics = new WatcherMetrics({ processMetrics: false });
  const kc = new KubeConfig();
  kc.loadFromString(kube.kubeConfigYaml);
  // Fails at the first 5xx rather than waiting out the retry plugin: the next cycle is the retry here.
  const proxy = options.faults ? await startFaultProxy(github.sim.url) : undefined;
  const watcherGithub = withoutRetries(client({ ...github.sim, url: proxy?.url ?? github.sim.url }));
  const stop = new AbortController();
  const watcher = new Watcher(
    { owner: OWNER, repo: REPO, configPath: FILE, dryRun: false, autoMerge: false, ...options.watcher },
    {
      github: watcherGithub,
      kubeConfig: kc,
      log: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)), secrets: [WATCHER_TOKEN] }),
      metrics,
      timer: simTimer(kube),
      random: () => 0.5,
      abort: stop.signal,
      reader: { backoff: { initialMs: 100, maxMs: 400 } },
    },
  );
  const worlds: Worlds = {
    kube,
    github,
    proxy,
    watcher,
    metrics,
    logs,
    octokit: github.octokit,
    kubeConfig: kc,
    cycle: () => watcher.cycle(),
    close: async () => {
      stop.abort();
      await watcher.stop();
      await kube.close();
      await proxy?.close();
      await github.close();
    },
  };
  open.push(worlds);
  return worlds;
}

/** The requests the GitHub simulator sees from now on, as GitHub calls (`GET contents/…`) with their status. */
export function githubCalls(github: World): () => string[] {
  const start = github.sim.requestCount();
  return () =>
    github.sim
      .requests()
      .slice(start)
      .map((record: RequestRecord) => `${callName(record)} ${record.status}`);
}

/** The writes among the requests from now on. */
export function githubWrites(github: World): () => string[] {
  const start = github.sim.requestCount();
  return () => github.sim.requests().slice(start).filter(isWrite).map(callName);
}

/** The PRs of the repository, oldest first. */
export async function pullRequests(
  octokit: GithubClient,
): Promise<Array<{ number: number; title: string; state: string; merged: boolean; labels: string[]; body: string }>> {
  const { data } = await octokit.pulls.list({ owner: OWNER, repo: REPO, state: 'all', direction: 'asc' });
  return data.map((pull) => ({
    number: pull.number,
    title: pull.title,
    state: pull.state,
    merged: pull.merged_at !== null,
    labels: pull.labels.map((label) => label.name),
    body: pull.body ?? '',
  }));
}

/** The lines the autoscale branch changes against main, as `git diff` shows them. */
export async function branchDiff(bare: string): Promise<string[]> {
  const diff = await gitIn(bare, ['diff', '-U0', 'main', BRANCH]);
  return diff.split('\n').filter((line) => /^[-+](?![-+])/.test(line));
}

/** A Deployment whose pods take 1200m CPU each: a t3.medium worker (1930m allocatable) runs one, so 3 of 6 stay pending. */
export function bigPods(w: Worlds, replicas = 6): void {
  w.kube.cluster.createDeployment({ name: 'big', replicas, requests: { cpu: '1200m', memory: '512Mi' } });
}

export function readerOf(w: Worlds): SnapshotReader {
  const reader = w.watcher.snapshotReader;
  if (!reader) throw new Error('the watcher has not run a cycle yet');
  return reader;
}

/** Resolves once the watcher's caches hold `n` Unschedulable pods (the informers' events have arrived). */
export async function unschedulableSeen(w: Worlds, n: number): Promise<void> {
  const reader = readerOf(w);
  await until(
    reader,
    `${n} unschedulable pods in the cache`,
    () => reader.caches.pods.list().filter((e) => e.view.unschedulable).length === n,
  );
}

export { NAME, OWNER, REPO };
