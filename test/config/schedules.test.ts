import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeConfigText, parseClusterConfig } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { resolveSchedules } from '../../src/policy/index.js';
import { parsePolicyFile } from '../../src/watcher/policy-file.js';
import { autoscalingLines, clusterLines, yaml } from './support.js';

// The `schedules` of an autoscaled component as `validate` reads them: each problem at its
// file:line:column, with what to write instead.

const FILE = 'cluster-config/shop.yml';

/** A component of min 1, max 5 with these schedule lines: `schedules:` is line 20, the first window's `- name` line 21. */
const withSchedules = (...lines: string[]): string => yaml(...clusterLines(3), ...autoscalingLines(1, 5), '      schedules:', ...lines);

/** One window, its keys on lines 21 to 26 (name, start, end, timezone, min, lead), any of them replaced. */
function businessHours(fields: Partial<Record<'name' | 'start' | 'end' | 'timezone' | 'min' | 'lead', string>> = {}): string[] {
  const values = {
    name: 'business-hours',
    start: '"0 8 * * 1-5"',
    end: '"0 18 * * 1-5"',
    timezone: 'Europe/Warsaw',
    min: '4',
    lead: '15m',
    ...fields,
  };
  return Object.entries(values).map(([key, value], i) => `${i === 0 ? '        - ' : '          '}${key}: ${value}`);
}

function problemsOf(text: string): string[] {
  const analysis = analyzeConfigText(FILE, text);
  if (analysis.problems.length > 0) expect(analysis.config).toBeUndefined();
  return analysis.problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
}

const CRON_FIX = 'write five fields, minute hour day-of-month month day-of-week, in quotes, e.g. "0 8 * * 1-5"';

