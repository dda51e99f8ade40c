// runWorkflow: one run of a workflow file on this machine, as GitHub would run it for an event.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { UserError } from '../errors.js';
import { Git } from '../git/git.js';
import type { RunInfo } from './contexts.js';
import { resolveEvent, SUPPORTED_EVENTS } from './event.js';
import { evaluateString, evaluateStringMap } from './expressions.js';
import { jobOrder, jobWithNeeds } from './graph.js';
import { concurrencyOf, needsEntry, runJob } from './job.js';
import { type JsonObject, stringAt } from './json.js';
import { Masker } from './mask.js';
import { loadWorkflow } from './parse.js';
import { closingLines, formatConcurrency } from './report.js';
import type { Conclusion, JobRun, WorkflowRun } from './result.js';
import { type RunState, runScope } from './state.js';
import { dispatchInputs, needsChangedFiles, notTriggeredBecause } from './triggers.js';
import { unsupportedConstructs } from './unsupported.js';

export interface RunWorkflowOptions {
  /** The workflow file (.github/workflows/apply.yml). */
  file: string;
  /** push, pull_request or workflow_dispatch. */
  event: string;
  /** The event payload (what --event-path holds); what it leaves out is filled from the repository. */
  eventPayload?: JsonObject;
  /** workflow_dispatch inputs, as the form sends them (text). */
  inputs?: Record<string, string>;
  /** The `secrets` context; GITHUB_TOKEN is github.token (default: a made-up token, masked). */
  secrets?: Record<string, string>;
  /** The `vars` context. */
  vars?: Record<string, string>;
  /**
   * The machine's environment, which steps start from (default: process.env). Its GITHUB_*,
   * RUNNER_*, INPUT_* and ACTIONS_* variables are not passed on; GITHUB_REPOSITORY, GITHUB_API_URL,
   * GITHUB_SERVER_URL and GITHUB_ACTOR are read as defaults of the options below.
   */
  env?: Record<string, string | undefined>;
  /** The repository the run is for: actions/checkout clones its commits (default: the git repository holding `file`). */
  workspace?: string;
  /** owner/name (default: GITHUB_REPOSITORY, the payload's repository, else local/<directory name>). */
  repository?: string;
  /** github.ref (default: the event's, else the repository's default branch). */
  ref?: string;
  /** github.sha (default: the commit of the event, else of the ref). */
  sha?: string;
  actor?: string;
  /** GITHUB_API_URL: where the workflow's GitHub API calls go (default: GITHUB_API_URL, else https://api.github.com). */
  apiUrl?: string;
  serverUrl?: string;
  runId?: number | string;
  runNumber?: number | string;
  /** Run only this job and the jobs it needs. */
  job?: string;
  /** Resolve `uses: ./…` here rather than in the job's checkout (a project checkout beside a configs repository). */
  actionsDir?: string;
  /** Where the run's directory (job workspaces, RUNNER_TEMP) is made (default: the system's temporary directory). */
  tempDir?: string;
  /** Keep the run's directory afterwards (default: removed). */
  keepTemp?: boolean;
  /** Each line of progress as it is printed (masked). */
  onLine?: (line: string) => void;
  /** Aborting cancels the run: the step running is stopped, and only `if: always()`/`cancelled()` steps and jobs run on. */
  signal?: AbortSignal;
}

const RESERVED_VARIABLE = /^(GITHUB|RUNNER|INPUT|ACTIONS)_/;

function hostEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((pair): pair is [string, string] => pair[1] !== undefined && !RESERVED_VARIABLE.test(pair[0])),
  );
}

