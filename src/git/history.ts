import { access } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { DEFAULT_CONFIG_DIR, isYamlFile } from '../config/layout.js';
import { UserError } from '../errors.js';
import { type HistoryEntry, historyEntries } from '../history/entries.js';
import { headsNeedingReasons, logArgs, parseLog, parseReasons, reasonsArgs } from '../history/log.js';
import { parseSince } from '../history/since.js';
import { Git, GitError } from './git.js';
import { isRegularFile } from './modes.js';

// The git side of the scale history: where the repository is, which paths to follow, and the
// two commands whose output the pure code in src/history reads.

export interface ScaleHistoryOptions {
  /** Where to run: any directory inside the repository (or a bare repository). */
  cwd: string;
  /**
   * Files or directories to follow, relative to `cwd` (or absolute); a relative path that only
   * exists relative to the repository root is read that way. Default: the root's `cluster-config/`.
   */
  paths?: string[];
  /**
   * One file to follow (relative like `paths`): the history of the clusters it has held, across
   * moves and renames of the file, and even once it is deleted. The log then walks `paths` (the
   * whole config directory, where the clusters moved) and this file.
   */
  file?: string;
  /** Only commits at or after this date: a form `parseSince` accepts, anything else is refused. */
  since?: string;
  /** The time `since` counts "N units ago" back from. Default: the clock (tests pin it). */
  now?: Date;
  /** The commit to walk back from. Default `HEAD`. */
  ref?: string;
}

const NO_REPOSITORY = 'not a git repository: run history inside a clone of your cluster-config repository';

/**
 * The scale history of the mainline, newest first: one entry per commit that changed a component
 * count. Merged pull requests count once, as their merge commit (diffed against its first
 * parent); the commits of the merged branch are not walked.
 */
export async function scaleHistory(options: ScaleHistoryOptions): Promise<HistoryEntry[]> {
  const since = options.since === undefined ? undefined : parseSince(options.since, options.now ?? new Date());
  const { root, prefix } = await locateRepository(options.cwd);
  const git = new Git(root);
  const commit = await resolveStart(git, options.ref ?? 'HEAD');
  await refuseShallow(git);
  const dirs = options.paths?.length
    ? await Promise.all(options.paths.map((path) => repositoryPath(path, options.cwd, root, prefix)))
    : [`${DEFAULT_CONFIG_DIR}/`];
  const follow = options.file === undefined ? undefined : await repositoryPath(options.file, options.cwd, root, prefix);
  // Following a file by the clusters it held, not by git's similarity-based --follow: a moved
  // config is often edited in the same commit, and a cluster is the same wherever its file is.
  const paths = follow === undefined ? dirs : [...dirs, follow];
  const commits = parseLog(await git.run(logArgs(commit, paths, since)));
  const isConfigFile = (file: string): boolean => isYamlFile(file) || paths.some((path) => posix.normalize(path) === file);
  for (const c of commits) c.changes = c.changes.filter((change) => isConfigFile(change.file));

  // Only regular files are read: a symlink's blob is a path, and a submodule's id is not in this repository.
  const sides = commits.flatMap((c) => c.changes.flatMap((change) => [change.before, change.after]));
  const blobs = await git.readNamedBlobs(
    sides.filter((side) => side !== undefined && isRegularFile(side.mode)).map((side) => side?.id as string),
  );
  const heads = headsNeedingReasons(commits);
  const reasons = heads.length === 0 ? new Map<string, string>() : parseReasons(await git.run(reasonsArgs(), `${heads.join('\n')}\n`));
  return historyEntries(commits, blobs, reasons, follow);
}

async function locateRepository(cwd: string): Promise<{ root: string; prefix: string }> {
  try {
    await access(cwd);
  } catch {
    throw new UserError(`${cwd}: no such directory: run history inside a clone of your cluster-config repository`);
  }
  let out: string;
  try {
    // `--show-cdup` prints nothing in a bare repository, where paths are already root-relative.
    out = await new Git(cwd).run(['rev-parse', '--show-cdup', '--show-prefix']);
  } catch (error) {
    if (error instanceof GitError && error.notARepository) throw new UserError(NO_REPOSITORY);
    throw error;
  }
  const [cdup = '', prefix = ''] = out.split('\n');
  return { root: resolve(cwd, cdup), prefix };
}

/**
 * A shallow clone ends in commits whose parents are missing, and git diffs those against nothing:
 * every cluster would read as added at the depth limit. actions/checkout clones at depth 1 by
 * default, so this is the common case in CI, and a wrong history is worse than none.
 */
async function refuseShallow(git: Git): Promise<void> {
  if ((await git.run(['rev-parse', '--is-shallow-repository'])).trim() !== 'true') return;
  throw new UserError(
    `the repository at ${git.cwd} is a shallow clone: its oldest commits would read as clusters added. ` +
      'Fetch the whole history first: `git fetch --unshallow`, or in GitHub Actions `fetch-depth: 0` on actions/checkout',
  );
}

async function resolveStart(git: Git, ref: string): Promise<string> {
  const commit = await git.resolveCommit(ref);
  if (commit) return commit;
  if ((await git.run(['rev-list', '-n', '1', '--all'])).trim() === '') {
    throw new UserError(`no commits yet in ${git.cwd}: commit your cluster-config first, or run history inside a clone that has them`);
  }
  throw new UserError(`unknown ref ${ref}: give a branch, tag or commit of this repository (\`git branch -a\` lists the branches)`);
}

/** A user's path as git's root-relative form, so the same `--file` works from any directory. */
async function repositoryPath(path: string, cwd: string, root: string, prefix: string): Promise<string> {
  const fromCwd = resolve(cwd, path);
  if (!isAbsolute(path) && !(await exists(fromCwd)) && (await exists(resolve(root, path)))) return posix.normalize(toPosix(path));
  const inRepository = posix.normalize(prefix + toPosix(relative(cwd, fromCwd)));
  if (inRepository === '..' || inRepository.startsWith('../')) {
    throw new UserError(`${path} is outside the repository at ${root}: give a file or directory inside it`);
  }
  return inRepository;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const toPosix = (path: string): string => path.split(sep).join('/');
