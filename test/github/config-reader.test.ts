import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../../src/errors.js';
import { readClusterConfig } from '../../src/github/config-reader.js';
import { awsConfig, call, mainSha, startWorld, type World } from '../sim/github/support.js';
import { FILE, repo, requestLog } from './autoscale-support.js';

// The watcher's config read: the contents API with If-None-Match, so that an unchanged file costs
// a 304 and no rate limit.

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

async function remaining(): Promise<number> {
  const { body } = await call(world.sim, 'GET', '/rate_limit');
  return (body as { resources: { core: { remaining: number } } }).resources.core.remaining;
}

/** Commits files to main through the git data API (a person's push, as far as the reader can tell). */
async function commitToMain(entries: Array<{ path: string; mode?: '100644' | '120000'; content: string | Buffer }>): Promise<string> {
  const { octokit } = world;
  const parent = await mainSha(octokit);
  const { data: parentCommit } = await octokit.git.getCommit({ ...repo, commit_sha: parent });
  const tree = [];
  for (const entry of entries) {
    const bytes = Buffer.isBuffer(entry.content) ? entry.content : Buffer.from(entry.content);
    const { data: blob } = await octokit.git.createBlob({ ...repo, content: bytes.toString('base64'), encoding: 'base64' });
    tree.push({ path: entry.path, mode: entry.mode ?? '100644', type: 'blob' as const, sha: blob.sha });
  }
  const { data: newTree } = await octokit.git.createTree({ ...repo, base_tree: parentCommit.tree.sha, tree });
  const { data: commit } = await octokit.git.createCommit({ ...repo, message: 'Change', tree: newTree.sha, parents: [parent] });
  await octokit.git.updateRef({ ...repo, ref: 'heads/main', sha: commit.sha });
  return commit.sha;
}

describe('readClusterConfig', () => {
  it('reads the text, its blob id and an ETag; with the ETag an unchanged file is a 304 that costs no rate limit', async () => {
    const first = await readClusterConfig(world.octokit, { ...repo, path: FILE });
    expect(first).toMatchObject({ unchanged: false, path: FILE, text: awsConfig(3) });
    if (first.unchanged) throw new Error('unreachable');
    expect(first.sha).toBe(await world.git(['rev-parse', `main:${FILE}`]));
    expect(first.etag).toMatch(/^W\/"/);

    const before = await remaining();
    const log = requestLog(world);
    expect(await readClusterConfig(world.octokit, { ...repo, path: FILE, etag: first.etag })).toEqual({ unchanged: true });
    expect(log().map((r) => r.status)).toEqual([304]);
    expect(await remaining()).toBe(before);
  });

  it('stays unchanged when main moves without touching the file, and reads the new text when it does', async () => {
    const first = await readClusterConfig(world.octokit, { ...repo, path: FILE });
    if (first.unchanged) throw new Error('unreachable');
    await commitToMain([{ path: 'NOTES.md', content: 'notes\n' }]);
    expect(await readClusterConfig(world.octokit, { ...repo, path: FILE, etag: first.etag })).toEqual({ unchanged: true });

    await commitToMain([{ path: FILE, content: awsConfig(4) }]);
    const changed = await readClusterConfig(world.octokit, { ...repo, path: FILE, etag: first.etag });
    expect(changed).toMatchObject({ unchanged: false, text: awsConfig(4) });
    if (changed.unchanged) throw new Error('unreachable');
    expect(changed.etag).not.toBe(first.etag);
  });

  it('reads at a ref when given one', async () => {
    const old = await readClusterConfig(world.octokit, {
      ...repo,
      path: FILE,
      ref: (await world.git(['rev-list', '--max-parents=0', 'main'])).trim(),
    });
    expect(old).toMatchObject({ unchanged: false, text: awsConfig(3) });
  });

  it('refuses a folder, a missing file, a link, and text that is not UTF-8, each naming what to do', async () => {
    await expect(readClusterConfig(world.octokit, { ...repo, path: 'cluster-config' })).rejects.toThrow(
      /cluster-config in example\/cluster-config is a directory: name one cluster config file in it, e.g. cluster-config\/aws.yml/,
    );
    const missing = readClusterConfig(world.octokit, { ...repo, path: 'cluster-config/gone.yml' });
    await expect(missing).rejects.toThrow(UserError);
    await expect(missing).rejects.toThrow(/not found \(404\): check the repository name, the ref/);

    await commitToMain([
      { path: 'cluster-config/link.yml', mode: '120000', content: 'aws.yml' },
      { path: 'cluster-config/latin1.yml', content: Buffer.from('name: caf\xe9\n', 'latin1') },
    ]);
    // GitHub answers a link to a file in the repository with that file; a link it does not follow
    // comes back as a symlink (the simulator answers every link so), which is refused.
    await expect(readClusterConfig(world.octokit, { ...repo, path: 'cluster-config/link.yml' })).rejects.toThrow(
      /is a symlink, not a file: name the config file itself/,
    );
    const latin1 = readClusterConfig(world.octokit, { ...repo, path: 'cluster-config/latin1.yml' });
    await expect(latin1).rejects.toThrow(ConfigError);
    await expect(latin1).rejects.toThrow('cluster-config/latin1.yml:1:1: not UTF-8 text');
  });
});