async function repositoryOf(file: string, given: string | undefined): Promise<string> {
  if (given !== undefined) {
    const dir = resolve(given);
    const git = new Git(dir);
    const inside = await git.call(['rev-parse', '--git-dir']).catch(() => undefined);
    if (inside === undefined || inside.exitCode !== 0)
      throw new UserError(`--workspace ${given}: not a git repository (give the repository the workflow runs for)`);
    return dir;
  }
  const git = new Git(dirname(file));
  const result = await git.call(['rev-parse', '--show-toplevel']).catch(() => undefined);
  if (result === undefined || result.exitCode !== 0) {
    throw new UserError(`${file} is not in a git repository: give the repository the workflow runs for with --workspace`);
  }
  return result.stdout.toString().trim();
}

function graphqlUrl(apiUrl: string): string {
  const base = apiUrl.replace(/\/+$/, '');
  return base.endsWith('/api/v3') ? `${base.slice(0, -'/v3'.length)}/graphql` : `${base}/graphql`;
}

function conclusionOf(jobs: readonly JobRun[], cancelled: boolean): Conclusion {
  if (cancelled) return 'cancelled';
  return jobs.some((job) => job.result === 'failure') ? 'failure' : 'success';
}

export async function runWorkflow(options: RunWorkflowOptions): Promise<WorkflowRun> {
  const started = Date.now();
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) throw new UserError(`the workflow runner needs Node 24 (the actions' node24 runtime); this is ${process.version}`);
  if (!(SUPPORTED_EVENTS as readonly string[]).includes(options.event)) {
    throw new UserError(`--event ${options.event}: the local runner runs ${SUPPORTED_EVENTS.join(', ')} events`);
  }
  const file = resolve(options.file);
  const repositoryDir = await repositoryOf(file, options.workspace);
  const workflow = await loadWorkflow(file, options.file);
  const machine = options.env ?? process.env;
  const secrets = { ...options.secrets };
  const token = secrets.GITHUB_TOKEN ?? `ghs_local${randomBytes(16).toString('hex')}`;
  secrets.GITHUB_TOKEN = token;
  const masker = new Masker();
  for (const value of Object.values(secrets)) masker.add(value);

  const log: string[] = [];
  const annotations: WorkflowRun['annotations'] = [];
  const print = (line: string): void => {
    const masked = masker.mask(line);
    log.push(masked);
    options.onLine?.(masked);
  };

  const repository =
    options.repository ??
    machine.GITHUB_REPOSITORY ??
    stringAt(options.eventPayload, 'repository', 'full_name') ??
    `local/${basename(repositoryDir).replace(/\.git$/, '')}`;
  if (!/^[^/\s]+\/[^/\s]+$/.test(repository)) throw new UserError(`--repository ${repository}: give owner/name`);
  const actor = options.actor ?? machine.GITHUB_ACTOR ?? stringAt(options.eventPayload, 'sender', 'login') ?? userInfo().username;
  const apiUrl = (options.apiUrl ?? machine.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
  const serverUrl = (options.serverUrl ?? machine.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '');
  const relativeFile = relative(repositoryDir, file);
  const workflowPath = relativeFile.startsWith('..') ? basename(file) : relativeFile;

  const event = await resolveEvent({
    name: options.event,
    ...(options.eventPayload ? { payload: options.eventPayload } : {}),
    ...(options.ref ? { ref: options.ref } : {}),
    ...(options.sha ? { sha: options.sha } : {}),
    repositoryDir,
    repository,
    actor,
    serverUrl,
    workflowPath,
  });
  const base: Omit<WorkflowRun, 'conclusion' | 'durationMs'> = {
    file: options.file,
    name: workflow.name,
    event: event.name,
    ref: event.ref,
    sha: event.sha,
    repository,
    jobs: [],
    annotations,
    log,
  };
  const title = workflow.name === options.file ? options.file : `${workflow.name} (${options.file})`;
  print(`workflow ${title} on ${event.name} to ${event.ref} at ${event.sha.slice(0, 12)}, repository ${repository}`);
  print(`  commits from ${repositoryDir}; GitHub API at ${apiUrl}`);

  const changedFiles = needsChangedFiles(workflow.events, event.name) ? await event.changedFiles() : undefined;
  const notTriggered = notTriggeredBecause(workflow.events, {
    name: event.name,
    ref: event.ref,
    ...(event.baseRef === undefined ? {} : { baseRef: event.baseRef }),
    ...(event.action === undefined ? {} : { action: event.action }),
    ...(changedFiles === undefined ? {} : { changedFiles }),
  });
  if (notTriggered !== undefined) {
    print(`not triggered: ${notTriggered}`);
    return { ...base, conclusion: 'not-triggered', notTriggered, durationMs: Date.now() - started };
  }
  const dispatch = event.name === 'workflow_dispatch' ? dispatchInputs(workflow.events, options.inputs ?? {}) : undefined;
  if (dispatch && options.eventPayload?.inputs === undefined) event.payload.inputs = dispatch.eventInputs;
  if (dispatch === undefined && Object.keys(options.inputs ?? {}).length > 0) {
    throw new UserError(`--input is for workflow_dispatch events; this is a ${event.name} event`);
  }

  const selected = options.job === undefined ? new Set(workflow.jobs.map((job) => job.id)) : jobWithNeeds(workflow.jobs, options.job);
  const unsupported = unsupportedConstructs(workflow, selected);
  if (unsupported.length > 0) {
    throw new UserError(`the workflow uses what the local runner does not run (nothing was run):\n  ${unsupported.join('\n  ')}`);
  }

  const root = await mkdtemp(join(options.tempDir ?? tmpdir(), 'lsa-workflow-'));
  const controller = new AbortController();
  const onAbort = (): void => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const eventPath = join(root, 'event.json');
    await writeFile(eventPath, `${JSON.stringify(event.payload, null, 2)}\n`);
    const info: RunInfo = {
      workflowName: workflow.name,
      workflowPath,
      repository,
      actor,
      runId: String(options.runId ?? Math.floor(started / 1000)),
      runNumber: String(options.runNumber ?? 1),
      runAttempt: '1',
      serverUrl,
      apiUrl,
      graphqlUrl: graphqlUrl(apiUrl),
      token,
      event,
      eventPath,
    };
    const run: RunState = {
      workflow,
      info,
      secrets,
      vars: { ...options.vars },
      inputs: dispatch?.inputs ?? {},
      workflowEnv: {},
      masker,
      annotations,
      print,
      repositoryDir,
      actionsDir: options.actionsDir === undefined ? undefined : resolve(options.actionsDir),
      hostEnv: hostEnvironment(machine),
      nodeDir: dirname(process.execPath),
      root,
      signal: controller.signal,
      needs: new Map(),
    };
    run.workflowEnv = evaluateStringMap(workflow.env, runScope(run), 'env');
    if (workflow.runName) print(`  run-name: ${evaluateString(workflow.runName, runScope(run), 'run-name')}`);
    const concurrency = concurrencyOf(workflow.concurrency, runScope(run));
    if (concurrency) print(`  ${formatConcurrency(concurrency)}`);
    if (options.job !== undefined) print(`  only job ${options.job} and the jobs it needs: ${[...selected].join(', ')}`);

    const jobs: JobRun[] = [];
    for (const id of jobOrder(workflow.jobs)) {
      const job = workflow.jobs.find((candidate) => candidate.id === id);
      if (!job || !selected.has(id)) continue;
      const runs = await runJob(run, job);
      jobs.push(...runs);
      run.needs.set(id, needsEntry(runs));
    }
    const result: WorkflowRun = {
      ...base,
      jobs,
      conclusion: conclusionOf(jobs, controller.signal.aborted),
      ...(concurrency ? { concurrency } : {}),
      durationMs: Date.now() - started,
    };
    for (const line of closingLines(result)) print(line);
    if (options.keepTemp) print(`kept the run's directory: ${root}`);
    return result;
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    if (!options.keepTemp) await rm(root, { recursive: true, force: true });
  }
}
