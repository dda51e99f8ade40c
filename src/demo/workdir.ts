/**
 * Where the demo lives: a new temporary directory, or the --workdir the user names (created, or
 * an empty one). Removed at the end unless kept; `removeNow` is for an exit that cannot wait.
 */
import { readdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UserError } from '../errors.js';

export interface Workdir {
  dir: string;
  keep: boolean;
  /** Removes what the demo made: the directory it created, or the contents of the empty one it was given. */
  remove(): Promise<void>;
  removeNow(): void;
}

export async function prepareWorkdir(given: string | undefined, keep: boolean): Promise<Workdir> {
  if (given === undefined) {
    const dir = await mkdtemp(join(tmpdir(), 'lambdastack-autoscaler-demo-'));
    return {
      dir,
      keep,
      remove: () => rm(dir, { recursive: true, force: true }),
      removeNow: () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const dir = resolve(given);
  let existed = true;
  try {
    const entries = await readdir(dir);
    if (entries.length > 0) {
      throw new UserError(`--workdir ${given}: ${dir} is not empty: give a new or empty directory (the demo makes a git repository there)`);
    }
  } catch (error) {
    if (error instanceof UserError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UserError(`--workdir ${given}: ${dir} cannot be used: ${(error as Error).message}`);
    }
    existed = false;
  }
  await mkdir(dir, { recursive: true });
  const contents = async (): Promise<void> => {
    for (const entry of await readdir(dir)) await rm(join(dir, entry), { recursive: true, force: true });
  };
  return {
    dir,
    keep,
    remove: () => (existed ? contents() : rm(dir, { recursive: true, force: true })),
    removeNow: () => {
      if (!existed) rmSync(dir, { recursive: true, force: true });
      else for (const entry of readdirSync(dir)) rmSync(join(dir, entry), { recursive: true, force: true });
    },
  };
}
