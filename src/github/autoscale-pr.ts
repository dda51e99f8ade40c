import { z } from 'zod';
import { setComponentCount } from '../config/index.js';
import { TransientError, UserError } from '../errors.js';
import { scaleCommitMessage } from '../history/commit-message.js';
import { countChangeNodes } from '../plan/index.js';
import { type AutoMergeStrategy, graphqlAutoMerge } from './auto-merge.js';
import type { GithubClient } from './client.js';
import { ResponseCache, statusOf } from './conditional-get.js';
import { readClusterConfig } from './config-reader.js';
import { githubFailure } from './errors.js';
import {
  adviceComment,
  autoscalePrBody,
  autoscalePrTitle,
  closeComment,
  type PrEvidence,
  type PrMarker,
  readAdviceMarker,
  readPrMarker,
  type ScaleDecision,
  sameDecision,
  withPrMarker,
} from './pr-body.js';

/**
 * The autoscale pull request: one open PR per cluster, on `autoscale/<specification.name>`, whose
 * one commit (on the latest default branch) changes one count line. Each cycle the watcher calls
 * `syncAutoscalePr` with its decision, or `closeAutoscalePr` when no change is needed.
 *
 * Writes are few, because the throttling plugin spaces them a second or more apart (PRs and
 * comments three): an unchanged decision writes nothing, and its reads are conditional (304s,
 * free of rate limit). A branch a person has pushed to is never rewritten: the autoscaler
 * comments instead. Two watchers, or a retry after a lost answer, never open two PRs.
 */

export const AUTOSCALE_LABEL = 'autoscaler';
export const SCALE_UP_LABEL = 'scale-up';
export const SCALE_DOWN_LABEL = 'scale-down';

export interface GitIdentity {
  name: string;
  email: string;
}

/**
 * The author and committer of every commit the autoscaler makes. A person's push, amend or rebase
 * puts another committer on the head, which is how a branch touched by people is told apart.
 */
export const AUTOSCALER_IDENTITY: GitIdentity = {
  name: 'lambdastack-autoscaler',
  email: 'lambdastack-autoscaler@users.noreply.github.com',
};

/** How long a PR a person closed holds back a new PR for the same change. */
export const DEFAULT_RESPECT_CLOSED_MS = 60 * 60 * 1000;

/** Attempts within one call when another writer moves the branch or opens the PR meanwhile. */
const MAX_ATTEMPTS = 3;

/**
 * What one watcher process remembers between cycles: the last answers (for conditional reads),
 * which commits it made, and the advice it has commented. Losing it (a restart) costs reads, never
 * a wrong write. One per repository is enough: keys include the branch.
 */
export class AutoscalePrMemory {
  readonly responses = new ResponseCache();
  /** Commit id → whether the autoscaler made it (a commit never changes). */
  readonly ownCommits = new Map<string, boolean>();
  /** PR number → the decision last advised in a comment. */
  readonly advised = new Map<number, ScaleDecision>();
  /** PR heads auto-merge was asked for, or refused for good: asked once, not every cycle. */
  readonly autoMergeAsked = new Set<string>();
}

export interface AutoscaleRepository {
  owner: string;
  repo: string;
  /** The branch PRs target and are built on. Default: the repository's (one more read, conditional). */
  defaultBranch?: string | undefined;
  /** Keep one across cycles: without it every read is a full one. */
  memory?: AutoscalePrMemory | undefined;
  identity?: GitIdentity | undefined;
}

export interface SyncAutoscalePrOptions extends AutoscaleRepository, ScaleDecision {
  /** One line for the commit's `Autoscale-Reason` trailer and the PR's "Why". */
  reason: string;
  evidence?: PrEvidence | undefined;
  /** Labels besides `autoscaler` and `scale-up`/`scale-down`. */
  labels?: readonly string[] | undefined;
  /** Ask GitHub to merge scale-ups once their checks pass. Scale-downs always wait for a person. */
  autoMerge?: boolean | undefined;
  /** How auto-merge is switched on and off. Default: GitHub's GraphQL mutations. */
  autoMergeStrategy?: AutoMergeStrategy | undefined;
  /** How long a PR a person closed holds back a new PR for the same change. Default one hour. */
  respectClosedForMs?: number | undefined;
  now?: (() => Date) | undefined;
}

