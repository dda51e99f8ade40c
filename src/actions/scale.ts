// The `scale` action (actions/scale/action.yml), for manual scaling from the scale workflow's form
// (workflow_dispatch): checks the cluster, component and count against the configs on the default
// branch and opens a PR whose one commit changes that one count and names who asked and why.
// Built into actions/scale/dist/index.js by `npm run bundle`.
import { posix } from 'node:path';
import * as core from '@actions/core';
import { context } from '@actions/github';
import { parseCountArgument } from '../cli/scale.js';
import { DEFAULT_CONFIG_DIR, WORKER_COMPONENT } from '../config/index.js';
import { UserError } from '../errors.js';
import { createGithubClient } from '../github/client.js';
import { openScaleRequest, type ScaleRequest, type ScaleRequestResult } from '../github/scale-request.js';
import { normalizeReason } from '../history/commit-message.js';
import { componentChangeText, nodeLines } from '../plan/index.js';
import { runAction } from './run-action.js';
import { escapeHtml, fileLink, headerRow, writeSummary } from './summary.js';

/**
 * An input, else the workflow_dispatch form's field of the same name: a scale workflow can pass
 * its form through `with:`, or leave it to this fallback. Trimmed; '' when neither is set.
 */
function formInput(name: string): string {
  const given = core.getInput(name);
  if (given !== '') return given;
  const inputs: unknown = context.payload.inputs;
  const fromForm = inputs && typeof inputs === 'object' ? (inputs as Record<string, unknown>)[name] : undefined;
  return typeof fromForm === 'string' || typeof fromForm === 'number' ? String(fromForm).trim() : '';
}

function requiredInput(name: string, what: string): string {
  const value = formInput(name);
  if (value === '') throw new UserError(`input \`${name}\` is empty: ${what}`);
  return value;
}

/** The config folder as git names it from the repository root; never absolute and never above the root. */
function configDirInput(): string {
  const given = formInput('path') || DEFAULT_CONFIG_DIR;
  const dir = posix.normalize(given.replaceAll('\\', '/')).replace(/\/+$/, '');
  if (posix.isAbsolute(dir) || dir === '..' || dir.startsWith('../')) {
    throw new UserError(
      `input \`path\`: ${given} is outside the repository: name the folder from the repository root (for example \`cluster-config\`)`,
    );
  }
  return dir === '' ? '.' : dir;
}

function countInput(): number {
  const raw = requiredInput('count', 'set it to the number of nodes wanted (for example `5`)');
  try {
    return parseCountArgument(raw);
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`input \`count\`: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The person who asked: the event's sender (who submitted the form), else the run's actor. */
function requester(): string {
  const sender: unknown = context.payload.sender?.login;
  const login = typeof sender === 'string' && sender !== '' ? sender : (context.actor ?? '');
  // A GitHub login (and apps' `name[bot]`): the trailer and the PR body mention it as @login.
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:\[bot\])?$/.test(login)) {
    throw new UserError(
      login === ''
        ? 'the user who asked is unknown: the event has no sender and GITHUB_ACTOR is not set (the runner sets both; set GITHUB_ACTOR when running the action elsewhere)'
        : `the user who asked, ${JSON.stringify(login)}, is not a GitHub login`,
    );
  }
  return login;
}

/** The repository (GITHUB_REPOSITORY, else the event's), as @actions/github's context reads it. */
function repository(): { owner: string; repo: string } {
  try {
    const { owner, repo } = context.repo;
    if (owner && repo) return { owner, repo };
  } catch {
    // Neither is set: said below.
  }
  throw new UserError(
    'the repository is unknown: GITHUB_REPOSITORY (owner/name) is not set (the runner sets it; set it when running the action elsewhere)',
  );
}

/** The run's id (the branch name carries it, so re-runs of the run find their PR); outside a runner, the time. */
function runId(): string {
  if (Number.isSafeInteger(context.runId) && context.runId > 0) return String(context.runId);
  const local = `local-${Math.floor(Date.now() / 1000)}`;
  core.info(`GITHUB_RUN_ID is not set: the branch is named after ${local}`);
  return local;
}

function headline(result: ScaleRequestResult): string {
  const { change } = result;
  if (result.action === 'unchanged') {
    return `✅ nothing to do: ${change.file} on ${change.base} already sets ${change.component}.count to ${change.to} for ${change.cluster}`;
  }
  const verb = result.action === 'opened' ? 'opened' : 'already open (an earlier attempt of this run opened it):';
  return `✅ ${verb} PR #${result.pull.number} for ${change.cluster}: ${componentChangeText(change)}`;
}

/** Adds the job summary: the request, the change, its nodes and the PR; user text escaped. */
function addSummary(result: ScaleRequestResult, request: ScaleRequest): void {
  const { change } = result;
  const nodes = nodeLines(change.nodes).map(escapeHtml).join('<br>') || '—';
  const pull =
    result.action === 'unchanged'
      ? '—'
      : `<a href="${escapeHtml(result.pull.url)}">#${result.pull.number}</a> on <code>${escapeHtml(result.pull.branch)}</code>`;
  core.summary
    .addHeading('Manual scale', 2)
    .addRaw(`<p>${escapeHtml(headline(result))}</p>`, true)
    .addTable([
      headerRow('Cluster', 'File', 'Change', 'Nodes', 'Requested by', 'Reason', 'Pull request'),
      [
        escapeHtml(change.cluster),
        fileLink(change.file),
        escapeHtml(componentChangeText(change)),
        nodes,
        `@${escapeHtml(request.requestedBy)}`,
        escapeHtml(normalizeReason(request.reason)),
        pull,
      ],
    ]);
  if (result.warnings.length > 0) core.summary.addHeading('Warnings', 3).addList(result.warnings.map(escapeHtml));
}

async function scale(): Promise<void> {
  const token = core.getInput('token');
  if (token === '') {
    throw new UserError(
      "input `token` is empty: pass a token that can push a branch and open a PR (by default the job's GITHUB_TOKEN, which needs the permissions `contents: write` and `pull-requests: write`)",
    );
  }
  core.setSecret(token);
  // Every input is checked before the first call, so a mistyped form costs no GitHub call.
  const request: ScaleRequest = {
    ...repository(),
    defaultBranch: typeof context.payload.repository?.default_branch === 'string' ? context.payload.repository.default_branch : undefined,
    dir: configDirInput(),
    cluster: requiredInput('cluster', 'name the cluster by its specification.name or its provider/prefix-name id'),
    component: formInput('component') || WORKER_COMPONENT,
    count: countInput(),
    reason: requiredInput('reason', 'say why (the commit carries it as its Autoscale-Reason trailer, and the scale history shows it)'),
    requestedBy: requester(),
    runId: runId(),
  };
  if (Number.isSafeInteger(context.runId) && context.runId > 0) {
    request.runUrl = `${context.serverUrl}/${request.owner}/${request.repo}/actions/runs/${context.runId}`;
  }
  const github = createGithubClient({ token, baseUrl: context.apiUrl, userAgent: 'lambdastack-autoscaler-scale-action' });
  const result = await openScaleRequest(github, request);

  for (const warning of result.warnings) core.warning(warning);
  core.setOutput('pull-request-number', result.action === 'unchanged' ? '' : String(result.pull.number));
  core.setOutput('pull-request-url', result.action === 'unchanged' ? '' : result.pull.url);
  core.setOutput('branch', result.action === 'unchanged' ? '' : result.pull.branch);
  addSummary(result, request);
  await writeSummary();
  core.info(headline(result));
}

await runAction(scale);
