/**
 * The scale history as a terminal chart: for each cluster, its worker count before the first change
 * and after each one, as a bar, with the PR and the commit. (`history --mermaid` draws the same
 * for GitHub.)
 */
import { WORKER_COMPONENT } from '../config/index.js';
import type { HistoryEntry } from '../history/index.js';

const BLOCK = '█';
/** Bar characters per worker. */
const SCALE = 4;

export function historyChart(entries: readonly HistoryEntry[]): string {
  const series = new Map<string, { title: string; rows: Array<{ label: string; count: number }> }>();
  for (const entry of entries.toReversed()) {
    for (const cluster of entry.clusters) {
      const change = cluster.components.find((c) => c.component === WORKER_COMPONENT);
      if (!change) continue;
      const key = `${cluster.provider}/${cluster.name}`;
      let line = series.get(key);
      if (!line) {
        line = { title: `${cluster.name} (${cluster.provider}) workers`, rows: [{ label: 'before', count: change.from }] };
        series.set(key, line);
      }
      line.rows.push({ label: `${entry.pr === null ? '' : `PR #${entry.pr} `}${entry.commit.slice(0, 7)}`, count: change.to });
    }
  }
  if (series.size === 0) return 'No worker count changes.\n';
  const charts = [...series.values()].map(({ title, rows }) => {
    const width = Math.max(...rows.map((row) => row.label.length));
    return [title, ...rows.map((row) => `  ${row.label.padEnd(width)}  ${BLOCK.repeat(row.count * SCALE)} ${row.count}`)].join('\n');
  });
  return `${charts.join('\n\n')}\n`;
}