export interface CloseAutoscalePrOptions extends AutoscaleRepository {
  cluster: string;
  /** Why no change is needed any more: the closing comment says it. */
  why: string;
}

/**
 * - `opened`: a new PR. `updated`: the PR now carries this decision (or got its labels back).
 * - `unchanged`: nothing written (the PR already says this; or a person closed a PR for it lately).
 * - `commented`: the branch has a person's commits; the comment says what the autoscaler would do.
 * - `closed`: closed with a comment (by `closeAutoscalePr`, or because the default branch already has the count).
 * - `stale`: the default branch's count is no longer `from`: read the config again and decide again.
 */
export type AutoscalePrAction = 'opened' | 'updated' | 'unchanged' | 'closed' | 'commented' | 'stale';

export interface AutoscalePrResult {
  action: AutoscalePrAction;
  /** The PR acted on or found; null when there is none. */
  number: number | null;
  url: string | null;
  /** What was done and why, for the log. */
  detail: string;
  /** What went wrong without stopping the PR (auto-merge refused, say). */
  warnings: string[];
}

/** A PR of the autoscale branch, as the listing gives it. */
interface BranchPull {
  number: number;
  url: string;
  nodeId: string;
  open: boolean;
  merged: boolean;
  closedAt: string | null;
  head: string;
  body: string | null;
  labels: string[];
  autoMerge: boolean;
  marker: PrMarker | undefined;
}

/** One call's context. */
interface Run {
  github: GithubClient;
  owner: string;
  repo: string;
  branch: string;
  base: string;
  memory: AutoscalePrMemory;
  identity: GitIdentity;
}

/** The branch or the PR changed under this call: observe again and decide again. */
class Raced extends Error {}

/** `autoscale/<specification.name>`: the one branch, and so the one PR, of a cluster. */
export function autoscaleBranch(cluster: string): string {
  // specification.name is a DNS label (validated with the config), so it is always a valid ref part.
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(cluster)) {
    throw new UserError(
      `cluster name ${JSON.stringify(cluster)} refused: the autoscale branch is autoscale/<specification.name>, and a name is letters, digits and '-'`,
    );
  }
  return `autoscale/${cluster}`;
}

/** Runs a GitHub call, turning its failure into the error taxonomy with what was being done. */
export async function call<T>(what: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    throw githubFailure(error, what);
  }
}

/** The text of a refusal, where GitHub puts it for 422s (`errors[].message`) or in the message itself. */
export function refusalText(error: unknown): string {
  const data = (error as { response?: { data?: { message?: unknown; errors?: unknown } } } | null)?.response?.data;
  const errors = Array.isArray(data?.errors) ? data.errors.map((e) => String((e as { message?: unknown } | null)?.message ?? '')) : [];
  return [String(data?.message ?? ''), ...errors, String((error as { message?: unknown } | null)?.message ?? '')].join(' ');
}

async function startRun(github: GithubClient, options: AutoscaleRepository, cluster: string): Promise<Run> {
  if (!options.owner || !options.repo)
    throw new UserError('GitHub: the repository is owner/name, e.g. example/cluster-config: both parts are needed');
  const memory = options.memory ?? new AutoscalePrMemory();
  const { owner, repo } = options;
  const base =
    options.defaultBranch ??
    (
      await call(
        `read the repository ${owner}/${repo}`,
        memory.responses.read(`repository ${owner}/${repo}`, (headers) => github.repos.get({ owner, repo, headers })),
      )
    ).default_branch;
  return { github, owner, repo, branch: autoscaleBranch(cluster), base, memory, identity: options.identity ?? AUTOSCALER_IDENTITY };
}

function pullsKey(run: Run): string {
  return `pulls ${run.owner}/${run.repo} ${run.branch} → ${run.base}`;
}

/**
 * The PRs of the autoscale branch into the default branch, newest first, with one conditional
 * read: the open one (at most one: GitHub refuses a second for the same head and base) and the
 * recently closed ones.
 */
