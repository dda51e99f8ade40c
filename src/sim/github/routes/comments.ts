import { bodyObject, json, noContent, pathNumber, type Reply, type RequestContext, requiredString } from '../context.js';
import { notFound } from '../errors.js';
import { checkCommentBody } from '../limits.js';
import { paginate } from '../pagination.js';
import type { Route } from '../router.js';
import { commentShape } from '../shapes.js';
import type { StoredComment } from '../state.js';
import { issueFromPath } from './issue-path.js';

/**
 * Issue comments, which are also a pull request's conversation: the plan comment the PR check
 * posts and then edits in place lives here. Listed oldest first, as GitHub lists them.
 */

function since(ctx: RequestContext): (comment: StoredComment) => boolean {
  const value = ctx.query.get('since');
  return (comment) => value === null || comment.updatedAt >= value;
}

async function listForIssue(ctx: RequestContext): Promise<Reply> {
  const issue = await issueFromPath(ctx);
  const comments = ctx.sim.state.comments.filter((comment) => comment.issue === issue.number).filter(since(ctx));
  const page = paginate(ctx, comments);
  return json(
    200,
    page.items.map((comment) => commentShape(ctx.sim, comment)),
    page.headers,
  );
}

async function listForRepository(ctx: RequestContext): Promise<Reply> {
  const sort = ctx.query.get('sort') ?? 'created';
  const comments = ctx.sim.state.comments.filter(since(ctx));
  if (sort === 'updated') comments.sort((a, b) => (a.updatedAt === b.updatedAt ? a.id - b.id : a.updatedAt < b.updatedAt ? -1 : 1));
  if (ctx.query.get('direction') === 'desc') comments.reverse();
  const page = paginate(ctx, comments);
  return json(
    200,
    page.items.map((comment) => commentShape(ctx.sim, comment)),
    page.headers,
  );
}

async function create(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const issue = await issueFromPath(ctx);
  const body = requiredString(bodyObject(ctx), 'body');
  checkCommentBody(body);
  const now = sim.state.now();
  const comment: StoredComment = { id: sim.state.nextId(), issue: issue.number, body, author: sim.login, createdAt: now, updatedAt: now };
  sim.state.addComment(comment);
  issue.updatedAt = now;
  const shape = commentShape(sim, comment);
  return json(201, shape, { location: shape.url });
}

function commentFromPath(ctx: RequestContext): StoredComment {
  const id = pathNumber(ctx.params.comment_id);
  const comment = id === undefined ? undefined : ctx.sim.state.comment(id);
  if (!comment) throw notFound();
  return comment;
}

async function get(ctx: RequestContext): Promise<Reply> {
  return json(200, commentShape(ctx.sim, commentFromPath(ctx)));
}

async function update(ctx: RequestContext): Promise<Reply> {
  const comment = commentFromPath(ctx);
  const body = requiredString(bodyObject(ctx), 'body');
  checkCommentBody(body);
  comment.body = body;
  comment.updatedAt = ctx.sim.state.now();
  return json(200, commentShape(ctx.sim, comment));
}

async function remove(ctx: RequestContext): Promise<Reply> {
  const comment = commentFromPath(ctx);
  ctx.sim.state.removeComment(comment.id);
  return noContent;
}

export const commentRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/issues/comments',
    docs: 'issues/comments#list-issue-comments-for-a-repository',
    handle: listForRepository,
  },
  { method: 'GET', path: '/repos/{owner}/{repo}/issues/comments/{comment_id}', docs: 'issues/comments#get-an-issue-comment', handle: get },
  {
    method: 'PATCH',
    path: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    docs: 'issues/comments#update-an-issue-comment',
    handle: update,
  },
  {
    method: 'DELETE',
    path: '/repos/{owner}/{repo}/issues/comments/{comment_id}',
    docs: 'issues/comments#delete-an-issue-comment',
    handle: remove,
  },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    docs: 'issues/comments#list-issue-comments',
    handle: listForIssue,
  },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/issues/{issue_number}/comments',
    docs: 'issues/comments#create-an-issue-comment',
    handle: create,
  },
];
