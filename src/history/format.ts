import { WORKER_COMPONENT } from '../config/schema.js';
import { clusterChangeText, componentChangeText } from '../plan/describe.js';
import type { ClusterPlan } from '../plan/scale-plan.js';
import type { HistoryEntry } from './entries.js';

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
 * One Mermaid `xychart-beta` per cluster: its worker count over time, oldest first, starting
 * from the count before the first change. Fenced, so GitHub renders it inside Markdown.
 */
export function historyToMermaid(entries: readonly HistoryEntry[]): string {
  const series = new Map<string, { name: string; provider: string; points: Array<{ label: string; date: string; count: number }> }>();
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
  const charts = [...series.values()].map((line) => {
    const shared = names.filter((name) => name === line.name).length > 1;
    const title = shared ? `${line.name} (${line.provider}) workers` : `${line.name} workers`;
    const labels = distinctLabels(line.points);
    const counts = line.points.map((point) => point.count);
    return [
      '```mermaid',
      'xychart-beta',
      `  title ${quote(title)}`,
      `  x-axis [${labels.map(quote).join(', ')}]`,
      `  y-axis "workers" 0 --> ${Math.max(...counts) + 1}`,
      `  line [${counts.join(', ')}]`,
      '```',
    ].join('\n');
  });
  return `${charts.join('\n\n')}\n`;
}

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
    labels = labels.map((label, i) => (isRepeated(labels, label) && points[i]?.date ? refine(points[i].date) : label));
  }
  const seen = new Map<string, number>();
  return labels.map((label) => {
    if (!isRepeated(labels, label)) return label;
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  });
}

const isRepeated = (labels: readonly string[], label: string): boolean => labels.indexOf(label) !== labels.lastIndexOf(label);

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