async function branchPulls(run: Run): Promise<BranchPull[]> {
  const { github, owner, repo } = run;
  const pulls = await call(
    `list the pull requests of ${run.branch} in ${owner}/${repo}`,
    run.memory.responses.read(pullsKey(run), (headers) =>
      github.pulls.list({
        owner,
        repo,
        // GitHub ignores a head filter without the owner and lists every PR.
        head: `${owner}:${run.branch}`,
        base: run.base,
        state: 'all',
        sort: 'created',
        direction: 'desc',
        per_page: 20,
        headers,
      }),
    ),
  );
  return pulls.map((pull) => ({
    number: pull.number,
    url: pull.html_url,
    nodeId: pull.node_id,
    open: pull.state === 'open',
    merged: pull.merged_at !== null,
    closedAt: pull.closed_at,
    head: pull.head.sha,
    body: pull.body,
    labels: pull.labels.map((label) => label.name),
    autoMerge: pull.auto_merge !== null && pull.auto_merge !== undefined,
    marker: readPrMarker(pull.body),
  }));
}

const commitSchema = z.object({
  author: z.object({ name: z.string(), email: z.string() }),
  committer: z.object({ name: z.string(), email: z.string() }),
  parents: z.array(z.object({ sha: z.string() })),
});

/**
 * Whether `identity` made commit `sha` (one read): its author and committer are that identity and
 * it has one parent. A person's push, amend, rebase or merge fails the test.
 */
export async function isCommitBy(
  github: GithubClient,
  repository: { owner: string; repo: string },
  sha: string,
  identity: GitIdentity,
  branch: string,
): Promise<boolean> {
  const { data } = await call(
    `read commit ${sha} of ${branch}`,
    github.git.getCommit({ owner: repository.owner, repo: repository.repo, commit_sha: sha }),
  );
  const commit = commitSchema.safeParse(data);
  if (!commit.success)
    throw new TransientError(`GitHub: unexpected answer for commit ${sha}: ${commit.error.issues[0]?.message ?? 'wrong shape'}`);
  const same = (person: GitIdentity): boolean =>
    person.name === identity.name && person.email.toLowerCase() === identity.email.toLowerCase();
  return same(commit.data.author) && same(commit.data.committer) && commit.data.parents.length === 1;
}

/**
 * Whether the autoscaler made commit `sha`: it is the head the PR's marker names (no call), or
 * `isCommitBy` the autoscaler's identity (one read, once per commit).
 */
async function madeByAutoscaler(run: Run, sha: string, marker: PrMarker | undefined): Promise<boolean> {
  if (marker?.head === sha) return true;
  const known = run.memory.ownCommits.get(sha);
  if (known !== undefined) return known;
  const own = await isCommitBy(run.github, run, sha, run.identity, run.branch);
  run.memory.ownCommits.set(sha, own);
  return own;
}

/** The commit a decision needs, built on the default branch's tip; or why none is needed. */
type Built =
  | { kind: 'commit'; sha: string; baseSha: string; nodes: { add: string[]; remove: string[] } }
  | { kind: 'already'; count: number }
  | { kind: 'stale'; count: number };

const branchSchema = z.object({ commit: z.object({ sha: z.string(), commit: z.object({ tree: z.object({ sha: z.string() }) }) }) });

/** A branch's tip: its commit, and that commit's tree (the base of a new tree). */
export interface BranchTip {
  sha: string;
  treeSha: string;
}

/** The tip of `branch`, in one read. */
export async function readBranchTip(github: GithubClient, repository: { owner: string; repo: string }, branch: string): Promise<BranchTip> {
  const { owner, repo } = repository;
  const { data } = await call(`read the branch ${branch} of ${owner}/${repo}`, github.repos.getBranch({ owner, repo, branch }));
  const tip = branchSchema.safeParse(data);
  if (!tip.success)
    throw new TransientError(`GitHub: unexpected answer for branch ${branch}: ${tip.error.issues[0]?.message ?? 'wrong shape'}`);
  return { sha: tip.data.commit.sha, treeSha: tip.data.commit.commit.tree.sha };
}

/** One file's new text, committed on top of a tip. */
export interface FileCommit {
  file: string;
  text: string;
  message: string;
  identity: GitIdentity;
}

