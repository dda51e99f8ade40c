import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { type JobRun, type RunWorkflowOptions, runWorkflow, type WorkflowRun } from '../../src/workflow/index.js';
import { ISOLATED_GIT_ENV, newRepository, type TestRepository } from '../support/git.js';
import { tempDir } from '../support/temp.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

async function fixtureFiles(dir: string, prefix: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) Object.assign(files, await fixtureFiles(join(dir, entry.name), `${prefix}${entry.name}/`));
    else files[`${prefix}${entry.name}`] = await readFile(join(dir, entry.name), 'utf8');
  }
  return files;
}

/**
 * A repository on main holding the workflow fixture at .github/workflows/<fixture>, the tiny local
 * action at actions/hello, and `files`, in one commit (removed when the test file ends).
 */
export async function workflowRepository(fixture: string, files: Record<string, string> = {}): Promise<TestRepository> {
  const repository = await newRepository();
  await repository.commit('Add the workflow', {
    files: {
      [`.github/workflows/${fixture}`]: await readFile(join(FIXTURES, fixture), 'utf8'),
      ...(await fixtureFiles(join(FIXTURES, 'actions'), 'actions/')),
      ...files,
    },
  });
  return repository;
}

/**
 * The machine environment a test run's steps start from: a PATH, a HOME and git kept from any
 * user config, so nothing of this machine (or of a CI running the tests) changes a result.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...ISOLATED_GIT_ENV, ...extra };
}

/** Runs the fixture's workflow in `repository` (a push to main unless told otherwise). */
export async function run(repository: TestRepository, fixture: string, options: Partial<RunWorkflowOptions> = {}): Promise<WorkflowRun> {
  return runWorkflow({
    file: join(repository.dir, '.github', 'workflows', fixture),
    event: 'push',
    env: testEnv(),
    repository: 'example/cluster-config',
    tempDir: await tempDir('lsa-workflow-test-'),
    ...options,
  });
}

/** The one run of a job (a job without a matrix), by its name. */
export function job(run: WorkflowRun, name: string): JobRun {
  const found = run.jobs.filter((candidate) => candidate.name === name);
  expect(
    found.map((candidate) => candidate.name),
    `job ${name} in ${run.jobs.map((j) => j.name).join(', ')}`,
  ).toEqual([name]);
  return found[0] as JobRun;
}

/** The log lines a step printed (its output, indented four spaces), without the indentation. */
export function printed(run: WorkflowRun): string[] {
  return run.log.filter((line) => line.startsWith('    ')).map((line) => line.slice(4));
}
