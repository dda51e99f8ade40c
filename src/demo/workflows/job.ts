/**
 * One job of a stand-in workflow run, as a GitHub runner would give it: a fresh checkout of the
 * event's commit (all history, as actions/checkout with fetch-depth 0), a RUNNER_TEMP of its own,
 * the event payload in GITHUB_EVENT_PATH, and `uses: ./actions/<name>` steps run from the checkout's
 * bundle with their inputs as INPUT_* (defaults from action.yml), their outputs read back from
 * GITHUB_OUTPUT. A failed step skips the steps after it. Each step's output and job summary is kept
 * in the run's log directory.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { Git } from '../../git/git.js';
import { maskSecrets } from '../../watcher/log.js';
import { DEMO_GIT_ENV } from '../repository.js';
import { commandMessages, parseOutputFile } from './output-file.js';
import type { StepReport, WorkflowEnvironment, WorkflowEvent, WorkflowFile, WorkflowRun } from './types.js';

export interface StepResult {
  ok: boolean;
  outputs: Record<string, string>;
  summary: string;
  errors: string[];
}

const SKIPPED: StepResult = { ok: true, outputs: {}, summary: '', errors: [] };

/** What a step's `with:` leaves out comes from its action.yml; `${{ github.token }}` is the only expression a default here uses. */
async function inputDefaults(actionYml: string, token: string): Promise<Record<string, string>> {
  const action = YAML.parse(await readFile(actionYml, 'utf8')) as { inputs?: Record<string, { default?: unknown }> };
  const defaults: Record<string, string> = {};
  for (const [name, input] of Object.entries(action.inputs ?? {})) {
    if (input.default === undefined) continue;
    const value = String(input.default);
    defaults[name] = /^\$\{\{\s*github\.token\s*\}\}$/.test(value) ? token : value;
  }
  return defaults;
}

/** The payload GitHub writes to GITHUB_EVENT_PATH for the event (the fields the workflows and actions read). */
export function eventPayload(event: WorkflowEvent, env: WorkflowEnvironment): Record<string, unknown> {
  const [owner = '', name = ''] = env.repository.split('/');
  const repository = { name, full_name: env.repository, owner: { login: owner }, default_branch: 'main' };
  const sender = { login: event.name === 'workflow_dispatch' ? event.actor : env.actor };
  if (event.name === 'push') return { ref: event.ref, before: event.before, after: event.after, repository, sender };
  if (event.name === 'workflow_dispatch') return { ref: event.ref, inputs: event.inputs, repository, sender };
  return {
    action: event.action,
    number: event.number,
    pull_request: { number: event.number, base: event.base, head: event.head },
    repository,
    sender,
  };
}

/** The commit a run checks out: the push's `after`, the PR's head, the dispatch's branch tip. */
function checkoutRef(event: WorkflowEvent): string {
  if (event.name === 'push') return event.after;
  if (event.name === 'pull_request') return event.head.sha;
  return `origin/${event.ref.replace(/^refs\/heads\//, '')}`;
}

export class Job {
  readonly steps: StepReport[] = [];
  /** The values no log may show: the secrets, and each step's ::add-mask:: values. */
  private readonly masks: Set<string>;
  private failed: string | undefined;
  private readonly started = performance.now();
  private step = 0;

  private constructor(
    /** The workflow file, or what the job stands for (the cluster's first provisioning). */
    readonly workflow: WorkflowFile | 'provision',
    readonly id: number,
    readonly event: WorkflowEvent,
    readonly env: WorkflowEnvironment,
    /** The checkout (GITHUB_WORKSPACE). */
    readonly workspace: string,
    readonly runnerTemp: string,
    readonly logs: string,
    private readonly eventPath: string,
    private readonly sha: string,
  ) {
    this.masks = new Set(Object.values(env.secrets));
  }

  /** Checks out the event's commit and prepares the runner's directories. */
  static async start(workflow: WorkflowFile | 'provision', id: number, event: WorkflowEvent, env: WorkflowEnvironment): Promise<Job> {
    const workspace = join(env.runnerDir, 'work', env.repository.split('/')[1] ?? 'repository');
    const runnerTemp = join(env.runnerDir, 'temp');
    const logs = join(env.logDir, `run-${id}-${workflow.replace(/\.yml$/, '')}`);
    await rm(runnerTemp, { recursive: true, force: true });
    await Promise.all([
      mkdir(runnerTemp, { recursive: true }),
      mkdir(logs, { recursive: true }),
      mkdir(join(env.runnerDir, 'home'), { recursive: true }),
    ]);
    if (!existsSync(join(workspace, '.git'))) {
      await mkdir(workspace, { recursive: true });
      await new Git(workspace, DEMO_GIT_ENV).run(['clone', '--quiet', '--no-checkout', env.remote, '.']);
    }
    const git = new Git(workspace, DEMO_GIT_ENV);
    await git.run(['fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/remotes/origin/*']);
    const sha = (await git.run(['rev-parse', '--verify', `${checkoutRef(event)}^{commit}`])).trim();
    await git.run(['checkout', '--quiet', '--force', '--detach', sha]);
    await git.run(['clean', '-ffdxq']);
    const eventPath = join(env.runnerDir, 'event.json');
    await writeFile(eventPath, JSON.stringify(eventPayload(event, env), null, 2));
    return new Job(workflow, id, event, env, workspace, runnerTemp, logs, eventPath, sha);
  }

