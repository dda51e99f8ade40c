/**
 * The drift issue's GitHub calls: find the cluster's open one (one listing, by label), and carry
 * out a plan (./drift-issue-body.ts): open is one write, an update one, a close two (the comment,
 * then the state). The caller remembers what it found and wrote, so an idle cycle makes no call.
 */
import { call } from './autoscale-pr.js';
import type { GithubClient } from './client.js';
import { DRIFT_LABELS, type DriftIssuePlan, type OpenDriftIssue, readDriftMarker } from './drift-issue-body.js';

export interface DriftRepository {
  owner: string;
  repo: string;
}

/**
 * The cluster's open drift issue, or undefined. The listing holds pull requests too (GitHub lists
 * them as issues): those are skipped, as are issues whose marker names another cluster. When a
 * cluster has several (a person copied one), the oldest is the one kept.
 */
export async function findDriftIssue(
  github: GithubClient,
  repository: DriftRepository,
  cluster: string,
): Promise<OpenDriftIssue | undefined> {
  const { owner, repo } = repository;
  const { data } = await call(
    `list the open drift issues of ${owner}/${repo}`,
    github.issues.listForRepo({
      owner,
      repo,
      state: 'open',
      labels: DRIFT_LABELS.join(','),
      sort: 'created',
      direction: 'asc',
      per_page: 100,
    }),
  );
  for (const issue of data) {
    if (issue.pull_request) continue;
    const marker = readDriftMarker(issue.body);
    if (marker?.cluster === cluster) return { number: issue.number, url: issue.html_url, marker };
  }
  return undefined;
}

/** Carries out a plan; resolves with the issue open afterwards (undefined after a close, or when there was none). */
export async function applyDriftIssuePlan(
  github: GithubClient,
  repository: DriftRepository,
  open: OpenDriftIssue | undefined,
  plan: DriftIssuePlan,
): Promise<OpenDriftIssue | undefined> {
  const { owner, repo } = repository;
  switch (plan.kind) {
    case 'none':
      return open;
    case 'open': {
      const { data } = await call(
        `open a drift issue in ${owner}/${repo}`,
        github.issues.create({ owner, repo, title: plan.title, body: plan.body, labels: [...DRIFT_LABELS] }),
      );
      return { number: data.number, url: data.html_url, marker: plan.marker };
    }
    case 'update': {
      // `state: open` too: a person may have closed it while the nodes still drift.
      const { data } = await call(
        `update drift issue #${plan.number}`,
        github.issues.update({ owner, repo, issue_number: plan.number, title: plan.title, body: plan.body, state: 'open' }),
      );
      return { number: data.number, url: data.html_url, marker: plan.marker };
    }
    case 'close':
      await call(
        `comment on drift issue #${plan.number}`,
        github.issues.createComment({ owner, repo, issue_number: plan.number, body: plan.comment }),
      );
      await call(
        `close drift issue #${plan.number}`,
        github.issues.update({ owner, repo, issue_number: plan.number, state: 'closed', state_reason: 'completed' }),
      );
      return undefined;
  }
}
