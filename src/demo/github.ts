/**
 * GitHub for the demo: the GitHub simulator over the demo's bare repository, and the product's
 * client against it. The client's throttling plugin spaces writes 1–3 s apart, as GitHub asks of
 * production clients; against the simulator that would only slow the demo down, so the demo's own
 * client (the watcher's, the merges') runs its writes at once, as the tests do.
 */
import { createGithubClient, type GithubClient, type WriteLimiter } from '../github/client.js';
import { type GithubSim, startGithubSim } from '../sim/github/index.js';

export const DEMO_OWNER = 'example';
export const DEMO_REPO = 'cluster-config';
/** The token every client sends: the simulator takes any, and the demo masks none (there is nothing to hide). */
export const DEMO_TOKEN = 'demo-token';
/** secrets.SCALE_TOKEN of the demo repository: a GitHub App's token, as scale.yml asks for (made up too). */
export const DEMO_APP_TOKEN = 'demo-app-token';

const immediate = {
  key: () => ({
    schedule: (_options: unknown, job: (...args: unknown[]) => unknown, ...args: unknown[]) => Promise.resolve(job(...args)),
  }),
} as unknown as WriteLimiter;

export interface PullRequestView {
  number: number;
  title: string;
  state: string;
  merged: boolean;
  head: string;
  headSha: string;
  base: string;
  baseSha: string;
  labels: string[];
  body: string;
  /** The API address of the PR (the simulator serves no web pages). */
  url: string;
  mergeCommit: string | null;
}

export interface DemoGithub {
  sim: GithubSim;
  client: GithubClient;
  owner: string;
  repo: string;
  /** Every PR, oldest first. */
  pulls(): Promise<PullRequestView[]>;
  pull(number: number): Promise<PullRequestView>;
  comments(number: number): Promise<Array<{ body: string; user: string }>>;
  mainSha(): Promise<string>;
  /** Merges a PR as a reviewer would press the button (a merge commit); returns main before and after. */
  merge(number: number): Promise<{ before: string; after: string }>;
  close(): Promise<void>;
}

export function demoGithubClient(url: string, token = DEMO_TOKEN): GithubClient {
  return createGithubClient({ baseUrl: url, token, userAgent: 'lambdastack-autoscaler-demo', writeLimiter: immediate, retries: 0 });
}

export async function startDemoGithub(bare: string): Promise<DemoGithub> {
  const sim = await startGithubSim({ repoDir: bare, name: `${DEMO_OWNER}/${DEMO_REPO}` });
  const client = demoGithubClient(sim.url);
  const at = { owner: DEMO_OWNER, repo: DEMO_REPO };
  const view = (pull: {
    number: number;
    title: string;
    state: string;
    merged_at: string | null;
    merge_commit_sha: string | null;
    head: { ref: string; sha: string };
    base: { ref: string; sha: string };
    labels: Array<{ name?: string }>;
    body: string | null;
    url: string;
  }): PullRequestView => ({
    number: pull.number,
    title: pull.title,
    state: pull.state,
    merged: pull.merged_at !== null,
    head: pull.head.ref,
    headSha: pull.head.sha,
    base: pull.base.ref,
    baseSha: pull.base.sha,
    labels: pull.labels.map((label) => label.name ?? ''),
    body: pull.body ?? '',
    url: pull.url,
    mergeCommit: pull.merged_at === null ? null : pull.merge_commit_sha,
  });
  const mainSha = async (): Promise<string> => (await client.git.getRef({ ...at, ref: 'heads/main' })).data.object.sha;
  return {
    sim,
    client,
    ...at,
    pulls: async () => (await client.pulls.list({ ...at, state: 'all', direction: 'asc', per_page: 100 })).data.map(view),
    pull: async (number) => view((await client.pulls.get({ ...at, pull_number: number })).data),
    comments: async (number) =>
      (await client.issues.listComments({ ...at, issue_number: number, per_page: 100 })).data.map((comment) => ({
        body: comment.body ?? '',
        user: comment.user?.login ?? '',
      })),
    mainSha,
    merge: async (number) => {
      const before = await mainSha();
      const { data } = await client.pulls.merge({ ...at, pull_number: number, merge_method: 'merge' });
      return { before, after: data.sha };
    },
    close: () => sim.close(),
  };
}

/** A PR's branch, head commit and address, for the demo's output. */
export function shortPull(pull: PullRequestView): string {
  return `${pull.head} @ ${pull.headSha.slice(0, 7)}, ${pull.url}`;
}
