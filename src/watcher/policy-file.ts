/**
 * `--policy-file`: policy settings the cluster's `configuration/autoscaling` document does not
 * set (the Helm chart's `policy` values, mounted from a ConfigMap). The document in git wins, so
 * a policy change that matters is a reviewed change. The file is a YAML mapping of the same keys,
 * checked as the document's settings are, each problem at its file:line:column:
 *
 * ```yaml
 * scale_down_unneeded_time: 20m
 * scale_up_max_step: 4
 * ```
 */
import { readFile } from 'node:fs/promises';
import { offsetOf, parseSource } from '../config/source.js';
import { ConfigError, type ConfigProblem, UserError } from '../errors.js';
import { POLICY_SETTINGS, PROMETHEUS_KEY, policySettingProblems, SCHEDULES_KEY } from '../policy/index.js';

/** The settings as written (validated: `resolvePolicy` accepts them). */
export type PolicyDefaults = Readonly<Record<string, unknown>>;

const isMapping = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads a policy file's text, or throws a ConfigError with every problem located. */
export function parsePolicyFile(file: string, text: string): PolicyDefaults {
  const source = parseSource(file, text);
  const problems: ConfigProblem[] = [...source.problems];
  const at = (offset: number, message: string): void => {
    problems.push({ file, ...source.locate(offset), message });
  };
  const [doc, ...more] = source.documents;
  for (const extra of more) at(extra.doc.range[0], 'a second document: the policy file is one mapping of settings');
  const value = doc?.value ?? null;
  if (problems.length > 0) throw new ConfigError(problems);
  if (value === null) return {};
  if (!doc || !isMapping(value)) {
    throw new ConfigError([
      { file, line: 1, column: 1, message: 'must be a mapping of policy settings, e.g. scale_down_unneeded_time: 20m' },
    ]);
  }
  for (const key of ['min', 'max', SCHEDULES_KEY]) {
    if (Object.hasOwn(value, key)) {
      const what = key === SCHEDULES_KEY ? 'the schedules are' : 'the bounds are';
      at(offsetOf(doc, [key], { key: true }), `${key}: ${what} the cluster's own, set in its configuration/autoscaling document`);
    }
  }
  for (const problem of policySettingProblems(value)) {
    // The document's message lists min and max among the keys; here they are refused above.
    const message =
      problem.atKey && problem.path === undefined
        ? `${problem.key}: not a policy setting; the settings are ${[...Object.keys(POLICY_SETTINGS), PROMETHEUS_KEY].join(', ')}`
        : problem.message;
    at(offsetOf(doc, problem.path ?? [problem.key], { key: problem.atKey }), message);
  }
  if (problems.length > 0) throw new ConfigError(problems.sort((a, b) => a.line - b.line || a.column - b.column));
  return value;
}

export async function loadPolicyFile(path: string): Promise<PolicyDefaults> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`--policy-file ${path}: cannot read it (${code ?? String(error)})`, { cause: error });
  }
  return parsePolicyFile(path, text);
}
