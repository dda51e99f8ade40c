import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import { constants } from 'node:fs';
import { access, type FileHandle, link, open, readFile, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../errors.js';
import { fileSystemFailure, onFile } from './fs-errors.js';

export interface WriteOptions {
  /**
   * The content the caller read and edited. When the file holds anything else by the time of the
   * write (another edit, another `scale`), nothing is written: a lost update is refused.
   */
  expected?: string;
  /** How messages name the file (the name the user knows); default `path`. */
  shown?: string;
  /** How long to wait for another writer of the file to finish before refusing. Default 5 s. */
  lockWaitMs?: number;
}

/**
 * Replaces a file's content the way careful editors do.
 * - A link is written through: the file it points to changes, the link stays a link.
 * - A read-only file (no write bit, or not writable by this user) is refused, as editors refuse it.
 * - Owner, group and mode are kept: the new text goes to a temporary file beside the target that
 *   gets the same owner, group and mode, is flushed to disk and renamed over the target, so a
 *   reader (or a crash) sees the old file or the new one, never half of one. Where that cannot
 *   keep them (the group cannot be given away, the file has other hard links, the directory is
 *   not writable), the file is rewritten in place instead, which keeps its inode and so all three.
 * - Two writers of one file never interleave: a lock file beside it (`.<name>.lock`, holding the
 *   writer's pid) makes the second wait its turn or refuse; `expected` then catches edits made by
 *   anything else since the caller read the file.
 */
export async function writeFileAtomic(path: string, text: string, options: WriteOptions = {}): Promise<void> {
  const shown = options.shown ?? path;
  const target = await realpath(path).catch(() => path);
  const info = await stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw fileSystemFailure(error, shown);
  });
  if (info?.isDirectory()) throw new UserError(`${shown}: is a directory, not a file`);
  if (info) await refuseReadOnly(target, info, shown);
  const release = await lock(target, shown, options.lockWaitMs ?? LOCK_WAIT_MS);
  try {
    if (options.expected !== undefined) {
      const now = await onFile(shown, () => readFile(target, 'utf8'));
      if (now !== options.expected) {
        throw new UserError(
          `${shown} was changed by someone else while this command ran (another edit, or another scale): nothing was written; run the command again`,
        );
      }
    }
    if (!info || (await canReplace(target, info))) {
      const replaced = await replaceByRename(target, text, info);
      if (replaced) return;
    }
    await onFile(shown, () => rewriteInPlace(target, text));
  } finally {
    await release();
  }
}

async function refuseReadOnly(target: string, info: Stats, shown: string): Promise<void> {
  if ((info.mode & 0o222) === 0) {
    const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
    throw new UserError(
      `${shown}: the file is read-only (mode ${mode}): nothing was written; make it writable (chmod u+w) if you mean to change it`,
    );
  }
  const writable = await access(target, constants.W_OK).then(
    () => true,
    () => false,
  );
  if (!writable) throw new UserError(`${shown}: permission denied: you may not write this file; nothing was written`);
}

/**
 * Whether a rename can stand in for the file without losing what it is: one name (a rename would
 * split hard links), and an owner and group this process can give the new file.
 */
async function canReplace(target: string, info: Stats): Promise<boolean> {
  if (info.nlink > 1) return false;
  const uid = process.geteuid?.();
  if (uid === 0) return true;
  const groups = process.getgroups?.() ?? [];
  if (info.uid !== uid || !groups.includes(info.gid)) return false;
  // The directory must take a new file; the file itself may be writable while its folder is not.
  return access(dirname(target), constants.W_OK).then(
    () => true,
    () => false,
  );
}

/** Writes beside the target and renames over it; false when the temporary file could not be given the target's owner and group. */
async function replaceByRename(target: string, text: string, info: Stats | undefined): Promise<boolean> {
  const temp = join(dirname(target), `.${basename(target)}.tmp-${randomBytes(6).toString('hex')}`);
  const mode = info ? info.mode & 0o7777 : 0o644;
  let handle: FileHandle | undefined;
  try {
    handle = await open(temp, 'wx', mode);
    await handle.chmod(mode); // open's mode is filtered by the umask; the original mode is not
    if (info) {
      const created = await handle.stat();
      if (created.uid !== info.uid || created.gid !== info.gid) {
        const kept = await handle.chown(info.uid, info.gid).then(
          () => true,
          () => false,
        );
        if (!kept) {
          await handle.close();
          handle = undefined;
          await rm(temp, { force: true });
          return false;
        }
        await handle.chmod(mode); // chown clears set-id bits
      }
    }
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temp, target);
    return true;
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw fileSystemFailure(error, target);
  }
}

/** Rewrites the file's bytes in place: the same inode, so owner, group, mode and hard links stay. */
async function rewriteInPlace(target: string, text: string): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  const handle = await open(target, 'r+');
  try {
    await handle.write(bytes, 0, bytes.length, 0);
    await handle.truncate(bytes.length);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** How long a second writer waits for the first before refusing. */
const LOCK_WAIT_MS = 5_000;

/**
 * Takes `.<name>.lock` beside the file, created exclusively and holding this process's pid. A lock
 * whose process is gone (a crash) is taken over; a live one is waited for, then refused. Where the
 * folder takes no new file, there is no lock: the content check still guards the write.
 */
async function lock(target: string, shown: string, waitMs: number): Promise<() => Promise<void>> {
  const path = join(dirname(target), `.${basename(target)}.lock`);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const taken = await createWithPid(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EACCES' || error.code === 'EPERM' || error.code === 'EROFS') return 'unlockable' as const;
      throw fileSystemFailure(error, shown);
    });
    if (taken === 'unlockable') return async () => {};
    if (taken) return () => rm(path, { force: true });
    const holder = Number(await readFile(path, 'utf8').catch(() => ''));
    if (!isAlive(holder)) {
      await rm(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new UserError(
        `${shown} is being changed by another lambdastack-autoscaler (pid ${holder}): nothing was written; try again when it has finished (or remove ${path} if no such process runs)`,
      );
    }
    await new Promise((done) => setTimeout(done, 20));
  }
}

/**
 * Creates `path` holding this process's pid, or returns false when it exists. The pid is written
 * to a file of this process's own that is then linked into place, so the lock never exists empty:
 * another writer reading it half-made would take it for a dead one's and break in.
 */
async function createWithPid(path: string): Promise<boolean> {
  const own = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await writeFile(own, String(process.pid), { mode: 0o600, flag: 'wx' });
  try {
    await link(own, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(own, { force: true });
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
