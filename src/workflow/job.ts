// One job of the workflow: its `if:` against the jobs it needs, its strategy (one run per matrix
// combination, fail-fast), and each combination's settings, steps and outputs.
import { mkdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { truthy } from '@actions/expressions/result';
import { TransientError, UserError } from '../errors.js';
import { evaluate, evaluateCondition, evaluateString, evaluateStringMap, evaluateTemplate, type Scope } from './expressions.js';
import { isJsonObject, type Json, type JsonObject } from './json.js';
import { matrixJobName, strategyOf } from './matrix.js';
import type { JobDef } from './parse.js';
import { stopProcessGroup } from './process.js';
import { formatConcurrency, formatDuration, formatPermissions } from './report.js';
import type { Concurrency, JobRun, Outcome, Permissions } from './result.js';
import { jobScope, type LegState, legScope, type RunState } from './state.js';
import { runStep } from './step.js';
import { entry, type Template } from './template.js';

const DEFAULT_TIMEOUT_MINUTES = 360;

function needsContext(run: RunState, job: JobDef): JsonObject {
  const context: JsonObject = {};
  for (const need of job.needs) {
    const done = run.needs.get(need);
    if (done) context[need] = { result: done.result, outputs: done.outputs };
  }
  return context;
}

/** The effective permissions of a job: its own, else the workflow's, else the repository default. */
export function permissionsOf(job: Template | undefined, workflow: Template | undefined, scope: Scope): Permissions {
  const template = job ?? workflow;
  if (template === undefined) return 'default';
  const value = evaluateTemplate(template, scope);
  if (value === 'read-all' || value === 'write-all') return value;
  if (isJsonObject(value)) return Object.fromEntries(Object.entries(value).map(([scope, level]) => [scope, String(level)]));
  return 'default';
}

export function concurrencyOf(template: Template | undefined, scope: Scope): Concurrency | undefined {
  if (template === undefined) return undefined;
  const value = evaluateTemplate(template, scope);
  if (typeof value === 'string') return { group: value, cancelInProgress: false };
  if (isJsonObject(value)) {
    const cancel = value['cancel-in-progress'];
    return { group: String(value.group ?? ''), cancelInProgress: cancel === true || cancel === 'true' };
  }
  return undefined;
}

function numberOf(template: Template | undefined, scope: Scope, fallback: number, what: string): number {
  if (template === undefined) return fallback;
  const value =
    template.kind === 'expression'
      ? evaluate(template.expression, scope, template).number()
      : Number(template.kind === 'literal' ? template.value : NaN);
  if (!Number.isFinite(value) || value <= 0)
    throw new UserError(`${scope.file}:${template.line}:${template.column}: ${what} must be a number above 0`);
  return value;
}

function flagOf(template: Template | undefined, scope: Scope): boolean {
  if (template === undefined) return false;
  if (template.kind === 'literal') return template.value === true || template.value === 'true';
  return template.kind === 'expression' && truthy(evaluate(template.expression, scope, template));
}

function runsOnOf(template: Template | undefined, scope: Scope): string | undefined {
  if (template === undefined) return undefined;
  const value = evaluateTemplate(template, scope);
  const labels: Json[] = Array.isArray(value)
    ? value
    : isJsonObject(value)
      ? [value.group ?? '', ...(Array.isArray(value.labels) ? value.labels : [value.labels ?? ''])]
      : [value];
  const shown = labels.filter((label) => label !== '' && label !== null).map(String);
  const foreign = shown.find((label) => /windows|macos/i.test(label));
  if (foreign !== undefined) throw new UserError(`runs-on ${foreign}: the local runner is Linux`);
  return shown.join(', ');
}

function skippedRun(job: JobDef, name: string, permissions: Permissions, message: string, result: Outcome = 'skipped'): JobRun {
  return { id: job.id, name, result, outputs: {}, steps: [], permissions, summary: '', durationMs: 0, workspace: '', message };
}

/** Runs one combination of a job: settings, steps, outputs; its processes stopped at its end. */
async function runLeg(run: RunState, job: JobDef, leg: LegState, permissions: Permissions): Promise<JobRun> {
  const started = Date.now();
  const record: JobRun = {
    id: job.id,
    name: leg.display,
    result: 'success',
    outputs: {},
    steps: [],
    permissions,
    summary: '',
    durationMs: 0,
    workspace: leg.place.workspace,
  };
  if (leg.matrix !== undefined) record.matrix = leg.matrix;
  run.print(`job ${leg.display}`);
  let continueOnError = false;
  try {
    Object.assign(leg.env, evaluateStringMap(job.env, legScope(leg), 'env'));
    const scope = legScope(leg);
    const runsOn = runsOnOf(job.runsOn, scope);
    if (runsOn !== undefined) record.runsOn = runsOn;
    run.print(`  runs-on: ${runsOn ?? '(none)'} → this machine (Linux, ${process.arch})`);
    run.print(`  permissions: ${formatPermissions(permissions)}`);
    const concurrency = concurrencyOf(job.concurrency, scope);
    if (concurrency) {
      record.concurrency = concurrency;
      run.print(`  ${formatConcurrency(concurrency)}`);
    }
    if (job.environment !== undefined) {
      const value = evaluateTemplate(job.environment, scope);
      const environment = isJsonObject(value) ? String(value.name ?? '') : String(value ?? '');
      record.environment = environment;
      run.print(`  environment ${environment}: its protection rules, secrets and variables do not apply locally`);
    }
    continueOnError = flagOf(job.continueOnError, scope);
    const timeoutMinutes = numberOf(job.timeoutMinutes, scope, DEFAULT_TIMEOUT_MINUTES, 'timeout-minutes');
    leg.timeoutMinutes = timeoutMinutes;
    leg.deadline = started + timeoutMinutes * 60_000;
    for (const defaults of [run.workflow.defaults, job.defaults]) {
      const shell = entry(entry(defaults, 'run'), 'shell');
      const workingDirectory = entry(entry(defaults, 'run'), 'working-directory');
      if (shell) leg.defaults.shell = evaluateString(shell, scope, 'defaults.run.shell');
      if (workingDirectory) leg.defaults.workingDirectory = evaluateString(workingDirectory, scope, 'defaults.run.working-directory');
    }
    for (const step of job.steps) {
      if (run.signal.aborted) leg.cancelled = true;
      record.steps.push(await runStep(leg, step));
    }
    const outputs = evaluateOutputs(job, leg);
    record.outputs = outputs;
  } catch (error) {
    if (!(error instanceof UserError || error instanceof TransientError)) throw error;
    leg.failed = true;
    record.message = run.masker.mask(error.message);
    run.print(`  error: ${record.message}`);
  } finally {
    // As GitHub's runner cleans up orphan processes when a job ends.
    for (const group of leg.processGroups) stopProcessGroup(group, 'SIGKILL');
  }
  const outcome: Outcome = leg.timedOut ? 'failure' : leg.cancelled ? 'cancelled' : leg.failed ? 'failure' : 'success';
  record.result = outcome === 'failure' && continueOnError ? 'success' : outcome;
  if (leg.timedOut) record.message = `the job ran past its timeout-minutes and was stopped`;
  else if (outcome === 'failure' && record.message === undefined) {
    const failed = record.steps.find((step) => step.conclusion === 'failure');
    if (failed) record.message = `step ${failed.index} ${failed.name} failed${failed.message ? `: ${failed.message}` : ''}`;
  }
  record.summary = leg.summaries.join('\n');
  record.durationMs = Date.now() - started;
  run.print(
    `job ${leg.display}: ${outcome}${record.result !== outcome ? ' (continue-on-error)' : ''} in ${formatDuration(record.durationMs)}` +
      (record.message && outcome !== 'success' ? `: ${record.message}` : ''),
  );
  return record;
}

/** The job's outputs once its steps ran; one that holds a secret is left out, as on GitHub. */
function evaluateOutputs(job: JobDef, leg: LegState): Record<string, string> {
  const run = leg.run;
  const outputs: Record<string, string> = {};
  if (job.outputs?.kind !== 'mapping') return outputs;
  for (const [name, template] of job.outputs.entries) {
    const value = evaluateString(template, legScope(leg), `outputs.${name}`);
    if (run.masker.reveals(value)) {
      const message = `output ${name} of job ${leg.display} is left out: it may contain a secret`;
      run.annotations.push({ level: 'warning', message, job: leg.display });
      run.print(`  warning: ${message}`);
      continue;
    }
    outputs[name] = value;
  }
  return outputs;
}

function slug(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 60);
}

