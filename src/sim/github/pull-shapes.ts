import type { Sim } from './context.js';
import type { DiffSummary, Mergeability, PullIssue } from './pull-requests.js';
import { apiRepoUrl, authorAssociation, commentCount, htmlRepoUrl, issueLabels, nodeId, type Schemas, userShape } from './shapes.js';

/**
 * Pull requests in GitHub's two shapes: the list entry (`pull-request-simple`) and the full object
 * (`pull-request`), which adds what costs GitHub (and the simulator) work to compute: mergeability
 * and the diff counts. Lists never compute them, as on GitHub.
 */

function branchEnd(sim: Sim, ref: string, sha: string, repo: Schemas['repository']): Schemas['pull-request']['head'] {
  return { label: `${sim.owner}:${ref}`, ref, sha, user: userShape(sim, sim.owner), repo };
}

export function pullSimpleShape(sim: Sim, issue: PullIssue, repo: Schemas['repository']): Schemas['pull-request-simple'] {
  const { pull } = issue;
  const api = `${apiRepoUrl(sim)}/pulls/${issue.number}`;
  const issueApi = `${apiRepoUrl(sim)}/issues/${issue.number}`;
  const html = `${htmlRepoUrl(sim)}/pull/${issue.number}`;
  return {
    url: api,
    id: pull.id,
    node_id: nodeId('PullRequest', pull.id),
    html_url: html,
    diff_url: `${html}.diff`,
    patch_url: `${html}.patch`,
    issue_url: issueApi,
    commits_url: `${api}/commits`,
    review_comments_url: `${api}/comments`,
    review_comment_url: `${apiRepoUrl(sim)}/pulls/comments{/number}`,
    comments_url: `${issueApi}/comments`,
    statuses_url: `${apiRepoUrl(sim)}/statuses/${pull.headSha}`,
    number: issue.number,
    state: issue.state,
    locked: false,
    title: issue.title,
    user: userShape(sim, issue.author),
    body: issue.body,
    // GitHub sends `description: null` for a label without one; the OpenAPI description of this
    // list shape says string, and the simulator follows GitHub's answers over the description.
    labels: issueLabels(sim, issue) as Schemas['pull-request-simple']['labels'],
    milestone: null,
    active_lock_reason: null,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_at: issue.closedAt,
    merged_at: pull.mergedAt,
    merge_commit_sha: pull.mergeCommitSha,
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    head: branchEnd(sim, pull.head, pull.headSha, repo),
    base: branchEnd(sim, pull.base, pull.baseSha, repo),
    _links: {
      self: { href: api },
      html: { href: html },
      issue: { href: issueApi },
      comments: { href: `${issueApi}/comments` },
      review_comments: { href: `${api}/comments` },
      review_comment: { href: `${apiRepoUrl(sim)}/pulls/comments{/number}` },
      commits: { href: `${api}/commits` },
      statuses: { href: `${apiRepoUrl(sim)}/statuses/${pull.headSha}` },
    },
    author_association: authorAssociation(sim, issue.author),
    auto_merge: null,
    draft: pull.draft,
  };
}

export function pullShape(
  sim: Sim,
  issue: PullIssue,
  repo: Schemas['repository'],
  mergeability: Mergeability,
  summary: DiffSummary,
): Schemas['pull-request'] {
  const simple = pullSimpleShape(sim, issue, repo);
  return {
    ...simple,
    state: issue.state,
    user: userShape(sim, issue.author),
    labels: issueLabels(sim, issue),
    requested_teams: [],
    head: branchEnd(sim, issue.pull.head, issue.pull.headSha, repo),
    base: branchEnd(sim, issue.pull.base, issue.pull.baseSha, repo),
    merged: issue.pull.mergedAt !== null,
    mergeable: mergeability.mergeable,
    rebaseable: mergeability.rebaseable,
    mergeable_state: mergeability.state,
    merged_by: issue.pull.mergedBy ? userShape(sim, issue.pull.mergedBy) : null,
    comments: commentCount(sim, issue.number),
    review_comments: 0,
    maintainer_can_modify: issue.pull.maintainerCanModify,
    commits: summary.commits,
    additions: summary.additions,
    deletions: summary.deletions,
    changed_files: summary.changedFiles,
  };
}
