import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GithubSim, startGithubSim } from '../../src/sim/github/index.js';
import { type KubeSim, startKubeSim } from '../../src/sim/kube/index.js';
import { BIN } from '../cli/run-cli.js';
import { client } from '../sim/github/support.js';
import { eventually } from '../sim/kube/support.js';
import { tempDir } from '../support/temp.js';
import { bareRepository, FILE, NAME, pullRequests, REPO_ROOT } from './support.js';

// `lambdastack-autoscaler watch` as a process (the built binary), as a user or the Helm chart's
// pod runs it: the environment of GitHub Actions, KUBECONFIG, JSON lines on stdout. The kube
// simulator runs the example cluster with a Deployment three of whose pods cannot fit; the GitHub
// simulator serves a repository holding both example configs.

const SECRET = 'ghp_cliSecretToken9876543210zyxwvutsrqpo';
const AZURE = 'cluster-config/azure-demo.yml';

let kube: KubeSim;
let github: GithubSim;
let home: string;
let env: Record<string, string>;

beforeAll(async () => {
  home = await tempDir('watch-cli-');
  const config = readFileSync(join(REPO_ROOT, FILE), 'utf8');
  const configFile = join(home, 'aws-demo.yml');
  await writeFile(configFile, config);
  kube = await startKubeSim({
    config: configFile,
    scenario: { workloads: [{ name: 'big', replicas: 6, requests: { cpu: '1200m', memory: '512Mi' } }] },
    kubeconfigPath: join(home, 'kubeconfig'),
  });
  const bare = await bareRepository({ [FILE]: config, [AZURE]: readFileSync(join(REPO_ROOT, AZURE), 'utf8') });
  github = await startGithubSim({ repoDir: bare, name: NAME });
  env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    KUBECONFIG: join(home, 'kubeconfig'),
    GITHUB_TOKEN: SECRET,
    GITHUB_REPOSITORY: NAME,
    GITHUB_API_URL: github.url,
    // Octokit's request lines too: the token must not be in them either.
    LOG_LEVEL: 'debug',
  };
});

afterAll(async () => {
  await kube?.close();
  await github?.close();
});

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
  lines: Array<Record<string, unknown>>;
}

async function watch(args: string[], environment: Record<string, string> = env): Promise<Run> {
  const result = await execa(process.execPath, [BIN, 'watch', ...args], { reject: false, extendEnv: false, env: environment, cwd: home });
  const stdout = String(result.stdout);
  const stderr = String(result.stderr);
  // Whatever the run did, the token is nowhere in what it wrote.
  expect(stdout + stderr).not.toContain(SECRET);
  const lines = stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { exitCode: result.exitCode ?? -1, stdout, stderr, lines };
}

