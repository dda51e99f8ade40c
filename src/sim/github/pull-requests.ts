import type { Sim } from './context.js';
import { conflict, methodNotAllowed } from './errors.js';
import type { FileChange } from './git-store.js';
import { gitIdentity, WEB_FLOW } from './shapes.js';
import type { StoredIssue, StoredPull } from './state.js';

/**
 * Pull requests over the git repository: where their heads and bases are, whether they merge,
 * what they change, and merging them. GitHub keeps a PR in step with its branches; so does this,
 * each time a PR is read or listed, from the refs as they are now (a client may also push to the
 * bare repository directly).
 */

export type PullIssue = StoredIssue & { pull: StoredPull };

export function isPull(issue: StoredIssue | undefined): issue is PullIssue {
  return issue?.pull !== undefined;
}

export interface Mergeability {
  mergeable: boolean | null;
  rebaseable: boolean | null;
  state: 'clean' | 'dirty' | 'draft' | 'unknown';
}

export interface DiffSummary {
  commits: number;
  additions: number;
  deletions: number;
  changedFiles: number;
}

/** Diff summaries by `base..head`: the same pair always has the same answer, so compute it once. */
const summaries = new Map<string, DiffSummary>();
/** `head..base` pairs already known not to be merged: each pair is checked with git once. */
const notMergedByPush = new Set<string>();

function close(sim: Sim, issue: StoredIssue, by: string | null): void {
  const now = sim.state.now();
  issue.state = 'closed';
  issue.closedAt = now;
  issue.closedBy = by;
  issue.updatedAt = now;
}

/**
 * Brings open pull requests up to date with their branches, with one ref listing for all of them:
 * heads and bases follow their branches; a PR whose head or base branch was deleted is closed (as
 * GitHub closes it); a PR whose head commits reached its base by a push is marked merged.
 */
export async function refreshPulls(sim: Sim, issues: readonly StoredIssue[]): Promise<void> {
  const open = issues.filter((issue): issue is PullIssue => isPull(issue) && issue.state === 'open');
  if (open.length === 0) return;
  const branches = new Map((await sim.store.listRefs('refs/heads/')).map((ref) => [ref.ref.slice('refs/heads/'.length), ref.sha]));
  for (const issue of open) {
    const { pull } = issue;
    const head = branches.get(pull.head);
    const base = branches.get(pull.base);
    if (head === undefined || base === undefined) {
      close(sim, issue, null);
      continue;
    }
    if (head !== pull.headSha) {
      pull.headSha = head;
      issue.updatedAt = sim.state.now();
      await writePullHeadRef(sim, issue);
    }
    pull.baseSha = base;
    const pair = `${head}..${base}`;
    if (notMergedByPush.has(pair)) continue;
    if (await sim.store.isAncestor(head, base)) {
      close(sim, issue, null);
      pull.mergedAt = issue.closedAt;
      pull.mergeCommitSha = head;
    } else {
      notMergedByPush.add(pair);
    }
  }
}

/** `refs/pull/N/head`, as GitHub keeps it: the PR's head commit, readable with `git fetch`. */
export async function writePullHeadRef(sim: Sim, issue: PullIssue): Promise<void> {
  const ref = `refs/pull/${issue.number}/head`;
  const current = await sim.store.readRef(ref);
  if (current?.sha !== issue.pull.headSha) await sim.store.updateRef(ref, issue.pull.headSha, current?.sha ?? null);
}

/**
 * Whether an open PR merges cleanly, answered as GitHub does with a real test merge commit at
 * `refs/pull/N/merge` (its sha is the PR's `merge_commit_sha` while it is open). Computed once per
 * (base, head) pair. GitHub computes this in the background and may first answer `null`; the
 * simulator always answers at once.
 */