/**
 * Writes a commit whose parent is `tip` and whose only change is `change.file`: two calls (the tree
 * with the text inline, then the commit), which put objects in the repository but move no branch.
 * Returns the commit's id.
 */
export async function writeFileCommit(
  github: GithubClient,
  repository: { owner: string; repo: string },
  tip: BranchTip,
  change: FileCommit,
): Promise<string> {
  const { owner, repo } = repository;
  const tree = await call(
    `write the tree for ${change.file}`,
    github.git.createTree({
      owner,
      repo,
      base_tree: tip.treeSha,
      // A cluster config is a regular file; an executable bit on one would be lost here.
      tree: [{ path: change.file, mode: '100644', type: 'blob', content: change.text }],
    }),
  );
  const commit = await call(
    `write the commit for ${change.file}`,
    github.git.createCommit({
      owner,
      repo,
      message: change.message,
      tree: tree.data.sha,
      parents: [tip.sha],
      author: change.identity,
      committer: change.identity,
    }),
  );
  return commit.data.sha;
}

/**
 * Builds the PR's one commit: the default branch's tip as parent, its config text with only the
 * count scalar edited (setComponentCount), the scale commit message with its trailer. Three
 * calls write nothing visible yet (tree and commit objects); the branch is moved afterwards.
 */
async function buildCommit(run: Run, options: SyncAutoscalePrOptions): Promise<Built> {
  const { github, owner, repo } = run;
  const tip = await readBranchTip(github, run, run.base);
  const baseSha = tip.sha;
  // Read at the tip's commit id, not the branch name: the edit must be of exactly the parent's text.
  const config = await readClusterConfig(github, { owner, repo, path: options.file, ref: baseSha });
  if (config.unchanged) throw new Error('an unconditional read answered "unchanged"');
  const edit = setComponentCount(options.file, config.text, options.component, options.to);
  if (edit.config.name !== options.cluster) {
    throw new UserError(
      `${options.file} on ${run.base} holds cluster ${edit.config.name}, not ${options.cluster}: pass the file of cluster ${options.cluster}`,
    );
  }
  if (edit.from === options.to) return { kind: 'already', count: edit.from };
  if (edit.from !== options.from) return { kind: 'stale', count: edit.from };
  const sha = await writeFileCommit(github, run, tip, {
    file: options.file,
    text: edit.text,
    message: scaleCommitMessage(options),
    identity: run.identity,
  });
  run.memory.ownCommits.set(sha, true);
  const nodes = countChangeNodes(edit.config.prefix, options.cluster, options.component, options.from, options.to);
  return { kind: 'commit', sha, baseSha, nodes };
}

/** A branch's head now, or undefined when it does not exist. */
export async function branchHeadSha(
  github: GithubClient,
  repository: { owner: string; repo: string },
  branch: string,
): Promise<string | undefined> {
  try {
    const { data } = await github.git.getRef({ owner: repository.owner, repo: repository.repo, ref: `heads/${branch}` });
    return data.object.sha;
  } catch (error) {
    if (statusOf(error) === 404) return undefined;
    throw githubFailure(error, `read the branch ${branch}`);
  }
}

/** The autoscale branch's head now, or undefined when it does not exist. */
function branchHead(run: Run): Promise<string | undefined> {
  return branchHeadSha(run.github, run, run.branch);
}

/**
 * Moves the branch from `expected` to `sha`. GitHub's ref update has no compare-and-swap, so the
 * head is read again just before the forced update: a push seen there is never overwritten, and
 * what is left is the milliseconds between the two calls. A refused update (409, 422) means the
 * branch moved: observe again.
 */
async function moveBranch(run: Run, expected: string, sha: string): Promise<void> {
  const current = await branchHead(run);
  if (current !== expected) throw new Raced(`${run.branch} moved from ${expected} to ${current ?? 'nothing'}`);
  try {
    await run.github.git.updateRef({ owner: run.owner, repo: run.repo, ref: `heads/${run.branch}`, sha, force: true });
  } catch (error) {
    const status = statusOf(error);
    if (status === 409 || status === 422) throw new Raced(`${run.branch} could not be moved: ${refusalText(error)}`);
    throw githubFailure(error, `move ${run.branch} to ${sha}`);
  }
}