const writesSince = (start: number): string[] =>
  github
    .requests()
    .slice(start)
    .filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path}`);

describe('lambdastack-autoscaler watch', () => {
  it('--once --dry-run prints the decision and the PR it would open, and writes nothing', async () => {
    const start = github.requestCount();
    const run = await watch(['--once', '--dry-run']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    // Without --config: the one of the two example configs whose nodes this cluster has.
    expect(run.lines).toContainEqual(
      expect.objectContaining({ msg: "watching the cluster config that names this cluster's nodes", file: FILE }),
    );
    expect(run.lines).toContainEqual(
      expect.objectContaining({
        msg: 'cycle',
        current: 3,
        desired: 6,
        rule: 'pending-pods',
        reason: '3 unschedulable pods need 3 new nodes: 3 → 6',
      }),
    );
    const preview = run.lines.find((line) => line.msg === 'dry run: the PR the watcher would open');
    expect(preview).toMatchObject({ title: 'Scale shop kubernetes_node 3 → 6', branch: 'autoscale/shop', base: 'main' });
    expect(preview?.diff).toBe(
      `${FILE}:34\n-      count: 3  # managed by lambdastack-autoscaler within the bounds below\n` +
        '+      count: 6  # managed by lambdastack-autoscaler within the bounds below',
    );
    expect(preview?.body).toContain('**Why:** 3 unschedulable pods need 3 new nodes: 3 → 6');
    expect(writesSince(start)).toEqual([]);
    expect(await pullRequests(client(github))).toEqual([]);
  });

  it('--once opens one PR; run again, there is still one', async () => {
    const first = await watch(['--once', '--config', FILE]);
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.lines).toContainEqual(expect.objectContaining({ msg: 'cycle', pr: 'opened', number: 1 }));
    const second = await watch(['--once', `--config=${FILE}`]);
    expect(second.exitCode).toBe(0);
    expect(second.lines).toContainEqual(expect.objectContaining({ msg: 'cycle', pr: 'unchanged', number: 1 }));
    const pulls = await pullRequests(client(github));
    expect(pulls.map((pr) => [pr.number, pr.title, pr.state])).toEqual([[1, 'Scale shop kubernetes_node 3 → 6', 'open']]);
  });

  it('runs until SIGTERM, serving /healthz, /readyz and /metrics, then exits 0 within a few seconds', async () => {
    const child = spawn(process.execPath, [BIN, 'watch', '--config', FILE, '--port', '0', '--interval', '1'], { env, cwd: home });
    const output = collect(child);
    try {
      const serving = await eventually('the serving line', () =>
        output.lines().find((line) => line.msg === 'serving /healthz, /readyz and /metrics'),
      );
      const url = String(serving.url);
      expect(serving.port).toBeGreaterThan(0);
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      await eventually('ready', async () => ((await fetch(`${url}/readyz`)).status === 200 ? true : undefined));
      await eventually('a second cycle', () => (output.lines().filter((line) => line.msg === 'cycle').length >= 2 ? true : undefined));
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('lambdastack_autoscaler_workers{cluster="shop",kind="desired"} 6');
      expect(metrics).toContain('lambdastack_autoscaler_pending_pods{cluster="shop"} 3');
      expect(metrics).toContain('process_resident_memory_bytes');

      const signalled = performance.now();
      child.kill('SIGTERM');
      const code = await output.exit;
      expect(code).toBe(0);
      expect(performance.now() - signalled).toBeLessThan(5_000);
      expect(output.lines().map((line) => line.msg)).toEqual(expect.arrayContaining(['stop requested', 'stopping', 'stopped']));
      expect(output.text()).not.toContain(SECRET);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    // The watcher only kept its one PR in line while it ran.
    expect((await pullRequests(client(github))).map((pr) => pr.number)).toEqual([1]);
  });

  it('names each missing variable, and exits 1', async () => {
    const run = await watch(['--once'], { PATH: env.PATH ?? '', HOME: home, KUBECONFIG: env.KUBECONFIG ?? '' });
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain('GITHUB_TOKEN is not set');
    expect(run.stderr).toContain('GITHUB_REPOSITORY is not set');
  });

  it('refuses a Prometheus URL that is not one before anything runs, naming the flag or the variable, and exits 1', async () => {
    const flag = await watch(['--once', '--config', FILE, '--prometheus-url', 'prometheus:9090']);
    expect(flag.exitCode).toBe(1);
    expect(flag.stderr).toContain(
      `--prometheus-url="prometheus:9090" is not an http(s) URL: give Prometheus' base URL, e.g. http://prometheus-server.monitoring.svc:9090`,
    );
    const variable = await watch(['--once', '--config', FILE], { ...env, PROMETHEUS_URL: 'http://prometheus:9090/api/v1/query' });
    expect(variable.exitCode).toBe(1);
    expect(variable.stderr).toContain('PROMETHEUS_URL="http://prometheus:9090/api/v1/query" names an API path');
    expect(flag.lines.concat(variable.lines).filter((line) => line.msg === 'cycle')).toEqual([]);
  });

  it('exits 75 when GitHub cannot be reached (try again), the token still masked', async () => {
    const run = await watch(['--once', '--config', FILE], { ...env, GITHUB_API_URL: 'http://127.0.0.1:9' });
    expect(run.exitCode).toBe(75);
    expect(run.stderr).toMatch(/^error \(temporary, try again\): GitHub: cannot read the repository example\/cluster-config/);
  });
});

/** The child's stdout as JSON lines, its whole output, and its exit code. */
function collect(child: ChildProcess): { lines(): Array<Record<string, unknown>>; text(): string; exit: Promise<number | null> } {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    lines: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{') && line.endsWith('}'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => stdout + stderr,
    exit,
  };
}
