// The plan comment's what-if section: a recording and the config before and after a pull request
// in, Markdown out (a Mermaid chart of both count curves and the node-hours difference).
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { whatIfSection } from '../../src/replay/markdown.js';
import { demoConfig } from '../watcher/support.js';
import { businessDay, recordedCycles } from './support.js';

const FILE = 'cluster-config/aws-demo.yml';
const before = { file: FILE, text: demoConfig({ min: 2, max: 10 }) };
const after = { file: FILE, text: demoConfig({ min: 2, max: 10, scale_down_unneeded_time: '1h', scale_down_max_step: 3 }) };

describe('the what-if section of the plan comment', () => {
  it('charts both count curves, lists the changed settings and gives the node-hours difference', () => {
    const section = whatIfSection({ cycles: recordedCycles(businessDay()), before, after });
    expect(section).toMatch(
      /^### What-if replay of the autoscaling settings\n\n480 recorded cycles of \*\*shop\*\* \(2025-03-01 12:00 → 2025-03-01 19:59 UTC\)/,
    );
    expect(section).toContain('| `scale_down_unneeded_time` | 10m | 1h |\n| `scale_down_max_step` | 1 | 3 |');
    const chart = /```mermaid\n([^`]+)```/.exec(section)?.[1] ?? '';
    expect(chart).toMatch(
      /^xychart-beta\n {2}title "shop workers \(config count\): before = first line, after = second line"\n {2}x-axis \["03-01 12:00", /,
    );
    const lines = [...chart.matchAll(/^ {2}line \[([\d, ]+)\]$/gm)].map((m) => m[1]?.split(', ').map(Number));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toHaveLength(42);
    expect(lines[0]).not.toEqual(lines[1]);
    expect(section).toContain('| node-hours (Ready workers × hours) | 23.8 | 26.1 | +2.3 (+9.4 %) |');
    expect(section).toContain('| pull requests | 5 | 2 | −3 |');
    expect(section).toContain('- 2025-03-01 16:00 UTC: 5 → 2 (`unneeded-nodes`)');
  });

  it('says so, and replays nothing, when the settings are the same', () => {
    const same = whatIfSection({
      cycles: recordedCycles(businessDay()),
      before,
      after: { ...before, text: `${before.text}\n# a comment\n` },
    });
    expect(same).toBe(
      '### What-if replay of the autoscaling settings\n\nThe autoscaling settings of **shop** are the same before and after this change: nothing to compare.\n',
    );
  });

  it("refuses another cluster's config, naming both", () => {
    const other = { file: 'cluster-config/other.yml', text: before.text.replace('name: shop', 'name: books') };
    expect(() => whatIfSection({ cycles: recordedCycles(businessDay()), before, after: other })).toThrow(
      new UserError("cluster-config/other.yml is the config of cluster books, the recording is of shop: give shop's config"),
    );
  });
});
