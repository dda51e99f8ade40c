import { type CostLine, formatHourly, formatUsd, HOURS_PER_MONTH, type MonthlyCostChange } from '../cost/monthly.js';
import type { PriceTable } from '../cost/price-table.js';
import type { ConfigProblem } from '../errors.js';
import { type ClusterPlan, clusterChangeText, componentChangeText, nodeLines, type ScalePlan } from '../plan/index.js';
import { MAX_BODY_CHARS } from './pr-body.js';

/**
 * The plan comment of a pull request, pure: what merging it would do (clusters, counts, the exact
 * nodes added and removed), what it costs a month, and what stops it (problems at file:line, and
 * changes the apply pipeline refuses). It starts with a hidden marker, so the check finds its own
 * comment on the next push and edits it instead of adding another.
 */

/** The first line of every plan comment; GitHub does not render it. */
export const PLAN_COMMENT_MARKER = '<!-- lambdastack-autoscaler:plan-comment -->';

/** Problems listed in the comment; the rest are counted (every one is annotated by the validate step). */
export const MAX_LISTED_PROBLEMS = 50;

export interface PlanCommentInput {
  /** The commit compared from (the PR's base); undefined when there is none. */
  base: string | undefined;
  /** The commit compared to (the PR merged into its base). */
  head: string;
  /** The cluster config folder, as git names it. */
  dir: string;
  /** The scale plan; undefined when a config at the head has problems, so there is no plan to show. */
  plan: ScalePlan | undefined;
  /** How the comment names a cluster of the plan: its provider/prefix-name id. */
  nameOf: (cluster: ClusterPlan) => string;
  cost: MonthlyCostChange | undefined;
  prices: Pick<PriceTable, 'file' | 'compiled' | 'providers'>;
  problems: readonly ConfigProblem[];
  /** Changes the apply pipeline refuses (a rename, a removal, fewer masters), each with its fix. */
  refused: readonly string[];
  /** The workflow run, for the footer. */
  runUrl?: string | undefined;
  /** What-if replays of changed autoscaling settings (src/replay/plan-what-if.ts), each a Markdown section, in this order. */
  whatIf?: readonly WhatIfMarkdown[] | undefined;
}

/** One cluster's what-if section: Markdown that starts with its own heading. */
export interface WhatIfMarkdown {
  /** The cluster's provider/prefix-name id. */
  cluster: string;
  markdown: string;
}

/** Text safe in Markdown prose and table cells: punctuation that could format, link, mention or open HTML is escaped; one line. */
export function markdownText(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').replace(/[\\`*_{}[\]()<>#+!|@~&]/g, (char) => `\\${char}`);
}