function labelsFor(options: SyncAutoscalePrOptions): string[] {
  const direction = options.to > options.from ? SCALE_UP_LABEL : SCALE_DOWN_LABEL;
  const labels: string[] = [];
  for (const label of [AUTOSCALE_LABEL, direction, ...(options.labels ?? [])]) {
    if (!labels.some((known) => known.toLowerCase() === label.toLowerCase())) labels.push(label);
  }
  return labels;
}

export function missingLabels(have: readonly string[], wanted: readonly string[]): string[] {
  return wanted.filter((label) => !have.some((known) => known.toLowerCase() === label.toLowerCase()));
}

function result(
  action: AutoscalePrAction,
  pull: Pick<BranchPull, 'number' | 'url'> | undefined,
  detail: string,
  warnings: string[] = [],
): AutoscalePrResult {
  return { action, number: pull?.number ?? null, url: pull?.url ?? null, detail, warnings };
}

function checkDecision(options: SyncAutoscalePrOptions): void {
  const where = `autoscale PR for ${options.cluster} (${options.file})`;
  for (const [name, value] of [
    ['from', options.from],
    ['to', options.to],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new UserError(`${where}: ${name} ${value} refused: a count is a whole number, 0 or more`);
  }
  if (options.from === options.to) {
    throw new UserError(
      `${where}: from and to are both ${options.to}, so there is nothing to change: call closeAutoscalePr when no change is needed`,
    );
  }
  if (!options.file || options.file.startsWith('/')) {
    throw new UserError(`${where}: the file is named from the repository root, e.g. cluster-config/aws.yml`);
  }
}

/** Asks for auto-merge on a scale-up PR once per head; a refusal is a warning, not a failure of the PR. */
async function askAutoMerge(
  run: Run,
  options: SyncAutoscalePrOptions,
  pull: { number: number; nodeId: string; head: string },
): Promise<string[]> {
  if (!options.autoMerge || options.to < options.from || run.memory.autoMergeAsked.has(pull.head)) return [];
  const strategy = options.autoMergeStrategy ?? graphqlAutoMerge(run.github);
  try {
    await strategy.enable(pull);
    run.memory.autoMergeAsked.add(pull.head);
    return [];
  } catch (error) {
    // A refusal will be refused again: asked once. A transient failure is asked again next cycle.
    if (!(error instanceof TransientError)) run.memory.autoMergeAsked.add(pull.head);
    return [`auto-merge not enabled on PR #${pull.number}: ${error instanceof Error ? error.message : String(error)}`];
  }
}

/**
 * Brings the cluster's autoscale PR in line with a decision (`from` → `to` for one component of
 * one config file):
 * - no open PR: opens one (unless a person closed one for this same change within
 *   `respectClosedForMs`);
 * - an open PR of the autoscaler's with the same decision: writes nothing;
 * - with another decision: rebuilds its one commit on the latest default branch and rewrites it;
 * - a PR whose branch a person has pushed to: comments what the autoscaler would now do (once
 *   per decision), and never touches the branch.
 * Refusals (a count outside the bounds, a file of another cluster) are UserErrors; GitHub being
 * down is a TransientError, and the next cycle finishes the job with the same single PR.
 */
export async function syncAutoscalePr(github: GithubClient, options: SyncAutoscalePrOptions): Promise<AutoscalePrResult> {
  checkDecision(options);
  const run = await startRun(github, options, options.cluster);
  let made: Extract<Built, { kind: 'commit' }> | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const pulls = await branchPulls(run);
    try {
      const open = pulls.find((pull) => pull.open);
      if (open) return await updatePull(run, options, open, made);
      const closed = heldBack(pulls, options);
      if (closed) return heldBackResult(options, closed);
      // The commit of an earlier attempt is kept: that attempt lost a race after placing it.
      const built = made ?? (await buildCommit(run, options));
      if (built.kind !== 'commit') return nothingToOpen(run, options, built);
      made = built;
      return await openPull(run, options, pulls, built);
    } catch (error) {
      if (!(error instanceof Raced)) throw error;
      // The listing is out of date now; read it again in full.
      run.memory.responses.forget(pullsKey(run));
    }
  }
  throw new TransientError(
    `GitHub: ${run.branch} in ${run.owner}/${run.repo} kept changing during ${MAX_ATTEMPTS} attempts (another watcher or a person is writing to it): the next cycle tries again`,
  );
}

