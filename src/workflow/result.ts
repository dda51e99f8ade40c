// What a run returns: every job (one per matrix combination) and step, with outcomes, outputs,
// summaries, the annotations and the log, as plain data.
import type { JsonObject } from './json.js';
import type { Annotation } from './workflow-commands.js';

export type { Annotation } from './workflow-commands.js';

export type Outcome = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface StepRun {
  /** 1-based position in the job. */
  index: number;
  /** `id:`, or the parser's generated id (`__run`, `__actions_checkout`…). */
  id: string;
  name: string;
  kind: 'run' | 'action' | 'stand-in';
  /** `uses:` as written, for action and stand-in steps. */
  uses?: string;
  /** The step's own result; `conclusion` is after continue-on-error. */
  outcome: Outcome;
  conclusion: Outcome;
  outputs: Record<string, string>;
  /** What it wrote to GITHUB_STEP_SUMMARY (masked). */
  summary: string;
  durationMs: number;
  /** Why it failed or was skipped, in a line. */
  message?: string;
}

/** The effective token permissions of a job: scopes (unlisted ones are none), read-all, write-all, or the repository default. */
export type Permissions = Record<string, string> | 'read-all' | 'write-all' | 'default';

export interface Concurrency {
  group: string;
  cancelInProgress: boolean;
}

export interface JobRun {
  id: string;
  /** As GitHub shows it: the job's name, with the matrix values for a matrix job. */
  name: string;
  matrix?: JsonObject;
  /** After continue-on-error (what `needs.<id>.result` reads). */
  result: Outcome;
  outputs: Record<string, string>;
  steps: StepRun[];
  permissions: Permissions;
  concurrency?: Concurrency;
  environment?: string;
  runsOn?: string;
  /** The steps' summaries, joined. */
  summary: string;
  durationMs: number;
  /** GITHUB_WORKSPACE (removed after the run unless kept). */
  workspace: string;
  /** Why it failed, was skipped or was cancelled, in a line. */
  message?: string;
}

export type Conclusion = 'success' | 'failure' | 'cancelled' | 'not-triggered';

export interface WorkflowRun {
  file: string;
  name: string;
  event: string;
  ref: string;
  sha: string;
  repository: string;
  conclusion: Conclusion;
  /** Why the event does not trigger the workflow (conclusion not-triggered). */
  notTriggered?: string;
  concurrency?: Concurrency;
  jobs: JobRun[];
  annotations: Annotation[];
  /** Every line printed, masked. */
  log: string[];
  durationMs: number;
}

/** The runs of job `id` (one per matrix combination; empty when it has none). */
export function jobRuns(run: WorkflowRun, id: string): JobRun[] {
  return run.jobs.filter((job) => job.id === id);
}
