import type { Sim } from '../context.js';
import {
  bodyObject,
  json,
  noContent,
  nullableString,
  optionalBoolean,
  optionalString,
  pathNumber,
  type Reply,
  type RequestContext,
} from '../context.js';
import { invalidRequest, notFound, validationFailed } from '../errors.js';
import { checkIssueText } from '../limits.js';
import { paginate } from '../pagination.js';
import {
  closeIssue,
  diffSummary,
  isPull,
  type MergeMethod,
  mergeability,
  mergePull,
  type PullIssue,
  pullCommits,
  pullFiles,
  refreshPulls,
  writePullHeadRef,
} from '../pull-requests.js';
import { pullShape, pullSimpleShape } from '../pull-shapes.js';
import type { Route } from '../router.js';
import { apiRepoUrl, commitShape, repositoryShape, type Schemas, urlPath } from '../shapes.js';
import { checkGitText } from './git-data.js';

/** The pulls endpoints: HTTP in and out; the git work is in pull-requests.ts. */

/** The PR numbered in the path, brought up to date with its branches; 404 for issues and unknown numbers. */
async function pullFromPath(ctx: RequestContext): Promise<PullIssue> {
  const number = pathNumber(ctx.params.pull_number);
  const issue = number === undefined ? undefined : ctx.sim.state.issue(number);
  if (!isPull(issue)) throw notFound();
  await refreshPulls(ctx.sim, [issue]);
  return issue;
}

async function fullPull(sim: Sim, issue: PullIssue): Promise<Schemas['pull-request']> {
  const repo = repositoryShape(sim, await sim.store.defaultBranch());
  return pullShape(sim, issue, repo, await mergeability(sim, issue), await diffSummary(sim, issue.pull));
}

/**
 * `head=owner:branch` filters by head. GitHub silently ignores a `head` without the owner part (a
 * well-known trap: the filter then matches every PR), and the simulator does the same, so a client
 * that forgets the owner fails here as it would on GitHub.
 */
function headFilter(sim: Sim, head: string | null): ((issue: PullIssue) => boolean) | undefined {
  if (head === null) return undefined;
  const colon = head.indexOf(':');
  if (colon < 0) return undefined;
  const owner = head.slice(0, colon);
  const branch = head.slice(colon + 1);
  return (issue) => owner.toLowerCase() === sim.owner.toLowerCase() && issue.pull.head === branch;
}

async function listPulls(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  await refreshPulls(sim, sim.state.issues);
  const state = ctx.query.get('state') ?? 'open';
  const base = ctx.query.get('base');
  const byHead = headFilter(sim, ctx.query.get('head'));
  const sort = ctx.query.get('sort') ?? 'created';
  const direction = ctx.query.get('direction') ?? (sort === 'created' ? 'desc' : 'asc');
  const key = (issue: PullIssue): string => (sort === 'updated' ? issue.updatedAt : issue.createdAt);
  const pulls = sim.state.issues
    .filter(isPull)
    .filter((issue) => state === 'all' || issue.state === state)
    .filter((issue) => base === null || issue.pull.base === base)
    .filter((issue) => byHead?.(issue) ?? true)
    // Timestamps have whole seconds: PRs opened in the same second are ordered by number.
    .sort((a, b) => (key(a) === key(b) ? a.number - b.number : key(a) < key(b) ? -1 : 1));
  if (direction === 'desc') pulls.reverse();
  const repo = repositoryShape(sim, await sim.store.defaultBranch());
  const page = paginate(ctx, pulls);
  return json(
    200,
    page.items.map((issue) => pullSimpleShape(sim, issue, repo)),
    page.headers,
  );
}

/** `owner:branch` or `branch`; a head in another owner's fork cannot exist in this one repository. */
function parseHead(sim: Sim, head: string): string | undefined {
  const colon = head.indexOf(':');
  if (colon < 0) return head;
  return head.slice(0, colon).toLowerCase() === sim.owner.toLowerCase() ? head.slice(colon + 1) : undefined;
}

function openDuplicate(sim: Sim, head: string, base: string, except?: number): PullIssue | undefined {
  return sim.state.issues
    .filter(isPull)
    .find((issue) => issue.state === 'open' && issue.pull.head === head && issue.pull.base === base && issue.number !== except);
}