function nothingToOpen(run: Run, options: SyncAutoscalePrOptions, built: Exclude<Built, { kind: 'commit' }>): AutoscalePrResult {
  if (built.kind === 'already') {
    return result(
      'unchanged',
      undefined,
      `${options.file} on ${run.base} already sets ${options.component}.count to ${built.count}: no PR needed`,
    );
  }
  return result('stale', undefined, staleText(run, options, built.count));
}

function staleText(run: Run, options: SyncAutoscalePrOptions, count: number): string {
  return `${options.file} on ${run.base} sets ${options.component}.count to ${count}, not ${options.from} as the decision assumed: read the config again and decide again`;
}

/** The decision alone, as markers keep it (the options carry much more). */
function decisionOf(options: SyncAutoscalePrOptions): ScaleDecision {
  return { file: options.file, cluster: options.cluster, component: options.component, from: options.from, to: options.to };
}

/** Title and body of the PR for a decision and the commit built for it. */
function prText(run: Run, options: SyncAutoscalePrOptions, built: Extract<Built, { kind: 'commit' }>): { title: string; body: string } {
  const marker: PrMarker = { ...decisionOf(options), head: built.sha };
  const body = autoscalePrBody({
    decision: options,
    reason: options.reason,
    branch: run.branch,
    base: run.base,
    nodes: built.nodes,
    evidence: options.evidence,
    marker,
  });
  return { title: autoscalePrTitle(options), body };
}

async function openPull(
  run: Run,
  options: SyncAutoscalePrOptions,
  pulls: readonly BranchPull[],
  built: Extract<Built, { kind: 'commit' }>,
): Promise<AutoscalePrResult> {
  const { github, owner, repo } = run;
  await placeBranch(run, pulls, built);
  let created: Awaited<ReturnType<GithubClient['pulls']['create']>>;
  try {
    created = await github.pulls.create({
      owner,
      repo,
      head: run.branch,
      base: run.base,
      ...prText(run, options, built),
    });
  } catch (error) {
    // Another writer opened it first (or this PR was opened by a call whose answer was lost): find it and update it.
    if (statusOf(error) === 422 && /already exists|No commits between/i.test(refusalText(error))) throw new Raced(refusalText(error));
    throw githubFailure(error, `open the pull request for ${run.branch}`);
  }
  const pull = { number: created.data.number, url: created.data.html_url, nodeId: created.data.node_id, head: built.sha };
  await call(`label PR #${pull.number}`, github.issues.addLabels({ owner, repo, issue_number: pull.number, labels: labelsFor(options) }));
  const warnings = await askAutoMerge(run, options, pull);
  return result('opened', pull, `opened PR #${pull.number}: ${autoscalePrTitle(options)}`, warnings);
}

function heldBackResult(options: SyncAutoscalePrOptions, closed: BranchPull): AutoscalePrResult {
  const until = new Date(Date.parse(closed.closedAt ?? '') + (options.respectClosedForMs ?? DEFAULT_RESPECT_CLOSED_MS)).toISOString();
  return result(
    'unchanged',
    closed,
    `a person closed PR #${closed.number} for this same change at ${closed.closedAt}: no new PR before ${until}, unless the decision changes`,
  );
}

/** The newest closed PR, when a person closed it lately for this same change (and so no new one is opened yet). */
function heldBack(pulls: readonly BranchPull[], options: SyncAutoscalePrOptions): BranchPull | undefined {
  const newest = pulls.find((pull) => !pull.open);
  if (!newest || newest.merged || !newest.marker || newest.marker.closed !== undefined || !sameDecision(newest.marker, options))
    return undefined;
  const closedAt = Date.parse(newest.closedAt ?? '');
  const now = (options.now ?? (() => new Date()))().getTime();
  return Number.isFinite(closedAt) && now - closedAt < (options.respectClosedForMs ?? DEFAULT_RESPECT_CLOSED_MS) ? newest : undefined;
}

