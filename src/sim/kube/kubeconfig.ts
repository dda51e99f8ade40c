/**
 * A kubeconfig for the simulator: one cluster at `http://127.0.0.1:<port>` (no TLS), one context,
 * and a user without credentials (the simulator does not authenticate).
 *
 * `insecure-skip-tls-verify: true` is there for @kubernetes/client-node 2.x, which refuses an
 * http:// server unless it is set ("HTTP protocol is not allowed when skipTLSVerify is not set");
 * kubectl ignores it for http.
 *
 * `writeKubeconfig` puts it in a file the way a credential file is written: never over a file that
 * is there unless asked (`--force`), mode 0600, atomically, and only in a folder that exists.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, link, lstat, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import YAML from 'yaml';
import { fileSystemFailure } from '../../config/fs-errors.js';
import { UserError } from '../../errors.js';

export function kubeconfigYaml(server: string, name: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
    users: [{ name: `${name}-admin`, user: {} }],
  };
  return YAML.stringify(config);
}

/** The message for a kubeconfig path that exists, so the pre-check and the write say the same. */
function existsMessage(path: string): string {
  return `--kubeconfig ${path}: the file already exists (a kubeconfig may hold other clusters' contexts and credentials): nothing was written; choose another file, or give --force to replace it`;
}

/**
 * Checks, before the server starts, that a kubeconfig can go to `path`: its folder exists (it is
 * never created), the path is not a folder, and without `overwrite` nothing is there yet.
 */
export async function checkKubeconfigPath(path: string, overwrite: boolean): Promise<void> {
  const folder = dirname(resolve(path));
  const info = await stat(folder).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new UserError(`--kubeconfig ${path}: the folder ${dirname(path)} does not exist: create it first, or choose another path`);
    }
    throw fileSystemFailure(error, dirname(path));
  });
  if (!info.isDirectory()) throw new UserError(`--kubeconfig ${path}: ${dirname(path)} is not a folder`);
  const existing = await lstat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw fileSystemFailure(error, path);
  });
  if (existing?.isDirectory()) throw new UserError(`--kubeconfig ${path}: is a directory, not a file`);
  if (existing && !overwrite) throw new UserError(existsMessage(path));
}

/**
 * Writes the kubeconfig atomically with mode 0600 (it is a credential file): the text goes to a
 * new temporary file beside `path`, flushed to disk, which then takes the name, so a reader or a
 * crash sees the old file or the whole new one, never half of one. Without `overwrite` the name is
 * taken with link(), which fails when a file appeared there meanwhile; with it, rename() replaces
 * the old file (a new inode: the old mode, owner and hard links do not carry over).
 */
export async function writeKubeconfig(path: string, text: string, overwrite: boolean): Promise<void> {
  await checkKubeconfigPath(path, overwrite);
  const temp = join(dirname(path), `.${basename(path)}.tmp-${randomBytes(6).toString('hex')}`);
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', 0o600);
    await handle.chmod(0o600); // open's mode is filtered by the umask
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    if (overwrite) await rename(temp, path);
    else {
      await link(temp, path).catch((error: NodeJS.ErrnoException) => {
        throw error.code === 'EEXIST' ? new UserError(existsMessage(path)) : error;
      });
    }
  } catch (error) {
    throw fileSystemFailure(error, path);
  } finally {
    await handle?.close().catch(() => undefined);
    // After a rename the temporary name is gone already; after link() both names exist.
    await rm(temp, { force: true });
  }
}
