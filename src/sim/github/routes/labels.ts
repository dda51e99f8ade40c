import type { Sim } from '../context.js';
import {
  bodyObject,
  json,
  noContent,
  nullableString,
  optionalString,
  type Reply,
  type RequestContext,
  requiredString,
} from '../context.js';
import { ApiError, invalidRequest, notFound, validationFailed } from '../errors.js';
import { MAX_LABELS_PER_ISSUE } from '../limits.js';
import { paginate } from '../pagination.js';
import type { Route } from '../router.js';
import { issueLabels, labelShape } from '../shapes.js';
import type { StoredLabel } from '../state.js';
import { issueFromPath } from './issue-path.js';

/**
 * Labels of the repository and of issues. As on GitHub, adding a label that does not exist yet
 * creates it (grey, `ededed`), so the watcher can label its PR without setting labels up first.
 */

const DEFAULT_COLOR = 'ededed';

/**
 * Label names from a request body. GitHub accepts `{"labels": ["a"]}`, `["a"]`, and
 * `{"labels": [{"name": "a"}]}` alike.
 */
export function labelNames(value: unknown): string[] {
  const list = Array.isArray(value) ? value : undefined;
  if (!list) throw invalidRequest(`For 'properties/labels', ${JSON.stringify(value)} is not an array.`);
  return list.map((item) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'object' && item !== null && typeof (item as { name?: unknown }).name === 'string')
      return (item as { name: string }).name;
    throw invalidRequest(`For 'items', ${JSON.stringify(item)} is not a string or an object with a name.`);
  });
}

function labelsInBody(ctx: RequestContext): string[] {
  if (Array.isArray(ctx.body)) return labelNames(ctx.body);
  const body = bodyObject(ctx);
  if (body.labels === undefined) throw invalidRequest('"labels" wasn\'t supplied.');
  return labelNames(body.labels);
}

/**
 * The stored names for `names`, creating the labels that do not exist yet; duplicates (in any
 * case) dropped. More than 100 is refused before anything is created, in GitHub's words.
 */
export function ensureLabels(sim: Sim, names: readonly string[]): string[] {
  const wanted = new Map<string, string>();
  for (const name of names) {
    if (name.trim() === '') throw validationFailed({ resource: 'Label', code: 'invalid', field: 'name' });
    if (!wanted.has(name.toLowerCase())) wanted.set(name.toLowerCase(), name);
  }
  if (wanted.size > MAX_LABELS_PER_ISSUE) {
    throw new ApiError(422, `Validation Failed. Issues cannot have more than ${MAX_LABELS_PER_ISSUE} labels`, []);
  }
  return [...wanted.values()].map((name) => {
    let label = sim.state.label(name);
    if (!label) {
      label = { id: sim.state.nextId(), name, color: DEFAULT_COLOR, description: null };
      sim.state.addLabel(label);
    }
    return label.name;
  });
}

async function listIssueLabels(ctx: RequestContext): Promise<Reply> {
  const issue = await issueFromPath(ctx);
  const page = paginate(ctx, issueLabels(ctx.sim, issue));
  return json(200, page.items, page.headers);
}

async function addIssueLabels(ctx: RequestContext): Promise<Reply> {
  const issue = await issueFromPath(ctx);
  issue.labels = ensureLabels(ctx.sim, [...issue.labels, ...labelsInBody(ctx)]);
  issue.updatedAt = ctx.sim.state.now();
  return json(200, issueLabels(ctx.sim, issue));
}

async function setIssueLabels(ctx: RequestContext): Promise<Reply> {
  const issue = await issueFromPath(ctx);
  issue.labels = ensureLabels(ctx.sim, labelsInBody(ctx));
  issue.updatedAt = ctx.sim.state.now();
  return json(200, issueLabels(ctx.sim, issue));
}

async function removeIssueLabel(ctx: RequestContext): Promise<Reply> {
  const issue = await issueFromPath(ctx);
  const name = (ctx.params.name ?? '').toLowerCase();
  if (!issue.labels.some((label) => label.toLowerCase() === name)) throw notFound('Label does not exist');
  issue.labels = issue.labels.filter((label) => label.toLowerCase() !== name);
  issue.updatedAt = ctx.sim.state.now();
  return json(200, issueLabels(ctx.sim, issue));
}