/**
 * Puts the branch at the new commit: creates it, or moves a leftover one (a merged PR's, or the
 * autoscaler's own from a cycle that failed before its PR opened). A leftover branch with a
 * person's unmerged commits is refused: deleting it is that person's call.
 */
async function placeBranch(run: Run, pulls: readonly BranchPull[], built: Extract<Built, { kind: 'commit' }>): Promise<void> {
  try {
    await run.github.git.createRef({ owner: run.owner, repo: run.repo, ref: `refs/heads/${run.branch}`, sha: built.sha });
    return;
  } catch (error) {
    if (!(statusOf(error) === 422 && /already exists/i.test(refusalText(error))))
      throw githubFailure(error, `create the branch ${run.branch}`);
  }
  const current = await branchHead(run);
  if (current === undefined) throw new Raced(`${run.branch} was deleted meanwhile`);
  if (current === built.sha) return;
  const leftover =
    current === built.baseSha ||
    pulls.some((pull) => pull.merged && pull.head === current) ||
    (await madeByAutoscaler(run, current, undefined));
  if (!leftover) {
    throw new UserError(
      `GitHub: the branch ${run.branch} in ${run.owner}/${run.repo} has commits the autoscaler did not make (head ${current}) and no open PR: the autoscaler will not overwrite them; merge or delete the branch, and it opens its PR`,
    );
  }
  await moveBranch(run, current, built.sha);
}

async function updatePull(
  run: Run,
  options: SyncAutoscalePrOptions,
  open: BranchPull,
  made: Extract<Built, { kind: 'commit' }> | undefined,
): Promise<AutoscalePrResult> {
  const { github, owner, repo } = run;
  const marker = open.marker;
  if (marker && marker.file !== options.file) {
    throw new UserError(
      `GitHub: PR #${open.number} on ${run.branch} changes ${marker.file}, and ${options.file} names the same cluster ${options.cluster}: one branch serves one cluster, so give the clusters different specification.name values`,
    );
  }
  if (!(await madeByAutoscaler(run, open.head, marker))) return advise(run, options, open);
  const wanted = labelsFor(options);
  if (marker && sameDecision(marker, options) && marker.head === open.head) {
    // The PR already says this. Labels a person removed, or a labelling call that failed, come back.
    const missing = missingLabels(open.labels, wanted);
    if (missing.length > 0) {
      await call(`label PR #${open.number}`, github.issues.addLabels({ owner, repo, issue_number: open.number, labels: missing }));
    }
    const warnings = open.autoMerge ? [] : await askAutoMerge(run, options, open);
    return missing.length > 0
      ? result('updated', open, `PR #${open.number} already proposes this; labels added back: ${missing.join(', ')}`, warnings)
      : result('unchanged', open, `PR #${open.number} already proposes ${autoscalePrTitle(options)}`, warnings);
  }
  let built = made && made.sha === open.head ? made : undefined;
  if (!built) {
    const fresh = await buildCommit(run, options);
    if (fresh.kind === 'stale') return result('stale', open, staleText(run, options, fresh.count));
    if (fresh.kind === 'already') {
      return closePull(run, open, true, `${options.file} on ${run.base} already sets ${options.component}.count to ${fresh.count}`);
    }
    built = fresh;
    // A PR set to merge itself must not become a scale-down that merges without a person.
    const wasUp = marker ? marker.to > marker.from : false;
    if (options.to < options.from && (open.autoMerge || (wasUp && options.autoMerge))) {
      await (options.autoMergeStrategy ?? graphqlAutoMerge(github)).disable(open);
    }
    await moveBranch(run, open.head, built.sha);
  }
  const directionLabels = [SCALE_UP_LABEL, SCALE_DOWN_LABEL].map((label) => label.toLowerCase());
  const labels = [
    ...open.labels.filter((label) => !directionLabels.includes(label.toLowerCase()) || wanted.includes(label)),
    ...missingLabels(open.labels, wanted),
  ];
  // One write for title, body and labels: the issues endpoint takes all three for a PR.
  await call(
    `update PR #${open.number}`,
    github.issues.update({
      owner,
      repo,
      issue_number: open.number,
      ...prText(run, options, built),
      labels,
    }),
  );
  const warnings = await askAutoMerge(run, options, { ...open, head: built.sha });
  const was = marker ? `it proposed ${marker.from} → ${marker.to}` : 'its body had no autoscaler marker';
  return result('updated', open, `PR #${open.number} now proposes ${autoscalePrTitle(options)} (${was})`, warnings);
}

