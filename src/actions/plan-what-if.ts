// Comment mode's what-if replay (pr.yml): for each cluster whose autoscaling settings the pull
// request changes, its recording under input `recordings` replayed under the settings before and
// after (src/replay/plan-what-if.ts). The config texts come from git at both commits, as the plan
// reads them; the recordings from the checkout's files, so an earlier step may also put them
// there (actions/download-artifact). Problems with a recording are warnings: the check never
// fails for one.
import { isAbsolute, relative, resolve, sep } from 'node:path';
import * as core from '@actions/core';
import { type ClusterConfig, decodeConfigBytes } from '../config/index.js';
import { UserError } from '../errors.js';
import { type Git, GitError } from '../git/git.js';
import { autoscalingChanges, type WhatIf, whatIf } from '../replay/plan-what-if.js';

/**
 * Input `recordings`: the folder of the recordings, relative to the checkout and `/`-separated;
 * undefined when empty (no what-if replay). It may be missing (no recording yet): each cluster
 * then gets a line saying how to make one. Outside the checkout it is refused, as every path input is.
 */
export function recordingsInput(workspace: string): string | undefined {
  const given = core.getInput('recordings').trim();
  if (given === '') return undefined;
  const inside = relative(workspace, resolve(workspace, given));
  if (isAbsolute(inside) || inside === '..' || inside.startsWith(`..${sep}`)) {
    throw new UserError(
      `input \`recordings\`: ${given} is outside the repository checkout ${workspace}: name a folder inside it, relative to the repository root (the default is \`recordings\`), or leave it empty for no what-if replay`,
    );
  }
  return inside === '' ? '.' : inside.split(sep).join('/');
}

/** A config file's text at a commit; the plan has read and validated it already, so failing here is git's fault. */
async function textAt(git: Git, commit: string, config: ClusterConfig): Promise<string> {
  const args = ['cat-file', 'blob', `${commit}:${config.file}`];
  const read = await git.call(args);
  if (read.exitCode !== 0) throw new GitError(args, read.exitCode, read.stderr);
  const text = decodeConfigBytes(config.file, read.stdout);
  if (typeof text !== 'string') throw new Error(`${commit.slice(0, 12)}:${config.file}: ${text.message}`);
  return text;
}

export interface PlanWhatIfOptions {
  git: Git;
  base: string;
  head: string;
  before: readonly ClusterConfig[];
  after: readonly ClusterConfig[];
  workspace: string;
  /** Input `recordings`, as recordingsInput read it. */
  dir: string;
}

/** The what-if sections of the clusters whose autoscaling settings change, each problem reported as a warning at its line. */
export async function planWhatIf(options: PlanWhatIfOptions): Promise<WhatIf[]> {
  const sections: WhatIf[] = [];
  for (const change of autoscalingChanges(options.before, options.after)) {
    const started = performance.now();
    const [beforeText, afterText] = await Promise.all([
      textAt(options.git, options.base, change.before),
      textAt(options.git, options.head, change.after),
    ]);
    const section = await whatIf({
      id: change.id,
      before: { file: change.before.file, text: beforeText },
      after: { file: change.after.file, text: afterText },
      root: options.workspace,
      dir: options.dir,
    });
    if (!section) continue;
    sections.push(section);
    if (section.problem) {
      core.warning(section.problem.message, {
        title: 'What-if replay',
        file: section.problem.file,
        ...(section.problem.line === undefined ? {} : { startLine: section.problem.line }),
      });
    } else {
      core.info(`what-if replay of ${change.id}: ${Math.round(performance.now() - started)} ms`);
    }
  }
  return sections;
}
