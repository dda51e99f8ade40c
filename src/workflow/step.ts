// One step of a job: its `if:`, its environment, then a `run:` script, a repository action
// (`uses: ./…`) or a stand-in, with the file commands read back afterwards and the outcome and
// conclusion (continue-on-error) decided.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { truthy } from '@actions/expressions/result';
import { TransientError, UserError } from '../errors.js';
import { githubContext, runnerVariables, type StepFiles } from './contexts.js';
import { evaluate, evaluateCondition, evaluateEmbedded, evaluateString, evaluateStringMap, type Scope } from './expressions.js';
import { parseKeyValueFile, parsePathFile } from './file-commands.js';
import { hashFiles } from './hash-files.js';
import { actionInputs, loadLocalAction } from './local-action.js';
import type { StepDef } from './parse.js';
import { runStepProcess, type StepProcessResult } from './process.js';
import { formatDuration } from './report.js';
import type { Outcome, StepRun } from './result.js';
import { shellCommand } from './shell.js';
import { standInFor } from './stand-ins.js';
import { type LegState, legScope } from './state.js';
import { stepOutput } from './step-output.js';

const MINUTE_MS = 60_000;
const CLEAN_UP_MS = 5 * MINUTE_MS;

function defaultName(step: StepDef): string {
  if (step.uses !== undefined) return `Run ${step.uses}`;
  const script = step.run?.kind === 'literal' ? String(step.run.value ?? '') : '';
  const first = script.split('\n').find((line) => line.trim() !== '') ?? '';
  return `Run ${first.trim()}`.trim();
}

/** How many lines of a script the log shows before the step's output (GitHub folds the whole script away). */
const SCRIPT_LINES_SHOWN = 5;

function printScript(print: (line: string) => void, script: string): void {
  const lines = script.replace(/\n$/, '').split('\n');
  for (const line of lines.slice(0, SCRIPT_LINES_SHOWN)) print(`    $ ${line}`);
  if (lines.length > SCRIPT_LINES_SHOWN) print(`    $ … (${lines.length - SCRIPT_LINES_SHOWN} more lines)`);
}

function kindOf(step: StepDef): StepRun['kind'] {
  if (step.uses === undefined) return 'run';
  return standInFor(step.uses) ? 'stand-in' : 'action';
}

/** The environment a step's process starts with: the machine's, then env: (and GITHUB_ENV), then the runner's variables. */
function processEnvironment(
  leg: LegState,
  github: Parameters<typeof runnerVariables>[0],
  env: Record<string, string>,
): Record<string, string> {
  const run = leg.run;
  const basePath = env.PATH ?? [run.nodeDir, run.hostEnv.PATH ?? '/usr/local/bin:/usr/bin:/bin'].join(':');
  return { ...run.hostEnv, ...env, ...runnerVariables(github, leg.place), PATH: [...leg.paths, basePath].join(':') };
}

async function stepFiles(leg: LegState): Promise<StepFiles> {
  const dir = join(leg.place.runnerTemp, '_runner_file_commands');
  await mkdir(dir, { recursive: true });
  const id = randomUUID();
  const files: StepFiles = {
    output: join(dir, `set_output_${id}`),
    env: join(dir, `set_env_${id}`),
    path: join(dir, `add_path_${id}`),
    summary: join(dir, `step_summary_${id}`),
    state: join(dir, `save_state_${id}`),
  };
  for (const file of Object.values(files)) await writeFile(file, '');
  return files;
}

function minutes(template: StepDef['timeoutMinutes'], scope: Scope, what: string): number | undefined {
  if (template === undefined) return undefined;
  const value =
    template.kind === 'expression'
      ? evaluate(template.expression, scope, template).number()
      : Number(template.kind === 'literal' ? template.value : NaN);
  if (!Number.isFinite(value) || value <= 0)
    throw new UserError(`${scope.file}:${template.line}:${template.column}: ${what} must be a number of minutes above 0`);
  return value;
}

function flag(template: StepDef['continueOnError'], scope: Scope): boolean {
  if (template === undefined) return false;
  if (template.kind === 'literal') return template.value === true || template.value === 'true';
  if (template.kind === 'expression') return truthy(evaluate(template.expression, scope, template));
  return false;
}

interface Execution {
  outcome: Outcome;
  message?: string;
  outputs: Record<string, string>;
}

