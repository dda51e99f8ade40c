import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as core from '@actions/core';
import type { RemoteState } from '../config/index.js';
import { UserError } from '../errors.js';
import { overrideRemoteState } from '../infra/backend.js';
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

/**
 * The cluster's remote state with input `name` layered over it: a JSON object of backend settings
 * for a store other than the one the config names (an S3-compatible server in a local run, say).
 * `state` is undefined when the config has no configuration/remote-state document.
 */
export function remoteStateInput(name: string, state: RemoteState | undefined, file: string): RemoteState | undefined {
  const text = core.getInput(name).trim();
  if (text === '') return state;
  const example = '{"endpoints": {"s3": "http://127.0.0.1:4568", "dynamodb": "http://127.0.0.1:4567"}, "use_path_style": true}';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `input \`${name}\` is not JSON (${(error as Error).message}): give an object of backend settings, for example ${example}`,
    );
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError(`input \`${name}\` must be a JSON object of backend settings, for example ${example}`);
  }
  if (!state) {
    throw new UserError(
      `input \`${name}\`: ${file} has no configuration/remote-state document to override: add one (its backend, bucket or container, and key)`,
    );
  }
  return overrideRemoteState(state, value as Record<string, unknown>, name);
}
