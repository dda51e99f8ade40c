import { chmod, cp, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { execa } from 'execa';
import { git as runGit } from '../support/git.js';
import { tempDir } from '../support/temp.js';

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

/**
 * Runs the binary as a user without privileges. As root (CI, containers) permissions do not
 * apply, so a test of "permission denied" runs the CLI as `nobody` through setpriv; otherwise
 * this user already is one.
 */
/**
 * uid 65534 must reach the CLI: a checkout under a private folder (CI clones into `mktemp -d`, mode
 * 0700) gets search permission (o+x, not read) on each such folder above it.
 */
async function letOthersReachTheCli(): Promise<void> {
  for (let dir = dirname(BIN); dir !== dirname(dir); dir = dirname(dir)) {
    const { mode } = await stat(dir);
    if ((mode & 0o001) === 0) await chmod(dir, (mode & 0o7777) | 0o001);
  }
}

export async function cliUnprivileged(args: string[], cwd: string): Promise<CliResult> {
  if (process.geteuid?.() !== 0) return cli(args, cwd);
  await letOthersReachTheCli();
  const result = await execa('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, ...args], {
    cwd,
    reject: false,
    stripFinalNewline: false,
    env: { NO_COLOR: '1' },
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Runs git in `cwd` (isolated from the user's config) and returns its stdout. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  return `${await runGit(cwd, args, { who: { name: 'Test User', email: 'test@example.com' } })}`;
}

/** A fresh git repository holding a copy of the example cluster-config/, committed on main; removed when the test file ends. */
export async function exampleRepo(): Promise<string> {
  const dir = await tempDir('lsa-cli-');
  await git(dir, 'init', '--quiet', '--initial-branch=main');
  await git(dir, 'config', 'user.name', 'Test User');
  await git(dir, 'config', 'user.email', 'test@example.com');
  await cp(join(REPO_ROOT, 'cluster-config'), join(dir, 'cluster-config'), { recursive: true });
  await git(dir, 'add', '.');
  await git(dir, 'commit', '--quiet', '-m', 'Add clusters');
  return dir;
}
