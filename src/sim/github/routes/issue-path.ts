import { pathNumber, type RequestContext } from '../context.js';
import { notFound } from '../errors.js';
import { isPull, refreshPulls } from '../pull-requests.js';
import type { StoredIssue } from '../state.js';

/**
 * The issue (or pull request) numbered in the path, or 404. A pull request is brought up to date
 * with its branches first, so `GET /issues/N` shows the same state as `GET /pulls/N`.
 */
export async function issueFromPath(ctx: RequestContext): Promise<StoredIssue> {
  const number = pathNumber(ctx.params.issue_number);
  const issue = number === undefined ? undefined : ctx.sim.state.issue(number);
  if (!issue) throw notFound();
  if (isPull(issue)) await refreshPulls(ctx.sim, [issue]);
  return issue;
}
