import { type ClusterConfig, clusterId, decodeConfigBytes, readConfigFiles, setComponentCount } from '../config/index.js';
import { ConfigError, type ConfigProblem, TransientError, UserError } from '../errors.js';
import { normalizeReason, scaleCommitMessage, scaleSubject } from '../history/commit-message.js';
import { componentChangeText, countChangeNodes, nodeLines } from '../plan/index.js';
import {
  AUTOSCALER_IDENTITY,
  branchHeadSha,
  call,
  type GitIdentity,
  isCommitBy,
  missingLabels,
  readBranchTip,
  refusalText,
  SCALE_DOWN_LABEL,
  SCALE_UP_LABEL,
  writeFileCommit,
} from './autoscale-pr.js';
import type { GithubClient } from './client.js';
import { statusOf } from './conditional-get.js';
import { githubFailure } from './errors.js';
import { fenced } from './pr-body.js';
import { GithubTreeSource } from './tree-source.js';

/**
 * The manual-scale pull request: a person asks (the scale workflow's form) for one component of
 * one cluster to have a new count, and gets a PR whose one commit, on the latest default branch,
 * changes that one line and carries the request (who asked, and why) as its `Autoscale-Reason`
 * trailer. The request is checked against the configs on the default branch before anything is
 * written, so a refused request leaves no trace.
 *
 * Calls: the default branch's tip, its config tree and one read per config file; then, when the
 * count changes, five writes: tree, commit, branch, PR, labels (and one read of the repository
 * when the default branch is not given).
 */

/** The label of every manual-scale PR, beside `scale-up` or `scale-down`. */
export const MANUAL_SCALE_LABEL = 'manual-scale';

export interface ScaleRequest {
  owner: string;
  repo: string;
  /** The branch the PR targets and is built on. Default: the repository's (one more read). */
  defaultBranch?: string | undefined;
  /** The folder of the cluster configs, from the repository root: `cluster-config`. */
  dir: string;
  /** The cluster: its specification.name, or its `provider/prefix-name` id. */
  cluster: string;
  component: string;
  count: number;
  /** Why, in the asker's words: untrusted text, kept to one line and never rendered as Markdown. */
  reason: string;
  /** The GitHub login of the person who asked. */
  requestedBy: string;
  /** The workflow run: the branch name carries it, so re-runs of one run find their own PR. */
  runId: string;
  /** A link to the run, for the PR body. */
  runUrl?: string | undefined;
  /** The commit's author and committer. Default: the autoscaler's. */
  identity?: GitIdentity | undefined;
}

/** The change a request makes, once checked against the default branch. */
export interface ScaleChangePlan {
  file: string;
  /** The cluster's `provider/prefix-name` id. */
  cluster: string;
  /** Its specification.name. */
  name: string;
  component: string;
  from: number;
  to: number;
  /** The default branch the change was checked against (and the PR targets). */
  base: string;
  nodes: { add: string[]; remove: string[] };
}

export interface ScalePull {
  number: number;
  url: string;
  branch: string;
  labels: string[];
}

/**
 * - `unchanged`: the default branch already has the count; nothing written.
 * - `opened`: a new PR. `existing`: an earlier attempt of the same run opened it (a re-run).
 */
export type ScaleRequestResult =
  | { action: 'unchanged'; change: ScaleChangePlan; warnings: string[] }
  | { action: 'opened' | 'existing'; change: ScaleChangePlan; pull: ScalePull; warnings: string[] };

/** `requested by @octocat: <reason>`: the trailer names who asked, since the commit's author is the autoscaler. */
export function requestReason(requestedBy: string, reason: string): string {
  const why = normalizeReason(reason);
  // Normalized as a whole, so the trailer is cut where every trailer is, with who asked kept.
  return normalizeReason(`requested by @${requestedBy}${why ? `: ${why}` : ''}`);
}

/** `scale/<specification.name>-<count>-<run id>`: one branch per run, the same across its re-runs. */
export function scaleBranch(name: string, count: number, runId: string): string {
  // specification.name is a DNS label (validated with the config), and the run id is GitHub's number.
  if (!/^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/.test(name) || !/^[A-Za-z0-9-]+$/.test(runId)) {
    throw new UserError(
      `cluster ${JSON.stringify(name)} and run ${JSON.stringify(runId)} make no branch name: both must be letters, digits and '-'`,
    );
  }
  return `scale/${name}-${count}-${runId}`;
}

/**
 * Text as a Markdown code span, shown verbatim: no emphasis, link, HTML, `#123` reference or
 * @mention in it takes effect. The fence is longer than any run of backticks inside, and the
 * spaces around the text (which Markdown strips) keep a backtick at either end from joining it.
 */