describe('schedules', () => {
  it('are kept as written next to min and max, and resolve to windows with their lead in milliseconds', () => {
    const config = parseClusterConfig(FILE, withSchedules(...businessHours()));
    const entry = config.autoscaling.kubernetes_node ?? { min: 0, max: 0 };
    expect(entry.schedules).toEqual([
      { name: 'business-hours', start: '0 8 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Warsaw', min: 4, lead: '15m' },
    ]);
    expect(resolveSchedules(entry)).toEqual([
      { name: 'business-hours', start: '0 8 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Warsaw', min: 4, lead: 15 * 60_000 },
    ]);
  });

  it('accept names of days and months, nicknames, UTC, and no lead', () => {
    const text = withSchedules(...businessHours({ start: '"30 7 * JAN-MAR MON-FRI"', end: '"@daily"', timezone: 'UTC' }).slice(0, 5));
    expect(problemsOf(text)).toEqual([]);
  });

  it('refuse an expression croner cannot read, or one of six fields, at its value, saying what to write', () => {
    expect(problemsOf(withSchedules(...businessHours({ start: '"0 25 * * 1-5"', end: '"0 0 18 * * 1-5"' })))).toEqual([
      `22:18: kubernetes_node.schedules[0].start: "0 25 * * 1-5" is not a usable cron expression (Invalid value for hour: 25): ${CRON_FIX}`,
      `23:16: kubernetes_node.schedules[0].end: "0 0 18 * * 1-5" is not a usable cron expression (mode '5-part' requires exactly 5 parts, but pattern '0 0 18 * * 1-5' has 6 parts.): ${CRON_FIX}`,
    ]);
  });

  it('refuse an expression that never happens, one unquoted as a number, and an end the same as the start', () => {
    expect(problemsOf(withSchedules(...businessHours({ start: '"0 0 30 2 *"', end: '"0 0 30 2 *"' })))).toEqual([
      `22:18: kubernetes_node.schedules[0].start: "0 0 30 2 *" is not a usable cron expression (it never happens (no such date)): ${CRON_FIX}`,
      `23:16: kubernetes_node.schedules[0].end: "0 0 30 2 *" is not a usable cron expression (it never happens (no such date)): ${CRON_FIX}`,
      '23:16: kubernetes_node.schedules[0].end: the same as start, so the window would close as it opens: write when it closes',
    ]);
    expect(problemsOf(withSchedules(...businessHours({ end: '18' })))).toEqual([
      `23:16: kubernetes_node.schedules[0].end: must be a cron expression: ${CRON_FIX.replace('write ', '')}`,
    ]);
  });

  it('refuse a time zone Intl does not know, suggesting the one meant', () => {
    expect(problemsOf(withSchedules(...businessHours({ timezone: 'Europe/Warsw' })))).toEqual([
      '24:21: kubernetes_node.schedules[0].timezone: "Europe/Warsw" is not a time zone: did you mean Europe/Warsaw?',
    ]);
    expect(problemsOf(withSchedules(...businessHours({ timezone: 'Warsaw' })))).toEqual([
      '24:21: kubernetes_node.schedules[0].timezone: "Warsaw" is not a time zone: did you mean Europe/Warsaw?',
    ]);
    expect(problemsOf(withSchedules(...businessHours({ timezone: 'Mars/Olympus_Mons' })))).toEqual([
      '24:21: kubernetes_node.schedules[0].timezone: "Mars/Olympus_Mons" is not a time zone: write an IANA name such as Europe/Warsaw, America/New_York or UTC',
    ]);
  });

  it("refuse a min above the component's max, or one that does not raise its min", () => {
    expect(problemsOf(withSchedules(...businessHours({ min: '6' })))).toEqual([
      "25:16: kubernetes_node.schedules[0].min: 6 is greater than the component's max 5: a window raises min within the bounds",
    ]);
    expect(problemsOf(withSchedules(...businessHours({ min: '1' })))).toEqual([
      "25:16: kubernetes_node.schedules[0].min: 1 does not raise the component's min 1: a window's min must be above it",
    ]);
    expect(problemsOf(withSchedules(...businessHours({ min: '"4"' })))).toEqual([
      '25:16: kubernetes_node.schedules[0].min: must be a whole number, not the text "4": write it without quotes',
    ]);
  });

  it('refuse a negative lead, one without its unit, and one longer than a day', () => {
    expect(problemsOf(withSchedules(...businessHours({ lead: '-15m' })))).toEqual([
      '26:17: kubernetes_node.schedules[0].lead: must not be negative: it is how long before the window opens its min applies, e.g. 15m',
    ]);
    expect(problemsOf(withSchedules(...businessHours({ lead: '15' })))).toEqual([
      '26:17: kubernetes_node.schedules[0].lead: must be a duration with its unit, not the number 15: write a duration such as 90s, 10m or 1h30m',
    ]);
    expect(problemsOf(withSchedules(...businessHours({ lead: '2d' })))).toEqual([
      '26:17: kubernetes_node.schedules[0].lead: "2d" is not a duration: write a duration such as 90s, 10m or 1h30m',
    ]);
    expect(problemsOf(withSchedules(...businessHours({ lead: '25h' })))).toEqual([
      '26:17: kubernetes_node.schedules[0].lead: "25h" is longer than a day, the most a policy window may be',
    ]);
  });

  it('refuse two windows of one name, at the second', () => {
    expect(problemsOf(withSchedules(...businessHours(), ...businessHours({ start: '"0 9 * * 6"' })))).toEqual([
      '27:17: kubernetes_node.schedules[1].name: a second window named business-hours: give each window its own name',
    ]);
  });

  it('say what a window lacks, at the window, and refuse an unknown key at the key', () => {
    expect(problemsOf(withSchedules('        - name: nights', '          stop: "0 6 * * *"'))).toEqual([
      '21:11: kubernetes_node.schedules[0].timezone is missing: write an IANA time zone such as Europe/Warsaw, America/New_York or UTC',
      `21:11: kubernetes_node.schedules[0].start is missing: write when the window opens as a cron expression: ${CRON_FIX.replace('write ', '')}`,
      `21:11: kubernetes_node.schedules[0].end is missing: write when the window closes as a cron expression: ${CRON_FIX.replace('write ', '')}`,
      '21:11: kubernetes_node.schedules[0].min is missing: write the min the window keeps, e.g. `min: 6`',
      '22:11: kubernetes_node.schedules[0].stop: not a window setting; the settings are name, start, end, timezone, min, lead',
    ]);
  });

  it('refuse schedules that are not a list of windows', () => {
    const text = yaml(...clusterLines(3), ...autoscalingLines(1, 5), '      schedules: business-hours');
    expect(problemsOf(text)).toEqual([
      '20:18: kubernetes_node.schedules: must be a list of windows, each `- name: …` with start, end, timezone and min',
    ]);
    expect(problemsOf(withSchedules('        - business-hours'))).toEqual([
      '21:11: kubernetes_node.schedules[0]: must be a window, a mapping with name, start, end, timezone and min',
    ]);
  });

  it('are reported together with a problem of min', () => {
    const text = yaml(...clusterLines(3), ...autoscalingLines(-1, 5), '      schedules:', ...businessHours({ timezone: 'Nowhere' }));
    expect(problemsOf(text)).toEqual([
      expect.stringMatching(/^18:12: .*min: must be 0 or more/),
      '24:21: kubernetes_node.schedules[0].timezone: "Nowhere" is not a time zone: write an IANA name such as Europe/Warsaw, America/New_York or UTC',
    ]);
  });

  it('are refused unresolved: a window that did not pass validation never becomes a silent default', () => {
    expect(() => resolveSchedules({ min: 1, max: 5, schedules: [{ name: 'x', start: '0 8 * * *' }] })).toThrow(UserError);
  });

  it("are the cluster's own: the watcher's --policy-file refuses them", () => {
    expect(() => parsePolicyFile('policy.yaml', 'schedules: []\n')).toThrow(
      "policy.yaml:1:1: schedules: the schedules are the cluster's own, set in its configuration/autoscaling document",
    );
  });

  it("in the README's example are valid, and resolve to the windows it describes", () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Schedules'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const config = parseClusterConfig(FILE, yaml(...clusterLines(3), '---', example));
    expect(resolveSchedules(config.autoscaling.kubernetes_node ?? { min: 0, max: 0 })).toEqual([
      { name: 'business-hours', start: '0 8 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Warsaw', min: 6, lead: 15 * 60_000 },
      { name: 'month-end-batch', start: '0 20 L * *', end: '0 6 1 * *', timezone: 'UTC', min: 8, lead: 0 },
    ]);
  });
});
