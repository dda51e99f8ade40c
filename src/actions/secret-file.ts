import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs `use` with `content` in a file only this user can read (0600, in a fresh 0700 folder under
 * RUNNER_TEMP), and removes the folder afterwards, whether `use` succeeded or not. For credentials
 * that tools want as files (a kubeconfig, an SSH key): the secret reaches the disk for as long as
 * the step needs it and no longer. Should the step be killed before the removal, the runner empties
 * RUNNER_TEMP at the end of the job anyway.
 */
export async function withSecretFile<T>(content: string, fileName: string, use: (path: string) => Promise<T>): Promise<T> {
  // Outside a runner (a local run), the system's temporary folder.
  const dir = await mkdtemp(join(process.env.RUNNER_TEMP || tmpdir(), 'lsa-secret-'));
  try {
    const path = join(dir, fileName);
    // 'wx': never through a file (or a link) that is there already.
    await writeFile(path, content, { mode: 0o600, flag: 'wx' });
    return await use(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
