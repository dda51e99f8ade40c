/**
 * A replay as the terminal shows it: the count over time (a table of the changes and a small text
 * chart), the PRs each policy would have opened, and the node-hours, side by side with
 * `--compare`. Pure.
 */
import { formatDuration } from '../policy/index.js';
import type { ReplayResult } from './replay.js';
import { bucketed, changeRows, differences, signedChange, utcMinute } from './series.js';

/** Rows of the change table shown before it is cut. */
export const MAX_TABLE_ROWS = 100;
const CHART_WIDTH = 60;
const CHART_HEIGHT = 12;

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A step chart of each run's count: one letter per run (its label's first), `*` where runs meet, `·` the recorded count. */
export function textChart(result: ReplayResult): string[] {
  const width = Math.min(CHART_WIDTH, result.cycles);
  const series = [
    { mark: '·', values: bucketed(result.recorded.points, result.start, result.end, width) },
    ...result.runs.map((run) => ({ mark: run.label.slice(0, 1), values: bucketed(run.points, result.start, result.end, width) })),
  ];
  const all = series.flatMap((s) => s.values);
  const low = Math.min(...all);
  const high = Math.max(...all);
  const step = Math.max(1, Math.ceil((high - low + 1) / CHART_HEIGHT));
  const rows = Math.floor((high - low) / step) + 1;
  const grid = Array.from({ length: rows }, () => Array.from({ length: width }, () => ' '));
  for (const [s, { mark, values }] of series.entries()) {
    values.forEach((value, column) => {
      const row = grid[rows - 1 - Math.floor((value - low) / step)] as string[];
      const here = row[column];
      // The recorded line is drawn first, under the runs; runs that meet are a `*`.
      row[column] = s === 0 || here === ' ' || here === '·' ? mark : here === mark ? mark : '*';
    });
  }
  const labelWidth = String(high).length;
  const lines = grid.map((row, r) => `  ${pad(String(low + (rows - 1 - r) * step), labelWidth, true)} ┤${row.join('')}`);
  const axisStart = utcMinute(result.start);
  const axisEnd = utcMinute(result.end);
  lines.push(`  ${' '.repeat(labelWidth)} └${'─'.repeat(width)}`);
  lines.push(`  ${' '.repeat(labelWidth)}  ${axisStart}${axisEnd.padStart(Math.max(width - axisStart.length, axisEnd.length + 1))}`);
  const legend = result.runs.map((run) => (run.label.length === 1 ? run.label : `${run.label.slice(0, 1)} ${run.label}`)).join(', ');
  const meet = result.runs.length > 1 ? ', * where they meet' : '';
  lines.push(`  ${' '.repeat(labelWidth)}  ${legend}${meet}, · recorded (the highest count in each column)`);
  return lines;
}

export function formatReplay(result: ReplayResult, notes: readonly string[] = []): string {
  const lines: string[] = [];
  const every = result.intervalMs > 0 ? ` (one every ${formatDuration(result.intervalMs)})` : '';
  lines.push(
    `Replay of ${result.cluster}: ${utcMinute(result.start)} → ${utcMinute(result.end)} UTC, ${result.cycles} cycles${every}`,
    `Every PR is taken as merged at once, its nodes joining or leaving ${formatDuration(result.settings.applyDelayMs)} later (--apply-delay).`,
    '',
  );
  const [first] = result.runs;
  const labelWidth = Math.max(...result.runs.map((run) => run.label.length), 'recorded'.length);
  for (const run of result.runs) {
    const changed = first && run !== first ? differences(first, run) : [];
    const what = changed.length > 0 ? `; ${changed.map((d) => `${d.key} ${d.to} (${first?.label}: ${d.from})`).join(', ')}` : '';
    lines.push(`  ${pad(run.label, labelWidth)}  ${run.source}: min ${run.min}, max ${run.max}${what}`);
  }
  if (first && result.runs.length > 1 && result.runs.slice(1).every((run) => differences(first, run).length === 0)) {
    lines.push('  (the policies are the same)');
  }

  lines.push('', 'Workers over time (the config count; a row for each change):');
  const rows = changeRows(result);
  const header = [
    'time (UTC)      ',
    pad('recorded', 8, true),
    ...result.runs.map((run) => pad(run.label, Math.max(3, run.label.length), true)),
  ];
  lines.push(`  ${header.join('  ')}`);
  for (const row of rows.slice(0, MAX_TABLE_ROWS)) {
    const cells = [
      utcMinute(row.at),
      pad(String(row.counts[0]), 8, true),
      ...result.runs.map((run, r) => pad(String(row.counts[r + 1]), Math.max(3, run.label.length), true)),
    ];
    lines.push(`  ${cells.join('  ')}`);
  }
  if (rows.length > MAX_TABLE_ROWS) lines.push(`  … and ${rows.length - MAX_TABLE_ROWS} more changes (--json lists every cycle)`);

  lines.push('', ...textChart(result));

  for (const run of result.runs) {
    lines.push('', `PRs ${run.label} would have opened: ${run.prs.length}`);
    for (const pr of run.prs) lines.push(`  ${utcMinute(pr.at)}  ${pr.from} → ${pr.to}  ${pr.rule}: ${pr.reason}`);
  }

  lines.push('', 'Node-hours (Ready workers × hours):');
  lines.push(`  ${pad('recorded', labelWidth)}  ${pad(result.recorded.nodeHours.toFixed(1), 10, true)}`);
  for (const run of result.runs) {
    const versus = first && run !== first ? `   ${run.label} − ${first.label}: ${signedChange(first.nodeHours, run.nodeHours)}` : '';
    lines.push(`  ${pad(run.label, labelWidth)}  ${pad(run.nodeHours.toFixed(1), 10, true)}${versus}`);
  }
  const all = [...notes, ...result.runs.flatMap((run) => run.notes.map((note) => `${run.label}: ${note}`))];
  if (all.length > 0) lines.push('', ...all.map((note) => `note: ${note}`));
  return `${lines.join('\n')}\n`;
}
