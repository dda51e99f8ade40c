/**
 * The Prometheus signal of an autoscaled component: a PromQL query and the share of its value one
 * worker takes, written under the component's `prometheus` key in the `configuration/autoscaling`
 * document (or in the --policy-file):
 *
 * ```yaml
 * kubernetes_node:
 *   min: 2
 *   max: 10
 *   prometheus:
 *     query: sum(rate(http_requests_total{job="shop"}[2m]))
 *     target_per_node: 100 # requests per second one worker serves
 * ```
 *
 * Checked here key by key, like the other policy settings, so that each problem is reported at
 * the key or value it is about (src/config/load.ts locates them); resolved into plain data for the
 * decision engine. Pure.
 */
import { UserError } from '../errors.js';
import type { PolicySettingProblem } from './settings.js';

/** The key of the signal in a component's entry. */
export const PROMETHEUS_KEY = 'prometheus';

/** A component's Prometheus signal, resolved. */
export interface PrometheusSignal {
  /** The PromQL query, evaluated as an instant query; it must give one number. */
  query: string;
  /** How much of the query's value one worker takes: the signal asks for ceil(value / targetPerNode) workers. */
  targetPerNode: number;
}

const EXAMPLE = "{query: 'sum(rate(http_requests_total[2m]))', target_per_node: 100}";

/** Prometheus' own limit on a query sent in a URL is the server's; this one keeps a typo (a pasted file) out of the config. */
export const MAX_QUERY_LENGTH = 4096;

const SIGNAL_KEYS = ['query', 'target_per_node'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function queryProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be a PromQL query written as text, e.g. 'sum(rate(http_requests_total[2m]))'`;
  if (value.trim() === '') return 'must not be empty: write the PromQL query whose value the workers share';
  if (value.length > MAX_QUERY_LENGTH) return `is ${value.length} characters long: at most ${MAX_QUERY_LENGTH}`;
  return undefined;
}

function targetProblem(value: unknown): string | undefined {
  if (typeof value === 'string') return `must be a number, not the text ${JSON.stringify(value)}: write it without quotes`;
  if (typeof value !== 'number' || Number.isNaN(value)) return "must be a number: how much of the query's value one worker takes";
  if (!Number.isFinite(value)) return 'must be a finite number';
  if (value <= 0) return `must be greater than 0 (how much of the query's value one worker takes), not ${value}`;
  return undefined;
}

/**
 * What is wrong with a component's `prometheus` entry: each problem at the key or value it is
 * about (`path` below the component's entry). An unknown key is refused with the known ones, so a
 * misspelt `target_per_node` is never silently missing.
 */
export function prometheusSettingProblems(value: unknown): PolicySettingProblem[] {
  const key = PROMETHEUS_KEY;
  if (!isRecord(value)) {
    return [{ key, atKey: false, message: `${key}: must be a mapping of query and target_per_node, e.g. ${EXAMPLE}` }];
  }
  const problems: PolicySettingProblem[] = [];
  for (const [name, setting] of Object.entries(value)) {
    const path = [key, name];
    if (!(SIGNAL_KEYS as readonly string[]).includes(name)) {
      problems.push({
        key,
        path,
        atKey: true,
        message: `${key}.${name}: not a ${key} setting; the settings are ${SIGNAL_KEYS.join(', ')}`,
      });
      continue;
    }
    const problem = name === 'query' ? queryProblem(setting) : targetProblem(setting);
    if (problem) problems.push({ key, path, atKey: false, message: `${key}.${name}: ${problem}` });
  }
  for (const name of SIGNAL_KEYS) {
    if (Object.hasOwn(value, name)) continue;
    const what = name === 'query' ? 'the PromQL query whose value the workers share' : "how much of the query's value one worker takes";
    problems.push({ key, path: [key], atKey: true, message: `${key}.${name} is missing: write ${what}, e.g. ${EXAMPLE}` });
  }
  return problems;
}

/**
 * The component's signal from its entry (min, max and the settings as written), or undefined
 * when it names none. An entry must have passed validation: any other is refused with its first
 * problem, as `resolvePolicy` does.
 */
export function resolvePrometheusSignal(entry: Readonly<Record<string, unknown>>): PrometheusSignal | undefined {
  if (!Object.hasOwn(entry, PROMETHEUS_KEY)) return undefined;
  const value = entry[PROMETHEUS_KEY];
  const problem = prometheusSettingProblems(value)[0];
  if (problem || !isRecord(value)) throw new UserError(`autoscaling policy: ${problem?.message ?? 'prometheus is not a mapping'}`);
  return { query: (value.query as string).trim(), targetPerNode: value.target_per_node as number };
}
