import { createHash, randomBytes } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TransientError, UserError } from '../errors.js';
import { type ObjectStore, type PutCondition, type StoredObject, WriteConflictError } from './object-store.js';

/** A key: `/`-separated parts of letters, digits, `.`, `_` and `-`, none of them `.` or `..`. */
const KEY_PART = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/** How long a put waits for another writer of the same key before giving up. */
const LOCK_WAIT_MS = 10_000;
/** A lock older than this was left by a writer that died: no write takes this long. */
const STALE_LOCK_MS = 30_000;

/** The version of some bytes: their sha256, as S3's ETag is the MD5 of an object's bytes. */
function etagOf(body: Uint8Array): string {
  return createHash('sha256').update(body).digest('hex');
}

function isCode(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/**
 * An ObjectStore in a directory of the local file system: for the demo, for local runs of the
 * actions (their `store` input) and for the tests, where no S3 or Azure Blob endpoint is at hand.
 * It honours the conditions as the cloud stores do, between processes too:
 * - `ifNoneMatch: '*'` publishes a fully written temporary file with link(2), which fails when the
 *   key exists: exactly one of several concurrent creators wins, and nobody sees half an object;
 * - `ifMatch` compares and replaces under a per-key lock (a directory made with mkdir(2), which is
 *   atomic), then renames the new bytes into place.
 */
export class DirectoryStore implements ObjectStore {
  readonly location: string;

  constructor(readonly root: string) {
    this.location = `file://${root}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    const path = this.pathOf(key);
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch (error) {
      if (isCode(error, 'ENOENT')) return undefined;
      throw new TransientError(`cannot read ${this.location}/${key}`, { cause: error });
    }
    return { body: new Uint8Array(body), etag: etagOf(body) };
  }

  async put(key: string, body: Uint8Array | string, condition: PutCondition): Promise<string> {
    const path = this.pathOf(key);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    await mkdir(dirname(path), { recursive: true });
    const temporary = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
    await writeFile(temporary, bytes, { flag: 'wx' });
    try {
      if (condition.ifNoneMatch === '*') {
        try {
          await link(temporary, path);
        } catch (error) {
          if (isCode(error, 'EEXIST')) throw new WriteConflictError(this.location, key, condition);
          throw error;
        }
      } else {
        await this.withLock(key, path, async () => {
          if (condition.ifMatch !== undefined && (await this.get(key))?.etag !== condition.ifMatch) {
            throw new WriteConflictError(this.location, key, condition);
          }
          await rename(temporary, path);
        });
      }
    } finally {
      await rm(temporary, { force: true });
    }
    return etagOf(bytes);
  }

  /** The file of a key; a key that could name a file outside the root is refused. */
  private pathOf(key: string): string {
    const parts = key.split('/');
    if (parts.some((part) => !KEY_PART.test(part) || part.includes('.tmp-') || part.endsWith('.lock'))) {
      throw new UserError(
        `${JSON.stringify(key)} is not a key of ${this.location}: use /-separated names of letters, digits, '.', '_' and '-'`,
      );
    }
    return join(this.root, ...parts);
  }

  /** Runs `body` while holding the key's lock, waiting for another writer's to go. */
  private async withLock<T>(key: string, path: string, body: () => Promise<T>): Promise<T> {
    const lock = `${path}.lock`;
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let wait = 5; ; wait = Math.min(wait * 2, 200)) {
      try {
        await mkdir(lock);
        break;
      } catch (error) {
        if (!isCode(error, 'EEXIST')) throw error;
      }
      const since = await stat(lock).then(
        (info) => Date.now() - info.mtimeMs,
        () => 0,
      );
      if (since > STALE_LOCK_MS) {
        await rmdir(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) {
        throw new TransientError(
          `${this.location}/${key} is locked by another writer (${lock}); if none is running, remove that directory and retry`,
        );
      }
      await sleep(wait);
    }
    try {
      return await body();
    } finally {
      await rmdir(lock).catch(() => undefined);
    }
  }
}
