import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AutoscalePrMemory, type SyncAutoscalePrOptions } from '../../src/github/autoscale-pr.js';
import type { PrEvidence } from '../../src/github/pr-body.js';
import type { RequestRecord } from '../../src/sim/github/index.js';
import { awsConfig, type Client, OWNER, REPO, type World } from '../sim/github/support.js';
import { bob, git, type Person } from '../support/git.js';
import { tempDir } from '../support/temp.js';

// The watcher's side of the autoscale PR tests: its decision, what a person does to the branch,
// and the simulator's request log read as GitHub calls.

export const FILE = 'cluster-config/aws.yml';
export const BRANCH = 'autoscale/demo-shop';
export const repo = { owner: OWNER, repo: REPO };

export const EVIDENCE: PrEvidence = {
  summary: '4 pods have been unschedulable for 3 minutes: insufficient cpu.',
  rows: [
    { measure: 'pending pods', value: 4, threshold: 0 },
    { measure: 'cpu requests / allocatable', value: '92%', threshold: '80%' },
  ],
  chart: 'xychart-beta\n  title "pending pods"\n  x-axis [0, 1, 2, 3]\n  line [0, 1, 3, 4]',
};

/** The watcher's decision for demo-shop (its config on main says 3 nodes). */
export function decision(to: number, more: Partial<SyncAutoscalePrOptions> = {}): SyncAutoscalePrOptions {
  return {
    ...repo,
    defaultBranch: 'main',
    file: FILE,
    cluster: 'demo-shop',
    component: 'kubernetes_node',
    from: 3,
    to,
    reason: `${Math.abs(to - 3) * 2} pods pending for 3m`,
    evidence: EVIDENCE,
    ...more,
  };
}

export { AutoscalePrMemory };

/**
 * A request as a GitHub call, named from the repository without the query: `POST git/trees`,
 * `PATCH git/refs/heads/autoscale/demo-shop`, `GET pulls`; `GET repository` for the repository itself.
 */
export function callName(record: RequestRecord): string {
  const path = decodeURIComponent(record.path.replace(/\?.*$/, '')).replace(new RegExp(`^/repos/${OWNER}/${REPO}/?`), '');
  return `${record.method} ${path || 'repository'}`;
}

export const isWrite = (record: RequestRecord): boolean => record.method !== 'GET' && record.method !== 'HEAD';

/** The requests the simulator sees from now on. */
export function requestLog(world: World): () => RequestRecord[] {
  const start = world.sim.requestCount();
  return () => world.sim.requests().slice(start);
}

/** The writes among them, as GitHub calls. */
export function writesOf(records: readonly RequestRecord[]): string[] {
  return records.filter(isWrite).map(callName);
}

/** A person clones the repository, sets the count on the autoscale branch, and pushes: a commit the autoscaler did not make. */
export async function personPushes(world: World, count: number, who: Person = bob): Promise<string> {
  const dir = await tempDir('person-');
  await git(dir, ['clone', '-q', '-b', BRANCH, world.bare, '.']);
  await writeFile(join(dir, FILE), awsConfig(count));
  await git(dir, ['commit', '-qam', `${who.name}: ${count} nodes are enough`], { who });
  await git(dir, ['push', '-q', 'origin', BRANCH]);
  return git(dir, ['rev-parse', 'HEAD']);
}

/** A person pushes a commit to main that changes another file (the default branch moves on). */
export async function someoneChangesMain(world: World, file = 'README.md'): Promise<string> {
  const dir = await tempDir('main-');
  await git(dir, ['clone', '-q', '-b', 'main', world.bare, '.']);
  await writeFile(join(dir, file), `# changed ${Date.now()}\n`);
  await git(dir, ['add', file]);
  await git(dir, ['commit', '-qm', `Change ${file}`]);
  await git(dir, ['push', '-q', 'origin', 'main']);
  return git(dir, ['rev-parse', 'HEAD']);
}

/**
 * The client fails at the first 5xx instead of waiting out the retry plugin's back-off (1 s, 4 s,
 * 9 s): a hook sets the per-request retry count, which the plugin reads, to 0.
 */
export function withoutRetries(octokit: Client): Client {
  octokit.hook.before('request', (options) => {
    options.request = { ...options.request, retries: 0 } as typeof options.request;
  });
  return octokit;
}

/** The open and closed PRs of the autoscale branch, oldest first. */
export async function branchPullRequests(octokit: Client): Promise<Array<{ number: number; state: string; merged: boolean }>> {
  const { data } = await octokit.pulls.list({ ...repo, head: `${OWNER}:${BRANCH}`, state: 'all', direction: 'asc' });
  return data.map((pull) => ({ number: pull.number, state: pull.state, merged: pull.merged_at !== null }));
}
