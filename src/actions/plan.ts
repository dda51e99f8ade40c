// The `plan` action (actions/plan/action.yml): the scale plan between two commits of the checkout
// (a push's `before` and `after`, or a pull request's base and the pull request merged into it),
// as outputs the later steps of the apply workflow select on (a matrix of the clusters scaled,
// packer only when nodes are added, drain the nodes removed) and a job summary. With `comment:
// true` (pr.yml) the plan and its monthly cost change are also posted on the pull request as one
// comment, edited in place on later pushes (plan-comment.ts). Whole-cluster changes are never
// applied by this pipeline: a rename, a removal or a lower master count fails the step. Built
// into actions/plan/dist/index.js by `npm run bundle`.
import { posix, relative, resolve, sep } from 'node:path';
import * as core from '@actions/core';
import { context } from '@actions/github';
import { type ClusterConfig, clusterId, MASTER_COMPONENT, readConfigs, readValidConfigs } from '../config/index.js';
import { cloudRegion } from '../config/machines.js';
import { ConfigError, UserError } from '../errors.js';
import { Git } from '../git/git.js';
import { GitTreeSource } from '../git/tree-source.js';
import { type ClusterPlan, clusterChangeText, componentChangeText, nodeLines, type ScalePlan, scalePlan } from '../plan/index.js';
import { workspaceDir, workspacePathInput } from './inputs.js';
import { commentProblems, commentRequested, commentTarget, costSummary, postPlanComment } from './plan-comment.js';
import { planWhatIf, recordingsInput } from './plan-what-if.js';
import { runAction } from './run-action.js';
import { escapeHtml, fileLink, headerRow, writeSummary } from './summary.js';

/** GitHub's id for "no commit": a push's `before` when it created the branch, its `after` when it deleted it. */
const NO_COMMIT = /^0{40}(?:0{24})?$/;

/** Where a side of the plan comes from: the input when set, else the event's commit. */
interface Side {
  input: 'base' | 'head';
  /** What it defaults to, for messages: "the push's `before`". */
  fallback: string;
  ref: string;
}

/**
 * The input, else the event's commit: a push's `before`/`after`; a pull request's base and the
 * job's commit (the pull request merged into its base: what merging it would change). A
 * pull_request event also carries `before`/`after` on a synchronize, but those are two versions
 * of the pull request's branch, not the change it makes, so they are never used for one.
 */
function sideOf(input: Side['input']): Side {
  const given = core.getInput(input);
  const pull = context.payload.pull_request;
  const field = input === 'base' ? 'before' : 'after';
  const fallback = pull
    ? input === 'base'
      ? "the pull request's base commit"
      : "the job's commit (the pull request merged into its base)"
    : `the push's \`${field}\``;
  if (given !== '') return { input, fallback, ref: given };
  const fromEvent: unknown = pull ? (input === 'base' ? pull.base?.sha : context.sha) : context.payload[field];
  if (typeof fromEvent === 'string' && fromEvent !== '') return { input, fallback, ref: fromEvent };
  if (input === 'head' && context.sha) return { input, fallback, ref: context.sha };
  throw new UserError(
    `input \`${input}\` is empty and the ${context.eventName || 'triggering'} event has no \`${field}\`: set \`${input}\` to the commit to compare (on a push it defaults to \`github.event.${field}\`)`,
  );
}

/** The checkout's git and its top directory; a step without a checkout is told to add one. */
async function checkout(workspace: string): Promise<{ git: Git; root: string }> {
  const git = new Git(workspace);
  const top = await git.call(['rev-parse', '--show-toplevel']);
  if (top.exitCode !== 0) {
    throw new UserError(
      `${workspace} is not a git checkout: run actions/checkout with \`fetch-depth: 0\` before this step (the plan reads both commits from git)`,
    );
  }
  return { git, root: top.stdout.toString('utf8').trim() };
}

/** The commit a side names; one the checkout lacks is most often a shallow clone's doing. */
async function commitOf(git: Git, side: Side): Promise<string> {
  const commit = await git.resolveCommit(side.ref);
  if (commit) return commit;
  throw new UserError(
    `input \`${side.input}\` (default: ${side.fallback}): commit ${side.ref} is not in the checkout: actions/checkout fetches one commit unless told otherwise, so give it \`fetch-depth: 0\` (all history), or \`fetch-depth: 2\` when every push is a single commit`,
  );
}

