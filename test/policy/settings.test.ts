import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  DEFAULT_POLICY,
  formatDuration,
  POLICY_SETTINGS,
  parseDuration,
  policySettingProblems,
  resolvePolicy,
} from '../../src/policy/index.js';

const MINUTE = 60_000;

describe('policy settings', () => {
  it("default to Cluster Autoscaler's scale-down figures and this project's scale-up ones", () => {
    expect(resolvePolicy({ min: 1, max: 5 })).toEqual({
      scaleUpRequestsThreshold: 0.9,
      scaleUpUsageThreshold: 0.8,
      scaleUpSustainedTime: 5 * MINUTE,
      scaleUpMaxStep: 10,
      scaleDownUtilizationThreshold: 0.5,
      scaleDownUnneededTime: 10 * MINUTE,
      scaleDownDelayAfterAdd: 10 * MINUTE,
      scaleDownMaxStep: 1,
      provisioningTimeout: 15 * MINUTE,
      metricsMaxAge: 2 * MINUTE,
    });
    expect(DEFAULT_POLICY).toEqual(resolvePolicy({}));
  });

  it('take what the entry writes, next to min and max', () => {
    expect(resolvePolicy({ min: 1, max: 5, scale_up_sustained_time: '90s', scale_down_max_step: 2 })).toMatchObject({
      scaleUpSustainedTime: 90_000,
      scaleDownMaxStep: 2,
    });
  });

  it('refuse an entry that did not pass validation, rather than fall back to a default', () => {
    expect(() => resolvePolicy({ min: 1, max: 5, scale_down_unneeded_time: 600 })).toThrow(UserError);
    expect(() => resolvePolicy({ min: 1, max: 5, scale_dwn_max_step: 2 })).toThrow(/scale_dwn_max_step: not a policy setting/);
  });

  it('report each problem at the key (unknown keys) or at the value', () => {
    expect(policySettingProblems({ min: 1, max: 2, typo: 1, scale_up_max_step: -1 })).toEqual([
      {
        key: 'typo',
        atKey: true,
        message: expect.stringContaining('typo: not a policy setting; the settings are min, max, schedules, scale_up_requests_threshold'),
      },
      {
        key: 'scale_up_max_step',
        atKey: false,
        message: 'scale_up_max_step: must be 1 or more (a step of 0 would never change the count)',
      },
    ]);
  });

  it('document a default for every setting, each of which resolves', () => {
    for (const [key, definition] of Object.entries(POLICY_SETTINGS)) {
      expect(policySettingProblems({ [key]: definition.written })).toEqual([]);
      expect(definition.description.length).toBeGreaterThan(10);
    }
  });
});

describe("the README's table of settings", () => {
  it('lists every setting with its default, and nothing else', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('### Policy settings'), readme.indexOf('## Layout'));
    const rows = [...section.matchAll(/^\| `(\w+)`\s*\| `?([^`|\s]+)`?\s*\|/gm)].map(([, key, value]) => [key, value]);
    expect(rows).toEqual(Object.entries(POLICY_SETTINGS).map(([key, definition]) => [key, String(definition.written)]));
  });
});

describe('durations', () => {
  it.each([
    ['90s', 90_000],
    ['10m', 10 * MINUTE],
    ['1h', 60 * MINUTE],
    ['1h30m', 90 * MINUTE],
    ['2m30s', 150_000],
    ['0s', 0],
    ['24h', 24 * 60 * MINUTE],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each([
    [600, 'must be a duration with its unit, not the number 600'],
    ['', 'is not a duration'],
    ['10', 'is not a duration'],
    ['10 m', 'is not a duration'],
    ['1d', 'is not a duration'],
    ['30m1h', 'is not a duration'],
    ['-5m', 'is not a duration'],
    ['1500m', 'longer than a day'],
    [null, 'must be a duration'],
  ])('%j is refused (%s)', (value, message) => {
    expect(parseDuration(value)).toEqual(expect.stringContaining(message));
  });

  it('are written back in the same syntax', () => {
    expect([90_000, 10 * MINUTE, 90 * MINUTE, 0].map(formatDuration)).toEqual(['1m30s', '10m', '1h30m', '0s']);
  });
});
