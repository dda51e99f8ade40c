/**
 * The policy settings of an autoscaled component: written next to `min` and `max` in the
 * `configuration/autoscaling` document, validated with the rest of the config (src/config/load.ts
 * reports each problem at its key or value), and resolved here with their defaults.
 *
 * The scale-down defaults are Cluster Autoscaler's, so a cluster behaves as people who know CA
 * expect: a node is removable below 50 % utilisation, after 10 minutes unneeded, never within 10
 * minutes of a scale-up, and a machine that has not joined after 15 minutes is reported, not replaced.
 */
import { UserError } from '../errors.js';
import { PROMETHEUS_KEY, prometheusSettingProblems } from './metric-settings.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** The longest duration a setting may have: a day is already far longer than any sensible window. */
export const MAX_DURATION = 24 * HOUR;
/** The largest step per change: the largest count there is (src/config/schema.ts MAX_COUNT). */
const MAX_STEP = 10_000;

/** The resolved settings of one component; durations are milliseconds, ratios 0..1. */
export interface Policy {
  /** Scale up when the workers' requested CPU or memory stays above this share of their allocatable. */
  scaleUpRequestsThreshold: number;
  /** Scale up when the workers' measured CPU or memory use stays above this share of their allocatable. */
  scaleUpUsageThreshold: number;
  /** How long utilisation must stay above a scale-up threshold before it adds nodes. */
  scaleUpSustainedTime: number;
  /** The most nodes one change adds. */
  scaleUpMaxStep: number;
  /** A node is unneeded while its utilisation (requests and use, CPU and memory) is below this. */
  scaleDownUtilizationThreshold: number;
  /** How long a node must be unneeded before it is removed. */
  scaleDownUnneededTime: number;
  /** No scale-down within this time of a scale-up (decided, or seen in the config). */
  scaleDownDelayAfterAdd: number;
  /** The most nodes one change removes. */
  scaleDownMaxStep: number;
  /** How long nodes a raised count asked for may take to become Ready before the shortfall is reported. */
  provisioningTimeout: number;
  /** The oldest snapshot or metrics sample a decision trusts. */
  metricsMaxAge: number;
}

type SettingKind = 'ratio' | 'duration' | 'step';

interface SettingDefinition {
  field: keyof Policy;
  kind: SettingKind;
  /** The default as it would be written in the document. */
  written: string | number;
  description: string;
}

/**
 * Every policy setting: its key in the document, the field it sets, its kind, its default as
 * written, and what it means (the README's table is this list).
 */
export const POLICY_SETTINGS = {
  scale_up_requests_threshold: {
    field: 'scaleUpRequestsThreshold',
    kind: 'ratio',
    written: 0.9,
    description: "scale up when the workers' requested CPU or memory stays above this share of their allocatable",
  },
  scale_up_usage_threshold: {
    field: 'scaleUpUsageThreshold',
    kind: 'ratio',
    written: 0.8,
    description: "scale up when the workers' measured CPU or memory use (metrics.k8s.io) stays above this share",
  },
  scale_up_sustained_time: {
    field: 'scaleUpSustainedTime',
    kind: 'duration',
    written: '5m',
    description: 'how long utilisation must stay above a scale-up threshold',
  },
  scale_up_max_step: { field: 'scaleUpMaxStep', kind: 'step', written: 10, description: 'the most nodes one change adds' },
  scale_down_utilization_threshold: {
    field: 'scaleDownUtilizationThreshold',
    kind: 'ratio',
    written: 0.5,
    description:
      "a node is unneeded while its requests and its use, CPU and memory, are below this share of its allocatable (CA's default)",
  },
  scale_down_unneeded_time: {
    field: 'scaleDownUnneededTime',
    kind: 'duration',
    written: '10m',
    description: "how long a node must be unneeded before it is removed (CA's default)",
  },
  scale_down_delay_after_add: {
    field: 'scaleDownDelayAfterAdd',
    kind: 'duration',
    written: '10m',
    description: "no scale-down within this time of a scale-up (CA's default)",
  },
  scale_down_max_step: {
    field: 'scaleDownMaxStep',
    kind: 'step',
    written: 1,
    description: 'the most nodes one change removes (CA drains one non-empty node at a time by default)',
  },
  provisioning_timeout: {
    field: 'provisioningTimeout',
    kind: 'duration',
    written: '15m',
    description: "how long new nodes may take to become Ready before the shortfall is reported (CA's max-node-provision-time)",
  },
  metrics_max_age: {
    field: 'metricsMaxAge',
    kind: 'duration',
    written: '2m',
    description: 'the oldest snapshot or metrics sample a decision trusts; older ones never scale down',
  },
} as const satisfies Record<string, SettingDefinition>;

export type PolicySettingKey = keyof typeof POLICY_SETTINGS;

/** The keys of a component's entry that are not policy settings: the bounds, and the windows that raise min (schedule-settings.ts). */
export const BOUNDS_KEYS: readonly string[] = ['min', 'max', 'schedules'];

