// The `comment` mode of the plan action (pr.yml): the scale plan of a pull request, with its
// monthly cost change, posted as one comment that later pushes edit in place. The pure parts are
// src/cost (prices and arithmetic) and src/github/plan-comment.ts (the Markdown); this module
// reads the inputs, finds the price table, and talks to GitHub through src/github.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { context } from '@actions/github';
import type { ClusterConfig } from '../config/index.js';
import { formatUsd, type MonthlyCostChange, monthlyCostChange } from '../cost/monthly.js';
import { costChanges } from '../cost/plan-cost.js';
import { type PriceTable, readPriceTable } from '../cost/price-table.js';
import type { ConfigProblem } from '../errors.js';
import { UserError } from '../errors.js';
import { createGithubClient } from '../github/client.js';
import { type MarkedComment, upsertMarkedComment } from '../github/marked-comment.js';
import { PLAN_COMMENT_MARKER, type PlanCommentInput, renderPlanComment, type WhatIfMarkdown } from '../github/plan-comment.js';
import type { ClusterPlan, ScalePlan } from '../plan/index.js';
import { workspacePath } from './inputs.js';
import { escapeHtml, fileLink, writeSummary } from './summary.js';

/** The price table shipped with the action: data/prices.yml of the action's own repository. */
const BUNDLED_PRICES = 'data/prices.yml';

/** Whether input `comment` asks for the comment: true or false, nothing else. */
export function commentRequested(): boolean {
  const given = core.getInput('comment').trim().toLowerCase();
  if (given === '' || given === 'false') return false;
  if (given === 'true') return true;
  throw new UserError(`input \`comment\` is "${given}": use true (post the plan as a pull request comment) or false`);
}

/** What a comment needs before anything is read: checked first, so a mistake costs no git or GitHub call. */
export interface CommentTarget {
  token: string;
  owner: string;
  repo: string;
  pullRequest: number;
  /** The pull request comes from a fork: its token is read-only, so a refused comment is expected. */
  fork: boolean;
}

export function commentTarget(): CommentTarget {
  const token = core.getInput('token');
  if (token === '') {
    throw new UserError(
      "input `token` is empty: comment mode needs a token that can comment on pull requests (by default the job's GITHUB_TOKEN, with `pull-requests: write`)",
    );
  }
  core.setSecret(token);
  const given = core.getInput('pull-request').trim();
  const fromEvent: unknown = context.payload.pull_request?.number;
  const pullRequest = given === '' ? fromEvent : /^[1-9]\d*$/.test(given) ? Number(given) : Number.NaN;
  if (typeof pullRequest !== 'number' || !Number.isSafeInteger(pullRequest)) {
    throw new UserError(
      given === ''
        ? `comment mode needs a pull request: run it on a pull_request event (this is ${context.eventName || 'no'} event), or set input \`pull-request\` to its number`
        : `input \`pull-request\` is "${given}": give the pull request's number`,
    );
  }
  if (!process.env.GITHUB_REPOSITORY) {
    throw new UserError('GITHUB_REPOSITORY is not set: comment mode runs in a workflow, where the runner sets it to owner/name');
  }
  const { owner, repo } = context.repo;
  const head = context.payload.pull_request?.head?.repo?.full_name;
  const fork = typeof head === 'string' && head.toLowerCase() !== `${owner}/${repo}`.toLowerCase();
  return { token, owner, repo, pullRequest, fork };
}

/** The price table: input `prices` (a file of the checkout), else the one shipped beside this action. */
async function priceTable(workspace: string): Promise<PriceTable> {
  const given = core.getInput('prices').trim();
  if (given !== '') return readPriceTable(join(workspace, await workspacePath('prices', given, workspace)), given);
  // actions/plan/dist/index.js → the repository root of the action, whether it is this checkout or `uses: owner/repo/actions/plan@ref`.
  const beside = fileURLToPath(new URL(`../../../${BUNDLED_PRICES}`, import.meta.url));
  return readPriceTable(beside, BUNDLED_PRICES);
}

