import { relative } from 'node:path';
import {
  type ClusterConfig,
  clusterId,
  type LoadResult,
  MAX_COUNT,
  readConfigFiles,
  setComponentCount,
  WorkingTreeSource,
  writeFileAtomic,
} from '../config/index.js';
import { ConfigError, TransientError, UserError } from '../errors.js';
import type { Git } from '../git/git.js';
import { scaleCommitMessage } from '../history/commit-message.js';
import { countChangeNodes, nodeLines } from '../plan/index.js';
import type { Io } from './io.js';

export interface ScaleOptions {
  component: string;
  count: string;
  file?: string;
  cluster?: string;
  reason?: string;
  commit: boolean;
  configDir: string;
}

export interface ScaleResult {
  file: string;
  cluster: string;
  component: string;
  from: number;
  to: number;
  changed: boolean;
  message: string;
}

/** Parses a count argument strictly: `3` is a count; `3.5`, `-1`, `three`, `` and counts above MAX_COUNT are refused. */
export function parseCountArgument(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new UserError(`count "${raw}" refused: give a whole number, 0 or more (e.g. 5)`);
  const count = Number(raw.trim());
  if (count > MAX_COUNT)
    throw new UserError(`count "${raw}" refused: at most ${MAX_COUNT} (LambdaStack clusters are a few thousand VMs at most)`);
  return count;
}

/** Finds the one cluster a `scale` command means, or says exactly how to name it. */
function pickCluster(options: ScaleOptions, result: LoadResult): ClusterConfig {
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  const where = options.file ?? options.configDir;
  const matches = options.cluster
    ? result.configs.filter((c) => c.name === options.cluster || clusterId(c) === options.cluster)
    : result.configs;
  const listing = result.configs.map((c) => `${c.name} (${c.file})`).join(', ') || 'none';
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) {
    throw new UserError(
      options.cluster ? `no cluster named "${options.cluster}" in ${where} (clusters: ${listing})` : `no cluster config in ${where}`,
    );
  }
  throw new UserError(`${where} holds several clusters (${listing}): choose one with --cluster NAME or --file FILE`);
}

/**
 * `--commit` commits exactly the one-line change: a file git does not track, or one with other
 * uncommitted changes (a bound edited by hand, say), is refused before anything is written, so
 * no unrelated edit is committed under a "Scale …" title.
 */
async function checkCommittable(git: Git, path: string, file: string): Promise<void> {
  const tracked = await git.call(['ls-files', '--error-unmatch', '--', path]);
  if (tracked.exitCode !== 0) {
    if (/not a git repository/i.test(tracked.stderr)) throw new UserError(`${file} is not in a git repository: run without --commit`);
    throw new UserError(`${file} is not tracked by git: add and commit it first, or run without --commit`);
  }
  const changed = await git.call(['diff', '--quiet', 'HEAD', '--', path]);
  if (changed.exitCode === 1) {
    throw new UserError(
      `${file} has uncommitted changes: commit or stash them first (scale --commit commits only its own one-line change), or run without --commit`,
    );
  }
  if (changed.exitCode !== 0) throw new TransientError(`git diff --quiet HEAD -- ${file}: ${changed.stderr.trim()}`);
}

/** A path as a POSIX shell word: quoted unless it is plainly safe. */
export function shellQuote(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** `scale <component> <count>`: edits one count in place (one-line diff), optionally committing it. */
export async function scaleCommand(options: ScaleOptions, io: Io, cwd = process.cwd()): Promise<ScaleResult> {
  const count = parseCountArgument(options.count);
  const source = await WorkingTreeSource.open([options.file ?? options.configDir], cwd);
  // One read: the bytes that are validated are the bytes that are edited, and what the write checks against.
  const files = await source.files();
  const target = pickCluster(options, readConfigFiles(files));
  const path = source.absolutePath(target.file);
  const text = new TextDecoder().decode(files.find((f) => f.path === target.file)?.bytes);
  const edit = setComponentCount(target.file, text, options.component, count);
  const message = scaleCommitMessage({
    cluster: target.name,
    component: options.component,
    from: edit.from,
    to: edit.to,
    reason: options.reason,
  });
  const result: ScaleResult = {
    file: target.file,
    cluster: target.name,
    component: options.component,
    from: edit.from,
    to: edit.to,
    changed: edit.text !== text,
    message,
  };
  if (!result.changed) {
    io.out(`${target.file}: ${target.name} ${options.component} is already ${count}; nothing to change`);
    return result;
  }
  // Everything is computed and checked before the one write.
  const nodes = countChangeNodes(target.prefix, target.name, options.component, edit.from, edit.to);
  // git (and execa with it) loads only when a commit is asked for: a plain edit starts faster.
  const gitModule = options.commit ? await import('../git/git.js') : undefined;
  const git = gitModule ? new gitModule.Git(source.base) : undefined;
  if (git) await checkCommittable(git, path, target.file);
  await writeFileAtomic(path, edit.text, { expected: text, shown: target.file });
  io.out(`${target.file}:${edit.line}: ${target.name} ${options.component} ${edit.from} → ${edit.to}`);
  for (const line of nodeLines(nodes)) io.out(`  ${line}`);
  if (git) {
    try {
      await git.run(['commit', '--quiet', '--file', '-', '--', path], message);
    } catch (error) {
      if (!(gitModule && error instanceof gitModule.GitError)) throw error;
      throw new UserError(`${target.file} was changed (${edit.from} → ${edit.to}) but not committed: ${error.message}`, { cause: error });
    }
    const sha = (await git.run(['rev-parse', '--short', 'HEAD'])).trim();
    io.out(`committed ${sha}: ${message.split('\n')[0]}`);
  } else {
    io.out('Commit it (the trailer is what `history` shows as the reason):');
    io.out(`  git commit -F- -- ${shellQuote(relative(cwd, path) || path)} <<'EOF'\n${message}EOF`);
  }
  return result;
}