/** A code span that holds `text` as it is, whatever backticks it contains. */
export function codeSpan(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ');
  const longest = Math.max(0, ...[...line.matchAll(/`+/g)].map((run) => run[0].length));
  const ticks = '`'.repeat(longest + 1);
  const pad = line.startsWith('`') || line.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${line}${pad}${ticks}`;
}

/** A fenced block that no line of `lines` can close early. */
function fenced(info: string, lines: readonly string[]): string[] {
  const longest = Math.max(2, ...lines.flatMap((line) => [...line.matchAll(/`+/g)].map((run) => run[0].length)));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}${info}`, ...lines, fence];
}

const plural = (n: number, one: string, many = `${one}s`): string => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function scaledClusters(plan: ScalePlan | undefined): ClusterPlan[] {
  return plan?.clusters.filter((cluster) => cluster.change === 'scaled') ?? [];
}

function costLinesOf(cost: MonthlyCostChange | undefined, cluster: string, file: string): CostLine[] {
  return cost?.lines.filter((line) => line.change.cluster === cluster && line.change.file === file) ?? [];
}

/** A cluster's cost cell: its priced total, or "no price" when a line of it has none. */
function clusterCost(lines: readonly CostLine[]): string {
  if (lines.length === 0) return '—';
  if (lines.some((line) => line.monthly === undefined)) return 'no price (below)';
  return formatUsd(
    lines.reduce((sum, line) => sum + (line.monthly?.delta ?? 0), 0),
    { signed: true },
  );
}

function nodeCounts(cluster: ClusterPlan): string {
  const added = cluster.components.reduce((sum, change) => sum + change.add.length, 0);
  const removed = cluster.components.reduce((sum, change) => sum + change.remove.length, 0);
  return [added > 0 ? `+${added}` : '', removed > 0 ? `−${removed}` : ''].filter(Boolean).join(' ') || '0';
}

function headline(input: PlanCommentInput, scaled: readonly ClusterPlan[]): string {
  if (input.problems.length > 0) {
    return `❌ ${plural(input.problems.length, 'problem')} in the cluster configs: nothing can be planned until ${input.problems.length === 1 ? 'it is' : 'they are'} fixed.`;
  }
  const parts: string[] = [];
  if (scaled.length === 0) parts.push('No node count changes: merging this applies nothing.');
  else {
    const added = scaled.flatMap((cluster) => cluster.components.flatMap((change) => change.add)).length;
    const removed = scaled.flatMap((cluster) => cluster.components.flatMap((change) => change.remove)).length;
    const cost = input.cost && input.cost.lines.length > 0 ? `; monthly cost change **${monthlyTotal(input.cost)}**` : '';
    parts.push(
      `${plural(scaled.length, 'cluster')} scaled: ${plural(added, 'node')} added, ${removed.toLocaleString('en-US')} removed${cost}.`,
    );
  }
  if (input.refused.length > 0) parts.unshift(`❌ The apply pipeline refuses ${plural(input.refused.length, 'change')} (below).`);
  return parts.join(' ');
}

function monthlyTotal(cost: MonthlyCostChange): string {
  const total = formatUsd(cost.delta, { signed: true });
  return cost.complete ? total : `${total} (incomplete)`;
}

function clusterTable(input: PlanCommentInput, scaled: readonly ClusterPlan[]): string[] {
  const rows = scaled.map((cluster) => {
    const name = input.nameOf(cluster);
    const counts = cluster.components.map((change) => markdownText(componentChangeText(change))).join('<br>');
    return `| ${codeSpan(name)} | ${codeSpan(cluster.file)} | ${counts} | ${nodeCounts(cluster)} | ${clusterCost(costLinesOf(input.cost, name, cluster.file))} |`;
  });
  return ['| Cluster | File | Count | Nodes | Monthly cost |', '| --- | --- | --- | --- | --- |', ...rows];
}

function nodeSections(input: PlanCommentInput, scaled: readonly ClusterPlan[]): string[] {
  const out: string[] = [];
  for (const cluster of scaled) {
    const lines = cluster.components.flatMap((change) => nodeLines(change));
    if (lines.length === 0) continue;
    out.push('', `**${codeSpan(input.nameOf(cluster))}**`, '', ...fenced('diff', lines));
  }
  return out.length > 0 ? ['', '### Nodes', ...out] : [];
}

/** How a line's cost was worked out, so a reviewer can check it against the price page. */
function costExplanation(line: CostLine): string {
  const { change } = line;
  const what = `${codeSpan(change.cluster)} ${markdownText(componentChangeText({ component: change.component, from: change.before.count, to: change.after.count }))}`;
  if (!line.monthly) return `${what}: ${line.missing.map(markdownText).join('; ')}`;
  const result = formatUsd(line.monthly.delta, { signed: true });
  const { before, after } = change;
  const hours = `${HOURS_PER_MONTH} h`;
  if (before.size === after.size || before.count === 0 || after.count === 0) {
    const size = after.count > 0 ? after.size : before.size;
    const hourly = line.hourly.after ?? line.hourly.before;
    const diff = after.count - before.count;
    if (size === undefined || hourly === undefined) return `${what}: ${result}`;
    return `${what}: ${diff >= 0 ? '+' : '−'}${Math.abs(diff)} × ${codeSpan(size)} × ${formatHourly(hourly)}/h × ${hours} = **${result}**`;
  }
  const side = (count: number, size: string | undefined, hourly: number | undefined, monthly: number): string =>
    `${count} × ${codeSpan(size ?? '?')} at ${hourly === undefined ? '?' : formatHourly(hourly)}/h (${formatUsd(monthly)})`;
  return `${what}: ${side(after.count, after.size, line.hourly.after, line.monthly.after)} − ${side(before.count, before.size, line.hourly.before, line.monthly.before)}, × ${hours} = **${result}**`;
}

function costSection(input: PlanCommentInput): string[] {
  const cost = input.cost;
  if (!cost || cost.lines.length === 0) return [];
  const unpriced = cost.lines.filter((line) => !line.monthly).length;
  const title = cost.complete
    ? `### Monthly cost change: ${formatUsd(cost.delta, { signed: true })}`
    : `### Monthly cost change: ${formatUsd(cost.delta, { signed: true })} for what has a price; ${plural(unpriced, 'change')} without one`;
  const sources = Object.entries(input.prices.providers).map(
    ([provider, prices]) => `${provider === 'aws' ? 'AWS' : 'Azure'}: ${markdownText(prices.terms)}, ${prices.source}`,
  );
  return [
    '',
    title,
    '',
    ...cost.lines.map((line) => `- ${costExplanation(line)}`),
    '',
    `<sub>List prices per hour × ${HOURS_PER_MONTH} hours a month, compute only (no disks, traffic or discounts), from ${codeSpan(input.prices.file)} (compiled ${markdownText(input.prices.compiled)}; ${sources.join('; ')}). A size or region the table lacks is reported, never estimated.</sub>`,
  ];
}

