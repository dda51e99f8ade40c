import { WORKER_COMPONENT } from '../config/schema.js';
import { clusterChangeText, componentChangeText } from '../plan/describe.js';
import type { ClusterPlan } from '../plan/scale-plan.js';
import type { HistoryEntry } from './entries.js';
import { fitPoints } from './thin.js';

// Every formatter returns text ending in a newline, ready to write to stdout or a file.

const NO_CHANGES = 'No scale changes found.';

/** `{ "entries": [...] }`, pretty-printed: the machine-readable history. */
export function historyToJson(entries: readonly HistoryEntry[]): string {
  return `${JSON.stringify({ entries }, null, 2)}\n`;
}

/** The default terminal output: one block per commit, newest first. */
export function historyToText(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return `${NO_CHANGES}\n`;
  const blocks = entries.map((entry) => {
    const pr = entry.pr === null ? '' : `  PR #${entry.pr}`;
    const lines = [
      `${entry.date.replace('T', ' ')}  ${shortSha(entry.commit)}  ${printable(entry.author)} <${printable(entry.authorEmail)}>${pr}`,
      `  ${printable(entry.subject)}`,
      ...entry.clusters.map(
        (cluster) => `  ${printable(cluster.name)} (${printable(cluster.file)}): ${printable(clusterChangeText(cluster))}`,
      ),
    ];
    if (entry.reason !== null) lines.push(`  reason: ${printable(entry.reason)}`);
    return lines.join('\n');
  });
  return `${blocks.join('\n\n')}\n`;
}

/** A Markdown table, one row per cluster a commit changed (for a job summary or a PR comment). */
export function historyToMarkdown(entries: readonly HistoryEntry[]): string {
  if (entries.length === 0) return `_${NO_CHANGES}_\n`;
  const rows = ['| Date | Commit | Author | PR | Cluster | Change | Reason |', '| --- | --- | --- | --- | --- | --- | --- |'];
  for (const entry of entries) {
    for (const cluster of entry.clusters) {
      const cells = [
        cell(entry.date.slice(0, 10)),
        shortSha(entry.commit),
        cell(entry.author),
        entry.pr === null ? '' : `#${entry.pr}`,
        cell(cluster.name),
        cluster.change === 'scaled'
          ? cluster.components.map((c) => cell(componentChangeText(c))).join('<br>')
          : cell(clusterChangeText(cluster)),
        cell(entry.reason ?? ''),
      ];
      rows.push(`| ${cells.join(' | ')} |`);
    }
  }
  return `${rows.join('\n')}\n`;
}

/**
 * Mermaid's default `maxTextSize`: a longer diagram is not drawn, only an error ("Maximum text
 * size in diagram exceeded"), and GitHub does not change the default.
 */
export const MERMAID_MAX_TEXT = 50_000;

interface ChartPoint {
  label: string;
  date: string;
  count: number;
}

/**
 * One Mermaid `xychart-beta` per cluster: its worker count over time, oldest first, starting
 * from the count before the first change. Fenced, so GitHub renders it inside Markdown. The whole
 * output stays under MERMAID_MAX_TEXT (so each chart in it does): a long history keeps its turns,
 * first, last, lowest and highest points, and its title says how many changes are shown.
 */
export function historyToMermaid(entries: readonly HistoryEntry[]): string {
  const series = new Map<string, { name: string; provider: string; points: ChartPoint[] }>();
  for (const entry of entries.toReversed()) {
    for (const cluster of entry.clusters) {
      const workers = workerCounts(cluster);
      if (!workers) continue;
      const key = `${cluster.provider}/${cluster.name}`;
      let line = series.get(key);
      if (!line) {
        line = { name: cluster.name, provider: cluster.provider, points: [{ label: 'before', date: '', count: workers.from }] };
        series.set(key, line);
      }
      line.points.push({ label: entry.date.slice(0, 10), date: entry.date, count: workers.to });
    }
  }
  if (series.size === 0) {
    return entries.length === 0 ? `${NO_CHANGES}\n` : `No ${WORKER_COMPONENT} count changes found.\n`;
  }
  const names = [...series.values()].map((line) => line.name);
  const lines = [...series.values()].map((line) => {
    const shared = names.filter((name) => name === line.name).length > 1;
    return { title: shared ? `${line.name} (${line.provider}) workers` : `${line.name} workers`, points: line.points };
  });
  // Strictly under the limit, less the blank lines between the charts and the final newline.
  let remaining = MERMAID_MAX_TEXT - 1 - 2 * (lines.length - 1) - 1;
  const charts: string[] = [];
  // Shortest first, each taking an equal share of what is left, so what a short chart does not
  // use goes to the long ones.
  const order = lines.map((_, i) => i).sort((a, b) => (lines[a]?.points.length ?? 0) - (lines[b]?.points.length ?? 0));
  for (const [done, i] of order.entries()) {
    const { title, points } = lines[i] as (typeof lines)[number];
    const render = (kept: readonly number[]): string => mermaidChart(title, points, kept);
    const share = Math.floor(remaining / (lines.length - done));
    const counts = points.map((point) => point.count);
    const chart = render(fitPoints(counts, share, (kept) => render(kept).length));
    charts[i] = chart;
    remaining -= chart.length;
  }
  return `${charts.join('\n\n')}\n`;
}