export async function mergeability(sim: Sim, issue: PullIssue): Promise<Mergeability> {
  const { pull } = issue;
  if (issue.state !== 'open') return { mergeable: null, rebaseable: null, state: 'unknown' };
  if (pull.testMerge?.baseSha !== pull.baseSha || pull.testMerge.headSha !== pull.headSha) {
    const result = await sim.store.mergeTrees(pull.baseSha, pull.headSha);
    const ref = `refs/pull/${issue.number}/merge`;
    const current = await sim.store.readRef(ref);
    let sha: string | null = null;
    if (result.clean) {
      const now = sim.state.now();
      sha = await sim.store.writeCommit({
        tree: result.tree,
        parents: [pull.baseSha, pull.headSha],
        message: `Merge ${pull.headSha} into ${pull.baseSha}`,
        author: { ...WEB_FLOW, date: now },
        committer: { ...WEB_FLOW, date: now },
      });
      await sim.store.updateRef(ref, sha, current?.sha ?? null);
    } else if (current) {
      await sim.store.deleteRef(ref, current.sha);
    }
    pull.testMerge = { baseSha: pull.baseSha, headSha: pull.headSha, sha };
    if (sha) pull.mergeCommitSha = sha;
  }
  const clean = pull.testMerge.sha !== null;
  return { mergeable: clean, rebaseable: clean, state: pull.draft ? 'draft' : clean ? 'clean' : 'dirty' };
}

/** The commits a PR brings (head not in base), oldest first, as `GET /pulls/N/commits` lists them. */
export async function pullCommits(sim: Sim, pull: StoredPull): Promise<string[]> {
  return sim.store.commitsBetween(pull.baseSha, pull.headSha);
}

/** The PR's files: head against the merge base (GitHub's three-dot comparison). */
export async function pullFiles(sim: Sim, pull: StoredPull): Promise<FileChange[]> {
  const base = (await sim.store.mergeBase(pull.baseSha, pull.headSha)) ?? pull.baseSha;
  return sim.store.diffFiles(base, pull.headSha);
}

