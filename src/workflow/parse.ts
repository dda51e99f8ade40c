// A workflow file as the runner's model: GitHub's parser validates it (a file GitHub would refuse is
// refused here, every problem at its line), and the parts the parser's own model leaves out
// (with:, shell:, timeout-minutes:, permissions:, defaults:…) are read from its token tree.
import { readFile } from 'node:fs/promises';
import { ConfigError, UserError } from '../errors.js';
import { parseWorkflowText } from './github-parser.js';
import type { Json } from './json.js';
import { entry, keys, literalString, type Template } from './template.js';

export interface Located {
  line: number;
  column: number;
}

export interface StepDef extends Located {
  /** 1-based position in the job. */
  index: number;
  /** The step's id: its `id:`, or one the parser generated (`__run`, `__actions_checkout`…). */
  id: string;
  /** Whether `id:` was written: only such steps are in the `steps` context. */
  hasId: boolean;
  name?: Template;
  /** The condition as GitHub evaluates it (success() added when no status function is named). */
  if: string;
  run?: Template;
  uses?: string;
  with?: Template;
  env?: Template;
  shell?: string;
  workingDirectory?: Template;
  timeoutMinutes?: Template;
  continueOnError?: Template;
  /** Keys the runner does not know (background:, parallel:…): refused before the run. */
  unknownKeys: string[];
}

export interface JobDef extends Located {
  id: string;
  name?: Template;
  needs: string[];
  if: string;
  runsOn?: Template;
  env?: Template;
  strategy?: Template;
  outputs?: Template;
  permissions?: Template;
  timeoutMinutes?: Template;
  continueOnError?: Template;
  defaults?: Template;
  concurrency?: Template;
  environment?: Template;
  steps: StepDef[];
  /** Keys the runner cannot run (uses:, container:, services:…) with where they are. */
  unsupported: Array<Located & { what: string }>;
}

export interface WorkflowDef {
  /** The file as given (for messages). */
  file: string;
  /** `name:`, else the file as given. */
  name: string;
  runName?: Template;
  /** `on:` as GitHub's parser reads it. */
  events: Record<string, Json>;
  env?: Template;
  permissions?: Template;
  defaults?: Template;
  concurrency?: Template;
  jobs: JobDef[];
}

const JOB_KEYS = new Set([
  'name',
  'needs',
  'if',
  'runs-on',
  'env',
  'strategy',
  'outputs',
  'permissions',
  'timeout-minutes',
  'continue-on-error',
  'defaults',
  'concurrency',
  'environment',
  'steps',
]);
const UNSUPPORTED_JOB_KEYS: Record<string, string> = {
  uses: 'a reusable workflow (job-level `uses:`)',
  with: 'inputs of a reusable workflow (job-level `with:`)',
  secrets: 'secrets of a reusable workflow (job-level `secrets:`)',
  container: 'a job container (`container:`): steps run on this machine, not in Docker',
  services: 'service containers (`services:`)',
  snapshot: 'a custom image snapshot (`snapshot:`)',
};
const STEP_KEYS = new Set([
  'id',
  'name',
  'if',
  'run',
  'uses',
  'with',
  'env',
  'shell',
  'working-directory',
  'timeout-minutes',
  'continue-on-error',
]);

function located(template: Template | undefined, fallback: Located): Located {
  return template && template.line > 0 ? { line: template.line, column: template.column } : fallback;
}