/** The config folder as git names it: relative to the repository root, `/`-separated ('.' for the root). */
function treePath(root: string, workspace: string, path: string): string {
  const fromRoot = relative(root, resolve(workspace, path));
  return fromRoot === '' ? '.' : posix.normalize(fromRoot.split(sep).join('/'));
}

/**
 * The clusters at a commit. Problems are named `<commit>:<file>`, so nobody looks for them in the
 * checkout, except at the job's own commit: that is the checkout, and its annotations then land
 * on the file's line.
 */
function clustersAt(git: Git, commit: string, dir: string): Promise<ClusterConfig[]> {
  return readValidConfigs(treeAt(git, commit, dir));
}

function treeAt(git: Git, commit: string, dir: string): GitTreeSource {
  const label = commit === process.env.GITHUB_SHA ? '' : commit.slice(0, 12);
  return new GitTreeSource(git, commit, dir, label);
}

/**
 * How messages name a cluster of the plan: its `provider/prefix-name` id, which the plan itself
 * does not carry (the prefix), read from the side it is in (the base for a removed one).
 */
type ClusterNames = (cluster: ClusterPlan) => string;

function clusterNames(before: readonly ClusterConfig[], after: readonly ClusterConfig[]): ClusterNames {
  const ids = new Map<string, string>();
  for (const config of [...before, ...after]) ids.set(`${config.file}\0${config.provider}\0${config.name}`, clusterId(config));
  return (cluster) => ids.get(`${cluster.file}\0${cluster.provider}\0${cluster.name}`) ?? `${cluster.provider}/${cluster.name}`;
}

/** What the plan refuses to let through this pipeline, each naming the cluster and the fix. */
function refusals(plan: ScalePlan, nameOf: ClusterNames): string[] {
  const refused: string[] = [];
  for (const cluster of plan.clusters) {
    const who = `cluster ${nameOf(cluster)} (${cluster.file})`;
    if (cluster.change === 'renamed') {
      refused.push(
        `${who} was ${cluster.previous?.id ?? 'another cluster'}: a rename changes every VM name, so applying it would replace the cluster; restore its specification.name and prefix, or rename it with LambdaStack outside this pipeline`,
      );
    } else if (cluster.change === 'removed') {
      refused.push(
        `${who} was removed: this pipeline never tears a cluster down; restore the file, or destroy the cluster with LambdaStack outside this pipeline`,
      );
    }
    for (const change of cluster.components) {
      if (change.component === MASTER_COMPONENT && change.to < change.from) {
        refused.push(
          `${who}: ${componentChangeText(change)} refused: masters are never scaled down (LambdaStack cannot remove a control-plane node safely); restore ${MASTER_COMPONENT}.count to ${change.from}`,
        );
      }
    }
  }
  return refused;
}

/** The node names a set of clusters adds and removes, in plan order. */
function nodesOf(clusters: readonly ClusterPlan[]): { add: string[]; remove: string[] } {
  const changes = clusters.flatMap((cluster) => cluster.components);
  return { add: changes.flatMap((change) => change.add), remove: changes.flatMap((change) => change.remove) };
}

/** Node names for a summary cell, one a line and capped as the CLI caps them. */
function nodesCell(names: readonly string[]): string {
  return nodeLines({ add: names, remove: [] })
    .map((line) => escapeHtml(line.slice(2)))
    .join('<br>');
}

function scaledRow(cluster: ClusterPlan, nameOf: ClusterNames): string[] {
  const nodes = nodesOf([cluster]);
  return [
    fileLink(cluster.file),
    escapeHtml(nameOf(cluster)),
    cluster.components.map((change) => escapeHtml(componentChangeText(change))).join('<br>'),
    nodes.add.length > 0 ? nodesCell(nodes.add) : '—',
    nodes.remove.length > 0 ? nodesCell(nodes.remove) : '—',
  ];
}

