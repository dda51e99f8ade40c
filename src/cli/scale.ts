import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { type ClusterConfig, clusterId, loadConfigs, setComponentCount, writeFileAtomic } from '../config/index.js';
import { ConfigError, UserError } from '../errors.js';
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

/** The commit message for a count change; the trailer is what `history` reads as the reason. */
export function scaleCommitMessage(cluster: string, component: string, from: number, to: number, reason?: string): string {
  const subject = `Scale ${cluster} ${component} ${from} → ${to}`;
  const trailer = reason?.trim() ? `\n\nAutoscale-Reason: ${reason.trim().replace(/\s*\n\s*/g, ' ')}` : '';
  return `${subject}${trailer}\n`;
}

/** Finds the one cluster a `scale` command means, or says exactly how to name it. */
async function pickCluster(options: ScaleOptions, cwd: string): Promise<ClusterConfig> {
  const result = await loadConfigs([options.file ?? options.configDir], cwd);
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
  const target = await pickCluster(options, cwd);
  const text = await readFile(target.file, 'utf8');
  const edit = setComponentCount(target.file, text, options.component, count);
  const message = scaleCommitMessage(target.name, options.component, edit.from, edit.to, options.reason);
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
  await writeFileAtomic(target.file, edit.text);
  io.out(`${target.file}:${edit.line}: ${target.name} ${options.component} ${edit.from} → ${edit.to}`);
  const nodes = countChangeNodes(target.prefix, target.name, options.component, edit.from, edit.to);
  for (const name of nodes.add) io.out(`  + ${name}`);
  for (const name of nodes.remove) io.out(`  - ${name}`);
  if (options.commit) {
    const { Git } = await import('../git/git.js');
    const git = new Git(cwd);
    await git.run(['commit', '--quiet', '--file', '-', '--', relative(cwd, target.file) || target.file], message);
    const sha = (await git.run(['rev-parse', '--short', 'HEAD'])).trim();
    io.out(`committed ${sha}: ${message.split('\n')[0]}`);
  } else {
    io.out('Commit it (the trailer is what `history` shows as the reason):');
    io.out(`  git commit -F- -- ${target.file} <<'EOF'\n${message}EOF`);
  }
  return result;
}
