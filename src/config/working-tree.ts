import { open, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserError } from '../errors.js';
import { onFile } from './fs-errors.js';
import { isYamlFile } from './layout.js';
import { MAX_CONFIG_BYTES } from './load.js';
import { type ConfigFile, type ConfigSource, type LoadResult, readConfigs } from './reader.js';

/**
 * The repository holding `dir`: the nearest folder up the tree with a `.git` entry (a folder, or a
 * file in a worktree or submodule), found without running git, so reading configs from disk
 * works where git is not installed. Undefined outside any repository.
 */
export async function findRepositoryRoot(dir: string): Promise<string | undefined> {
  for (let at = resolve(dir); ; at = dirname(at)) {
    if (await exists(join(at, '.git'))) return at;
    if (dirname(at) === at) return undefined;
  }
}

/** Where a command runs: its working directory and the repository around it, if any. */
export interface Workspace {
  cwd: string;
  /** The repository root; undefined outside a repository. */
  root: string | undefined;
}

export async function workspaceOf(cwd: string): Promise<Workspace> {
  const absolute = resolve(cwd);
  return { cwd: absolute, root: await findRepositoryRoot(absolute) };
}

/**
 * The file or directory a user's path means: relative to the working directory when it exists
 * there; otherwise, inside a repository, relative to its root, so `cluster-config` means the
 * repository's folder from any directory of it. Undefined when neither exists.
 */
export async function resolveUserPath(path: string, workspace: Workspace): Promise<string | undefined> {
  const fromCwd = resolve(workspace.cwd, path);
  if (await exists(fromCwd)) return fromCwd;
  if (isAbsolute(path) || workspace.root === undefined) return undefined;
  const fromRoot = resolve(workspace.root, path);
  return (await exists(fromRoot)) ? fromRoot : undefined;
}

/** `path` relative to `base` with `/` separators, or undefined when it is outside `base`. */
export function relativeInside(base: string, path: string): string | undefined {
  const inside = relative(base, path);
  if (inside === '') return '.';
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return undefined;
  return inside.split(sep).join('/');
}

/**
 * Configs on disk: the files and directories a user named. Files are named relative to the
 * repository root whatever the working directory, so `cluster-config/shop.yml` is the same
 * name from the root, from `cluster-config/`, and in git (outside a repository: relative to the
 * working directory; a path outside both keeps the form the user typed, `../other/x.yml`).
 */
export class WorkingTreeSource implements ConfigSource {
  /** The folder every name is relative to: the repository root, or the working directory outside one. */
  readonly base: string;

  constructor(
    readonly paths: readonly string[],
    readonly workspace: Workspace,
  ) {
    this.base = workspace.root ?? workspace.cwd;
  }

  static async open(paths: readonly string[], cwd: string): Promise<WorkingTreeSource> {
    return new WorkingTreeSource(paths, await workspaceOf(cwd));
  }

  /** Where a file this source named is on disk. */
  absolutePath(file: string): string {
    return resolve(this.base, file);
  }

  /** Lists the files without reading them: absolute path and name, each file once. */
  async list(): Promise<Array<{ absolute: string; name: string }>> {
    const listed: Array<{ absolute: string; name: string }> = [];
    const seen = new Set<string>();
    for (const path of this.paths) {
      const target = await resolveUserPath(path, this.workspace);
      if (target === undefined) throw new UserError(`${path}: no such file or directory`);
      for (const absolute of await yamlFilesUnder(target, path)) {
        // The same file named twice (`x.yml ./x.yml`, a link to it) is one file, not a duplicate cluster.
        const real = await onFile(this.nameOf(absolute, path, target), () => realpath(absolute));
        if (seen.has(real)) continue;
        seen.add(real);
        listed.push({ absolute, name: this.nameOf(absolute, path, target) });
      }
    }
    return listed;
  }

  async files(): Promise<ConfigFile[]> {
    const files: ConfigFile[] = [];
    for (const { absolute, name } of await this.list())
      files.push({ path: name, bytes: await onFile(name, () => readAtMost(absolute, MAX_CONFIG_BYTES + 1)) });
    return files;
  }

  private nameOf(file: string, typed: string, target: string): string {
    const inside = relativeInside(this.base, file);
    if (inside !== undefined) return inside;
    const below = relative(target, file);
    return (below === '' ? typed : join(typed, below)).split(sep).join('/');
  }
}

/** The first `limit` bytes of a file: enough to refuse one that is too large without reading it all. */
async function readAtMost(path: string, limit: number): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(limit, (await handle.stat()).size));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The file itself, or every `.yml`/`.yaml` file under a directory (following links to files), sorted. */
async function yamlFilesUnder(target: string, typed: string): Promise<string[]> {
  if (!(await onFile(typed, () => stat(target))).isDirectory()) return [target];
  const entries = await onFile(typed, () => readdir(target, { recursive: true, withFileTypes: true }));
  const files: string[] = [];
  for (const entry of entries) {
    if (!isYamlFile(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    if (
      entry.isFile() ||
      (entry.isSymbolicLink() &&
        (await stat(path).then(
          (s) => s.isFile(),
          () => false,
        )))
    )
      files.push(path);
  }
  return files.sort();
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Loads every cluster under the given files and directories (relative to `cwd`), named as `WorkingTreeSource` names them. */
export async function loadConfigs(paths: readonly string[], cwd: string): Promise<LoadResult> {
  return readConfigs(await WorkingTreeSource.open(paths, cwd));
}
