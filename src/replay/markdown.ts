/**
 * The what-if section of a pull request's plan comment: when a PR changes the autoscaling
 * settings, the recorded cycles are replayed under the settings before and after it, and the
 * comment shows both count curves (a Mermaid chart GitHub draws) and the node-hours difference.
 * Pure: the caller reads the recording and both versions of the config.
 */
import { cell } from '../github/pr-body.js';
import { formatDuration } from '../policy/index.js';
import type { RecordedCycle } from '../record/format.js';
import { type ConfigText, replayPolicy } from './policies.js';
import { Replay, type ReplayResult, type ReplayRun } from './replay.js';
import { bucketed, differences, peakOf, signedChange, utcMinute } from './series.js';

/** The default time from a merged change to its nodes joining or leaving. */
export const DEFAULT_APPLY_DELAY_MS = 10 * 60_000;
/** Points of each line in the chart: enough for a week's shape, few enough for GitHub to draw legibly. */
const CHART_POINTS = 42;
/** Pull requests listed per policy before the list is cut. */
const MAX_PRS = 20;

export interface WhatIfInput {
  cycles: Iterable<RecordedCycle>;
  before: ConfigText;
  after: ConfigText;
  applyDelayMs?: number | undefined;
}

/** The Mermaid source of the runs' count curves over the replay. */
export function mermaidChart(result: ReplayResult): string {
  const points = Math.min(CHART_POINTS, result.cycles);
  const span = result.end - result.start;
  const labels = Array.from({ length: points }, (_, i) => JSON.stringify(utcMinute(result.start + (i * span) / points).slice(5)));
  const lines = result.runs.map((run) => bucketed(run.points, result.start, result.end, points));
  const top = Math.max(1, ...lines.flat()) + 1;
  const order = result.runs.map((run, i) => `${run.label} = ${['first', 'second', 'third', 'fourth'][i] ?? `#${i + 1}`} line`).join(', ');
  return [
    'xychart-beta',
    `  title ${JSON.stringify(`${result.cluster} workers (config count): ${order}`)}`,
    `  x-axis [${labels.join(', ')}]`,
    `  y-axis "workers" 0 --> ${top}`,
    ...lines.map((values) => `  line [${values.join(', ')}]`),
  ].join('\n');
}

function prList(run: ReplayRun): string {
  if (run.prs.length === 0) return `**${cell(run.label)}**: none`;
  const shown = run.prs
    .slice(0, MAX_PRS)
    .map((pr) => `- ${utcMinute(pr.at)} UTC: ${pr.from} → ${pr.to} (\`${pr.rule}\`) ${cell(pr.reason)}`);
  const more = run.prs.length > MAX_PRS ? [`- … and ${run.prs.length - MAX_PRS} more`] : [];
  return [`**${cell(run.label)}** (${run.prs.length}):`, '', ...shown, ...more].join('\n');
}

/** The heading of every what-if section, whatever it holds. */
export const WHAT_IF_HEADING = '### What-if replay of the autoscaling settings';

/** The section when there is nothing to compare: the settings before and after are the same. */
export function sameSettingsSection(cluster: string): string {
  return `${WHAT_IF_HEADING}\n\nThe autoscaling settings of **${cell(cluster)}** are the same before and after this change: nothing to compare.\n`;
}

/** The section for a replay of two runs (before, after); when their settings are the same, `sameSettingsSection`. */
export function replayMarkdown(result: ReplayResult): string {
  const [before, after] = result.runs;
  if (!before || !after) throw new Error('replayMarkdown: two runs are compared');
  const changed = differences(before, after);
  if (changed.length === 0) return sameSettingsSection(result.cluster);
  const parts = [
    WHAT_IF_HEADING,
    `${result.cycles} recorded cycles of **${cell(result.cluster)}** (${utcMinute(result.start)} → ${utcMinute(result.end)} UTC) replayed with the ` +
      `decision engine under the settings ${cell(before.label)} and ${cell(after.label)} this change. Every PR is taken as merged at once, its nodes ` +
      `joining or leaving ${formatDuration(result.settings.applyDelayMs)} later.`,
  ];
  if (changed.length > 0) {
    parts.push(
      [
        `| setting | ${cell(before.label)} | ${cell(after.label)} |`,
        '| --- | --- | --- |',
        ...changed.map((d) => `| \`${d.key}\` | ${cell(d.from)} | ${cell(d.to)} |`),
      ].join('\n'),
    );
  }
  parts.push(`\`\`\`mermaid\n${mermaidChart(result)}\n\`\`\``);
  parts.push(
    [
      `| | ${cell(before.label)} | ${cell(after.label)} | change |`,
      '| --- | ---: | ---: | ---: |',
      `| node-hours (Ready workers × hours) | ${before.nodeHours.toFixed(1)} | ${after.nodeHours.toFixed(1)} | ${signedChange(before.nodeHours, after.nodeHours)} |`,
      `| pull requests | ${before.prs.length} | ${after.prs.length} | ${signedChange(before.prs.length, after.prs.length, 0)} |`,
      `| highest count | ${peakOf(before.points)} | ${peakOf(after.points)} | ${signedChange(peakOf(before.points), peakOf(after.points), 0)} |`,
    ].join('\n'),
  );
  const notes = result.runs.flatMap((run) => run.notes.map((note) => `- ${cell(run.label)}: ${cell(note)}`));
  if (notes.length > 0) parts.push(notes.join('\n'));
  parts.push(`<details><summary>The pull requests each would have opened</summary>\n\n${prList(before)}\n\n${prList(after)}\n\n</details>`);
  return `${parts.join('\n\n')}\n`;
}

/**
 * The plan comment's what-if section for a change of the autoscaling settings from `before` to
 * `after`, over `cycles` (a recording of that cluster). When the settings are the same, a line
 * saying so: there is nothing to compare.
 */
export function whatIfSection(input: WhatIfInput): string {
  const iterator = input.cycles[Symbol.iterator]();
  const first = iterator.next();
  if (first.done) return `${WHAT_IF_HEADING}\n\nThe recording holds no cycle: nothing to replay.\n`;
  const cluster = first.value.cluster;
  const before = replayPolicy('before', input.before, cluster);
  const after = replayPolicy('after', input.after, cluster);
  // Nothing to replay: the same settings decide the same.
  if (differences(before, after).length === 0) return sameSettingsSection(cluster);
  const run = new Replay([before, after], { applyDelayMs: input.applyDelayMs ?? DEFAULT_APPLY_DELAY_MS });
  run.step(first.value);
  for (let next = iterator.next(); !next.done; next = iterator.next()) run.step(next.value);
  return replayMarkdown(run.result());
}
