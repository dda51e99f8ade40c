import { connect } from 'node:net';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { createGithubClient, type GithubClient, type WriteLimiter } from '../../../src/github/client.js';
import { type GithubSim, type GithubSimOptions, startGithubSim } from '../../../src/sim/github/index.js';
import { clusterConfig } from '../../support/config-text.js';
import { alice, ISOLATED_GIT_ENV, newRepository } from '../../support/git.js';
import { tempDir } from '../../support/temp.js';

// Real git in throw-away repositories, a real HTTP server on 127.0.0.1, and the product's GitHub
// client (octokit with the retry and throttling plugins). Git identities and dates are fixed, so
// seeded commit ids are the same each run.

export const OWNER = 'example';
export const REPO = 'cluster-config';
export const NAME = `${OWNER}/${REPO}`;
export const BOT = 'lambdastack-autoscaler[bot]';

/** A cluster config as the watcher edits it: one multi-document file, the count on one line. */
export function awsConfig(count: number): string {
  return clusterConfig({ name: 'demo-shop', prefix: 'prod', nodes: count, autoscaling: { min: 2, max: 10 } });
}

/** Runs git on the bare repository, as a reviewer would check what the API did. */
export async function gitIn(bare: string, args: string[]): Promise<string> {
  return (await execa('git', args, { env: { ...ISOLATED_GIT_ENV, GIT_DIR: bare } })).stdout;
}

/**
 * A bare repository whose `main` holds `cluster-config/aws.yml` (count 3) and a README, pushed
 * from a scratch clone as a user would push. Removed when the test file ends.
 */
export async function seededBareRepository(): Promise<string> {
  const bare = `${await tempDir('github-sim-')}/cluster-config.git`;
  const work = await newRepository();
  await work.commit('Add the demo cluster', {
    who: alice,
    files: { 'cluster-config/aws.yml': awsConfig(3), 'README.md': '# cluster configs\n' },
  });
  await execa('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: ISOLATED_GIT_ENV });
  await work.git(['push', '-q', bare, 'main']);
  return bare;
}

export interface World {
  sim: GithubSim;
  bare: string;
  octokit: Client;
  git(args: string[]): Promise<string>;
  close(): Promise<void>;
}

export type Client = GithubClient;

/**
 * A limiter group that runs jobs at once. The throttling plugin spaces writes 1 s apart and
 * notification-triggering writes (PRs, comments) 3 s apart, as GitHub advises for production; the
 * suite keeps the plugin (its rate-limit handling is what these tests exercise) but not the waits.
 */
const immediate = {
  key: () => ({
    schedule: (_options: unknown, job: (...args: unknown[]) => unknown, ...args: unknown[]) => Promise.resolve(job(...args)),
  }),
} as unknown as WriteLimiter;

export interface ClientOptions {
  token?: string | undefined;
  /** How many times a primary rate limit is waited out. Default 0: the test sees the 403/429. */
  rateLimitRetries?: number;
  onRateLimit?: (retryAfterSeconds: number) => void;
}

/** The product's GitHub client against the simulator, without the plugin's spacing of writes. */
export function client(sim: GithubSim, options: ClientOptions = {}): Client {
  return createGithubClient({
    baseUrl: sim.url,
    token: 'token' in options ? options.token : 'test-token',
    userAgent: 'lambdastack-autoscaler-tests',
    rateLimitRetries: options.rateLimitRetries ?? 0,
    writeLimiter: immediate,
    ...(options.onRateLimit ? { onRateLimit: options.onRateLimit } : {}),
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

/**
 * One world for a whole test file, started before its tests and closed after them, whose server
 * must never answer 500: every error behind one fails the file. The object is filled in when the
 * world has started.
 */
export function worldWithoutServerErrors(options: Partial<GithubSimOptions> = {}): World {
  const world = {} as World;
  const serverErrors: unknown[] = [];
  beforeAll(async () => {
    Object.assign(world, await startWorld({ ...options, onError: (error) => serverErrors.push(error) }));
  });
  afterAll(async () => {
    await world.close?.();
    expect(serverErrors).toEqual([]);
  });
  return world;
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

/**
 * A raw HTTP/1.1 exchange, for what fetch will not send (a malformed request line, a body that
 * never ends, `Expect: 100-continue`): `send` writes to the connection; resolves with everything
 * the server sent, once the server has closed its side.
 */
export function rawExchange(sim: GithubSim, send: (write: (data: string | Buffer) => void) => void): Promise<string> {
  const { port } = new URL(sim.url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect(Number(port), '127.0.0.1', () => send((data) => socket.write(data)));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/** A request head for `rawExchange`, authenticated, with `headers` added. */
export function rawHead(method: string, target: string, headers: Record<string, string | number> = {}): string {
  const lines = Object.entries({ host: '127.0.0.1', authorization: 'token test', 'content-type': 'application/json', ...headers });
  return `${method} ${target} HTTP/1.1\r\n${lines.map(([name, value]) => `${name}: ${value}`).join('\r\n')}\r\n\r\n`;
}