const SETTING_KEYS = Object.keys(POLICY_SETTINGS) as PolicySettingKey[];

const isSettingKey = (key: string): key is PolicySettingKey => Object.hasOwn(POLICY_SETTINGS, key);

// Go's duration syntax for the units a window needs: `90s`, `10m`, `1h30m`.
const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** A written duration in milliseconds, or a message saying what is wrong with it. */
export function parseDuration(value: unknown): number | string {
  const example = 'write a duration such as 90s, 10m or 1h30m';
  if (typeof value === 'number') return `must be a duration with its unit, not the number ${value}: ${example}`;
  if (typeof value !== 'string') return `must be a duration: ${example}`;
  const match = DURATION.exec(value.trim());
  if (!match || value.trim() === '') return `${JSON.stringify(value)} is not a duration: ${example}`;
  const [, hours = '0', minutes = '0', seconds = '0'] = match;
  const ms = Number(hours) * HOUR + Number(minutes) * MINUTE + Number(seconds) * SECOND;
  if (ms > MAX_DURATION) return `${JSON.stringify(value)} is longer than a day, the most a policy window may be`;
  return ms;
}

/** A duration as the document writes it: `1h30m`, `10m`, `90s` → `1m30s`, `0s`. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / SECOND);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const text = `${hours ? `${hours}h` : ''}${minutes ? `${minutes}m` : ''}${seconds ? `${seconds}s` : ''}`;
  return text || '0s';
}

function parseRatio(value: unknown): number | string {
  if (typeof value === 'string') return `must be a number from 0 to 1, not the text ${JSON.stringify(value)}: write it without quotes`;
  if (typeof value !== 'number' || Number.isNaN(value)) return 'must be a number from 0 to 1 (a share: 0.5 is half)';
  if (value < 0 || value > 1) return `must be from 0 to 1 (a share: 0.5 is half), not ${value}`;
  return value;
}

function parseStep(value: unknown): number | string {
  if (typeof value === 'string') return `must be a whole number, not the text ${JSON.stringify(value)}: write it without quotes`;
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be a whole number of nodes';
  if (value < 1) return 'must be 1 or more (a step of 0 would never change the count)';
  if (value > MAX_STEP) return `is too large: at most ${MAX_STEP}`;
  return value;
}

const PARSERS: Record<SettingKind, (value: unknown) => number | string> = {
  ratio: parseRatio,
  duration: parseDuration,
  step: parseStep,
};

/** One thing wrong with a component's policy settings: at the key (unknown keys) or at its value. */
export interface PolicySettingProblem {
  key: string;
  /** Where it is below the component's entry, when deeper than `key` (a key of the prometheus signal). */
  path?: readonly string[];
  /** True when the problem is the key itself, so it is reported at the key rather than at its value. */
  atKey: boolean;
  message: string;
}

/**
 * What is wrong with the policy settings of one component's entry (`min` and `max` are checked
 * by the schema). An unknown key is refused with the list of known ones: a misspelt setting would
 * otherwise be silently ignored and its default used.
 */
export function policySettingProblems(entry: Readonly<Record<string, unknown>>): PolicySettingProblem[] {
  const problems: PolicySettingProblem[] = [];
  for (const [key, value] of Object.entries(entry)) {
    if (BOUNDS_KEYS.includes(key)) continue;
    if (key === PROMETHEUS_KEY) {
      problems.push(...prometheusSettingProblems(value));
      continue;
    }
    if (!isSettingKey(key)) {
      problems.push({
        key,
        atKey: true,
        message: `${key}: not a policy setting; the settings are ${[...BOUNDS_KEYS, ...SETTING_KEYS, PROMETHEUS_KEY].join(', ')}`,
      });
      continue;
    }
    const parsed = PARSERS[POLICY_SETTINGS[key].kind](value);
    if (typeof parsed === 'string') problems.push({ key, atKey: false, message: `${key}: ${parsed}` });
  }
  return problems;
}

/** The settings every component has when its entry writes none. */
export const DEFAULT_POLICY: Readonly<Policy> = Object.freeze(resolvePolicy({}));

/**
 * A component's settings with the defaults filled in, from its autoscaling entry (`Bounds`: min,
 * max and the tuning keys as written). An entry that passed validation always resolves; any
 * other is refused with the first problem, so an unchecked value never becomes a silent default.
 */
export function resolvePolicy(entry: Readonly<Record<string, unknown>>): Policy {
  const problem = policySettingProblems(entry)[0];
  if (problem) throw new UserError(`autoscaling policy: ${problem.message}`);
  const policy = {} as Policy;
  for (const key of SETTING_KEYS) {
    const definition: SettingDefinition = POLICY_SETTINGS[key];
    const written = Object.hasOwn(entry, key) ? entry[key] : definition.written;
    policy[definition.field] = PARSERS[definition.kind](written) as number;
  }
  return policy;
}
