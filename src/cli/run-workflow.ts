import { readFile } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { parseEventPayload, runWorkflow } from '../workflow/index.js';
import type { Io } from './io.js';
import { stopRequested } from './signals.js';

export interface RunWorkflowCommandOptions {
  event: string;
  input: string[];
  eventPath?: string;
  secret: string[];
  var: string[];
  workspace?: string;
  job?: string;
  repository?: string;
  ref?: string;
  sha?: string;
  actor?: string;
  apiUrl?: string;
  actionsFrom?: string;
  runId?: string;
  keep?: boolean;
}

/** `NAME=value` pairs of a repeated option; with `fromEnvironment`, a bare NAME reads the variable NAME. */
export function pairs(values: readonly string[], option: string, fromEnvironment = false): Record<string, string> {
  const result: Record<string, string> = {};
  for (const value of values) {
    const equals = value.indexOf('=');
    const name = equals < 0 ? value : value.slice(0, equals);
    if (name === '') throw new UserError(`${option} ${value}: give NAME=value`);
    if (equals >= 0) {
      result[name] = value.slice(equals + 1);
      continue;
    }
    const fromEnv = process.env[name];
    if (!fromEnvironment) throw new UserError(`${option} ${value}: give NAME=value`);
    if (fromEnv === undefined)
      throw new UserError(`${option} ${name}: the environment variable ${name} is not set (export it, or give ${name}=value)`);
    result[name] = fromEnv;
  }
  return result;
}

/** `run-workflow <file>`: runs the workflow, printing as it goes; a run that does not succeed exits 1. */
export async function runWorkflowCommand(file: string, options: RunWorkflowCommandOptions, io: Io): Promise<void> {
  let eventPayload: Record<string, import('../workflow/index.js').Json> | undefined;
  if (options.eventPath !== undefined) {
    const text = await readFile(options.eventPath, 'utf8').catch(() => {
      throw new UserError(`--event-path ${options.eventPath}: cannot read it`);
    });
    eventPayload = parseEventPayload(text, options.eventPath);
  }
  const cancel = new AbortController();
  const finished = new AbortController();
  void stopRequested(finished.signal).then((reason) => {
    if (reason === 'abort') return;
    io.err(`${reason}: cancelling the run (steps with if: always() or cancelled() still run)`);
    cancel.abort();
  });
  try {
    const run = await runWorkflow({
      file,
      event: options.event,
      ...(eventPayload ? { eventPayload } : {}),
      inputs: pairs(options.input, '--input'),
      secrets: pairs(options.secret, '--secret', true),
      vars: pairs(options.var, '--var'),
      ...(options.workspace ? { workspace: options.workspace } : {}),
      ...(options.job ? { job: options.job } : {}),
      ...(options.repository ? { repository: options.repository } : {}),
      ...(options.ref ? { ref: options.ref } : {}),
      ...(options.sha ? { sha: options.sha } : {}),
      ...(options.actor ? { actor: options.actor } : {}),
      ...(options.apiUrl ? { apiUrl: options.apiUrl } : {}),
      ...(options.actionsFrom ? { actionsDir: options.actionsFrom } : {}),
      ...(options.runId ? { runId: options.runId } : {}),
      keepTemp: options.keep === true,
      onLine: (line) => io.out(line),
      signal: cancel.signal,
    });
    if (run.conclusion === 'not-triggered') throw new UserError(`${file} does not run for this ${run.event} event: ${run.notTriggered}`);
    if (run.conclusion !== 'success') {
      const failed = run.jobs.filter((job) => job.result === 'failure' || job.result === 'cancelled').map((job) => job.name);
      throw new UserError(
        `the run ${run.conclusion === 'cancelled' ? 'was cancelled' : 'failed'}${failed.length > 0 ? `: ${failed.join(', ')}` : ''}`,
      );
    }
  } finally {
    finished.abort();
  }
}