interface PlanReport {
  base: string | undefined;
  head: string;
  dir: string;
  plan: ScalePlan;
  nameOf: ClusterNames;
  refused: string[];
  /** Comment mode: the cost line, the comment, and the what-if replays (Markdown) of changed autoscaling settings. */
  cost?: string | undefined;
  commentUrl?: string | undefined;
  whatIf?: readonly string[] | undefined;
}

function headline({ plan, refused }: PlanReport, scaled: readonly ClusterPlan[]): string {
  if (refused.length > 0) return `❌ refused: ${refused.length} change(s) this pipeline does not apply (below); nothing is applied`;
  if (scaled.length === 0) return 'No scale changes: nothing to apply';
  const nodes = nodesOf(scaled);
  const whole = plan.clusters.length - scaled.length;
  return `✅ ${scaled.length} cluster(s) scaled: ${nodes.add.length} node(s) added, ${nodes.remove.length} removed${whole > 0 ? `; ${whole} whole-cluster change(s) not applied` : ''}`;
}

/** Adds the job summary: the commits compared, the clusters scaled with their nodes, and what is not applied. */
function addSummary(report: PlanReport, scaled: readonly ClusterPlan[]): void {
  const base = report.base === undefined ? 'no base (a new branch)' : `<code>${escapeHtml(report.base.slice(0, 12))}</code>`;
  core.summary
    .addHeading('Scale plan', 2)
    .addRaw(
      `<p>${base} → <code>${escapeHtml(report.head.slice(0, 12))}</code>, cluster configs under <code>${escapeHtml(report.dir)}</code></p>`,
      true,
    )
    .addRaw(`<p>${escapeHtml(headline(report, scaled))}</p>`, true);
  if (report.cost) core.summary.addRaw(`<p>${escapeHtml(report.cost)}</p>`, true);
  if (report.commentUrl) core.summary.addRaw(`<p><a href="${escapeHtml(report.commentUrl)}">The plan comment</a></p>`, true);
  if (scaled.length > 0) {
    core.summary.addTable([
      headerRow('File', 'Cluster', 'Counts', 'Nodes added', 'Nodes removed'),
      ...scaled.map((cluster) => scaledRow(cluster, report.nameOf)),
    ]);
  }
  const whole = report.plan.clusters.filter((cluster) => cluster.change !== 'scaled');
  if (whole.length > 0) {
    core.summary
      .addHeading('Whole-cluster changes (not applied by autoscaling)', 3)
      .addList(
        whole.map((cluster) => `<code>${escapeHtml(cluster.file)}</code>: ${escapeHtml(`${cluster.name}: ${clusterChangeText(cluster)}`)}`),
      );
  }
  if (report.refused.length > 0) core.summary.addHeading('Refused', 3).addList(report.refused.map(escapeHtml));
  // Whole here, though the comment may have had to leave one out: a job summary takes 1 MiB, and GitHub renders its Markdown and Mermaid.
  for (const markdown of report.whatIf ?? []) core.summary.addRaw(`\n${markdown}\n`, true);
}

/**
 * One entry per cluster scaled in place, for a job matrix (`fromJSON` of the `clusters` output):
 * its file, the `provider/prefix-name` id (a concurrency group per cluster), and whether nodes are
 * added (run packer) or removed (drain).
 */
export interface MatrixCluster {
  file: string;
  id: string;
  name: string;
  provider: string;
  /** `specification.cloud.region`, or null. */
  region: string | null;
  /** The id in capitals with `_` for every other character (AWS_DEMO_SHOP): per-cluster secret names end with it. */
  key: string;
  adds: boolean;
  removes: boolean;
}

function matrixClusters(scaled: readonly ClusterPlan[], after: readonly ClusterConfig[], nameOf: ClusterNames): MatrixCluster[] {
  return scaled.map((cluster) => {
    const config = after.find((c) => c.file === cluster.file && c.provider === cluster.provider && c.name === cluster.name);
    const nodes = nodesOf([cluster]);
    return {
      file: cluster.file,
      id: nameOf(cluster),
      name: cluster.name,
      provider: cluster.provider,
      region: (config && cloudRegion(config)) ?? null,
      key: nameOf(cluster)
        .toUpperCase()
        .replace(/[^A-Z0-9]+/g, '_'),
      adds: nodes.add.length > 0,
      removes: nodes.remove.length > 0,
    };
  });
}