  /** Runs `uses: ./actions/<action>` with `inputs` and the step's `env`; skipped after a failure, or when `when` is false. */
  async uses(
    name: string,
    action: string,
    inputs: Record<string, string>,
    options: { env?: Record<string, string>; when?: boolean; describe?: (result: StepResult) => string } = {},
  ): Promise<StepResult> {
    if (this.failed !== undefined || options.when === false) {
      this.steps.push({ name, status: 'skipped', durationMs: 0, summary: this.failed ? 'skipped: an earlier step failed' : 'skipped' });
      return SKIPPED;
    }
    const started = performance.now();
    const n = ++this.step;
    const files = join(this.runnerTemp, `_step-${n}`);
    await mkdir(files, { recursive: true });
    const outputFile = join(files, 'output');
    const summaryFile = join(files, 'summary');
    await Promise.all([writeFile(outputFile, ''), writeFile(summaryFile, '')]);
    const bundle = join(this.workspace, 'actions', action, 'dist', 'index.js');
    const given = {
      ...(await inputDefaults(join(this.workspace, 'actions', action, 'action.yml'), this.env.secrets.GITHUB_TOKEN ?? '')),
      ...inputs,
    };
    const result = await this.env.processes.run(process.execPath, [bundle], {
      cwd: this.workspace,
      env: {
        PATH: this.env.path,
        HOME: join(this.env.runnerDir, 'home'),
        CI: 'true',
        GITHUB_ACTIONS: 'true',
        GITHUB_WORKFLOW: this.workflow,
        GITHUB_RUN_ID: String(this.id),
        GITHUB_RUN_NUMBER: String(this.id),
        GITHUB_JOB: this.workflow.replace(/\.yml$/, ''),
        GITHUB_ACTION: `step-${n}`,
        GITHUB_REPOSITORY: this.env.repository,
        GITHUB_REPOSITORY_OWNER: this.env.repository.split('/')[0] ?? '',
        GITHUB_API_URL: this.env.apiUrl,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_EVENT_NAME: this.event.name,
        GITHUB_EVENT_PATH: this.eventPath,
        GITHUB_SHA: this.sha,
        GITHUB_REF: this.event.name === 'pull_request' ? `refs/pull/${this.event.number}/merge` : this.event.ref,
        GITHUB_ACTOR: this.event.name === 'workflow_dispatch' ? this.event.actor : this.env.actor,
        GITHUB_WORKSPACE: this.workspace,
        GITHUB_OUTPUT: outputFile,
        GITHUB_STEP_SUMMARY: summaryFile,
        RUNNER_TEMP: this.runnerTemp,
        RUNNER_OS: 'Linux',
        // terraform and packer: no calls home.
        CHECKPOINT_DISABLE: '1',
        ...(options.env ?? {}),
        ...Object.fromEntries(Object.entries(given).map(([input, value]) => [`INPUT_${input.replace(/ /g, '_').toUpperCase()}`, value])),
      },
    });
    const outputs = parseOutputFile(await readFile(outputFile, 'utf8'));
    const summary = await readFile(summaryFile, 'utf8');
    // As a runner does: the repository's secrets, and what the step asked to hide, never reach a log.
    for (const value of commandMessages(result.stdout, 'add-mask')) this.masks.add(value);
    const mask = (text: string): string => maskSecrets(text, [...this.masks]);
    const errors = commandMessages(result.stdout, 'error').map(mask);
    const log = join(this.logs, `${String(n).padStart(2, '0')}-${action}`);
    const stdout = result.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    await writeFile(`${log}.log`, mask(`${stdout}${result.stderr ? `\n--- stderr ---\n${result.stderr}` : ''}`));
    if (summary) await writeFile(`${log}.summary.html`, mask(summary));
    const ok = result.exitCode === 0;
    const step: StepResult = { ok, outputs, summary, errors };
    if (!ok) this.failed = `${name}: ${errors[0] ?? `exit code ${result.exitCode}; see ${log}.log`}`;
    this.steps.push({
      name,
      status: ok ? 'success' : 'failure',
      durationMs: performance.now() - started,
      summary: ok ? (options.describe?.(step) ?? '') : (errors[0] ?? `exit code ${result.exitCode}`),
    });
    return step;
  }

  /** A step the stand-in does itself (no action does it yet); skipped after a failure. */
  async own(name: string, body: () => Promise<string>, when = true): Promise<void> {
    if (this.failed !== undefined || !when) {
      this.steps.push({ name, status: 'skipped', durationMs: 0, summary: this.failed ? 'skipped: an earlier step failed' : 'skipped' });
      return;
    }
    const started = performance.now();
    try {
      const summary = await body();
      this.steps.push({ name, status: 'success', durationMs: performance.now() - started, summary });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.failed = `${name}: ${message}`;
      this.steps.push({ name, status: 'failure', durationMs: performance.now() - started, summary: message });
    }
  }

  finish(): WorkflowRun {
    return {
      workflow: this.workflow,
      id: this.id,
      ok: this.failed === undefined,
      steps: this.steps,
      durationMs: performance.now() - this.started,
      logs: this.logs,
      ...(this.failed === undefined ? {} : { error: this.failed }),
    };
  }
}
