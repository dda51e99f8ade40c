/**
 * The demo's workflow runs: the repository's own .github/workflows files, as the event's commit
 * holds them, run by the local workflow runner (src/workflow, what `lambdastack-autoscaler
 * run-workflow` runs) with the repository's variables and secrets, the GitHub simulator as the
 * API, and the demo's stop request as the run's cancel. Each job and step is told as it runs; the
 * whole log and the job summaries are kept in <demo>/logs/run-<id>-<workflow>/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Git } from '../../git/git.js';
import { type JsonObject, type WorkflowRun as RunnerRun, runWorkflow } from '../../workflow/index.js';
import { DEMO_GIT_ENV } from '../repository.js';
import { describeStep } from './describe.js';
import type { JobReport, WorkflowEnvironment, WorkflowEvent, WorkflowFile, WorkflowRun, WorkflowRunner } from './types.js';

/** The payload GitHub delivers for the event (what the runner leaves out, it fills from the repository). */
export function eventPayload(event: WorkflowEvent, env: WorkflowEnvironment): JsonObject {
  const [owner = '', name = ''] = env.repository.split('/');
  // apply.yml's plan job runs only on the default branch, which it reads from here.
  const repository = { name, full_name: env.repository, owner: { login: owner }, default_branch: 'main' };
  if (event.name === 'push') {
    return { ref: event.ref, before: event.before, after: event.after, repository, sender: { login: env.actor } };
  }
  if (event.name === 'workflow_dispatch') return { ref: event.ref, repository, sender: { login: event.actor } };
  return {
    action: event.action,
    number: event.number,
    pull_request: { number: event.number, base: { ...event.base }, head: { ...event.head } },
    repository,
    sender: { login: env.actor },
  };
}

/**
 * The environment of the machine the steps run on: a PATH with the tools, a HOME of the runner's,
 * git kept from this user's configuration, the locale GitHub's Ubuntu runners set (ansible refuses
 * to start under C), no calls home from terraform and packer, and no cloud metadata service to
 * wait for. Nothing else of the demo's own environment reaches a step.
 */
function machineEnvironment(env: WorkflowEnvironment): Record<string, string> {
  return {
    PATH: env.path,
    HOME: join(env.runnerDir, 'home'),
    LANG: 'C.UTF-8',
    ...DEMO_GIT_ENV,
    CHECKPOINT_DISABLE: '1',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

const slug = (text: string): string => text.replace(/[^A-Za-z0-9_.-]+/g, '-');

/** The demo's view of a run: each job and step with what it did, and why a failed run failed. */
function reportOf(workflow: WorkflowRun['workflow'], id: number, run: RunnerRun, logs: string): WorkflowRun {
  const jobs: JobReport[] = run.jobs.map((job) => ({
    name: job.name,
    result: job.result,
    durationMs: job.durationMs,
    steps: job.steps.map((step) => ({
      name: step.name,
      status: step.conclusion,
      durationMs: step.durationMs,
      summary: step.conclusion === 'success' ? describeStep(step.uses, step.outputs) : (step.message ?? ''),
    })),
  }));
  const ok = run.conclusion === 'success';
  const failed = run.jobs.find((job) => job.result === 'failure' || job.result === 'cancelled');
  const annotation = run.annotations.find((a) => a.level === 'error');
  const error = ok
    ? undefined
    : (run.notTriggered ?? [failed?.message, annotation?.message].filter(Boolean).join(': ')) ||
      `the run's conclusion is ${run.conclusion}`;
  return { workflow, id, ok, jobs, durationMs: run.durationMs, logs, ...(error === undefined ? {} : { error }) };
}

export class LocalWorkflowRunner implements WorkflowRunner {
  readonly label = 'local workflow runner';
  private runs = 0;

  /** `onLine`: each line of the run as it is printed (masked), for the demo to show. */
  constructor(
    private readonly env: WorkflowEnvironment,
    private readonly onLine: (line: string) => void,
  ) {}

  /** Runs .github/workflows/<workflow> as the event's commit has it, as GitHub does. */
  async run(workflow: WorkflowFile, event: WorkflowEvent): Promise<WorkflowRun> {
    const id = ++this.runs;
    // GIT_DIR: the bare repository is inside the workdir's clone, which git must not find instead.
    const git = new Git(this.env.remote, { ...DEMO_GIT_ENV, GIT_DIR: this.env.remote });
    const commit = await this.eventCommit(git, event);
    const dir = join(this.env.runnerDir, 'workflows', `run-${id}`);
    await mkdir(dir, { recursive: true });
    const file = join(dir, workflow);
    await writeFile(file, await git.run(['show', `${commit}:.github/workflows/${workflow}`]));
    return this.runFile(id, workflow, file, event);
  }

  /** Runs a workflow file of the demo's own (not in the repository) on a workflow_dispatch. */
  async runOwn(name: 'provision.yml', text: string, event: WorkflowEvent & { name: 'workflow_dispatch' }): Promise<WorkflowRun> {
    const id = ++this.runs;
    const dir = join(this.env.runnerDir, 'workflows', `run-${id}`);
    await mkdir(dir, { recursive: true });
    const file = join(dir, name);
    await writeFile(file, text);
    return this.runFile(id, name, file, event);
  }

  /** The commit whose workflow file GitHub runs: the push's, the pull request's merge commit, the dispatched branch's tip. */
  private async eventCommit(git: Git, event: WorkflowEvent): Promise<string> {
    if (event.name === 'push') return event.after;
    if (event.name === 'pull_request') return (await git.resolveCommit(`refs/pull/${event.number}/merge`)) ?? event.head.sha;
    return (await git.run(['rev-parse', '--verify', `${event.ref}^{commit}`])).trim();
  }

  private async runFile(id: number, workflow: WorkflowRun['workflow'], file: string, event: WorkflowEvent): Promise<WorkflowRun> {
    const logs = join(this.env.logDir, `run-${id}-${workflow.replace(/\.yml$/, '')}`);
    await mkdir(logs, { recursive: true });
    await mkdir(join(this.env.runnerDir, 'home'), { recursive: true });
    const run = await runWorkflow({
      file,
      event: event.name,
      eventPayload: eventPayload(event, this.env),
      ...(event.name === 'workflow_dispatch' ? { inputs: { ...event.inputs }, actor: event.actor, ref: event.ref } : {}),
      secrets: { ...this.env.secrets },
      vars: { ...this.env.vars },
      env: machineEnvironment(this.env),
      workspace: this.env.remote,
      repository: this.env.repository,
      apiUrl: this.env.apiUrl,
      runId: id,
      runNumber: id,
      tempDir: this.env.runnerDir,
      onLine: this.onLine,
      signal: this.env.signal,
    });
    // The lines and summaries come masked from the runner: no secret reaches these files.
    await writeFile(join(logs, 'run.log'), `${run.log.join('\n')}\n`);
    for (const [n, job] of run.jobs.entries()) {
      if (job.summary.trim() !== '') await writeFile(join(logs, `${n + 1}-${slug(job.name)}.summary.md`), job.summary);
    }
    return reportOf(workflow, id, run, logs);
  }
}
