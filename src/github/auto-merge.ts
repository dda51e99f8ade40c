import { UserError } from '../errors.js';
import type { GithubClient } from './client.js';
import { githubFailure } from './errors.js';

/**
 * Auto-merge of the autoscale PR. GitHub offers it only through GraphQL
 * (`enablePullRequestAutoMerge`), so it is a strategy the caller can replace: the GitHub simulator
 * has no GraphQL endpoint, and a repository may want its own rule (a merge queue, say).
 */

export interface PullRequestRef {
  number: number;
  /** The PR's GraphQL node id (`node_id` in REST answers). */
  nodeId: string;
}

export interface AutoMergeStrategy {
  /** Asks GitHub to merge the PR once its required checks pass. */
  enable(pull: PullRequestRef): Promise<void>;
  /** Withdraws that, so a PR rewritten into a scale-down waits for a person. */
  disable(pull: PullRequestRef): Promise<void>;
}

export type AutoMergeMethod = 'MERGE' | 'SQUASH' | 'REBASE';

const ENABLE = `mutation($pullRequestId: ID!, $mergeMethod: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod}) { clientMutationId }
}`;

const DISABLE = `mutation($pullRequestId: ID!) {
  disablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId}) { clientMutationId }
}`;

/** A GraphQL answer with `errors` (octokit's GraphqlResponseError): GitHub said no, which is not a network failure. */
function graphqlErrors(error: unknown): string[] | undefined {
  const errors = (error as { errors?: unknown } | null)?.errors;
  if (!Array.isArray(errors)) return undefined;
  return errors.map((e) => String((e as { message?: unknown } | null)?.message ?? e));
}

/**
 * GitHub's auto-merge. The default method is a squash: the PR has one commit, so the squash
 * commit keeps its message and the `Autoscale-Reason` trailer `history` reads. GitHub refuses to
 * enable it when the repository does not allow auto-merge, or when the PR could be merged at once
 * (no required checks): both are refusals (UserError) that name the setting.
 */
export function graphqlAutoMerge(github: GithubClient, mergeMethod: AutoMergeMethod = 'SQUASH'): AutoMergeStrategy {
  const run = async (query: string, variables: Record<string, string>, what: string): Promise<void> => {
    try {
      await github.graphql(query, variables);
    } catch (error) {
      const said = graphqlErrors(error);
      if (said) {
        throw new UserError(
          `GitHub: cannot ${what}: ${said.join('; ')} (auto-merge needs "Allow auto-merge" in the repository settings and a required check on the default branch)`,
          { cause: error },
        );
      }
      throw githubFailure(error, what);
    }
  };
  return {
    enable: (pull) => run(ENABLE, { pullRequestId: pull.nodeId, mergeMethod }, `enable auto-merge on PR #${pull.number}`),
    disable: (pull) => run(DISABLE, { pullRequestId: pull.nodeId }, `disable auto-merge on PR #${pull.number}`),
  };
}