async function createPull(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const body = bodyObject(ctx);
  const title = optionalString(body, 'title');
  const headParam = optionalString(body, 'head');
  const baseParam = optionalString(body, 'base');
  const text = nullableString(body, 'body') ?? null;
  const draft = optionalBoolean(body, 'draft') ?? false;
  const missing = (['title', 'head', 'base'] as const).filter((field) => body[field] === undefined);
  if (missing.length > 0 || title === undefined || headParam === undefined || baseParam === undefined) {
    throw validationFailed(...missing.map((field) => ({ resource: 'PullRequest', code: 'missing_field' as const, field })));
  }
  checkIssueText({ title, body: text });
  const head = parseHead(sim, headParam);
  const headSha = head === undefined ? undefined : await sim.store.branchSha(head);
  const baseSha = await sim.store.branchSha(baseParam);
  const invalid = [...(baseSha === undefined ? ['base'] : []), ...(headSha === undefined ? ['head'] : [])].map((field) => ({
    resource: 'PullRequest',
    field,
    code: 'invalid' as const,
  }));
  if (invalid.length > 0 || head === undefined || headSha === undefined || baseSha === undefined) throw validationFailed(...invalid);
  await refreshPulls(sim, sim.state.issues);
  if (openDuplicate(sim, head, baseParam)) {
    throw validationFailed({ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${sim.owner}:${head}.` });
  }
  if (await sim.store.isAncestor(headSha, baseSha)) {
    throw validationFailed({ resource: 'PullRequest', code: 'custom', message: `No commits between ${baseParam} and ${head}` });
  }
  const now = sim.state.now();
  const issue: PullIssue = {
    number: sim.state.nextNumber(),
    id: sim.state.nextId(),
    title,
    body: text,
    state: 'open',
    stateReason: null,
    author: sim.login,
    labels: [],
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closedBy: null,
    pull: {
      id: sim.state.nextId(),
      head,
      base: baseParam,
      headSha,
      baseSha,
      draft,
      maintainerCanModify: optionalBoolean(body, 'maintainer_can_modify') ?? true,
      mergedAt: null,
      mergedBy: null,
      mergeCommitSha: null,
    },
  };
  sim.state.addIssue(issue);
  await writePullHeadRef(sim, issue);
  const shape = await fullPull(sim, issue);
  return json(201, shape, { location: shape.url });
}

async function getPull(ctx: RequestContext): Promise<Reply> {
  return json(200, await fullPull(ctx.sim, await pullFromPath(ctx)));
}

async function updatePull(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const issue = await pullFromPath(ctx);
  const body = bodyObject(ctx);
  const title = optionalString(body, 'title');
  const text = nullableString(body, 'body');
  const state = optionalString(body, 'state');
  const base = optionalString(body, 'base');
  const maintainerCanModify = optionalBoolean(body, 'maintainer_can_modify');
  checkIssueText({ title, body: text });
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    throw invalidRequest(`For 'properties/state', ${JSON.stringify(state)} is not one of ["open", "closed"].`);
  }
  if (base !== undefined && base !== issue.pull.base) {
    const baseSha = await sim.store.branchSha(base);
    if (!baseSha) throw validationFailed({ resource: 'PullRequest', field: 'base', code: 'invalid' });
    if (issue.state === 'open' && openDuplicate(sim, issue.pull.head, base, issue.number)) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${sim.owner}:${issue.pull.head}.`,
      });
    }
    issue.pull.base = base;
    issue.pull.baseSha = baseSha;
  }
  if (state === 'open' && issue.state === 'closed') {
    if (issue.pull.mergedAt !== null) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        field: 'state',
        message: 'state cannot be changed. The pull request has been merged.',
      });
    }
    const headSha = await sim.store.branchSha(issue.pull.head);
    if (!headSha || !(await sim.store.branchSha(issue.pull.base))) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        field: 'state',
        message: 'state cannot be changed. The head or base branch no longer exists.',
      });
    }
    if (openDuplicate(sim, issue.pull.head, issue.pull.base, issue.number)) {
      throw validationFailed({
        resource: 'PullRequest',
        code: 'custom',
        message: `A pull request already exists for ${sim.owner}:${issue.pull.head}.`,
      });
    }
    issue.state = 'open';
    issue.stateReason = 'reopened';
    issue.closedAt = null;
    issue.closedBy = null;
    await refreshPulls(sim, [issue]);
  } else if (state === 'closed' && issue.state === 'open') {
    closeIssue(sim, issue, sim.login);
  }
  if (title !== undefined) issue.title = title;
  if (text !== undefined) issue.body = text;
  if (maintainerCanModify !== undefined) issue.pull.maintainerCanModify = maintainerCanModify;
  issue.updatedAt = sim.state.now();
  return json(200, await fullPull(sim, issue));
}

