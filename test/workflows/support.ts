// What the tests of the real workflow files share: this repository's .github/workflows/<file> run by
// the local runner (src/workflow) for an event on a configs repository (a bare git repository, as
// GitHub holds it), with the repository's own actions (actionsDir), the GitHub simulator serving
// the API calls, and a clone to push changes from as a person would.
import { cp, mkdtemp, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';
import { type JobRun, type RunWorkflowOptions, runWorkflow, type WorkflowRun } from '../../src/workflow/index.js';
import { type World } from '../sim/github/support.js';
import { git, ISOLATED_GIT_ENV } from '../support/git.js';
import { tempDir } from '../support/temp.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** A workflow file of this repository, as the runner is given it. */
export const workflowFile = (name: string): string => join(REPO_ROOT, '.github', 'workflows', name);

/**
 * The machine environment the steps start from: a PATH, a HOME of their own (ansible, terraform and
 * git keep files there) and git kept from any user config, so nothing of this machine, or of a CI
 * running the tests (its GITHUB_*, a TF_CLI_CONFIG_FILE), changes a result.
 */
export async function machineEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: await tempDir('lsa-wf-home-'),
    ...ISOLATED_GIT_ENV,
    CHECKPOINT_DISABLE: '1',
    ...extra,
  };
}

export interface WorkflowCall extends Partial<Omit<RunWorkflowOptions, 'file' | 'event'>> {
  /** The lines printed, as they come (for debugging a failing run: `onLine: console.log`). */
  onLine?: (line: string) => void;
}

/**
 * Runs .github/workflows/<name> of this repository for `event` on `workspace` (the configs
 * repository), with the actions of this checkout (`uses: ./actions/…` resolves here, so a test runs
 * the bundles as they are in the working tree), in a temporary directory of the test's.
 */
export async function runRepositoryWorkflow(name: string, event: string, call: WorkflowCall): Promise<WorkflowRun> {
  return runWorkflow({
    file: workflowFile(name),
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

/** The names in a directory, sorted; [] when it does not exist. */
export async function namesIn(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).sort();
}

/** A fresh empty directory of the test's. */
export const scratchDir = async (prefix: string): Promise<string> => mkdtemp(join(await tempDir(prefix), 'x-'));
