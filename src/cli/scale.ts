import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { type ClusterConfig, clusterId, readConfigs, setComponentCount, WorkingTreeSource, writeFileAtomic } from '../config/index.js';
import { ConfigError, UserError } from '../errors.js';
import { scaleCommitMessage } from '../history/commit-message.js';
import { countChangeNodes } from '../plan/index.js';
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

/** Parses a count argument strictly: `3` is a count; `3.5`, `-1`, `three` and `` are refused. */
export function parseCountArgument(raw: string): number {
  if (!/^\d+$/.test(raw.trim())) throw new UserError(`count "${raw}" refused: give a whole number, 0 or more (e.g. 5)`);
  const count = Number(raw.trim());
  if (!Number.isSafeInteger(count)) throw new UserError(`count "${raw}" refused: too large`);
  return count;
}

/** Finds the one cluster a `scale` command means, or says exactly how to name it. */
async function pickCluster(options: ScaleOptions, source: WorkingTreeSource): Promise<ClusterConfig> {
  const result = await readConfigs(source);
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

/** `scale <component> <count>`: edits one count in place (one-line diff), optionally committing it. */
export async function scaleCommand(options: ScaleOptions, io: Io, cwd = process.cwd()): Promise<ScaleResult> {
  const count = parseCountArgument(options.count);
  const source = await WorkingTreeSource.open([options.file ?? options.configDir], cwd);
  const target = await pickCluster(options, source);
  const path = source.absolutePath(target.file);
  const text = await readFile(path, 'utf8');
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
  await writeFileAtomic(path, edit.text);
  io.out(`${target.file}:${edit.line}: ${target.name} ${options.component} ${edit.from} → ${edit.to}`);
  const nodes = countChangeNodes(target.prefix, target.name, options.component, edit.from, edit.to);
  for (const name of nodes.add) io.out(`  + ${name}`);
  for (const name of nodes.remove) io.out(`  - ${name}`);
  if (options.commit) {
    const { Git, GitError } = await import('../git/git.js');
    const git = new Git(source.base);
    try {
      await git.run(['commit', '--quiet', '--file', '-', '--', path], message);
    } catch (error) {
      if (!(error instanceof GitError)) throw error;
      throw new UserError(`${target.file} was changed (${edit.from} → ${edit.to}) but not committed: ${error.message}`, { cause: error });
    }
    const sha = (await git.run(['rev-parse', '--short', 'HEAD'])).trim();
    io.out(`committed ${sha}: ${message.split('\n')[0]}`);
  } else {
    io.out('Commit it (the trailer is what `history` shows as the reason):');
    io.out(`  git commit -F- -- ${relative(cwd, path) || path} <<'EOF'\n${message}EOF`);
  }
  return result;
}
