// strategy.matrix expanded into its combinations as GitHub does, pure: the cross product of the
// vectors, less the `exclude` entries, then `include` (added to every combination whose original
// values it does not contradict, or appended as its own when it fits none).
import { UserError } from '../errors.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';

export interface Strategy {
  /** One entry per job to run; a job without a matrix has one, undefined. */
  combinations: Array<JsonObject | undefined>;
  failFast: boolean;
  /** Reported only: this runner runs one job at a time. */
  maxParallel: number | undefined;
}

function equal(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether `partial`'s keys all have the same values in `combination` (an exclude entry's test). */
function matches(combination: JsonObject, partial: JsonObject): boolean {
  return Object.entries(partial).every(([key, value]) =>
    isJsonObject(value) && isJsonObject(combination[key]) ? matches(combination[key] as JsonObject, value) : equal(combination[key], value),
  );
}

function entries(value: Json | undefined, what: string): JsonObject[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || !value.every((item) => isJsonObject(item))) throw new UserError(`${what} must be a list of mappings`);
  return value as JsonObject[];
}

/** The combinations of an evaluated `matrix:` (mapping of vectors with include/exclude). */
export function expandMatrix(matrix: Json, job: string): JsonObject[] {
  if (!isJsonObject(matrix)) throw new UserError(`job ${job}: strategy.matrix must be a mapping, not ${JSON.stringify(matrix)}`);
  const vectors = Object.entries(matrix).filter(([key]) => key !== 'include' && key !== 'exclude');
  let combinations: JsonObject[] = vectors.length > 0 ? [{}] : [];
  for (const [key, values] of vectors) {
    if (!Array.isArray(values)) throw new UserError(`job ${job}: the matrix vector ${key} must be a list, not ${JSON.stringify(values)}`);
    if (values.length === 0) throw new UserError(`job ${job}: the matrix vector ${key} does not contain any values`);
    combinations = combinations.flatMap((combination) => values.map((value) => ({ ...combination, [key]: value })));
  }
  const excludes = entries(matrix.exclude, `job ${job}: strategy.matrix.exclude`);
  combinations = combinations.filter((combination) => !excludes.some((exclude) => matches(combination, exclude)));
  const original = new Set(vectors.map(([key]) => key));
  const originals = combinations.length;
  for (const include of entries(matrix.include, `job ${job}: strategy.matrix.include`)) {
    let added = false;
    for (const combination of combinations.slice(0, originals)) {
      const contradicts = Object.entries(include).some(([key, value]) => original.has(key) && !equal(combination[key], value));
      if (contradicts) continue;
      // Values the include adds may be overwritten by a later include; original ones never are.
      for (const [key, value] of Object.entries(include)) if (!original.has(key)) combination[key] = value;
      added = true;
    }
    if (!added) combinations.push({ ...include });
  }
  if (combinations.length === 0) throw new UserError(`job ${job}: the matrix has no combinations left (every one is excluded)`);
  return combinations;
}

/** An evaluated `strategy:` (or undefined) as the jobs to run. */
export function strategyOf(strategy: Json | undefined, job: string): Strategy {
  if (strategy === undefined || strategy === null) return { combinations: [undefined], failFast: true, maxParallel: undefined };
  if (!isJsonObject(strategy)) throw new UserError(`job ${job}: strategy must be a mapping`);
  const failFast = strategy['fail-fast'] === undefined ? true : strategy['fail-fast'] === true || strategy['fail-fast'] === 'true';
  const maxParallel = typeof strategy['max-parallel'] === 'number' ? strategy['max-parallel'] : undefined;
  const combinations = strategy.matrix === undefined ? [undefined] : expandMatrix(strategy.matrix, job);
  return { combinations, failFast, maxParallel };
}

/** How GitHub names a matrix job: `build (a, b)`, objects as JSON. */
export function matrixJobName(name: string, combination: JsonObject | undefined): string {
  if (combination === undefined || Object.keys(combination).length === 0) return name;
  const values = Object.values(combination).map((value) =>
    typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value),
  );
  return `${name} (${values.join(', ')})`;
}