/** One fenced chart of the points at `kept` (indices into `points`, ascending). */
function mermaidChart(title: string, points: readonly ChartPoint[], kept: readonly number[]): string {
  const shown = kept.map((i) => points[i] as ChartPoint);
  const changes = points.length - 1;
  // The first point, the count before the first change, is always kept.
  const heading = shown.length < points.length ? `${title} (${thousands(shown.length - 1)} of ${thousands(changes)} changes shown)` : title;
  const top = points.reduce((max, point) => Math.max(max, point.count), 0);
  return [
    '```mermaid',
    'xychart-beta',
    `  title ${quote(heading)}`,
    `  x-axis [${distinctLabels(shown).map(quote).join(', ')}]`,
    `  y-axis "workers" 0 --> ${top + 1}`,
    `  line [${shown.map((point) => point.count).join(', ')}]`,
    '```',
  ].join('\n');
}

const thousands = (n: number): string => n.toLocaleString('en-US');

/**
 * Mermaid merges categories with the same label, so two changes on one day would share a
 * point: those get the time of day too (minutes, then seconds, then a counter).
 */
function distinctLabels(points: ReadonlyArray<{ label: string; date: string }>): string[] {
  let labels = points.map((point) => point.label);
  for (const refine of [
    (date: string): string => `${date.slice(0, 10)} ${date.slice(11, 16)}`,
    (date: string): string => `${date.slice(0, 10)} ${date.slice(11, 19)}`,
  ]) {
    const uses = occurrences(labels);
    labels = labels.map((label, i) => ((uses.get(label) ?? 0) > 1 && points[i]?.date ? refine(points[i].date) : label));
  }
  const uses = occurrences(labels);
  const seen = new Map<string, number>();
  return labels.map((label) => {
    if ((uses.get(label) ?? 0) < 2) return label;
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  });
}

/** How often each label occurs: counted once, since a chart can have thousands of points. */
function occurrences(labels: readonly string[]): Map<string, number> {
  const uses = new Map<string, number>();
  for (const label of labels) uses.set(label, (uses.get(label) ?? 0) + 1);
  return uses;
}

/** Mermaid strings have no escape for `"`. */
const quote = (text: string): string => `"${text.replaceAll('"', "'")}"`;

const shortSha = (commit: string): string => commit.slice(0, 7);

/** The worker count before and after a change, for the chart; a cluster added starts from 0 and one removed ends there. */
function workerCounts(cluster: ClusterPlan): { from: number; to: number } | undefined {
  const workers = cluster.counts[WORKER_COMPONENT];
  switch (cluster.change) {
    case 'scaled':
      return cluster.components.find((c) => c.component === WORKER_COMPONENT);
    case 'added':
    case 'renamed':
      return workers === undefined ? undefined : { from: 0, to: workers };
    case 'removed':
      return workers === undefined ? undefined : { from: workers, to: 0 };
  }
}

/** Commit text is anyone's input: control characters must not reach a terminal as escapes. */
const printable = (text: string): string => text.replace(/\p{Cc}+/gu, ' ');

/** Table cells: a `|` would end the cell, a newline the row, and `<`/`&` start HTML. */
function cell(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('|', '\\|').replace(/\r?\n/g, '<br>');
}