/** Sets every output: the whole plan, and the clusters and nodes scaled in place (what the pipeline applies). */
function setOutputs(plan: ScalePlan, scaled: readonly ClusterPlan[], clusters: readonly MatrixCluster[]): void {
  const nodes = nodesOf(scaled);
  core.setOutput('plan', JSON.stringify(plan));
  core.setOutput('clusters', JSON.stringify(clusters));
  core.setOutput('has-changes', String(scaled.length > 0));
  core.setOutput('adds', String(nodes.add.length > 0));
  core.setOutput('removes', String(nodes.remove.length > 0));
  core.setOutput('nodes-added', nodes.add.join('\n'));
  core.setOutput('nodes-removed', nodes.remove.join('\n'));
}

async function planAction(): Promise<void> {
  const workspace = workspaceDir();
  const target = commentRequested() ? commentTarget() : undefined;
  const recordings = target ? recordingsInput(workspace) : undefined;
  const baseSide = sideOf('base');
  const headSide = sideOf('head');
  if (NO_COMMIT.test(headSide.ref)) {
    // A push that deleted a branch: there is no head to plan.
    core.notice(`head ${headSide.ref} is no commit (the push deleted the branch): nothing to plan`);
    setOutputs({ clusters: [] }, [], []);
    core.summary.addHeading('Scale plan', 2).addRaw('<p>The push deleted the branch: nothing to plan.</p>', true);
    await writeSummary();
    return;
  }
  const path = await workspacePathInput('path', workspace);
  const { git, root } = await checkout(workspace);
  const dir = treePath(root, workspace, path);
  const [base, head] = await Promise.all([NO_COMMIT.test(baseSide.ref) ? undefined : commitOf(git, baseSide), commitOf(git, headSide)]);
  const [before, headRead] = await Promise.all([base === undefined ? [] : clustersAt(git, base, dir), readConfigs(treeAt(git, head, dir))]);

  if (headRead.problems.length > 0) {
    if (!target) throw new ConfigError(headRead.problems);
    // The validate step annotates each problem on its line; here they go into the comment, and fail the step once.
    await commentProblems(target, workspace, { base, head, dir, before, nameOf: clusterNames(before, []), problems: headRead.problems });
  }
  const after = headRead.configs;
  const plan = scalePlan(before, after);
  const scaled = plan.clusters.filter((cluster) => cluster.change === 'scaled');
  const nameOf = clusterNames(before, after);
  const report: PlanReport = { base, head, dir, plan, nameOf, refused: refusals(plan, nameOf) };
  for (const cluster of plan.clusters) {
    core.info(`${cluster.file}: cluster ${nameOf(cluster)}: ${clusterChangeText(cluster)}`);
    for (const change of cluster.components) for (const line of nodeLines(change)) core.info(`  ${line}`);
  }
  for (const cluster of plan.clusters.filter((c) => c.change === 'added')) {
    core.notice(`cluster ${nameOf(cluster)}: ${clusterChangeText(cluster)}; this pipeline leaves it alone`, {
      file: cluster.file,
    });
  }

  // Outputs and summary come first, so they are there for `if: failure()` steps too.
  setOutputs(plan, scaled, matrixClusters(scaled, after, nameOf));
  if (target) {
    const whatIf =
      base === undefined || recordings === undefined
        ? []
        : await planWhatIf({ git, base, head, before, after, workspace, dir: recordings });
    report.whatIf = whatIf.map((section) => section.markdown);
    const { comment, cost } = await postPlanComment(target, workspace, { ...report, before, after, problems: [], whatIf });
    report.cost = costSummary(cost);
    report.commentUrl = comment?.url;
  }
  addSummary(report, scaled);
  await writeSummary();
  if (report.refused.length > 0) {
    const what = context.payload.pull_request ? 'the pull request makes' : 'the push makes';
    throw new UserError(`${what} changes this pipeline does not apply:\n${report.refused.map((why) => `- ${why}`).join('\n')}`);
  }
  core.info(headline(report, scaled));
}

await runAction(planAction);