/** The newest advice comment on a PR, from memory or (after a restart) from its comments. */
async function lastAdvice(run: Run, number: number): Promise<ScaleDecision | undefined> {
  const known = run.memory.advised.get(number);
  if (known) return known;
  const comments = await call(
    `read the comments of PR #${number}`,
    run.github.paginate(run.github.issues.listComments, { owner: run.owner, repo: run.repo, issue_number: number, per_page: 100 }),
  );
  let found: ScaleDecision | undefined;
  for (const comment of comments) found = readAdviceMarker(comment.body) ?? found;
  if (found) run.memory.advised.set(number, found);
  return found;
}

/** A PR a person has pushed to: say what the autoscaler would now do, once per decision. */
async function advise(run: Run, options: SyncAutoscalePrOptions, open: BranchPull): Promise<AutoscalePrResult> {
  if (open.marker && sameDecision(open.marker, options)) {
    return result('unchanged', open, `PR #${open.number} has a person's commits and proposes what the autoscaler decided: nothing to add`);
  }
  const last = await lastAdvice(run, open.number);
  if (last && sameDecision(last, options)) {
    return result(
      'unchanged',
      open,
      `PR #${open.number} has a person's commits; the autoscaler already commented ${autoscalePrTitle(options)}`,
    );
  }
  await call(
    `comment on PR #${open.number}`,
    run.github.issues.createComment({
      owner: run.owner,
      repo: run.repo,
      issue_number: open.number,
      body: adviceComment(options, options.reason, run.branch, open.head),
    }),
  );
  run.memory.advised.set(open.number, decisionOf(options));
  return result(
    'commented',
    open,
    `PR #${open.number} has a person's commits: commented that the autoscaler now decides ${autoscalePrTitle(options)}`,
  );
}

/**
 * Closes the PR with a comment saying why, and deletes the branch when it holds only the
 * autoscaler's commit (checked again just before the delete). The marker records that the
 * autoscaler closed it, so the PR does not hold back a new one as a person's close would.
 */
async function closePull(run: Run, open: BranchPull, own: boolean, why: string): Promise<AutoscalePrResult> {
  const { github, owner, repo } = run;
  await call(
    `comment on PR #${open.number}`,
    github.issues.createComment({ owner, repo, issue_number: open.number, body: closeComment(why, run.branch, own) }),
  );
  await call(
    `close PR #${open.number}`,
    github.issues.update({
      owner,
      repo,
      issue_number: open.number,
      state: 'closed',
      ...(open.marker ? { body: withPrMarker(open.body, { ...open.marker, closed: why }) } : {}),
    }),
  );
  let deleted = false;
  if (own && (await branchHead(run)) === open.head) {
    try {
      await github.git.deleteRef({ owner, repo, ref: `heads/${run.branch}` });
      deleted = true;
    } catch (error) {
      // Gone already (GitHub's "delete head branches" setting, another watcher): nothing to do.
      if (statusOf(error) !== 422 && statusOf(error) !== 404) throw githubFailure(error, `delete the branch ${run.branch}`);
    }
  }
  return result('closed', open, `closed PR #${open.number}${deleted ? ` and deleted ${run.branch}` : ''}: ${why}`);
}

/** Closes the cluster's open autoscale PR, if there is one, with a comment saying why no change is needed any more. */
export async function closeAutoscalePr(github: GithubClient, options: CloseAutoscalePrOptions): Promise<AutoscalePrResult> {
  const run = await startRun(github, options, options.cluster);
  const open = (await branchPulls(run)).find((pull) => pull.open);
  if (!open) return result('unchanged', undefined, `no open autoscale PR for ${options.cluster}`);
  return closePull(run, open, await madeByAutoscaler(run, open.head, open.marker), options.why);
}