function stepDef(template: Template, index: number, parsed: { id: string; if: string }): StepDef {
  const at = located(template, { line: 0, column: 0 });
  const def: StepDef = {
    ...at,
    index,
    id: parsed.id,
    hasId: entry(template, 'id') !== undefined,
    if: parsed.if,
    unknownKeys: keys(template).filter((key) => !STEP_KEYS.has(key)),
  };
  const optional: Array<[keyof StepDef, string]> = [
    ['name', 'name'],
    ['run', 'run'],
    ['with', 'with'],
    ['env', 'env'],
    ['workingDirectory', 'working-directory'],
    ['timeoutMinutes', 'timeout-minutes'],
    ['continueOnError', 'continue-on-error'],
  ];
  for (const [field, key] of optional) {
    const value = entry(template, key);
    if (value !== undefined) (def as unknown as Record<string, Template>)[field] = value;
  }
  const uses = literalString(entry(template, 'uses'));
  if (uses !== undefined) def.uses = uses;
  const shell = literalString(entry(template, 'shell'));
  if (shell !== undefined) def.shell = shell;
  return def;
}

function jobDef(id: string, template: Template, parsed: { needs: string[]; if: string; steps: Array<{ id: string; if: string }> }): JobDef {
  const at = located(template, { line: 0, column: 0 });
  const steps = entry(template, 'steps');
  const def: JobDef = {
    ...at,
    id,
    needs: parsed.needs,
    if: parsed.if,
    steps:
      steps?.kind === 'sequence'
        ? steps.items.map((step, i) => stepDef(step, i + 1, parsed.steps[i] ?? { id: `__step${i + 1}`, if: 'success()' }))
        : [],
    unsupported: [],
  };
  const optional: Array<[keyof JobDef, string]> = [
    ['name', 'name'],
    ['runsOn', 'runs-on'],
    ['env', 'env'],
    ['strategy', 'strategy'],
    ['outputs', 'outputs'],
    ['permissions', 'permissions'],
    ['timeoutMinutes', 'timeout-minutes'],
    ['continueOnError', 'continue-on-error'],
    ['defaults', 'defaults'],
    ['concurrency', 'concurrency'],
    ['environment', 'environment'],
  ];
  for (const [field, key] of optional) {
    const value = entry(template, key);
    if (value !== undefined) (def as unknown as Record<string, Template>)[field] = value;
  }
  if (template.kind === 'mapping') {
    for (const [key, value] of template.entries) {
      if (JOB_KEYS.has(key)) continue;
      def.unsupported.push({ ...located(value, at), what: UNSUPPORTED_JOB_KEYS[key] ?? `the job key \`${key}:\`` });
    }
  }
  return def;
}

/** Parses workflow text; a file GitHub would refuse is a ConfigError with each problem at its line. */
export async function parseWorkflowDef(file: string, content: string): Promise<WorkflowDef> {
  const parsed = await parseWorkflowText(file, content);
  if (parsed.problems.length > 0) {
    throw new ConfigError(
      parsed.problems.map((problem) => ({ file, line: problem.line, column: problem.column, message: problem.message })),
    );
  }
  const root = parsed.root;
  const jobsTemplate = entry(root, 'jobs');
  const jobs = parsed.jobs.map((job) =>
    jobDef(job.id, entry(jobsTemplate, job.id) ?? { kind: 'mapping', entries: [], line: 0, column: 0 }, job),
  );
  const workflow: WorkflowDef = { file, name: literalString(entry(root, 'name')) ?? file, events: parsed.events, jobs };
  const optional: Array<[keyof WorkflowDef, string]> = [
    ['runName', 'run-name'],
    ['env', 'env'],
    ['permissions', 'permissions'],
    ['defaults', 'defaults'],
    ['concurrency', 'concurrency'],
  ];
  for (const [field, key] of optional) {
    const value = entry(root, key);
    if (value !== undefined) (workflow as unknown as Record<string, Template>)[field] = value;
  }
  return workflow;
}

/** Reads and parses a workflow file. */
export async function loadWorkflow(path: string, shownAs = path): Promise<WorkflowDef> {
  let content: string;
  try {
    content = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${shownAs}: no such workflow file`);
    if (code === 'EISDIR') throw new UserError(`${shownAs} is a directory: give a workflow file, e.g. .github/workflows/apply.yml`);
    throw new UserError(`${shownAs}: cannot read it (${code ?? String(error)})`);
  }
  return parseWorkflowDef(shownAs, content);
}
