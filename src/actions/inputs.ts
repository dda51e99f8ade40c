import { stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import * as core from '@actions/core';
import { UserError } from '../errors.js';

/**
 * The repository checkout: GITHUB_WORKSPACE on a runner (actions/checkout puts the repository
 * there, and it is the step's working directory), the current directory elsewhere.
 */
export function workspaceDir(): string {
  return resolve(process.env.GITHUB_WORKSPACE || process.cwd());
}

/**
 * A path input naming an existing file or directory of the checkout, returned relative to
 * `workspace` ('.' for the workspace itself). Paths outside the checkout are refused: GitHub can
 * only annotate files of the repository, and a workflow has no business pointing elsewhere.
 */
export async function workspacePathInput(name: string, workspace: string): Promise<string> {
  return workspacePath(name, core.getInput(name), workspace);
}

/** `given`, a path named by input `name`, checked as workspacePathInput checks its input. */
export async function workspacePath(name: string, given: string, workspace: string): Promise<string> {
  if (given === '') {
    throw new UserError(
      `input \`${name}\` is empty: set it to a file or directory of the repository, for example \`${name}: cluster-config\``,
    );
  }
  const absolute = resolve(workspace, given);
  const inside = relative(workspace, absolute);
  if (isAbsolute(inside) || inside === '..' || inside.startsWith(`..${sep}`)) {
    throw new UserError(
      `input \`${name}\`: ${given} is outside the repository checkout ${workspace}: name a path inside it, relative to the repository root (for example \`cluster-config\`)`,
    );
  }
  try {
    await stat(absolute);
  } catch {
    throw new UserError(
      `input \`${name}\`: ${given} does not exist in ${workspace}: check the path (relative to the repository root), and that actions/checkout runs before this step`,
    );
  }
  return inside === '' ? '.' : inside;
}
