import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { TransientError, UserError } from '../errors.js';

/** Git must not stop to ask for credentials, and its messages must be stable for parsing. */
const GIT_ENV = { GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' };

export type GitObjectType = 'commit' | 'tree' | 'blob' | 'tag';

export interface GitObject {
  type: GitObjectType;
  data: Buffer;
}

export interface ExecResult<T> {
  exitCode: number;
  stdout: T;
  stderr: string;
}

export interface CallOptions {
  input?: string | Uint8Array;
  /** Added to this adapter's environment for one call (a commit's author and dates, say). */
  env?: Readonly<Record<string, string>>;
}

/**
 * git ran and failed where success was expected. It is not the user's input that was refused
 * (callers turn the failures they expect, an unknown ref or no repository, into a UserError), so
 * it is reported as "retry later" with git's own message.
 */
export class GitError extends TransientError {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')}: ${stderr.trim() || `exit code ${exitCode}`}`);
    this.name = 'GitError';
  }

  /** git said the directory is not inside a repository. */
  get notARepository(): boolean {
    return /not a git repository/i.test(this.stderr);
  }
}

/**
 * A thin adapter over the `git` command for one repository. Arguments go to git as an array,
 * never through a shell, so refs and paths from users cannot inject commands. Every call goes
 * through `call`, with the same environment.
 */
export class Git {
  /**
   * `env` is added to every call: the GitHub simulator pins `GIT_DIR` to its bare repository so git
   * never falls back to discovering a repository in a parent directory.
   */
  constructor(
    readonly cwd: string,
    private readonly env: Readonly<Record<string, string>> = {},
  ) {}

  /** Runs git and returns stdout as text; a non-zero exit throws a GitError quoting git's message. */
  async run(args: readonly string[], input?: string): Promise<string> {
    const result = await this.call(args, input === undefined ? {} : { input });
    if (result.exitCode !== 0) throw new GitError(args, result.exitCode, result.stderr);
    return result.stdout.toString('utf8');
  }

  /** The top directory of the repository holding `cwd`. */
  async root(): Promise<string> {
    return (await this.run(['rev-parse', '--show-toplevel'])).trim();
  }

  /** The full commit id a ref names, or undefined when it names no commit. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-')) return undefined;
    const result = await this.call(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    return result.exitCode === 0 ? result.stdout.toString().trim() : undefined;
  }

  /** Regular files under `path` (relative to the repository root) at a commit, with their blob ids. */
  async listBlobs(commit: string, path: string): Promise<Array<{ path: string; id: string; mode: string }>> {
    const out = await this.run(['ls-tree', '-r', '-z', '--full-tree', '--end-of-options', commit, '--', path]);
    const files: Array<{ path: string; id: string; mode: string }> = [];
    for (const record of out.split('\0')) {
      // `<mode> SP <type> SP <id> TAB <path>`
      const tab = record.indexOf('\t');
      if (tab < 0) continue;
      const [mode = '', type = '', id = ''] = record.slice(0, tab).split(' ');
      if (type === 'blob') files.push({ path: record.slice(tab + 1), id, mode });
    }
    return files;
  }

  /**
   * Many objects in one `git cat-file --batch` process, so reading a file at hundreds of commits
   * costs one spawn rather than hundreds. Ids git does not have are left out.
   */
  async readObjects(ids: Iterable<string>): Promise<Map<string, GitObject>> {
    const wanted = [...new Set(ids)];
    const objects = new Map<string, GitObject>();
    if (wanted.length === 0) return objects;
    const args = ['cat-file', '--batch'];
    const result = await this.call(args, { input: `${wanted.join('\n')}\n` });
    if (result.exitCode !== 0) throw new GitError(args, result.exitCode, result.stderr);
    const out = result.stdout;
    // Each answer is `<id> <type> <size>\n<bytes>\n`, or `<id> missing\n`.
    let at = 0;
    while (at < out.length) {
      const eol = out.indexOf(0x0a, at);
      if (eol < 0) break;
      const [id, type, size] = out.subarray(at, eol).toString().split(' ');
      at = eol + 1;
      if (id === undefined || type === undefined || size === undefined) continue;
      const length = Number(size);
      objects.set(id, { type: type as GitObjectType, data: out.subarray(at, at + length) });
      at += length + 1;
    }
    return objects;
  }

  /** The bytes of many blobs (see `readObjects`); ids that are not blobs are left out. */
  async readBlobs(ids: Iterable<string>): Promise<Map<string, Buffer>> {
    const blobs = new Map<string, Buffer>();
    for (const [id, object] of await this.readObjects(ids)) if (object.type === 'blob') blobs.set(id, object.data);
    return blobs;
  }

  /**
   * The bytes of blobs a tree or a log named, so every one must exist: a missing one means a
   * damaged or partial clone, and reading on would silently drop a version of a config.
   */
  async readNamedBlobs(ids: Iterable<string>): Promise<Map<string, Buffer>> {
    const wanted = [...new Set(ids)];
    const blobs = await this.readBlobs(wanted);
    const missing = wanted.filter((id) => !blobs.has(id));
    if (missing.length > 0) {
      throw new TransientError(
        `the repository at ${this.cwd} is missing ${missing.length} object(s) it refers to (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}): ` +
          'fetch them again (git fetch --refetch) or check the clone with git fsck',
      );
    }
    return blobs;
  }

  /**
   * Runs git with bytes in and out and does not throw on a non-zero exit: for plumbing such as
   * `merge-base --is-ancestor` or `update-ref` with an old value, the exit code is the answer.
   * It throws only when git cannot run at all.
   */
  async call(args: readonly string[], options: CallOptions = {}): Promise<ExecResult<Buffer>> {
    const result = await execa('git', args, {
      cwd: this.cwd,
      reject: false,
      // Bytes as git wrote them: a blob that ends in "\r" or "\n" is part of the data, not a line end to strip.
      stripFinalNewline: false,
      encoding: 'buffer',
      env: { ...GIT_ENV, ...this.env, ...options.env },
      maxBuffer: 1024 * 1024 * 1024,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    if (result.exitCode === undefined) this.explainSpawnFailure(result);
    return { exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr).toString() };
  }

  /** git could not start at all: Node says ENOENT both for a missing git and a missing directory. */
  private explainSpawnFailure(result: { code?: string; cause?: unknown }): never {
    if (!existsSync(this.cwd)) throw new UserError(`${this.cwd}: no such directory`);
    if (result.code === 'ENOENT') throw new UserError('git is not installed: run `npm run setup` (or `apt-get install git`)');
    throw new TransientError(`git could not be started in ${this.cwd} (${result.code ?? 'unknown error'})`, { cause: result.cause });
  }
}
