// The `github` and `runner` contexts, and the GITHUB_* / RUNNER_* variables every step gets, from
// one description of the run. Pure.
import type { ResolvedEvent } from './event.js';
import type { JsonObject } from './json.js';

/** What is the same for every job of a run. */
export interface RunInfo {
  workflowName: string;
  /** The workflow file relative to the repository (.github/workflows/apply.yml). */
  workflowPath: string;
  repository: string;
  actor: string;
  runId: string;
  runNumber: string;
  runAttempt: string;
  serverUrl: string;
  apiUrl: string;
  graphqlUrl: string;
  /** github.token (secrets.GITHUB_TOKEN). */
  token: string;
  event: ResolvedEvent;
  /** The file holding the event payload (GITHUB_EVENT_PATH). */
  eventPath: string;
}

/** Where a job runs. */
export interface JobPlace {
  id: string;
  workspace: string;
  runnerTemp: string;
  toolCache: string;
}

/** The files a step's commands go to. */
export interface StepFiles {
  output: string;
  env: string;
  path: string;
  summary: string;
  state: string;
}

function refName(ref: string): string {
  return ref.replace(/^refs\/(heads|tags)\//, '').replace(/^refs\/pull\//, '');
}

/** The `github` context of a job (and, with `step`, of one of its steps). */
export function githubContext(run: RunInfo, job: JobPlace, step?: { action: string; actionPath?: string; files: StepFiles }): JsonObject {
  const [owner = ''] = run.repository.split('/');
  const event = run.event;
  const context: JsonObject = {
    action: step?.action ?? '',
    action_path: step?.actionPath ?? '',
    action_repository: '',
    actor: run.actor,
    api_url: run.apiUrl,
    base_ref: event.baseRef ?? '',
    event: event.payload,
    event_name: event.name,
    event_path: run.eventPath,
    graphql_url: run.graphqlUrl,
    head_ref: event.headRef ?? '',
    job: job.id,
    ref: event.ref,
    ref_name: refName(event.ref),
    ref_protected: false,
    ref_type: event.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    repository: run.repository,
    repository_owner: owner,
    retention_days: '90',
    run_attempt: run.runAttempt,
    run_id: run.runId,
    run_number: run.runNumber,
    secret_source: 'Actions',
    server_url: run.serverUrl,
    sha: event.sha,
    token: run.token,
    triggering_actor: run.actor,
    workflow: run.workflowName,
    workflow_ref: `${run.repository}/${run.workflowPath}@${event.ref}`,
    workflow_sha: event.sha,
    workspace: job.workspace,
  };
  if (step) {
    context.env = step.files.env;
    context.output = step.files.output;
    context.path = step.files.path;
    context.step_summary = step.files.summary;
    context.state = step.files.state;
  }
  return context;
}

export function runnerArch(): string {
  return process.arch === 'arm64' ? 'ARM64' : process.arch === 'arm' ? 'ARM' : 'X64';
}

export const RUNNER_NAME = 'lambdastack-autoscaler local runner';

/** The `runner` context. */
export function runnerContext(job: JobPlace): JsonObject {
  return {
    os: 'Linux',
    arch: runnerArch(),
    name: RUNNER_NAME,
    environment: 'self-hosted',
    temp: job.runnerTemp,
    tool_cache: job.toolCache,
    debug: '',
  };
}

/** The variables the runner sets for every step (not GITHUB_TOKEN: as on GitHub, a step gets the token only through an expression). */
export function runnerVariables(github: JsonObject, job: JobPlace): Record<string, string> {
  const text = (key: string): string => {
    const value = github[key];
    return value === undefined || value === null ? '' : String(value);
  };
  const variables: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    RUNNER_OS: 'Linux',
    RUNNER_ARCH: runnerArch(),
    RUNNER_NAME,
    RUNNER_ENVIRONMENT: 'self-hosted',
    RUNNER_TEMP: job.runnerTemp,
    RUNNER_TOOL_CACHE: job.toolCache,
  };
  const fromContext: Array<[string, string]> = [
    ['GITHUB_ACTION', 'action'],
    ['GITHUB_ACTION_PATH', 'action_path'],
    ['GITHUB_ACTION_REPOSITORY', 'action_repository'],
    ['GITHUB_ACTOR', 'actor'],
    ['GITHUB_API_URL', 'api_url'],
    ['GITHUB_BASE_REF', 'base_ref'],
    ['GITHUB_ENV', 'env'],
    ['GITHUB_EVENT_NAME', 'event_name'],
    ['GITHUB_EVENT_PATH', 'event_path'],
    ['GITHUB_GRAPHQL_URL', 'graphql_url'],
    ['GITHUB_HEAD_REF', 'head_ref'],
    ['GITHUB_JOB', 'job'],
    ['GITHUB_OUTPUT', 'output'],
    ['GITHUB_PATH', 'path'],
    ['GITHUB_REF', 'ref'],
    ['GITHUB_REF_NAME', 'ref_name'],
    ['GITHUB_REF_PROTECTED', 'ref_protected'],
    ['GITHUB_REF_TYPE', 'ref_type'],
    ['GITHUB_REPOSITORY', 'repository'],
    ['GITHUB_REPOSITORY_OWNER', 'repository_owner'],
    ['GITHUB_RETENTION_DAYS', 'retention_days'],
    ['GITHUB_RUN_ATTEMPT', 'run_attempt'],
    ['GITHUB_RUN_ID', 'run_id'],
    ['GITHUB_RUN_NUMBER', 'run_number'],
    ['GITHUB_SERVER_URL', 'server_url'],
    ['GITHUB_SHA', 'sha'],
    ['GITHUB_STATE', 'state'],
    ['GITHUB_STEP_SUMMARY', 'step_summary'],
    ['GITHUB_TRIGGERING_ACTOR', 'triggering_actor'],
    ['GITHUB_WORKFLOW', 'workflow'],
    ['GITHUB_WORKFLOW_REF', 'workflow_ref'],
    ['GITHUB_WORKFLOW_SHA', 'workflow_sha'],
    ['GITHUB_WORKSPACE', 'workspace'],
  ];
  for (const [name, key] of fromContext) variables[name] = text(key);
  return variables;
}
