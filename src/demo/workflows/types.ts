/**
 * The seam where the demo's workflow runs plug in. The scenario asks a WorkflowRunner to run one of
 * the repository's workflows on an event, as GitHub would on a pull request, a push to main or a
 * press of "Run workflow", and then checks what the run did through the world (the PRs, the state,
 * the nodes), not through the run's own report. Today the runner is the stand-in (./stand-in.ts),
 * which calls the bundled actions in the workflows' order; once src/workflow's runWorkflow and the
 * workflow files land, a runner over them replaces it, given the same WorkflowEnvironment.
 */
import type { Processes } from '../processes.js';

export type WorkflowFile = 'pr.yml' | 'apply.yml' | 'scale.yml';

/** A branch end of a pull request. */
export interface PullEnd {
  ref: string;
  sha: string;
}

/** The events the demo delivers, with the fields of GitHub's payloads the workflows read. */
export type WorkflowEvent =
  | { name: 'pull_request'; action: 'opened' | 'synchronize'; number: number; base: PullEnd; head: PullEnd }
  | { name: 'push'; ref: string; before: string; after: string }
  | { name: 'workflow_dispatch'; ref: string; inputs: Readonly<Record<string, string>>; actor: string };

export interface StepReport {
  /** The step's name, as the workflow names it (`terraform plan`). */
  name: string;
  status: 'success' | 'failure' | 'skipped';
  durationMs: number;
  /** One line of what it did, for the demo's output. */
  summary: string;
}

export interface WorkflowRun {
  /** The workflow file (or `provision`, the cluster's first terraform run, which is no workflow). */
  workflow: WorkflowFile | 'provision';
  /** The run's id (GITHUB_RUN_ID). */
  id: number;
  ok: boolean;
  steps: StepReport[];
  durationMs: number;
  /** Where the run's logs and job summaries are. */
  logs: string;
  /** The first error of a failed run. */
  error?: string;
}

/**
 * What GitHub and the repository's settings give a run: the same for the stand-in and for a runner
 * of the workflow files (where `vars` are `${{ vars.* }}` and `secrets` `${{ secrets.* }}`).
 */
export interface WorkflowEnvironment {
  /** owner/name */
  repository: string;
  /** GITHUB_API_URL: the GitHub simulator. */
  apiUrl: string;
  /** The bare repository a checkout clones. */
  remote: string;
  /** The actor of pushes and merges (GITHUB_ACTOR). */
  actor: string;
  /** Repository variables (vars.*): what selects the local terraform module, the null packer template, the inventory. */
  vars: Readonly<Record<string, string>>;
  /** Repository secrets (secrets.*): the cloud (here S3) credentials, the kubeconfig, the App token. */
  secrets: Readonly<Record<string, string>>;
  /** Where checkouts, RUNNER_TEMP and the runner's HOME go. */
  runnerDir: string;
  /** Where each run's logs and job summaries go. */
  logDir: string;
  /** PATH for the steps: terraform, packer, ansible-playbook, kubectl, git, node. */
  path: string;
  /** Starts the stand-in's steps (each in a process group the demo's stop ends). */
  processes: Processes;
  /** The demo's stop request (SIGINT, SIGTERM): a runner cancels its run on it. */
  signal: AbortSignal;
}

export interface WorkflowRunner {
  /** How the output names the runner (`stand-in`). */
  readonly label: string;
  run(workflow: WorkflowFile, event: WorkflowEvent): Promise<WorkflowRun>;
}
