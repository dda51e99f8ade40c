// `uses: ./actions/<name>`: the action.yml of an action in the repository, and its inputs as the
// runner hands them over (INPUT_<NAME> variables, with the action.yml defaults, themselves
// expressions such as `${{ github.token }}`, evaluated).
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { UserError } from '../errors.js';

export interface LocalAction {
  /** The action's directory (GITHUB_ACTION_PATH). */
  dir: string;
  /** The script Node runs. */
  main: string;
  using: string;
  /** Input name → its default (undefined when it has none). */
  inputs: Record<string, string | undefined>;
}

const NODE_RUNTIMES = new Set(['node12', 'node16', 'node20', 'node24']);

/** Reads `uses: ./path`'s action.yml from `root` (the job's workspace, or the directory given for local actions). */
export async function loadLocalAction(uses: string, root: string): Promise<LocalAction> {
  const dir = resolve(root, uses);
  const inside = relative(root, dir);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new UserError(`uses: ${uses} points outside the repository`);
  let text: string | undefined;
  let file = '';
  for (const name of ['action.yml', 'action.yaml']) {
    file = join(dir, name);
    text = await readFile(file, 'utf8').catch(() => undefined);
    if (text !== undefined) break;
  }
  if (text === undefined) {
    throw new UserError(`uses: ${uses}: no action.yml in ${dir} (check out the repository first with actions/checkout)`);
  }
  let manifest: unknown;
  try {
    manifest = parse(text);
  } catch (error) {
    throw new UserError(`${file}: not valid YAML (${(error as Error).message})`);
  }
  const runs = (manifest as { runs?: Record<string, unknown> } | null)?.runs ?? {};
  const using = String(runs.using ?? '');
  if (!NODE_RUNTIMES.has(using)) {
    throw new UserError(
      `uses: ${uses}: runs.using ${using || '(none)'} is not supported by the local runner (JavaScript actions only: node20, node24)`,
    );
  }
  for (const hook of ['pre', 'post']) {
    if (runs[hook] !== undefined) throw new UserError(`uses: ${uses}: runs.${hook} is not supported by the local runner`);
  }
  if (typeof runs.main !== 'string' || runs.main === '') throw new UserError(`${file}: runs.main is missing`);
  const inputs: Record<string, string | undefined> = {};
  const declared = (manifest as { inputs?: Record<string, { default?: unknown } | null> }).inputs ?? {};
  for (const [name, spec] of Object.entries(declared)) {
    const fallback = spec?.default;
    inputs[name] = fallback === undefined || fallback === null ? undefined : String(fallback);
  }
  return { dir, main: join(dir, runs.main), using, inputs };
}

/** The INPUT_ variable of an input, as the runner names it. */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * The INPUT_* variables for the `with:` values given: every declared input (its default evaluated
 * by `evaluateDefault` when not given), and the given ones the action does not declare (GitHub
 * passes them too, with a warning).
 */
export function actionInputs(
  action: LocalAction,
  given: Readonly<Record<string, string>>,
  evaluateDefault: (text: string) => string,
): { env: Record<string, string>; unexpected: string[] } {
  const env: Record<string, string> = {};
  for (const [name, fallback] of Object.entries(action.inputs)) {
    const value = given[name] ?? (fallback === undefined ? undefined : evaluateDefault(fallback));
    if (value !== undefined) env[inputVariable(name)] = value;
  }
  const unexpected = Object.keys(given).filter((name) => !(name in action.inputs));
  for (const name of unexpected) env[inputVariable(name)] = given[name] as string;
  return { env, unexpected };
}