async function removeAllIssueLabels(ctx: RequestContext): Promise<Reply> {
  const issue = await issueFromPath(ctx);
  issue.labels = [];
  issue.updatedAt = ctx.sim.state.now();
  return noContent;
}

async function listLabels(ctx: RequestContext): Promise<Reply> {
  const page = paginate(
    ctx,
    ctx.sim.state.labels.map((label) => labelShape(ctx.sim, label)),
  );
  return json(200, page.items, page.headers);
}

function color(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const hex = value.replace(/^#/, '');
  if (!/^[0-9a-fA-F]{6}$/.test(hex)) throw validationFailed({ resource: 'Label', code: 'invalid', field: 'color' });
  return hex.toLowerCase();
}

async function createLabel(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const body = bodyObject(ctx);
  const name = requiredString(body, 'name');
  if (sim.state.label(name)) throw validationFailed({ resource: 'Label', code: 'already_exists', field: 'name' });
  const label: StoredLabel = {
    id: sim.state.nextId(),
    name,
    color: color(optionalString(body, 'color')) ?? DEFAULT_COLOR,
    description: nullableString(body, 'description') ?? null,
  };
  sim.state.addLabel(label);
  const shape = labelShape(sim, label);
  return json(201, shape, { location: shape.url });
}

function labelFromPath(ctx: RequestContext): StoredLabel {
  const label = ctx.sim.state.label(ctx.params.name ?? '');
  if (!label) throw notFound();
  return label;
}

async function getLabel(ctx: RequestContext): Promise<Reply> {
  return json(200, labelShape(ctx.sim, labelFromPath(ctx)));
}

async function updateLabel(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const label = labelFromPath(ctx);
  const body = bodyObject(ctx);
  const newName = optionalString(body, 'new_name');
  if (newName !== undefined && newName.toLowerCase() !== label.name.toLowerCase() && sim.state.label(newName)) {
    throw validationFailed({ resource: 'Label', code: 'already_exists', field: 'name' });
  }
  if (newName !== undefined) {
    for (const issue of sim.state.issues)
      issue.labels = issue.labels.map((name) => (name.toLowerCase() === label.name.toLowerCase() ? newName : name));
    label.name = newName;
  }
  label.color = color(optionalString(body, 'color')) ?? label.color;
  const description = nullableString(body, 'description');
  if (description !== undefined) label.description = description;
  return json(200, labelShape(sim, label));
}

async function deleteLabel(ctx: RequestContext): Promise<Reply> {
  const label = labelFromPath(ctx);
  ctx.sim.state.removeLabel(label.name);
  return noContent;
}

export const labelRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    docs: 'issues/labels#list-labels-for-an-issue',
    handle: listIssueLabels,
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    docs: 'issues/labels#add-labels-to-an-issue',
    handle: addIssueLabels,
  },
  {
    method: 'PUT',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    docs: 'issues/labels#set-labels-for-an-issue',
    handle: setIssueLabels,
  },
  {
    method: 'DELETE',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/labels',
    docs: 'issues/labels#remove-all-labels-from-an-issue',
    handle: removeAllIssueLabels,
  },
  {
    method: 'DELETE',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}',
    docs: 'issues/labels#remove-a-label-from-an-issue',
    handle: removeIssueLabel,
  },
  { method: 'GET', path: '/repos/{owner}/{repo}/labels', docs: 'issues/labels#list-labels-for-a-repository', handle: listLabels },
  { method: 'POST', path: '/repos/{owner}/{repo}/labels', docs: 'issues/labels#create-a-label', handle: createLabel },
  { method: 'GET', path: '/repos/{owner}/{repo}/labels/{name}', docs: 'issues/labels#get-a-label', handle: getLabel },
  { method: 'PATCH', path: '/repos/{owner}/{repo}/labels/{name}', docs: 'issues/labels#update-a-label', handle: updateLabel },
  { method: 'DELETE', path: '/repos/{owner}/{repo}/labels/{name}', docs: 'issues/labels#delete-a-label', handle: deleteLabel },
];
