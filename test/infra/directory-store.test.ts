import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { DirectoryStore } from '../../src/infra/directory-store.js';
import { WriteConflictError } from '../../src/infra/object-store.js';
import { tempDir } from '../support/temp.js';

const text = (body: Uint8Array | undefined): string | undefined => (body ? new TextDecoder().decode(body) : undefined);

describe('DirectoryStore (an ObjectStore in a local directory, with the conditions of the cloud stores)', () => {
  it('gets nothing for a missing key, and what was put, with the version put returned', async () => {
    const store = new DirectoryStore(await tempDir('lsa-store-'));
    expect(await store.get('images/a.json')).toBeUndefined();

    const etag = await store.put('images/a.json', '{"a":1}', { ifNoneMatch: '*' });
    const got = await store.get('images/a.json');

    expect(text(got?.body)).toBe('{"a":1}');
    expect(got?.etag).toBe(etag);
    expect(store.location).toMatch(/^file:\/\/.*lsa-store-/);
  });

  it('refuses a create-only put over an existing object, and leaves it as it was', async () => {
    const store = new DirectoryStore(await tempDir('lsa-store-'));
    await store.put('k', 'first', { ifNoneMatch: '*' });

    const conflict = await store.put('k', 'second', { ifNoneMatch: '*' }).catch((error: unknown) => error);

    expect(conflict).toBeInstanceOf(WriteConflictError);
    expect(String((conflict as Error).message)).toMatch(/\/k was written by someone else since it was read \(it exists already\)/);
    expect(text((await store.get('k'))?.body)).toBe('first');
  });

  it('replaces only the version named by ifMatch', async () => {
    const store = new DirectoryStore(await tempDir('lsa-store-'));
    const first = await store.put('k', 'first', { ifNoneMatch: '*' });
    const second = await store.put('k', 'second', { ifMatch: first });

    await expect(store.put('k', 'third', { ifMatch: first })).rejects.toBeInstanceOf(WriteConflictError);
    await expect(store.put('missing', 'x', { ifMatch: first })).rejects.toBeInstanceOf(WriteConflictError);
    expect(text((await store.get('k'))?.body)).toBe('second');
    expect((await store.get('k'))?.etag).toBe(second);
    expect(await store.get('missing')).toBeUndefined();
  });

  it('lets exactly one of many concurrent creators win, in this process and across processes', async () => {
    const root = await tempDir('lsa-store-');
    const store = new DirectoryStore(root);
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.put('race', `writer ${i}`, { ifNoneMatch: '*' })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((result) => result.status === 'rejected' && result.reason instanceof WriteConflictError)).toHaveLength(19);

    // Separate processes, each a create-only put of the same key through the built module.
    const module = join(import.meta.dirname, '..', '..', 'dist', 'infra', 'directory-store.js');
    const script = `const { DirectoryStore } = await import(${JSON.stringify(module)});
      try { await new DirectoryStore(process.argv[1]).put('cross', 'pid ' + process.pid, { ifNoneMatch: '*' }); console.log('won'); }
      catch (error) { console.log(error.name); }`;
    const runs = await Promise.all(Array.from({ length: 6 }, () => execa(process.execPath, ['--input-type=module', '-e', script, root])));
    expect(runs.map((run) => String(run.stdout)).sort()).toEqual([
      'WriteConflictError',
      'WriteConflictError',
      'WriteConflictError',
      'WriteConflictError',
      'WriteConflictError',
      'won',
    ]);
    // No temporary files or locks are left behind.
    expect((await readdir(root)).sort()).toEqual(['cross', 'race']);
  });

  it('serialises concurrent ifMatch writers: of several naming the same version, one wins', async () => {
    const store = new DirectoryStore(await tempDir('lsa-store-'));
    const version = await store.put('k', 'v0', { ifNoneMatch: '*' });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => store.put('k', `v${i + 1}`, { ifMatch: version })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses keys that could leave the directory', async () => {
    const store = new DirectoryStore(await tempDir('lsa-store-'));
    for (const key of ['../x', 'a/../../x', '/etc/passwd', '', 'a//b', 'k.lock', 'x.tmp-1']) {
      await expect(store.get(key), key).rejects.toBeInstanceOf(UserError);
    }
  });
});
