import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { UserError } from '../config/problems.js';

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

/**
 * A thin adapter over the `git` command for one repository. Arguments go to git as an array,
 * never through a shell, so refs and paths from users cannot inject commands.
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

  /** Runs git and returns stdout; a failure becomes a UserError quoting git's own message. */
  async run(args: readonly string[], input?: string): Promise<string> {
    const result = await this.exec(args, input);
    if (result.exitCode !== 0) throw new UserError(`git ${args.join(' ')}: ${result.stderr.trim() || `exit code ${result.exitCode}`}`);
    return result.stdout;
  }

  /** The top directory of the repository holding `cwd`. */
  async root(): Promise<string> {
    return (await this.run(['rev-parse', '--show-toplevel'])).trim();
  }

  /** The full commit id a ref names, or undefined when it names no commit. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-')) return undefined;
    const result = await this.exec(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** Paths of the files under `path` (relative to the repository root) at a commit. */
  async listFiles(commit: string, path: string): Promise<string[]> {
    const out = await this.run(['ls-tree', '-r', '-z', '--name-only', '--full-tree', commit, '--', path]);
    return out.split('\0').filter((p) => p.length > 0);
  }

  /** The bytes of a file at a commit. */
  async readFile(commit: string, path: string): Promise<Buffer> {
    const result = await this.execBytes(['cat-file', 'blob', `${commit}:${path}`]);
    if (result.exitCode !== 0) throw new UserError(`cannot read ${path} at ${commit}: ${result.stderr.trim()}`);
    return result.stdout;
  }

  /**
   * Many objects in one `git cat-file --batch` process, so reading a file at hundreds of commits
   * costs one spawn rather than hundreds. Ids git does not have are left out.
   */
  async readObjects(ids: Iterable<string>): Promise<Map<string, GitObject>> {
    const wanted = [...new Set(ids)];
    const objects = new Map<string, GitObject>();
    if (wanted.length === 0) return objects;
    const result = await this.execBytes(['cat-file', '--batch'], `${wanted.join('\n')}\n`);
    if (result.exitCode !== 0) throw new UserError(`git cat-file --batch: ${result.stderr.trim()}`);
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
   * Runs git with bytes in and out, optionally with extra environment (a commit's author and
   * dates), and does not throw on a non-zero exit: for plumbing such as `merge-base --is-ancestor`
   * or `update-ref` with an old value, the exit code is the answer.
   */
  async call(
    args: readonly string[],
    options: { input?: string | Uint8Array; env?: Readonly<Record<string, string>> } = {},
  ): Promise<ExecResult<Buffer>> {
    const result = await execa('git', args, {
      cwd: this.cwd,
      reject: false,
      encoding: 'buffer',
      env: { ...GIT_ENV, ...this.env, ...options.env },
      maxBuffer: 1024 * 1024 * 1024,
      ...(options.input === undefined ? {} : { input: options.input }),
    });
    this.explainSpawnFailure(result);
    return { exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr).toString() };
  }

  private async exec(args: readonly string[], input?: string): Promise<ExecResult<string>> {
    const result = await execa('git', args, {
      cwd: this.cwd,
      reject: false,
      stripFinalNewline: false,
      env: { ...GIT_ENV, ...this.env },
      ...(input === undefined ? {} : { input }),
    });
    this.explainSpawnFailure(result);
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  }

  private async execBytes(args: readonly string[], input?: string): Promise<ExecResult<Buffer>> {
    const result = await execa('git', args, {
      cwd: this.cwd,
      reject: false,
      encoding: 'buffer',
      env: { ...GIT_ENV, ...this.env },
      maxBuffer: 1024 * 1024 * 1024,
      ...(input === undefined ? {} : { input }),
    });
    this.explainSpawnFailure(result);
    return { exitCode: result.exitCode ?? -1, stdout: Buffer.from(result.stdout), stderr: Buffer.from(result.stderr).toString() };
  }

  /** git could not start at all: Node says ENOENT both for a missing git and a missing directory. */
  private explainSpawnFailure(result: { code?: string; exitCode?: number | undefined }): void {
    if (result.exitCode !== undefined) return;
    if (!existsSync(this.cwd)) throw new UserError(`${this.cwd}: no such directory`);
    if (result.code === 'ENOENT') throw new UserError('git is not installed: run `npm run setup` (or `apt-get install git`)');
    throw new UserError(`git could not be started in ${this.cwd} (${result.code ?? 'unknown error'})`);
  }
}
