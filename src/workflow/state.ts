// What a run and one job of it (one matrix combination: a "leg") carry while they run, and the
// expression scope each level sees.
import type { JobPlace, RunInfo } from './contexts.js';
import { githubContext, runnerContext } from './contexts.js';
import type { Scope } from './expressions.js';
import type { Json, JsonObject } from './json.js';
import type { Masker } from './mask.js';
import type { JobDef, WorkflowDef } from './parse.js';
import type { Outcome } from './result.js';
import type { InputValue } from './triggers.js';
import type { Annotation } from './workflow-commands.js';

export interface RunState {
  workflow: WorkflowDef;
  info: RunInfo;
  secrets: Record<string, string>;
  vars: Record<string, string>;
  inputs: Record<string, InputValue>;
  /** `env:` of the workflow, evaluated once. */
  workflowEnv: Record<string, string>;
  masker: Masker;
  annotations: Annotation[];
  /** Prints a line (masked) to the log and the caller's sink. */
  print(line: string): void;
  /** The repository actions/checkout clones. */
  repositoryDir: string;
  /** Where `uses: ./…` is resolved instead of the job's workspace, when given. */
  actionsDir: string | undefined;
  /** The machine's environment steps start from (GITHUB_*, RUNNER_* and INPUT_* of it removed). */
  hostEnv: Record<string, string>;
  /** The directory of the Node running this runner (first on every step's PATH). */
  nodeDir: string;
  /** The run's temporary directory: job workspaces, RUNNER_TEMP, the event file. */
  root: string;
  signal: AbortSignal;
  /** Results of the jobs done so far, for `needs`. */
  needs: Map<string, { result: Outcome; outputs: Record<string, string> }>;
}

export interface LegState {
  run: RunState;
  def: JobDef;
  /** The name shown (with matrix values). */
  display: string;
  place: JobPlace;
  matrix: JsonObject | undefined;
  strategy: JsonObject;
  needs: JsonObject;
  /** env: of the workflow and job, then what GITHUB_ENV set (later wins, as in the runner). */
  env: Record<string, string>;
  /** Directories GITHUB_PATH added, latest first. */
  paths: string[];
  /** The `steps` context. */
  steps: JsonObject;
  failed: boolean;
  cancelled: boolean;
  timedOut: boolean;
  /** The job's timeout-minutes, and when they run out (ms since the epoch). */
  timeoutMinutes: number;
  deadline: number;
  processGroups: Set<number>;
  defaults: { shell?: string; workingDirectory?: string };
  summaries: string[];
}

/** The scope of a workflow-level expression (run-name, env, concurrency). */
export function runScope(run: RunState): Scope {
  return {
    file: run.workflow.file,
    contexts: {
      github: githubContext(run.info, { id: '', workspace: '', runnerTemp: '', toolCache: '' }),
      vars: run.vars,
      secrets: run.secrets,
      inputs: run.inputs as Record<string, Json>,
      env: run.workflowEnv,
    },
  };
}

/** The scope of a job-level expression before the job starts (if:, strategy:). */
export function jobScope(run: RunState, job: JobDef, needs: JsonObject, status: Scope['status']): Scope {
  const place = { id: job.id, workspace: '', runnerTemp: '', toolCache: '' };
  const scope: Scope = {
    file: run.workflow.file,
    contexts: {
      github: githubContext(run.info, place),
      vars: run.vars,
      secrets: run.secrets,
      inputs: run.inputs as Record<string, Json>,
      needs,
      env: run.workflowEnv,
    },
  };
  if (status) scope.status = status;
  return scope;
}

/** The scope of an expression inside a running leg (job settings, steps, outputs). */
export function legScope(leg: LegState, github?: JsonObject, env?: Record<string, string>): Scope {
  const status = {
    success: (): boolean => !leg.failed && !leg.cancelled,
    failure: (): boolean => leg.failed,
    cancelled: (): boolean => leg.cancelled,
  };
  return {
    file: leg.run.workflow.file,
    contexts: {
      github: github ?? githubContext(leg.run.info, leg.place),
      env: env ?? leg.env,
      vars: leg.run.vars,
      secrets: leg.run.secrets,
      inputs: leg.run.inputs as Record<string, Json>,
      needs: leg.needs,
      steps: leg.steps,
      matrix: leg.matrix ?? {},
      strategy: leg.strategy,
      job: { status: leg.cancelled ? 'cancelled' : leg.failed ? 'failure' : 'success', container: {}, services: {} },
      runner: runnerContext(leg.place),
    },
    status,
  };
}
