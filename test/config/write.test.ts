import { execFile } from 'node:child_process';
import { chmod, chown, link, mkdir, readdir, readFile, readlink, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { withTempDir } from '../support/temp.js';

describe('writeFileAtomic', () => {
  it('replaces the content, keeps the file mode, and leaves no temporary file', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      for (const mode of [0o600, 0o640, 0o644, 0o664, 0o755]) {
        await writeFile(path, 'count: 3\n');
        await chmod(path, mode);
        await writeFileAtomic(path, 'count: 4\n');
        expect(await readFile(path, 'utf8')).toBe('count: 4\n');
        expect(((await stat(path)).mode & 0o7777).toString(8)).toBe(mode.toString(8));
      }
      expect(await readdir(dir)).toEqual(['shop.yml']);
    });
  });

  it('writes text byte for byte (CRLF, no final newline, non-ASCII)', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      await writeFile(path, 'old');
      const text = '\uFEFFkind: lambdastack-cluster\r\nowner: Müller — 東京\r\ncount: 4';
      await writeFileAtomic(path, text);
      expect(await readFile(path)).toEqual(Buffer.from(text, 'utf8'));
    });
  });

  it('creates a file that does not exist yet', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'new.yml');
      await writeFileAtomic(path, 'kind: x\n');
      expect(await readFile(path, 'utf8')).toBe('kind: x\n');
      expect(await readdir(dir)).toEqual(['new.yml']);
    });
  });

  it('fails without touching anything when the directory does not exist', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'shop.yml'), 'count: 3\n');
      await expect(writeFileAtomic(join(dir, 'missing', 'shop.yml'), 'count: 4\n')).rejects.toThrow(/no such file or directory/);
      expect(await readdir(dir)).toEqual(['shop.yml']);
      expect(await readFile(join(dir, 'shop.yml'), 'utf8')).toBe('count: 3\n');
    });
  });

  it('fails without touching the file when its "directory" is a file', async () => {
    await withTempDir(async (dir) => {
      const notADir = join(dir, 'shop.yml');
      await writeFile(notADir, 'count: 3\n');
      await expect(writeFileAtomic(join(notADir, 'inner.yml'), 'count: 4\n')).rejects.toThrow(/not a directory/);
      expect(await readdir(dir)).toEqual(['shop.yml']);
      expect(await readFile(notADir, 'utf8')).toBe('count: 3\n');
    });
  });

  it('removes its temporary file when the final rename fails (the target is a directory)', async () => {
    await withTempDir(async (dir) => {
      const target = join(dir, 'shop.yml');
      await mkdir(target);
      await writeFile(join(target, 'keep'), 'inside\n');
      await expect(writeFileAtomic(target, 'count: 4\n')).rejects.toThrow();
      expect(await readdir(dir)).toEqual(['shop.yml']);
      expect(await readdir(target)).toEqual(['keep']);
      expect(await readFile(join(target, 'keep'), 'utf8')).toBe('inside\n');
    });
  });
});

describe('writeFileAtomic keeps what the file is', () => {
  it('writes through a link: the file it points to changes, the link stays a link', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'shared'));
      await writeFile(join(dir, 'shared', 'shop.yml'), 'count: 3\n');
      await symlink(join('shared', 'shop.yml'), join(dir, 'shop.yml'));
      await writeFileAtomic(join(dir, 'shop.yml'), 'count: 4\n');
      expect(await readFile(join(dir, 'shared', 'shop.yml'), 'utf8')).toBe('count: 4\n');
      expect(await readlink(join(dir, 'shop.yml'))).toBe(join('shared', 'shop.yml'));
      expect((await readdir(join(dir, 'shared'))).sort()).toEqual(['shop.yml']);
    });
  });

  it('refuses a read-only file, as editors do, and leaves it as it was', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      await writeFile(path, 'count: 3\n');
      await chmod(path, 0o444);
      const error = await writeFileAtomic(path, 'count: 4\n', { shown: 'cluster-config/shop.yml' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toBe(
        'cluster-config/shop.yml: the file is read-only (mode 0444): nothing was written; make it writable (chmod u+w) if you mean to change it',
      );
      expect(await readFile(path, 'utf8')).toBe('count: 3\n');
    });
  });

  it.runIf(process.geteuid?.() === 0)('keeps the owner and group of a file that belongs to someone else (run as root)', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      await writeFile(path, 'count: 3\n');
      await chown(path, 1234, 5678);
      await chmod(path, 0o664);
      await writeFileAtomic(path, 'count: 4\n');
      const after = await stat(path);
      expect([after.uid, after.gid, (after.mode & 0o7777).toString(8)]).toEqual([1234, 5678, '664']);
      expect(await readFile(path, 'utf8')).toBe('count: 4\n');
    });
  });

  it('keeps hard links together: the file is rewritten in place', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'shop.yml'), 'count: 3\n');
      await link(join(dir, 'shop.yml'), join(dir, 'shop-backup.yml'));
      await writeFileAtomic(join(dir, 'shop.yml'), 'count: 4\n');
      expect(await readFile(join(dir, 'shop-backup.yml'), 'utf8')).toBe('count: 4\n');
      expect((await stat(join(dir, 'shop.yml'))).nlink).toBe(2);
    });
  });
});

describe('writeFileAtomic refuses to lose an update', () => {
  it('writes nothing when the file changed since the caller read it', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      await writeFile(path, 'count: 3\n# max raised by hand\n');
      const error = await writeFileAtomic(path, 'count: 4\n', { expected: 'count: 3\n', shown: 'shop.yml' }).catch((e: unknown) => e);
      expect((error as Error).message).toBe(
        'shop.yml was changed by someone else while this command ran (another edit, or another scale): nothing was written; run the command again',
      );
      expect(await readFile(path, 'utf8')).toBe('count: 3\n# max raised by hand\n');
      expect(await readdir(dir)).toEqual(['shop.yml']);
    });
  });

  it('waits for another writer of the same file, then refuses, naming its pid', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      await writeFile(path, 'count: 3\n');
      // A live process holds the lock: this test's own.
      await writeFile(join(dir, '.shop.yml.lock'), String(process.pid));
      await expect(writeFileAtomic(path, 'count: 4\n', { lockWaitMs: 50, shown: 'shop.yml' })).rejects.toThrow(
        `shop.yml is being changed by another lambdastack-autoscaler (pid ${process.pid}): nothing was written`,
      );
      expect(await readFile(path, 'utf8')).toBe('count: 3\n');
    });
  });

  it('takes over the lock of a writer that is gone, and removes its own', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'shop.yml');
      await writeFile(path, 'count: 3\n');
      const gone = await new Promise<number>((done) => {
        const child = execFile(process.execPath, ['-e', '0']);
        child.on('exit', () => done(child.pid as number));
      });
      await writeFile(join(dir, '.shop.yml.lock'), String(gone));
      await writeFileAtomic(path, 'count: 4\n', { expected: 'count: 3\n' });
      expect(await readFile(path, 'utf8')).toBe('count: 4\n');
      expect(await readdir(dir)).toEqual(['shop.yml']);
    });
  });
});
