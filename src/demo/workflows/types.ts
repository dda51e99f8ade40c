/**
 * The seam where the demo's workflow runs plug in. The scenario asks a WorkflowRunner to run one of
 * the repository's workflows on an event, as GitHub would on a pull request, a push to main or a
 * press of "Run workflow", and then checks what the run did through the world (the PRs, the state,
 * the nodes), not through the run's own report. The runner is ./local-runner.ts: the workflow files
 * themselves, on the local workflow runner (src/workflow).
 */

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

export type Outcome = 'success' | 'failure' | 'cancelled' | 'skipped';

export interface StepReport {
  /** The step's name, as the workflow names it (`Terraform plan against the remote state`). */
  name: string;
  status: Outcome;
  durationMs: number;
  /** One line of what it did, from its outputs (or why it failed or was skipped). */
  summary: string;
}

export interface JobReport {
  /** As GitHub shows it (`Apply aws/demo-shop`). */
  name: string;
  result: Outcome;
  durationMs: number;
  steps: StepReport[];
}

export interface WorkflowRun {
  /** The workflow file (or `provision.yml`, the cluster's first terraform run, which is the demo's own). */
  workflow: WorkflowFile | 'provision.yml';
  /** The run's id (GITHUB_RUN_ID). */
  id: number;
  ok: boolean;
  jobs: JobReport[];
  durationMs: number;
  /** Where the run's log and job summaries are. */
  logs: string;
  /** Why a failed run failed, in a line. */
  error?: string;
}

/**
 * What GitHub and the repository's settings give a run: the `vars` and `secrets` contexts, the API
 * the workflows call, the repository a checkout clones.
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
  /** Repository variables (vars.*): what selects the local terraform module, the state servers, the null packer template, the inventory. */
  vars: Readonly<Record<string, string>>;
  /** Repository secrets (secrets.*): the cloud (here S3) credentials, the kubeconfig, the App token. */
  secrets: Readonly<Record<string, string>>;
  /** Where the runs' directories (checkouts, RUNNER_TEMP) and the runner's HOME go. */
  runnerDir: string;
  /** Where each run's log and job summaries go. */
  logDir: string;
  /** PATH for the steps: terraform, packer, ansible-playbook, kubectl, git. */
  path: string;
  /** The demo's stop request (SIGINT, SIGTERM): the running run is cancelled on it. */
  signal: AbortSignal;
}

export interface WorkflowRunner {
  /** How the output names the runner. */
  readonly label: string;
  run(workflow: WorkflowFile, event: WorkflowEvent): Promise<WorkflowRun>;
}