export async function diffSummary(sim: Sim, pull: StoredPull): Promise<DiffSummary> {
  const key = `${pull.baseSha}..${pull.headSha}`;
  const known = summaries.get(key);
  if (known) return known;
  const [commits, files] = await Promise.all([pullCommits(sim, pull), pullFiles(sim, pull)]);
  const summary = {
    commits: commits.length,
    additions: files.reduce((sum, file) => sum + file.additions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
    changedFiles: files.length,
  };
  summaries.set(key, summary);
  return summary;
}

export type MergeMethod = 'merge' | 'squash' | 'rebase';

export interface MergeRequest {
  method: MergeMethod;
  title?: string;
  message?: string;
  /** The head the client reviewed: merging anything else is refused with 409. */
  sha?: string;
  by: string;
}

function subjectAndBody(message: string): { subject: string; body: string } {
  const [subject = '', ...rest] = message.split('\n');
  return { subject, body: rest.join('\n').replace(/^\n+/, '') };
}

/**
 * Merges a PR the way GitHub's merge button does, writing real commits and moving the base branch
 * with a compare-and-swap, so a push that lands meanwhile makes the merge fail instead of being
 * overwritten. Commit titles and messages default as a new repository's settings say
 * (`MERGE_MESSAGE`/`PR_TITLE` for merges, `COMMIT_OR_PR_TITLE`/`COMMIT_MESSAGES` for squashes).
 */
export async function mergePull(sim: Sim, issue: PullIssue, request: MergeRequest): Promise<string> {
  const { pull } = issue;
  if (issue.state !== 'open') throw methodNotAllowed('Pull Request is not mergeable');
  if (pull.draft) throw methodNotAllowed('Pull Request is still a draft');
  if (request.sha !== undefined && request.sha !== pull.headSha)
    throw conflict('Head branch was modified. Review and try the merge again.');
  const base = pull.baseSha;
  // The default messages quote the title, which may hold what git refuses in a commit message.
  const prTitle = issue.title.replaceAll('\0', '');
  const now = sim.state.now();
  const merger = { ...gitIdentity(sim, request.by), date: now };
  const committer = { name: WEB_FLOW.name, email: WEB_FLOW.email, date: now };
  let sha: string;
  if (request.method === 'rebase') {
    sha = await rebaseOnto(sim, base, await pullCommits(sim, pull), now);
  } else {
    const merged = await sim.store.mergeTrees(base, pull.headSha);
    if (!merged.clean) throw methodNotAllowed('Pull Request is not mergeable');
    if (request.method === 'merge') {
      const title = request.title ?? `Merge pull request #${issue.number} from ${sim.owner}/${pull.head}`;
      const message = request.message ?? prTitle;
      sha = await sim.store.writeCommit({
        tree: merged.tree,
        parents: [base, pull.headSha],
        message: message ? `${title}\n\n${message}` : title,
        author: merger,
        committer,
      });
    } else {
      const commits = await sim.store.readCommits(await pullCommits(sim, pull));
      const messages = [...commits.values()].map((commit) => commit.message);
      const only = messages.length === 1 ? subjectAndBody(messages[0] ?? '') : undefined;
      const title = request.title ?? `${only ? only.subject : prTitle} (#${issue.number})`;
      const message = request.message ?? (only ? only.body : messages.map((m) => `* ${m}`).join('\n\n'));
      sha = await sim.store.writeCommit({
        tree: merged.tree,
        parents: [base],
        message: message ? `${title}\n\n${message}` : title,
        author: { ...gitIdentity(sim, issue.author), date: now },
        committer,
      });
    }
  }
  if (!(await sim.store.updateRef(`refs/heads/${pull.base}`, sha, base))) {
    throw methodNotAllowed('Base branch was modified. Review and try the merge again.');
  }
  close(sim, issue, request.by);
  pull.mergedAt = issue.closedAt;
  pull.mergedBy = request.by;
  pull.mergeCommitSha = sha;
  return sha;
}

/**
 * Replays each commit onto the base, as "Rebase and merge" does. git 2.39's merge-tree cannot take
 * an explicit merge base, so each step merges the commit with a throw-away commit that has the
 * current tip's tree and the replayed commit's parent as its parent: their merge base is then that
 * parent, which is exactly a cherry-pick.
 */
async function rebaseOnto(sim: Sim, base: string, shas: readonly string[], now: string): Promise<string> {
  const commits = await sim.store.readCommits(shas);
  let tip = base;
  for (const sha of shas) {
    const commit = commits.get(sha);
    const parent = commit?.parents[0];
    if (!commit || parent === undefined || commit.parents.length > 1) throw methodNotAllowed('Pull Request is not mergeable');
    const tipTree = (await sim.store.readCommit(tip))?.tree;
    if (!tipTree) throw new Error(`cannot read ${tip}`);
    const standIn = await sim.store.writeCommit({
      tree: tipTree,
      parents: [parent],
      message: 'rebase step',
      author: { ...WEB_FLOW, date: now },
      committer: { ...WEB_FLOW, date: now },
    });
    const picked = await sim.store.mergeTrees(standIn, sha);
    if (!picked.clean) throw methodNotAllowed('Pull Request is not mergeable');
    tip = await sim.store.writeCommit({
      tree: picked.tree,
      parents: [tip],
      message: commit.message,
      author: commit.author,
      committer: { name: WEB_FLOW.name, email: WEB_FLOW.email, date: now },
    });
  }
  return tip;
}

/** Closes the open PRs whose head or base branch was just deleted, as GitHub does. */
export function closePullsOfBranch(sim: Sim, branch: string, by: string): void {
  for (const issue of sim.state.issues) {
    if (isPull(issue) && issue.state === 'open' && (issue.pull.head === branch || issue.pull.base === branch)) close(sim, issue, by);
  }
}

export function closeIssue(sim: Sim, issue: StoredIssue, by: string): void {
  close(sim, issue, by);
}
