// What the tests of the real workflow files share: this repository's .github/workflows/<file> run by
// the local runner (src/workflow) for an event on a configs repository (a bare git repository, as
// GitHub holds it), with the repository's own actions (actionsDir), the GitHub simulator serving
// the API calls, and a clone to push changes from as a person would.
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type JobRun, type RunWorkflowOptions, runWorkflow, type WorkflowRun } from '../../src/workflow/index.js';
import { REPO_ROOT } from '../actions/runner.js';
import type { World } from '../sim/github/support.js';
import { git, ISOLATED_GIT_ENV } from '../support/git.js';
import { tempDir } from '../support/temp.js';

export { REPO_ROOT };

/**
 * The machine environment the steps start from: a PATH, a HOME of their own (ansible, terraform and
 * git keep files there) and git kept from any user config, so nothing of this machine, or of a CI
 * running the tests (its GITHUB_*, a TF_CLI_CONFIG_FILE), changes a result. The locale is the one
 * GitHub's Ubuntu runners set, C.UTF-8: ansible refuses to start under LC_ALL=C.
 */
async function machineEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const { LC_ALL: _english, ...isolatedGit } = ISOLATED_GIT_ENV;
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: await tempDir('lsa-wf-home-'),
    ...isolatedGit,
    LANG: 'C.UTF-8',
    CHECKPOINT_DISABLE: '1',
    ...extra,
  };
}

/** What a test gives the runner besides the file and the event (`onLine: console.log` shows a run as it goes). */
export type WorkflowCall = Partial<Omit<RunWorkflowOptions, 'file' | 'event'>>;

/**
 * Runs .github/workflows/<name> of this repository for `event` on `workspace` (the configs
 * repository), with the actions of this checkout (`uses: ./actions/…` resolves here, so a test runs
 * the bundles as they are in the working tree), in a temporary directory of the test's.
 */
export async function runRepositoryWorkflow(name: string, event: string, call: WorkflowCall): Promise<WorkflowRun> {
  return runWorkflow({
    file: join(REPO_ROOT, '.github', 'workflows', name),
    event,
    actionsDir: REPO_ROOT,
    repository: 'example/cluster-config',
    tempDir: await tempDir('lsa-wf-run-'),
    env: await machineEnv(),
    ...call,
  });
}

/** The one job of a run with this id (a job without a matrix, or a matrix of one). */
export function onlyJob(run: WorkflowRun, id: string): JobRun {
  const found = run.jobs.filter((job) => job.id === id);
  expect(
    found.map((job) => job.name),
    `one run of job ${id} in ${run.jobs.map((job) => job.name).join(', ')}`,
  ).toHaveLength(1);
  return found[0] as JobRun;
}

/** Each step of a job as `name: outcome`, in the order they ran. */
export const stepOutcomes = (job: JobRun): string[] => job.steps.map((step) => `${step.name}: ${step.outcome}`);

/** The error annotations of a run, as `file:line: message` (or the message alone when it has no file). */
export function errorsOf(run: WorkflowRun): string[] {
  return run.annotations
    .filter((annotation) => annotation.level === 'error')
    .map((annotation) => (annotation.file ? `${annotation.file}:${annotation.line}: ${annotation.message}` : annotation.message));
}

/** Every ref of the bare repository with its commit, as `git for-each-ref` lists them. */
export async function refsOf(bare: string): Promise<string> {
  return git(bare, ['for-each-ref', '--format=%(refname) %(objectname)'], { env: { GIT_DIR: bare } });
}

/** A clone of the world's repository on `branch`, to change and push from as a person would. */
export async function cloneOf(world: World, branch = 'main'): Promise<string> {
  const dir = await tempDir('lsa-wf-clone-');
  await git(dir, ['clone', '-q', '-b', branch, world.bare, '.']);
  return dir;
}

/** Copies folders of this repository (infra/ansible, infra/packer…) into a clone, as a fork of it holds them. */
export async function copyFromRepository(clone: string, paths: readonly string[]): Promise<void> {
  for (const path of paths) await cp(join(REPO_ROOT, path), join(clone, path), { recursive: true });
}