function problemSection(problems: readonly ConfigProblem[]): string[] {
  if (problems.length === 0) return [];
  const listed = problems
    .slice(0, MAX_LISTED_PROBLEMS)
    .map((problem) => `- ${codeSpan(`${problem.file}:${problem.line}:${problem.column}`)}: ${markdownText(problem.message)}`);
  const more =
    problems.length > MAX_LISTED_PROBLEMS ? [`- … and ${problems.length - MAX_LISTED_PROBLEMS} more (each is annotated on its line)`] : [];
  return ['', '### Problems', '', ...listed, ...more];
}

function refusedSection(refused: readonly string[]): string[] {
  if (refused.length === 0) return [];
  return ['', '### Refused by the apply pipeline', '', ...refused.map((why) => `- ${markdownText(why)}`)];
}

function wholeClusterSection(input: PlanCommentInput): string[] {
  const whole = input.plan?.clusters.filter((cluster) => cluster.change !== 'scaled') ?? [];
  if (whole.length === 0) return [];
  return [
    '',
    '### Whole-cluster changes (not applied by autoscaling)',
    '',
    ...whole.map(
      (cluster) => `- ${codeSpan(cluster.file)}: ${codeSpan(input.nameOf(cluster))} ${markdownText(clusterChangeText(cluster))}`,
    ),
  ];
}

function footer(input: PlanCommentInput): string[] {
  const base = input.base === undefined ? 'no base' : codeSpan(input.base.slice(0, 12));
  const run = input.runUrl ? ` · [workflow run](${input.runUrl})` : '';
  return [
    '',
    `<sub>${base} → ${codeSpan(input.head.slice(0, 12))} (this pull request merged into its base), configs under ${codeSpan(input.dir)}. Updated in place on every push by lambdastack-autoscaler${run}.</sub>`,
  ];
}

/** What stands for a what-if section too long for the comment; the job summary (up to 1 MiB) has it whole. */
export function whatIfLeftOut(section: WhatIfMarkdown, runUrl: string | undefined): string {
  const where = runUrl ? `the job summary of the [workflow run](${runUrl})` : 'the job summary of the workflow run';
  return `_The what-if replay of ${codeSpan(section.cluster)} (${section.markdown.length.toLocaleString('en-US')} characters) does not fit in this comment: it is in ${where}._`;
}

/**
 * `lines` and `footer` with the what-if sections between them, as many whole as fit in `max`
 * characters (in order); each one that does not is replaced by a line saying where it is, and
 * left out when not even that fits. The plan comes first: it is never cut for a replay.
 */
export function withWhatIf(
  lines: readonly string[],
  footer: readonly string[],
  sections: readonly WhatIfMarkdown[],
  runUrl: string | undefined,
  max: number = MAX_BODY_CHARS,
): string {
  const parts = [...lines];
  // Joined with '\n', plus the final newline the comment ends with.
  const length = (more: readonly string[]): number => [...parts, ...more, ...footer].join('\n').length + 1;
  for (const section of sections) {
    for (const candidate of [section.markdown.trimEnd(), whatIfLeftOut(section, runUrl)]) {
      const added = ['', candidate];
      if (length(added) <= max) {
        parts.push(...added);
        break;
      }
    }
  }
  return `${[...parts, ...footer].join('\n')}\n`;
}

/** The comment's Markdown, within GitHub's 65,536 characters. */
export function renderPlanComment(input: PlanCommentInput): string {
  const scaled = scaledClusters(input.plan);
  const whatIf = input.whatIf ?? [];
  const lines = [
    PLAN_COMMENT_MARKER,
    '## Scale plan',
    '',
    headline(input, scaled),
    ...(scaled.length > 0 ? ['', ...clusterTable(input, scaled)] : []),
    ...problemSection(input.problems),
    ...refusedSection(input.refused),
    ...nodeSections(input, scaled),
    ...costSection(input),
    ...wholeClusterSection(input),
  ];
  if ([...lines, ...footer(input)].join('\n').length + 1 <= MAX_BODY_CHARS) return withWhatIf(lines, footer(input), whatIf, input.runUrl);
  // Node lists and problems are capped, but hundreds of clusters could still overflow: keep the verdict.
  const verdict = [
    PLAN_COMMENT_MARKER,
    '## Scale plan',
    '',
    headline(input, scaled),
    '',
    'The whole plan is too long for a comment: it is in the job summary of the workflow run.',
  ];
  return withWhatIf(verdict, footer(input), whatIf, input.runUrl);
}
