import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { tempDir } from './temp.js';

/**
 * Git for tests: the user's global and system config never apply (a `commit.gpgsign`, a hook
 * path or `log.showSignature` on a developer's machine must not change a result), messages are
 * in English, and every author, committer and date is given, so commit ids are the same on every run.
 */
export const ISOLATED_GIT_ENV: Readonly<Record<string, string>> = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
};

export interface Person {
  name: string;
  email: string;
}

export const alice: Person = { name: 'Alice Admin', email: 'alice@example.com' };
export const bob: Person = { name: 'Bob Builder', email: 'bob@example.com' };
export const carol: Person = { name: 'Carol Merger', email: 'carol@example.com' };
export const dana: Person = { name: 'Dana Ops', email: 'dana@example.com' };
export const bot: Person = { name: 'lambdastack-autoscaler[bot]', email: 'autoscaler@example.com' };

export const DEFAULT_DATE = '2026-10-01T00:00:00+00:00';

export interface GitOptions {
  /** Author and committer. Default: alice. */
  who?: Person;
  /** Author and committer date. Default: DEFAULT_DATE. */
  date?: string;
  input?: string;
  /** More environment (GIT_DIR for a bare repository, say). */
  env?: Record<string, string>;
}

/** Runs git in `cwd`, isolated; throws with git's message on failure; returns stdout without the final newline. */
export async function git(cwd: string, args: readonly string[], options: GitOptions = {}): Promise<string> {
  const who = options.who ?? alice;
  const date = options.date ?? DEFAULT_DATE;
  const result = await execa('git', args, {
    cwd,
    env: {
      ...ISOLATED_GIT_ENV,
      GIT_AUTHOR_NAME: who.name,
      GIT_AUTHOR_EMAIL: who.email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: who.name,
      GIT_COMMITTER_EMAIL: who.email,
      GIT_COMMITTER_DATE: date,
      ...options.env,
    },
    ...(options.input === undefined ? {} : { input: options.input }),
  });
  return String(result.stdout);
}

/** A throw-away repository with helpers that read as the story a test tells. */
export class TestRepository {
  constructor(readonly dir: string) {}

  git(args: readonly string[], options: GitOptions = {}): Promise<string> {
    return git(this.dir, args, options);
  }

  /** Writes a file of the work tree, creating its folders. */
  async write(file: string, text: string): Promise<void> {
    await mkdir(dirname(join(this.dir, file)), { recursive: true });
    await writeFile(join(this.dir, file), text);
  }

  /** Writes the files, commits everything in the work tree, and returns the new commit id. */
  async commit(message: string, options: GitOptions & { files?: Record<string, string> } = {}): Promise<string> {
    for (const [file, text] of Object.entries(options.files ?? {})) await this.write(file, text);
    await this.git(['add', '-A']);
    await this.git(['commit', '-q', '--allow-empty', '-m', message], options);
    return this.git(['rev-parse', 'HEAD']);
  }
}

/** A new repository on `main` in a temporary directory (removed when the test file finishes), with the files committed when given. */
export async function newRepository(files?: Record<string, string>, options: GitOptions = {}): Promise<TestRepository> {
  const repository = new TestRepository(await tempDir('lsa-repo-'));
  await repository.git(['init', '-q', '-b', 'main']);
  if (files) await repository.commit('Add cluster configs', { ...options, files });
  return repository;
}