export interface PlanCommentFacts {
  base: string | undefined;
  head: string;
  dir: string;
  plan: ScalePlan | undefined;
  before: readonly ClusterConfig[];
  after: readonly ClusterConfig[];
  nameOf: (cluster: ClusterPlan) => string;
  problems: readonly ConfigProblem[];
  refused: readonly string[];
  /** The what-if replays of changed autoscaling settings (plan-what-if.ts). */
  whatIf?: readonly WhatIfMarkdown[] | undefined;
}

function runUrl(): string | undefined {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run } = process.env;
  return server && repository && run ? `${server}/${repository}/actions/runs/${run}` : undefined;
}

/** The status of the GitHub answer behind a failure githubFailure mapped, if any. */
function httpStatus(error: unknown): number | undefined {
  const cause = (error as { cause?: { status?: unknown } } | undefined)?.cause;
  return typeof cause?.status === 'number' ? cause.status : undefined;
}

/**
 * Prices the plan, renders the comment and creates or edits it. A fork's pull request gets a
 * read-only token, so there a refused comment is a warning (the plan is in the job summary), not
 * a failed check.
 */
export async function postPlanComment(
  target: CommentTarget,
  workspace: string,
  facts: PlanCommentFacts,
): Promise<{ comment: MarkedComment | undefined; cost: MonthlyCostChange | undefined }> {
  const prices = await priceTable(workspace);
  const cost = facts.plan ? monthlyCostChange(prices, costChanges(facts.plan, facts.before, facts.after)) : undefined;
  const input: PlanCommentInput = {
    base: facts.base,
    head: facts.head,
    dir: facts.dir,
    plan: facts.plan,
    nameOf: facts.nameOf,
    cost,
    prices,
    problems: facts.problems,
    refused: facts.refused,
    runUrl: runUrl(),
    whatIf: facts.whatIf,
  };
  const body = renderPlanComment(input);
  const github = createGithubClient({ token: target.token, baseUrl: context.apiUrl, userAgent: 'lambdastack-autoscaler-plan-action' });
  try {
    const comment = await upsertMarkedComment(github, {
      owner: target.owner,
      repo: target.repo,
      issueNumber: target.pullRequest,
      marker: PLAN_COMMENT_MARKER,
      body,
    });
    core.setOutput('comment-url', comment.url);
    core.info(`plan comment ${comment.action}: ${comment.url}`);
    return { comment, cost };
  } catch (error) {
    if (target.fork && httpStatus(error) === 403) {
      core.warning(
        `the token cannot comment on pull request #${target.pullRequest}: it comes from a fork, whose workflows get a read-only token; the plan is in this job's summary`,
      );
      return { comment: undefined, cost };
    }
    throw error;
  }
}

/** The cost line of the job summary. */
export function costSummary(cost: MonthlyCostChange | undefined): string | undefined {
  if (!cost || cost.lines.length === 0) return undefined;
  const missing = cost.lines.flatMap((line) => line.missing);
  return `Monthly cost change: ${formatUsd(cost.delta, { signed: true })}${cost.complete ? '' : ` for what has a price (${missing.join('; ')})`}`;
}

/**
 * Comment mode when a config at the head has problems: no plan, the problems in the comment and
 * the job summary, then a failed step. The validate step annotates each problem on its line, so
 * they are not annotated again here.
 */
export async function commentProblems(
  target: CommentTarget,
  workspace: string,
  facts: Pick<PlanCommentFacts, 'base' | 'head' | 'dir' | 'before' | 'nameOf' | 'problems'>,
): Promise<never> {
  const { comment } = await postPlanComment(target, workspace, { ...facts, plan: undefined, after: [], refused: [] });
  const count = facts.problems.length;
  core.summary
    .addHeading('Scale plan', 2)
    .addRaw(`<p>${escapeHtml(`❌ ${count} problem(s) in the cluster configs: nothing is planned`)}</p>`, true)
    .addList(facts.problems.map((problem) => `${fileLink(problem.file, problem.line)}: ${escapeHtml(problem.message)}`));
  if (comment) core.summary.addRaw(`<p><a href="${escapeHtml(comment.url)}">The plan comment</a></p>`, true);
  await writeSummary();
  throw new UserError(
    `${count} problem(s) in the cluster configs under ${facts.dir}: nothing is planned until they are fixed (the plan comment lists them at file:line)`,
  );
}