export function codeSpan(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '';
  const longest = Math.max(0, ...[...oneLine.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = '`'.repeat(longest + 1);
  return `${fence} ${oneLine} ${fence}`;
}

/** The PR's body: who asked for what and why, the one-line change, the nodes, and where it came from. */
export function scaleRequestBody(
  change: ScaleChangePlan,
  request: Pick<ScaleRequest, 'reason' | 'requestedBy' | 'runId' | 'runUrl'>,
  branch: string,
): string {
  const adds = change.to > change.from;
  const count = Math.abs(change.to - change.from);
  const nodes = `${count} node${count === 1 ? '' : 's'}`;
  const reason = normalizeReason(request.reason);
  const run = request.runUrl ? `[workflow run ${request.runId}](${request.runUrl})` : `workflow run ${codeSpan(request.runId)}`;
  return [
    `@${request.requestedBy} asked for ${codeSpan(componentChangeText(change))} on cluster ${codeSpan(change.cluster)}: merging this PR ${adds ? 'adds' : 'removes'} ${nodes}.`,
    '',
    `**Reason:** ${reason ? codeSpan(reason) : '_none given_'}`,
    '',
    `The change is one line of ${codeSpan(change.file)}: ${codeSpan(`${change.component}.count`)} ${change.from} → ${change.to}. Its commit carries the request as its \`Autoscale-Reason\` trailer, which the scale history shows.`,
    '',
    `<details><summary>Nodes ${adds ? 'added' : 'removed'} (${count})</summary>`,
    '',
    fenced('', nodeLines(change.nodes).join('\n')),
    '',
    '</details>',
    '',
    '---',
    `<sub>Opened by the lambdastack-autoscaler scale action in ${run}, on ${codeSpan(branch)} from the latest ${codeSpan(change.base)}. Merging it applies the change through the apply workflow; closing it changes nothing.</sub>`,
    '',
  ].join('\n');
}

/** The one cluster `wanted` names among the configs, or a refusal that lists them. */
function findCluster(configs: readonly ClusterConfig[], wanted: string, where: string): ClusterConfig {
  const matches = configs.filter((config) => config.name === wanted || clusterId(config) === wanted.toLowerCase());
  if (matches.length === 1 && matches[0]) return matches[0];
  const listing = (list: readonly ClusterConfig[]): string => list.map((c) => `${clusterId(c)} (${c.file})`).join(', ');
  if (matches.length > 1) {
    throw new UserError(
      `input \`cluster\`: ${JSON.stringify(wanted)} names ${matches.length} clusters under ${where} (${listing(matches)}): give the provider/prefix-name id of one`,
    );
  }
  if (configs.length === 0) {
    throw new UserError(`input \`path\`: no cluster configs under ${where}: is \`path\` the folder that holds them?`);
  }
  throw new UserError(
    `input \`cluster\`: no cluster ${JSON.stringify(wanted)} under ${where} (clusters: ${listing(configs)}): give its specification.name or its provider/prefix-name id`,
  );
}

/**
 * The cluster a request names, and its file's text, as the default branch has them. Problems in
 * other files do not stop a request (they are returned as warnings); a cluster that cannot be
 * found while some file has problems may be in that file, so those problems are the refusal.
 */
async function readTarget(
  github: GithubClient,
  request: ScaleRequest,
  base: string,
  ref: string,
): Promise<{ target: ClusterConfig; text: string; warnings: string[] }> {
  const files = await new GithubTreeSource(github, { owner: request.owner, repo: request.repo, ref, dir: request.dir }).files();
  const read = readConfigFiles(files, base);
  const where = `${request.dir} on ${base}`;
  let target: ClusterConfig;
  try {
    target = findCluster(read.configs, request.cluster, where);
  } catch (error) {
    if (read.problems.length > 0) throw new ConfigError(read.problems);
    throw error;
  }
  const own = (problem: ConfigProblem): boolean => problem.file === `${base}:${target.file}`;
  if (read.problems.some(own)) throw new ConfigError(read.problems.filter(own));
  const text = decodeConfigBytes(target.file, files.find((file) => file.path === target.file)?.bytes ?? new Uint8Array());
  if (typeof text !== 'string') throw new ConfigError([text]);
  const others = new Set(read.problems.map((problem) => problem.file));
  const warnings = [...others].map((file) => `${file} has problems (run the validate action on it); the request does not touch it`);
  return { target, text, warnings };
}

/** The count edit a request makes, with its refusals naming the input to change. */
function editCount(target: ClusterConfig, text: string, request: ScaleRequest): ReturnType<typeof setComponentCount> {
  if (!Object.hasOwn(target.counts, request.component)) {
    throw new UserError(
      `input \`component\`: cluster ${clusterId(target)} (${target.file}) has no component ${JSON.stringify(request.component)}; its components: ${Object.keys(target.counts).join(', ') || 'none'}`,
    );
  }
  try {
    return setComponentCount(target.file, text, request.component, request.count);
  } catch (error) {
    // Bounds, a lower master count, a count written so it cannot be edited: all about this count.
    if (error instanceof UserError) throw new UserError(`input \`count\`: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The open PR of `branch` into `base`, if there is one (one read). */
async function openPullOf(github: GithubClient, request: ScaleRequest, branch: string, base: string): Promise<ScalePull | undefined> {
  const { owner, repo } = request;
  const { data } = await call(
    `list the pull requests of ${branch}`,
    github.pulls.list({ owner, repo, head: `${owner}:${branch}`, base, state: 'open', per_page: 1 }),
  );
  const pull = data[0];
  return pull && { number: pull.number, url: pull.html_url, branch, labels: pull.labels.map((label) => label.name) };
}

/**
 * Puts the run's branch at `sha`. The branch exists already only when an earlier attempt of this
 * run made it (its name carries the run id): its open PR is this request's, and a branch without
 * one is moved, unless someone else has committed to it.
 */
async function placeBranch(
  github: GithubClient,
  request: ScaleRequest,
  branch: string,
  base: string,
  sha: string,
): Promise<ScalePull | undefined> {
  const { owner, repo } = request;
  try {
    await github.git.createRef({ owner, repo, ref: `refs/heads/${branch}`, sha });
    return undefined;
  } catch (error) {
    if (!(statusOf(error) === 422 && /already exists/i.test(refusalText(error)))) throw githubFailure(error, `create the branch ${branch}`);
  }
  const open = await openPullOf(github, request, branch, base);
  if (open) return open;
  const head = await branchHeadSha(github, request, branch);
  if (head === undefined) throw new TransientError(`GitHub: the branch ${branch} was deleted while it was being placed: re-run the job`);
  if (!(await isCommitBy(github, request, head, request.identity ?? AUTOSCALER_IDENTITY, branch))) {
    throw new UserError(
      `GitHub: the branch ${branch} exists with commits the scale action did not make (head ${head}): delete it, or start a new workflow run (each run has its own branch)`,
    );
  }
  await call(`move ${branch} to ${sha}`, github.git.updateRef({ owner, repo, ref: `heads/${branch}`, sha, force: true }));
  return undefined;
}

/** Opens the PR; one a concurrent attempt of the same run opened first is found instead. */
async function openPull(
  github: GithubClient,
  request: ScaleRequest,
  change: ScaleChangePlan,
  branch: string,
): Promise<{ pull: ScalePull; opened: boolean }> {
  const { owner, repo } = request;
  try {
    const { data } = await github.pulls.create({
      owner,
      repo,
      head: branch,
      base: change.base,
      // The commit's subject, so a squash merge and the PR list read alike.
      title: scaleSubject({ ...change, cluster: change.name }),
      body: scaleRequestBody(change, request, branch),
    });
    return { pull: { number: data.number, url: data.html_url, branch, labels: [] }, opened: true };
  } catch (error) {
    if (statusOf(error) === 422 && /already exists/i.test(refusalText(error))) {
      const open = await openPullOf(github, request, branch, change.base);
      if (open) return { pull: open, opened: false };
    }
    throw githubFailure(error, `open the pull request for ${branch}`);
  }
}

/**
 * Checks a manual scale request against the default branch and, when it changes the count, opens
 * its PR (see the top of this file). Refusals (an unknown cluster or component, a count outside
 * the bounds, a lower master count) are UserErrors naming the input, and nothing is written.
 */
export async function openScaleRequest(github: GithubClient, request: ScaleRequest): Promise<ScaleRequestResult> {
  const { owner, repo } = request;
  const base =
    request.defaultBranch ?? (await call(`read the repository ${owner}/${repo}`, github.repos.get({ owner, repo }))).data.default_branch;
  const tip = await readBranchTip(github, request, base);
  const { target, text, warnings } = await readTarget(github, request, base, tip.sha);
  const edit = editCount(target, text, request);
  const change: ScaleChangePlan = {
    file: target.file,
    cluster: clusterId(target),
    name: target.name,
    component: request.component,
    from: edit.from,
    to: edit.to,
    base,
    nodes: countChangeNodes(target.prefix, target.name, request.component, edit.from, edit.to),
  };
  if (edit.from === edit.to) return { action: 'unchanged', change, warnings };

  const message = scaleCommitMessage({ ...change, cluster: target.name, reason: requestReason(request.requestedBy, request.reason) });
  const identity = request.identity ?? AUTOSCALER_IDENTITY;
  const sha = await writeFileCommit(github, request, tip, { file: target.file, text: edit.text, message, identity });
  const branch = scaleBranch(target.name, edit.to, request.runId);
  const earlier = await placeBranch(github, request, branch, base, sha);
  const { pull, opened } = earlier ? { pull: earlier, opened: false } : await openPull(github, request, change, branch);
  const missing = missingLabels(pull.labels, [MANUAL_SCALE_LABEL, edit.to > edit.from ? SCALE_UP_LABEL : SCALE_DOWN_LABEL]);
  if (missing.length > 0) {
    await call(`label PR #${pull.number}`, github.issues.addLabels({ owner, repo, issue_number: pull.number, labels: missing }));
  }
  return { action: opened ? 'opened' : 'existing', change, pull: { ...pull, labels: [...pull.labels, ...missing] }, warnings };
}
