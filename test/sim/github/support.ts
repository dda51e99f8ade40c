import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { retry } from '@octokit/plugin-retry';
import { type ThrottlingOptions, throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import { execa } from 'execa';
import { type GithubSim, type GithubSimOptions, startGithubSim } from '../../../src/sim/github/index.js';

// Real git in throw-away repositories, a real HTTP server on 127.0.0.1, and octokit with the plugins
// the watcher will use. Git identities and dates are fixed, so seeded commit ids are the same each run.

export const OWNER = 'example';
export const REPO = 'cluster-config';
export const NAME = `${OWNER}/${REPO}`;
export const BOT = 'lambdastack-autoscaler[bot]';

const ISOLATED = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const SEEDER = {
  GIT_AUTHOR_NAME: 'Alice Admin',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_AUTHOR_DATE: '2026-10-01T00:00:00+00:00',
  GIT_COMMITTER_NAME: 'Alice Admin',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
  GIT_COMMITTER_DATE: '2026-10-01T00:00:00+00:00',
};

/** A cluster config as the watcher edits it: one multi-document file, the count on one line. */
export function awsConfig(count: number): string {
  return [
    'kind: lambdastack-cluster',
    'title: LambdaStack Cluster Config',
    'name: default',
    'specification:',
    '  name: demo-shop',
    '  prefix: prod',
    '  cloud:',
    '    k8s_as_cloud_service: false',
    '  components:',
    '    kubernetes_master:',
    '      count: 1',
    '    kubernetes_node:',
    `      count: ${count}`,
    '---',
    'kind: configuration/autoscaling',
    'name: default',
    'specification:',
    '  components:',
    '    kubernetes_node:',
    '      min: 2',
    '      max: 10',
    '',
  ].join('\n');
}

const temporary: string[] = [];

export async function removeTemporaryDirectories(): Promise<void> {
  await Promise.all(temporary.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/** Runs git on the bare repository, as a reviewer would check what the API did. */
export async function gitIn(bare: string, args: string[]): Promise<string> {
  return (await execa('git', args, { env: { ...ISOLATED, GIT_DIR: bare } })).stdout;
}

/**
 * A bare repository whose `main` holds `cluster-config/aws.yml` (count 3) and a README, pushed
 * from a scratch clone as a user would push.
 */
export async function seededBareRepository(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'github-sim-'));
  temporary.push(dir);
  const bare = join(dir, 'cluster-config.git');
  const work = join(dir, 'work');
  await execa('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: ISOLATED });
  await execa('git', ['init', '-q', '-b', 'main', work], { env: ISOLATED });
  const files: Record<string, string> = { 'cluster-config/aws.yml': awsConfig(3), 'README.md': '# cluster configs\n' };
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(work, path)), { recursive: true });
    await writeFile(join(work, path), text);
  }
  const env = { ...ISOLATED, ...SEEDER };
  await execa('git', ['add', '.'], { cwd: work, env });
  await execa('git', ['commit', '-q', '-m', 'Add the demo cluster'], { cwd: work, env });
  await execa('git', ['push', '-q', bare, 'main'], { cwd: work, env });
  return bare;
}

export interface World {
  sim: GithubSim;
  bare: string;
  octokit: Client;
  git(args: string[]): Promise<string>;
  close(): Promise<void>;
}

const Client = Octokit.plugin(retry, throttling);
export type Client = InstanceType<typeof Client>;

type LimiterGroup = NonNullable<Extract<ThrottlingOptions, { onRateLimit: unknown }>['write']>;

/**
 * A limiter group that runs jobs at once. The throttling plugin spaces writes 1 s apart and
 * notification-triggering writes (PRs, comments) 3 s apart, as GitHub advises for production; the
 * suite keeps the plugin (its rate-limit handling is what these tests exercise) but not the waits.
 */
const immediate = {
  key: () => ({
    schedule: (_options: unknown, job: (...args: unknown[]) => unknown, ...args: unknown[]) => Promise.resolve(job(...args)),
  }),
} as unknown as LimiterGroup;

export interface ClientOptions {
  token?: string | undefined;
  onRateLimit?: (retryAfter: number) => boolean;
}

/**
 * @octokit/rest with the retry and throttling plugins, as the watcher will build it. 405 and 409
 * are added to the retry plugin's do-not-retry list: by default it retries them (it skips only
 * 400, 401, 403, 404, 410, 422 and 451), which would repeat a refused merge three times with
 * back-off — on GitHub as here.
 */
export function client(sim: GithubSim, options: ClientOptions = {}): Client {
  return new Client({
    baseUrl: sim.url,
    ...('token' in options ? (options.token === undefined ? {} : { auth: options.token }) : { auth: 'test-token' }),
    userAgent: 'lambdastack-autoscaler-tests',
    retry: { doNotRetry: [400, 401, 403, 404, 405, 409, 410, 422, 451] },
    throttle: {
      onRateLimit: (retryAfter: number) => options.onRateLimit?.(retryAfter) ?? false,
      onSecondaryRateLimit: () => false,
      write: immediate,
      notifications: immediate,
    },
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });
}

export async function startWorld(options: Partial<GithubSimOptions> = {}): Promise<World> {
  const bare = options.repoDir ?? (await seededBareRepository());
  const sim = await startGithubSim({ repoDir: bare, name: NAME, ...options });
  return {
    sim,
    bare,
    octokit: client(sim),
    git: (args) => gitIn(bare, args),
    close: () => sim.close(),
  };
}

/** Commits a new version of `aws.yml` through the git data API (blob → tree → commit), as the watcher does. */
export async function commitConfig(octokit: Client, parent: string, count: number, message: string): Promise<string> {
  const { data: parentCommit } = await octokit.git.getCommit({ owner: OWNER, repo: REPO, commit_sha: parent });
  const { data: blob } = await octokit.git.createBlob({ owner: OWNER, repo: REPO, content: awsConfig(count), encoding: 'utf-8' });
  const { data: tree } = await octokit.git.createTree({
    owner: OWNER,
    repo: REPO,
    base_tree: parentCommit.tree.sha,
    tree: [{ path: 'cluster-config/aws.yml', mode: '100644', type: 'blob', sha: blob.sha }],
  });
  const { data: commit } = await octokit.git.createCommit({ owner: OWNER, repo: REPO, message, tree: tree.sha, parents: [parent] });
  return commit.sha;
}

/** Creates a branch at `sha` through the refs API. */
export async function createBranch(octokit: Client, branch: string, sha: string): Promise<void> {
  await octokit.git.createRef({ owner: OWNER, repo: REPO, ref: `refs/heads/${branch}`, sha });
}

export async function mainSha(octokit: Client): Promise<string> {
  return (await octokit.git.getRef({ owner: OWNER, repo: REPO, ref: 'heads/main' })).data.object.sha;
}

/** Plain fetch against the simulator, for the HTTP shapes octokit hides (headers, exact bodies). */
export async function call(
  sim: GithubSim,
  method: string,
  path: string,
  options: { body?: unknown; token?: string | null; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: unknown; text: string }> {
  const token = options.token === undefined ? 'test-token' : options.token;
  const response = await fetch(`${sim.url}${path}`, {
    method,
    headers: {
      ...(token === null ? {} : { authorization: `token ${token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body, text };
}