async function listFiles(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const issue = await pullFromPath(ctx);
  const api = apiRepoUrl(sim);
  const files: Schemas['diff-entry'][] = (await pullFiles(sim, issue.pull)).map((file) => ({
    sha: file.sha,
    filename: file.filename,
    status: file.status,
    additions: file.additions,
    deletions: file.deletions,
    changes: file.additions + file.deletions,
    blob_url: `${sim.baseUrl}/${sim.owner}/${sim.repo}/blob/${issue.pull.headSha}/${urlPath(file.filename)}`,
    raw_url: `${sim.baseUrl}/raw/${sim.owner}/${sim.repo}/${issue.pull.headSha}/${urlPath(file.filename)}`,
    contents_url: `${api}/contents/${urlPath(file.filename)}?ref=${issue.pull.headSha}`,
    ...(file.patch !== undefined ? { patch: file.patch } : {}),
    ...(file.previousFilename !== undefined ? { previous_filename: file.previousFilename } : {}),
  }));
  const page = paginate(ctx, files);
  return json(200, page.items, page.headers);
}

async function listCommits(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const issue = await pullFromPath(ctx);
  // GitHub lists at most 250 commits of a pull request.
  const shas = (await pullCommits(sim, issue.pull)).slice(0, 250);
  const commits = await sim.store.readCommits(shas);
  const shapes = shas.flatMap((sha) => {
    const commit = commits.get(sha);
    return commit ? [commitShape(sim, commit)] : [];
  });
  const page = paginate(ctx, shapes);
  return json(200, page.items, page.headers);
}

async function checkMerged(ctx: RequestContext): Promise<Reply> {
  const issue = await pullFromPath(ctx);
  if (issue.pull.mergedAt === null) throw notFound();
  return noContent;
}

async function merge(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const issue = await pullFromPath(ctx);
  const body = bodyObject(ctx);
  const method = optionalString(body, 'merge_method') ?? 'merge';
  if (method !== 'merge' && method !== 'squash' && method !== 'rebase') {
    throw invalidRequest(`For 'properties/merge_method', ${JSON.stringify(method)} is not one of ["merge", "squash", "rebase"].`);
  }
  const title = optionalString(body, 'commit_title');
  const message = optionalString(body, 'commit_message');
  checkGitText(title, 'commit_title');
  checkGitText(message, 'commit_message');
  const sha = optionalString(body, 'sha');
  const merged = await mergePull(sim, issue, {
    method: method as MergeMethod,
    by: sim.login,
    ...(title !== undefined ? { title } : {}),
    ...(message !== undefined ? { message } : {}),
    ...(sha !== undefined ? { sha } : {}),
  });
  const result: Schemas['pull-request-merge-result'] = { sha: merged, merged: true, message: 'Pull Request successfully merged' };
  return json(200, result);
}

export const pullRoutes: Route[] = [
  { method: 'GET', path: '/repos/{owner}/{repo}/pulls', docs: 'pulls/pulls#list-pull-requests', handle: listPulls },
  { method: 'POST', path: '/repos/{owner}/{repo}/pulls', docs: 'pulls/pulls#create-a-pull-request', handle: createPull },
  { method: 'GET', path: '/repos/{owner}/{repo}/pulls/{pull_number}', docs: 'pulls/pulls#get-a-pull-request', handle: getPull },
  { method: 'PATCH', path: '/repos/{owner}/{repo}/pulls/{pull_number}', docs: 'pulls/pulls#update-a-pull-request', handle: updatePull },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls/{pull_number}/files',
    docs: 'pulls/pulls#list-pull-requests-files',
    handle: listFiles,
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls/{pull_number}/commits',
    docs: 'pulls/pulls#list-commits-on-a-pull-request',
    handle: listCommits,
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/pulls/{pull_number}/merge',
    docs: 'pulls/pulls#check-if-a-pull-request-has-been-merged',
    handle: checkMerged,
  },
  { method: 'PUT', path: '/repos/{owner}/{repo}/pulls/{pull_number}/merge', docs: 'pulls/pulls#merge-a-pull-request', handle: merge },
];
