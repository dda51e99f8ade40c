import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

// Every temporary directory a test makes is removed: those made with `withTempDir` when its body
// ends, those made with `tempDir` when the test file finishes (test/support/cleanup.ts runs
// `removeTempDirs` after each file, so a failing test leaves nothing behind either).

const made = new Set<string>();

/** A fresh temporary directory, removed when the test file finishes. */
export async function tempDir(prefix = 'lsa-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}

/** Runs `body` with a fresh temporary directory, removed as soon as it returns or throws. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>, prefix = 'lsa-test-'): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Removes every directory `tempDir` made so far. */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
}

/** For a setup file: registers the removal after all tests of the file. */
export function removeTempDirsAfterAll(): void {
  afterAll(removeTempDirs);
}
