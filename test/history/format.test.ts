import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/history/index.js';
import { historyToJson, historyToMarkdown, historyToMermaid, historyToText } from '../../src/history/index.js';
import { type ClusterPlan, componentChanges } from '../../src/plan/index.js';

const SHOP = 'cluster-config/shop.yml';
const LAB = 'cluster-config/lab.yml';

/** shop's `component` scaled from `from` to `to`, as a plan reports it. */
function scaled(file: string, component: string, from: number, to: number): ClusterPlan {
  const side = (count: number) => ({ file, name: 'shop', provider: 'aws' as const, prefix: 'demo', counts: { [component]: count } });
  return {
    file,
    name: 'shop',
    provider: 'aws',
    change: 'scaled',
    counts: { [component]: to },
    components: componentChanges(side(from), side(to)),
  };
}

const sample: HistoryEntry[] = [
  {
    commit: 'c'.repeat(40),
    date: '2026-11-03T15:30:00+00:00',
    author: 'Dana Ops',
    authorEmail: 'dana@example.com',
    pr: 14,
    reason: '3 pods pending | queue 120s',
    subject: 'Scale workers to 5 (#14)',
    clusters: [scaled(SHOP, 'kubernetes_node', 4, 5)],
  },
  {
    commit: 'b'.repeat(40),
    date: '2026-11-03T09:00:00+00:00',
    author: 'Carol Merger',
    authorEmail: 'carol@example.com',
    pr: 12,
    reason: null,
    subject: 'Merge pull request #12 from org/autoscale',
    clusters: [scaled(SHOP, 'kubernetes_node', 2, 4)],
  },
  {
    commit: 'a'.repeat(40),
    date: '2026-11-01T09:00:00+00:00',
    author: 'Alice Admin',
    authorEmail: 'alice@example.com',
    pr: null,
    reason: 'new clusters\nfor the <launch>',
    subject: 'Add the clusters',
    clusters: [
      { file: LAB, name: 'lab', provider: 'azure', change: 'added', counts: { kubernetes_master: 1, kubernetes_node: 1 }, components: [] },
      { file: SHOP, name: 'shop', provider: 'aws', change: 'added', counts: { kubernetes_master: 1, kubernetes_node: 2 }, components: [] },
    ],
  },
];

describe('history formats', () => {
  it('JSON: the entries as they are, under "entries"', () => {
    const json = historyToJson(sample);
    expect(JSON.parse(json)).toEqual({ entries: sample });
    expect(json.startsWith('{\n  "entries": [\n    {\n      "commit": "cccc')).toBe(true);
    expect(json.endsWith('}\n')).toBe(true);
  });

  it('text: one block per commit with date, short id, author, PR, each cluster change and the reason', () => {
    expect(historyToText(sample)).toBe(
      [
        '2026-11-03 15:30:00+00:00  ccccccc  Dana Ops <dana@example.com>  PR #14',
        '  Scale workers to 5 (#14)',
        '  shop (cluster-config/shop.yml): kubernetes_node 4 → 5',
        '  reason: 3 pods pending | queue 120s',
        '',
        '2026-11-03 09:00:00+00:00  bbbbbbb  Carol Merger <carol@example.com>  PR #12',
        '  Merge pull request #12 from org/autoscale',
        '  shop (cluster-config/shop.yml): kubernetes_node 2 → 4',
        '',
        '2026-11-01 09:00:00+00:00  aaaaaaa  Alice Admin <alice@example.com>',
        '  Add the clusters',
        '  lab (cluster-config/lab.yml): cluster added with kubernetes_master 1, kubernetes_node 1 (a new cluster is created by LambdaStack, not by autoscaling)',
        '  shop (cluster-config/shop.yml): cluster added with kubernetes_master 1, kubernetes_node 2 (a new cluster is created by LambdaStack, not by autoscaling)',
        '  reason: new clusters for the <launch>',
        '',
      ].join('\n'),
    );
  });

  it('text: control characters in commit messages cannot reach the terminal', () => {
    const [first] = sample;
    const hostile = { ...(first as HistoryEntry), subject: 'Scale\u001b[2J up', reason: 'bell\u0007' };
    const text = historyToText([hostile]);
    expect(text).toContain('  Scale [2J up\n');
    expect(text).toContain('  reason: bell \n');
    expect(text.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
  });

  it('Markdown: a table row per cluster change, with | escaped and line breaks as <br>', () => {
    expect(historyToMarkdown(sample)).toBe(
      [
        '| Date | Commit | Author | PR | Cluster | Change | Reason |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| 2026-11-03 | ccccccc | Dana Ops | #14 | shop | kubernetes_node 4 → 5 | 3 pods pending \\| queue 120s |',
        '| 2026-11-03 | bbbbbbb | Carol Merger | #12 | shop | kubernetes_node 2 → 4 |  |',
        '| 2026-11-01 | aaaaaaa | Alice Admin |  | lab | cluster added with kubernetes_master 1, kubernetes_node 1 (a new cluster is created by LambdaStack, not by autoscaling) | new clusters<br>for the &lt;launch&gt; |',
        '| 2026-11-01 | aaaaaaa | Alice Admin |  | shop | cluster added with kubernetes_master 1, kubernetes_node 2 (a new cluster is created by LambdaStack, not by autoscaling) | new clusters<br>for the &lt;launch&gt; |',
        '',
      ].join('\n'),
    );
  });

  it('Mermaid: a workers-over-time chart per cluster, oldest first, starting from the count before the first change', () => {
    expect(historyToMermaid(sample)).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "lab workers"',
        '  x-axis ["before", "2026-11-01"]',
        '  y-axis "workers" 0 --> 2',
        '  line [0, 1]',
        '```',
        '',
        '```mermaid',
        'xychart-beta',
        '  title "shop workers"',
        // Two changes on one day: the time of day tells the points apart.
        '  x-axis ["before", "2026-11-01", "2026-11-03 09:00", "2026-11-03 15:30"]',
        '  y-axis "workers" 0 --> 6',
        '  line [0, 2, 4, 5]',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('Mermaid: changes within one minute get seconds, and within one second a counter', () => {
    const at = (date: string, from: number, to: number): HistoryEntry => ({
      ...(sample[1] as HistoryEntry),
      date,
      clusters: [scaled(SHOP, 'kubernetes_node', from, to)],
    });
    const chart = historyToMermaid([
      at('2026-11-03T09:00:30+00:00', 4, 5),
      at('2026-11-03T09:00:30+00:00', 3, 4),
      at('2026-11-03T09:00:10+00:00', 2, 3),
    ]);
    expect(chart).toContain('  x-axis ["before", "2026-11-03 09:00:10", "2026-11-03 09:00:30", "2026-11-03 09:00:30 (2)"]\n');
    expect(chart).toContain('  line [2, 3, 4, 5]\n');
  });

  it('every format says so when there is nothing to show', () => {
    expect(historyToJson([])).toBe('{\n  "entries": []\n}\n');
    expect(historyToText([])).toBe('No scale changes found.\n');
    expect(historyToMarkdown([])).toBe('_No scale changes found._\n');
    expect(historyToMermaid([])).toBe('No scale changes found.\n');
    const mastersOnly: HistoryEntry = {
      ...(sample[1] as HistoryEntry),
      clusters: [scaled(SHOP, 'kubernetes_master', 1, 3)],
    };
    expect(historyToMermaid([mastersOnly])).toBe('No kubernetes_node count changes found.\n');
  });
});