/** What a finished process means for its step. */
function processOutcome(
  result: StepProcessResult,
  limit: { minutes: number; byJob: boolean } | undefined,
): Execution & { jobTimedOut: boolean } {
  if (result.startError !== undefined)
    return { outcome: 'failure', message: `could not start: ${result.startError}`, outputs: {}, jobTimedOut: false };
  if (result.timedOut && limit) {
    const what = `${limit.byJob ? "the job's " : ''}timeout-minutes ${limit.minutes} (${formatDuration(limit.minutes * MINUTE_MS)})`;
    return {
      outcome: 'failure',
      message: `timed out: stopped when ${what} ran out`,
      outputs: {},
      jobTimedOut: limit.byJob,
    };
  }
  if (result.cancelled) return { outcome: 'cancelled', message: 'cancelled', outputs: {}, jobTimedOut: false };
  if (result.exitCode !== 0)
    return { outcome: 'failure', message: `exit code ${result.exitCode ?? 'none (killed)'}`, outputs: {}, jobTimedOut: false };
  return { outcome: 'success', outputs: {}, jobTimedOut: false };
}

export async function runStep(leg: LegState, step: StepDef): Promise<StepRun> {
  const run = leg.run;
  const started = Date.now();
  const kind = kindOf(step);
  const record: StepRun = {
    index: step.index,
    id: step.id,
    name: defaultName(step),
    kind,
    ...(step.uses === undefined ? {} : { uses: step.uses }),
    outcome: 'skipped',
    conclusion: 'skipped',
    outputs: {},
    summary: '',
    durationMs: 0,
  };
  const where = { job: leg.display, step: `${step.index}` };
  const finish = (execution: Execution, continueOnError: boolean): StepRun => {
    record.outcome = execution.outcome;
    record.conclusion = execution.outcome === 'failure' && continueOnError ? 'success' : execution.outcome;
    // The steps context keeps the values; what is reported is masked, as every line printed is.
    record.outputs = Object.fromEntries(Object.entries(execution.outputs).map(([name, value]) => [name, run.masker.mask(value)]));
    if (execution.message !== undefined) record.message = run.masker.mask(execution.message);
    record.durationMs = Date.now() - started;
    if (record.conclusion === 'failure') leg.failed = true;
    if (step.hasId) leg.steps[step.id] = { outputs: execution.outputs, outcome: record.outcome, conclusion: record.conclusion };
    const tail = record.message === undefined ? '' : `: ${record.message}`;
    const tolerated = record.outcome === 'failure' && record.conclusion === 'success' ? ' (continue-on-error)' : '';
    run.print(
      `  ${record.outcome === 'skipped' ? '-' : record.conclusion === 'success' ? '✓' : '✗'} step ${step.index} ${record.name}: ${record.outcome}${tolerated}${record.outcome === 'skipped' ? '' : ` in ${formatDuration(record.durationMs)}`}${tail}`,
    );
    return record;
  };

  const hashing = (scope: Scope): Scope => ({ ...scope, hashFiles: (patterns) => hashFiles(leg.place.workspace, patterns) });
  try {
    if (step.name) record.name = evaluateString(step.name, legScope(leg), 'name') || record.name;
  } catch {
    // A name that cannot be evaluated yet (it reads a step output not set): the default name serves.
  }
  let go: boolean;
  try {
    go = evaluateCondition(step.if, hashing(legScope(leg)), step);
  } catch (error) {
    return finish({ outcome: 'failure', message: (error as Error).message, outputs: {} }, false);
  }
  if (!go) return finish({ outcome: 'skipped', message: `if: ${step.if}`, outputs: {} }, false);

  let continueOnError = false;
  const header = (): void => run.print(`  ▶ step ${step.index} ${record.name}`);
  try {
    const files = await stepFiles(leg);
    const action =
      step.uses !== undefined && kind === 'action' ? await loadLocalAction(step.uses, run.actionsDir ?? leg.place.workspace) : undefined;
    const github = githubContext(run.info, leg.place, { action: step.id, ...(action ? { actionPath: action.dir } : {}), files });
    const stepEnv = evaluateStringMap(step.env, hashing(legScope(leg, github)), 'env');
    const env = { ...leg.env, ...stepEnv };
    const scope = hashing(legScope(leg, github, env));
    continueOnError = flag(step.continueOnError, scope);
    const stepMinutes = minutes(step.timeoutMinutes, scope, 'timeout-minutes');
    // Once the job has run out of time or the run was cancelled, the steps that still run (if:
    // always(), cancelled()) get their own timeout-minutes, or a clean-up allowance, instead of a
    // deadline already past, and are not stopped by the cancel that let them run.
    const cleaningUp = leg.timedOut || leg.cancelled;
    const remaining = cleaningUp ? CLEAN_UP_MS : leg.deadline - Date.now();
    const limit =
      stepMinutes !== undefined && stepMinutes * MINUTE_MS < remaining
        ? { ms: stepMinutes * MINUTE_MS, minutes: stepMinutes, byJob: false }
        : { ms: remaining, minutes: cleaningUp ? CLEAN_UP_MS / MINUTE_MS : leg.timeoutMinutes, byJob: !cleaningUp };
    const output = stepOutput(run, where);
    const baseEnv = processEnvironment(leg, github, env);
    let execution: Execution & { jobTimedOut?: boolean };

    if (kind === 'stand-in' && step.uses !== undefined) {
      const standIn = standInFor(step.uses);
      const inputs = evaluateStringMap(step.with, scope, 'with');
      header();
      const result = await standIn?.({
        uses: step.uses,
        inputs,
        workspace: leg.place.workspace,
        repositoryDir: run.repositoryDir,
        repository: run.info.repository,
        sha: run.info.event.sha,
        ref: run.info.event.ref,
        env: baseEnv,
        say: (line) => run.print(`    ${line}`),
        exportVariable: (name, value, secret) => {
          if (secret) run.masker.add(value);
          leg.env[name] = value;
        },
        warn: (message) => {
          run.annotations.push({ level: 'warning', message, ...where });
          run.print(`    warning: ${message}`);
        },
      });
      execution = { outcome: 'success', outputs: result?.outputs ?? {} };
    } else {
      let command: string;
      let args: string[];
      let cwd = leg.place.workspace;
      let processEnv = baseEnv;
      if (action !== undefined) {
        const given = evaluateStringMap(step.with, scope, 'with');
        const inputs = actionInputs(action, given, (text) => evaluateEmbedded(text, scope));
        header();
        for (const name of inputs.unexpected) {
          const message = `Unexpected input '${name}', valid inputs are [${Object.keys(action.inputs).join(', ')}]`;
          run.annotations.push({ level: 'warning', message, ...where });
          run.print(`    warning: ${message}`);
        }
        for (const [name, value] of Object.entries(given))
          run.print(`    with ${name}: ${value.includes('\n') ? `${value.split('\n')[0]} …` : value}`);
        if (action.using !== 'node24') run.print(`    (runs.using ${action.using}: run on Node ${process.versions.node} here)`);
        command = process.execPath;
        args = [action.main];
        processEnv = { ...baseEnv, ...inputs.env, GITHUB_ACTION_PATH: action.dir };
      } else {
        const script = evaluateString(step.run ?? { kind: 'literal', value: '', line: 0, column: 0 }, scope, 'run');
        const workingDirectory = step.workingDirectory
          ? evaluateString(step.workingDirectory, scope, 'working-directory')
          : leg.defaults.workingDirectory;
        cwd = resolve(leg.place.workspace, workingDirectory ?? '');
        if (!existsSync(cwd)) throw new UserError(`working-directory ${workingDirectory} does not exist in the workspace (${cwd})`);
        const scriptFile = join(leg.place.runnerTemp, `${randomUUID()}.sh`);
        const shell = shellCommand(step.shell ?? leg.defaults.shell, scriptFile);
        await writeFile(scriptFile, script);
        if (step.name === undefined)
          record.name = `Run ${
            script
              .split('\n')
              .find((line) => line.trim() !== '')
              ?.trim() ?? ''
          }`.trim();
        header();
        printScript(run.print, script);
        command = shell.command;
        args = shell.args;
      }
      const result = await runStepProcess({
        command,
        args,
        cwd,
        env: processEnv,
        onLine: output.line,
        timeoutMs: limit.ms,
        ...(cleaningUp ? {} : { signal: run.signal }),
      });
      if (result.processGroup !== undefined) leg.processGroups.add(result.processGroup);
      if (result.outputHeldOpen) {
        run.print("    note: a background process still holds this step's output; it is stopped when the job ends");
      }
      execution = processOutcome(result, limit);
      if (execution.jobTimedOut) {
        leg.timedOut = true;
        leg.cancelled = true;
      }
    }

    // The file commands, read back whatever the outcome (a failing step's outputs still count).
    const outputs = parseKeyValueFile(await readFile(files.output, 'utf8'), 'GITHUB_OUTPUT');
    const exported = parseKeyValueFile(await readFile(files.env, 'utf8'), 'GITHUB_ENV');
    const problems = [...output.failures, ...outputs.problems, ...exported.problems];
    for (const [name, value] of exported.values) {
      if (name === 'NODE_OPTIONS') problems.push('GITHUB_ENV may not set NODE_OPTIONS (GitHub refuses it)');
      else leg.env[name] = value;
    }
    leg.paths.unshift(...parsePathFile(await readFile(files.path, 'utf8')).reverse());
    const summary = await readFile(files.summary, 'utf8');
    if (summary !== '') {
      record.summary = run.masker.mask(summary);
      leg.summaries.push(record.summary);
    }
    execution.outputs = { ...output.legacyOutputs, ...execution.outputs, ...Object.fromEntries(outputs.values) };
    if (problems.length > 0 && execution.outcome === 'success')
      execution = { ...execution, outcome: 'failure', message: problems.join('; ') };
    return finish(execution, continueOnError);
  } catch (error) {
    // A refusal (a bad input, a missing action) or a failure of git fails the step; anything else is a bug.
    if (!(error instanceof UserError || error instanceof TransientError)) throw error;
    return finish({ outcome: 'failure', message: error.message, outputs: {} }, continueOnError);
  }
}
