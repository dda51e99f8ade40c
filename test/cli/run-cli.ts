import { cp, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa } from 'execa';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(REPO_ROOT, 'bin', 'lambdastack-autoscaler.js');
export const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'cli');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs the built binary (dist/, built by `npm test`'s pretest) as a user would. */
export async function cli(args: string[], cwd: string): Promise<CliResult> {
  const result = await execa(process.execPath, [BIN, ...args], { cwd, reject: false, stripFinalNewline: false, env: { NO_COLOR: '1' } });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa('git', args, {
    cwd,
    env: {
      GIT_AUTHOR_NAME: 'Test User',
      GIT_AUTHOR_EMAIL: 'test@example.com',
      GIT_COMMITTER_NAME: 'Test User',
      GIT_COMMITTER_EMAIL: 'test@example.com',
    },
  });
  return String(result.stdout);
}

/** A fresh git repository holding a copy of the example cluster-config/, committed on main. */
export async function exampleRepo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lsa-cli-'));
  await git(dir, 'init', '--quiet', '--initial-branch=main');
  await git(dir, 'config', 'user.name', 'Test User');
  await git(dir, 'config', 'user.email', 'test@example.com');
  await cp(join(REPO_ROOT, 'cluster-config'), join(dir, 'cluster-config'), { recursive: true });
  await git(dir, 'add', '.');
  await git(dir, 'commit', '--quiet', '-m', 'Add clusters');
  return dir;
}
