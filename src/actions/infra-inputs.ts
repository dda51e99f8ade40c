import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import { UserError } from '../errors.js';
import { type ClusterFile, readClusterFile } from '../infra/worker-settings.js';
import { workspacePath } from './inputs.js';

/** Inputs the infra actions (packer, ansible) share. */

/** The values of a list input: one per line or comma-separated, trimmed, empty ones dropped. */
export function listInput(name: string): string[] {
  return core
    .getInput(name)
    .split(/[\n,]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/** A whole-number input within [min, max], or `fallback` when it is empty. */
export function integerInput(name: string, fallback: number, min: number, max: number): number {
  const given = core.getInput(name);
  if (given === '') return fallback;
  const value = Number(given);
  if (!/^\d+$/.test(given) || value < min || value > max) {
    throw new UserError(
      `input \`${name}\` is ${JSON.stringify(given)}: set it to a whole number from ${min} to ${max} (default ${fallback})`,
    );
  }
  return value;
}

/** The cluster config file named by input `name`: one file of the checkout, read and validated. */
export async function clusterConfigInput(name: string, workspace: string): Promise<ClusterFile> {
  const given = core.getInput(name);
  if (given === '') {
    throw new UserError(
      `input \`${name}\` is empty: set it to the cluster's config file, for example \`${name}: cluster-config/aws-demo.yml\``,
    );
  }
  const path = await workspacePath(name, given, workspace);
  if (!(await stat(join(workspace, path))).isFile()) {
    throw new UserError(`input \`${name}\`: ${given} is a directory: name the one cluster config file this step applies`);
  }
  return readClusterFile(join(workspace, path), path);
}

/**
 * Where a step keeps its temporary files: RUNNER_TEMP on a runner (emptied by the runner after
 * each job), the system's temporary directory elsewhere.
 */
export function runnerTemp(): string {
  return process.env.RUNNER_TEMP || tmpdir();
}
