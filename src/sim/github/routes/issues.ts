import type { Sim } from '../context.js';
import { bodyObject, json, nullableString, optionalString, type Reply, type RequestContext, requiredString } from '../context.js';
import { invalidRequest } from '../errors.js';
import { checkIssueText } from '../limits.js';
import { paginate } from '../pagination.js';
import { closeIssue, isPull, refreshPulls } from '../pull-requests.js';
import type { Route } from '../router.js';
import { issueShape } from '../shapes.js';
import type { StoredIssue } from '../state.js';
import { issueFromPath } from './issue-path.js';
import { ensureLabels, labelNames } from './labels.js';

/** Issues. Pull requests are issues too: they share the numbers and appear here with a `pull_request` key. */

async function getIssue(ctx: RequestContext): Promise<Reply> {
  return json(200, issueShape(ctx.sim, await issueFromPath(ctx)));
}

async function listIssues(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  await refreshPulls(sim, sim.state.issues);
  const state = ctx.query.get('state') ?? 'open';
  const wanted = (ctx.query.get('labels') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name.length > 0);
  const since = ctx.query.get('since');
  const sort = ctx.query.get('sort') ?? 'created';
  const key = (issue: StoredIssue): string => (sort === 'updated' ? issue.updatedAt : issue.createdAt);
  const issues = sim.state.issues
    .filter((issue) => state === 'all' || issue.state === state)
    .filter((issue) => wanted.every((name) => issue.labels.some((label) => label.toLowerCase() === name)))
    .filter((issue) => since === null || issue.updatedAt >= since)
    .sort((a, b) => (key(a) === key(b) ? a.number - b.number : key(a) < key(b) ? -1 : 1));
  if ((ctx.query.get('direction') ?? 'desc') === 'desc') issues.reverse();
  const page = paginate(ctx, issues);
  return json(
    200,
    page.items.map((issue) => issueShape(sim, issue)),
    page.headers,
  );
}

async function createIssue(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const body = bodyObject(ctx);
  const title = requiredString(body, 'title');
  const text = nullableString(body, 'body') ?? null;
  checkIssueText({ title, body: text });
  const labels = body.labels === undefined ? [] : labelNames(body.labels);
  const now = sim.state.now();
  const issue: StoredIssue = {
    number: sim.state.nextNumber(),
    id: sim.state.nextId(),
    title,
    body: text,
    state: 'open',
    stateReason: null,
    author: sim.login,
    labels: ensureLabels(sim, labels),
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    closedBy: null,
  };
  sim.state.addIssue(issue);
  const shape = issueShape(sim, issue);
  return json(201, shape, { location: shape.url });
}

function applyState(sim: Sim, issue: StoredIssue, state: string | undefined, reason: string | null | undefined): void {
  if (state !== undefined && state !== 'open' && state !== 'closed') {
    throw invalidRequest(`For 'properties/state', ${JSON.stringify(state)} is not one of ["open", "closed"].`);
  }
  if (state === 'closed' && issue.state === 'open') {
    closeIssue(sim, issue, sim.login);
    if (!isPull(issue)) issue.stateReason = reason === 'not_planned' ? 'not_planned' : 'completed';
  } else if (state === 'open' && issue.state === 'closed') {
    if (isPull(issue)) throw invalidRequest('reopen a pull request with PATCH /pulls/{pull_number}');
    issue.state = 'open';
    issue.stateReason = 'reopened';
    issue.closedAt = null;
    issue.closedBy = null;
  }
}

async function updateIssue(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const issue = await issueFromPath(ctx);
  const body = bodyObject(ctx);
  const title = optionalString(body, 'title');
  const text = nullableString(body, 'body');
  checkIssueText({ title, body: text });
  applyState(sim, issue, optionalString(body, 'state'), nullableString(body, 'state_reason'));
  if (title !== undefined) issue.title = title;
  if (text !== undefined) issue.body = text;
  if (body.labels !== undefined) issue.labels = ensureLabels(sim, labelNames(body.labels));
  issue.updatedAt = sim.state.now();
  return json(200, issueShape(sim, issue));
}

export const issueRoutes: Route[] = [
  { method: 'GET', path: '/repos/{owner}/{repo}/issues', docs: 'issues/issues#list-repository-issues', handle: listIssues },
  { method: 'POST', path: '/repos/{owner}/{repo}/issues', docs: 'issues/issues#create-an-issue', handle: createIssue },
  { method: 'GET', path: '/repos/{owner}/{repo}/issues/{issue_number}', docs: 'issues/issues#get-an-issue', handle: getIssue },
  { method: 'PATCH', path: '/repos/{owner}/{repo}/issues/{issue_number}', docs: 'issues/issues#update-an-issue', handle: updateIssue },
];