/** Runs a job: every matrix combination, one at a time, in order. */
export async function runJob(run: RunState, job: JobDef): Promise<JobRun[]> {
  const needs = needsContext(run, job);
  const needResults = job.needs.map((need) => run.needs.get(need)?.result);
  const status = {
    success: (): boolean => needResults.every((result) => result === 'success'),
    failure: (): boolean => needResults.some((result) => result === 'failure'),
    cancelled: (): boolean => run.signal.aborted,
  };
  const scope = jobScope(run, job, needs, status);
  let permissions: Permissions = 'default';
  let name = job.id;
  try {
    permissions = permissionsOf(job.permissions, run.workflow.permissions, scope);
    if (job.name && job.name.kind === 'literal') name = String(job.name.value ?? job.id);
    if (!evaluateCondition(job.if, scope, job)) {
      const unmet = job.needs.filter((need) => run.needs.get(need)?.result !== 'success');
      const why = job.if === 'success()' && unmet.length > 0 ? `it needs ${unmet.join(', ')}, which did not succeed` : `if: ${job.if}`;
      run.print(`job ${name}: skipped (${why})`);
      return [skippedRun(job, name, permissions, why, run.signal.aborted ? 'cancelled' : 'skipped')];
    }
    const strategy = strategyOf(job.strategy === undefined ? undefined : evaluateTemplate(job.strategy, scope), job.id);
    const total = strategy.combinations.length;
    if (total > 1) {
      run.print(
        `job ${job.id}: ${total} matrix combinations, run one at a time (fail-fast ${strategy.failFast}` +
          `${strategy.maxParallel === undefined ? '' : `, max-parallel ${strategy.maxParallel} noted`})`,
      );
    }
    const runs: JobRun[] = [];
    for (const [index, matrix] of strategy.combinations.entries()) {
      const strategyContext: JsonObject = {
        'fail-fast': strategy.failFast,
        'job-index': index,
        'job-total': total,
        'max-parallel': strategy.maxParallel ?? total,
      };
      const dir = join(run.root, 'jobs', `${slug(job.id)}-${index + 1}`);
      const place = {
        id: job.id,
        workspace: join(dir, basename(run.info.repository) || 'workspace'),
        runnerTemp: join(dir, 'temp'),
        toolCache: join(run.root, 'tool-cache'),
      };
      for (const path of [place.workspace, place.runnerTemp, place.toolCache]) await mkdir(path, { recursive: true });
      const leg: LegState = {
        run,
        def: job,
        display: matrixJobName(name, matrix),
        place,
        matrix,
        strategy: strategyContext,
        needs,
        env: { ...run.workflowEnv },
        paths: [],
        steps: {},
        failed: false,
        cancelled: run.signal.aborted,
        timedOut: false,
        timeoutMinutes: DEFAULT_TIMEOUT_MINUTES,
        deadline: Number.POSITIVE_INFINITY,
        processGroups: new Set(),
        defaults: {},
        summaries: [],
      };
      if (job.name && job.name.kind !== 'literal') {
        const evaluated = evaluateString(job.name, legScope(leg), 'name');
        leg.display = /\bmatrix\b/.test(job.name.kind === 'expression' ? job.name.expression : '')
          ? evaluated
          : matrixJobName(evaluated, matrix);
      }
      const failedBefore = runs.some((other) => other.result === 'failure');
      if (strategy.failFast && failedBefore) {
        run.print(`job ${leg.display}: cancelled (fail-fast: another combination failed)`);
        runs.push({
          ...skippedRun(job, leg.display, permissions, 'fail-fast: another combination failed', 'cancelled'),
          ...(matrix ? { matrix } : {}),
        });
        continue;
      }
      runs.push(await runLeg(run, job, leg, permissions));
    }
    return runs;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    const message = run.masker.mask(error.message);
    run.print(`job ${name}: failure: ${message}`);
    return [skippedRun(job, name, permissions, message, 'failure')];
  }
}

/** What `needs.<id>` reads of a job's runs: failure if any failed, outputs merged in order. */
export function needsEntry(runs: readonly JobRun[]): { result: Outcome; outputs: Record<string, string> } {
  const results = runs.map((run) => run.result);
  const result: Outcome = results.includes('failure')
    ? 'failure'
    : results.includes('cancelled')
      ? 'cancelled'
      : results.every((r) => r === 'skipped')
        ? 'skipped'
        : 'success';
  const outputs: Record<string, string> = {};
  for (const run of runs) for (const [name, value] of Object.entries(run.outputs)) if (value !== '') outputs[name] = value;
  return { result, outputs };
}
