import type { GithubClient } from './client.js';
import { githubFailure } from './errors.js';

/**
 * One comment per pull request that a check keeps up to date: found by the hidden marker its body
 * starts with, edited in place when its text changes, created when there is none. A person's
 * comment that quotes the marker does not start with it, so it is never taken for the check's.
 */

export interface MarkedCommentOptions {
  owner: string;
  repo: string;
  /** The pull request's number (its conversation is an issue's comments). */
  issueNumber: number;
  /** The first line of the body, e.g. `<!-- lambdastack-autoscaler:plan-comment -->`. */
  marker: string;
  body: string;
}

export interface MarkedComment {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
}

/** Creates the marked comment, or brings the existing one in line: one list (paged), then at most one write. */
export async function upsertMarkedComment(github: GithubClient, options: MarkedCommentOptions): Promise<MarkedComment> {
  if (!options.body.startsWith(options.marker)) throw new Error('the comment body must start with its marker');
  const { owner, repo, issueNumber } = options;
  const where = `pull request #${issueNumber} of ${owner}/${repo}`;
  let comments: Awaited<ReturnType<GithubClient['issues']['listComments']>>['data'];
  try {
    comments = await github.paginate(github.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 });
  } catch (error) {
    throw githubFailure(error, `list the comments of ${where}`);
  }
  // The oldest, should a race ever have made two: the one reviewers have seen longest.
  const existing = comments.find((comment) => comment.body?.startsWith(options.marker));
  if (existing && existing.body === options.body) return { action: 'unchanged', id: existing.id, url: existing.html_url };
  try {
    if (existing) {
      const { data } = await github.issues.updateComment({ owner, repo, comment_id: existing.id, body: options.body });
      return { action: 'updated', id: data.id, url: data.html_url };
    }
    const { data } = await github.issues.createComment({ owner, repo, issue_number: issueNumber, body: options.body });
    return { action: 'created', id: data.id, url: data.html_url };
  } catch (error) {
    throw githubFailure(error, `${existing ? `update comment ${existing.id} on` : 'comment on'} ${where}`);
  }
}
