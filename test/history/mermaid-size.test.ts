import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HistoryEntry, historyToMermaid } from '../../src/history/index.js';
import { turningPoints } from '../../src/history/thin.js';

// Mermaid draws nothing but an error for a diagram longer than its maxTextSize (50,000 by
// default), which a history of thousands of changes passes.
const LIMIT = 50_000;
const START = Date.parse('2026-01-01T00:00:00Z');

/** The history of clusters whose worker counts went through `series` (each starts from its first value), newest first. */
function historyOf(series: ReadonlyArray<{ name: string; counts: readonly number[]; step: number }>): HistoryEntry[] {
  const entries: HistoryEntry[] = [];
  let time = START;
  for (const { name, counts, step } of series) {
    for (let i = 1; i < counts.length; i += 1) {
      time += step * 1000;
      const from = counts[i - 1] as number;
      const to = counts[i] as number;
      entries.push({
        commit: String(entries.length).padStart(40, '0'),
        date: new Date(time).toISOString().replace('.000Z', '+00:00'),
        author: 'lambdastack-autoscaler[bot]',
        authorEmail: 'autoscaler@example.com',
        pr: null,
        reason: null,
        subject: `Scale ${name} kubernetes_node ${from} → ${to}`,
        clusters: [
          {
            file: `cluster-config/${name}.yml`,
            name,
            provider: 'aws',
            change: 'scaled',
            counts: { kubernetes_node: to },
            components: [{ component: 'kubernetes_node', from, to, add: [], remove: [] }],
          },
        ],
      });
    }
  }
  return entries.reverse();
}

interface Chart {
  title: string;
  labels: string[];
  line: number[];
}

/** The charts of historyToMermaid's output, read back. */
function charts(output: string): Chart[] {
  return output
    .split('```mermaid\n')
    .slice(1)
    .map((block) => ({
      title: JSON.parse(/^ {2}title (".*")$/m.exec(block)?.[1] ?? 'null'),
      labels: JSON.parse(/^ {2}x-axis (\[.*\])$/m.exec(block)?.[1] ?? 'null'),
      line: JSON.parse(/^ {2}line (\[.*\])$/m.exec(block)?.[1] ?? 'null'),
    }));
}

/** Worker counts with no two equal in a row: a scale change always changes the count. */
const countsArbitrary = (maxLength: number): fc.Arbitrary<number[]> =>
  fc
    // size 'max': fast-check otherwise keeps arrays to a few dozen values, never a long history.
    .array(fc.integer({ min: 0, max: 5000 }), { minLength: 2, maxLength, size: 'max' })
    .map((counts) => counts.filter((count, i) => i === 0 || count !== counts[i - 1]))
    .filter((counts) => counts.length >= 2);

/** Seconds between changes: several a second (labels get counters) up to days apart. */
const stepArbitrary = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 172_800 }));

function isSubsequence(part: readonly number[], whole: readonly number[]): boolean {
  let i = 0;
  for (const value of whole) if (value === part[i]) i += 1;
  return i === part.length;
}

function expectFaithful(chart: Chart, counts: readonly number[]): void {
  expect(chart.line[0]).toBe(counts[0]);
  expect(chart.line.at(-1)).toBe(counts.at(-1));
  expect(chart.line).toContain(Math.min(...counts));
  expect(chart.line).toContain(Math.max(...counts));
  expect(isSubsequence(chart.line, counts)).toBe(true);
  expect(chart.labels).toHaveLength(chart.line.length);
  expect(new Set(chart.labels).size).toBe(chart.labels.length);
}

describe('Mermaid charts of long histories', () => {
  it('for any counts: keep first, last, minimum and maximum, and stay under 50,000 characters', () => {
    fc.assert(
      fc.property(countsArbitrary(6000), stepArbitrary, (counts, step) => {
        const output = historyToMermaid(historyOf([{ name: 'shop', counts, step }]));
        expect(output.length).toBeLessThan(LIMIT);
        const [chart] = charts(output);
        expectFaithful(chart as Chart, counts);
        const changes = counts.length - 1;
        const shown = (chart as Chart).line.length - 1;
        expect((chart as Chart).title).toBe(
          shown === changes
            ? 'shop workers'
            : `shop workers (${shown.toLocaleString('en-US')} of ${changes.toLocaleString('en-US')} changes shown)`,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('for several clusters: the whole output stays under the limit, and each chart keeps its extremes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(countsArbitrary(3000), stepArbitrary), { minLength: 1, maxLength: 4 }), (lines) => {
        const series = lines.map(([counts, step], k) => ({ name: `c${k}`, counts, step }));
        const output = historyToMermaid(historyOf(series));
        expect(output.length).toBeLessThan(LIMIT);
        const drawn = charts(output);
        expect(drawn.map((chart) => chart.title.split(' ')[0])).toEqual(series.map((s) => s.name));
        for (const [k, chart] of drawn.entries()) expectFaithful(chart, series[k]?.counts ?? []);
      }),
      { numRuns: 30 },
    );
  });

  it('for short histories: nothing changes', () => {
    fc.assert(
      fc.property(countsArbitrary(200), stepArbitrary, (counts, step) => {
        const [chart] = charts(historyToMermaid(historyOf([{ name: 'shop', counts, step }])));
        expect(chart?.line).toEqual(counts);
        expect(chart?.title).toBe('shop workers');
      }),
    );
  });

  it('drops the points inside rises and falls first, and says how many changes it shows', () => {
    // 4,000 changes: up by one 2,000 times, then down by one 2,000 times.
    const counts = Array.from({ length: 4001 }, (_, i) => (i <= 2000 ? i : 4000 - i));
    const [chart] = charts(historyToMermaid(historyOf([{ name: 'shop', counts, step: 60 }])));
    expect(chart?.line).toEqual([0, 2000, 0]);
    expect(chart?.title).toBe('shop workers (2 of 4,000 changes shown)');
    expect(chart?.labels).toEqual(['before', '2026-01-02', '2026-01-03']);
  });

  it('thins a line that turns at every point by keeping the lowest and highest of each stretch', () => {
    const counts = Array.from({ length: 4001 }, (_, i) => 10 + (i % 2) + Math.floor(i / 1000));
    const output = historyToMermaid(historyOf([{ name: 'shop', counts, step: 60 }]));
    const [chart] = charts(output);
    expect(output.length).toBeLessThan(LIMIT);
    // Thinned only as far as needed: the chart uses most of what it may.
    expect(output.length).toBeGreaterThan(LIMIT * 0.9);
    expect(chart?.title).toMatch(/^shop workers \([\d,]+ of 4,000 changes shown\)$/);
    // Not only the peaks (every other point) nor only the valleys: both levels stay visible.
    expect(new Set(chart?.line)).toEqual(new Set(counts));
  });
});

describe('turning points', () => {
  it.each([
    [
      [3, 5, 5, 2],
      [0, 1, 3],
    ],
    [
      [3, 5, 5, 7],
      [0, 3],
    ],
    [
      [1, 2, 3, 2, 1, 2],
      [0, 2, 4, 5],
    ],
    [
      [5, 3, 1, 1, 1],
      [0, 2, 4],
    ],
    [[4], [0]],
    [[], []],
  ])('%j → %j', (values, kept) => {
    expect(turningPoints(values)).toEqual(kept);
  });
});
