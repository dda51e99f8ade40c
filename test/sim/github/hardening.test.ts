import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headerValue } from '../../../src/sim/github/server.js';
import { call, mainSha, OWNER, REPO, startWorld, type World } from './support.js';

// Hostile but small input: each case once made the simulator answer 500 (or wait for minutes)
// where GitHub answers 2xx or 4xx. Every 500 the server answers is collected, and there must be none.

const repo = { owner: OWNER, repo: REPO };
const R = '/repos/example/cluster-config';
let world: World;
const serverErrors: unknown[] = [];

beforeAll(async () => {
  world = await startWorld({ onError: (error) => serverErrors.push(error) });
});

afterAll(async () => {
  await world?.close();
  expect(serverErrors).toEqual([]);
});

describe('user text in response headers', () => {
  it('creates a branch with a non-ASCII name: 201 with a percent-encoded Location that reads the ref back', async () => {
    const sha = await mainSha(world.octokit);
    for (const [branch, encoded] of [
      ['scale/東京', 'scale/%E6%9D%B1%E4%BA%AC'],
      ['autoscale/größe', 'autoscale/gr%C3%B6%C3%9Fe'],
    ] as const) {
      const created = await call(world.sim, 'POST', `${R}/git/refs`, { body: { ref: `refs/heads/${branch}`, sha } });
      expect(created.status).toBe(201);
      const location = `${world.sim.url}${R}/git/refs/heads/${encoded}`;
      expect(created.headers.get('location')).toBe(location);
      expect(created.body).toMatchObject({ ref: `refs/heads/${branch}`, url: location, object: { sha } });
      // The URL names the ref: following it answers the same ref.
      expect((await call(world.sim, 'GET', location.slice(world.sim.url.length))).body).toMatchObject({ ref: `refs/heads/${branch}` });
      expect((await world.octokit.git.getRef({ ...repo, ref: `heads/${branch}` })).data.object.sha).toBe(sha);
      expect(await world.git(['rev-parse', `refs/heads/${branch}`])).toBe(sha);
    }
  });

  it('leads back to a file whose name has #, ?, %, spaces or non-ASCII: url and download_url are percent-encoded', async () => {
    const path = 'notes/plan #2? 100% größe 東京.md';
    const { data } = await world.octokit.repos.createOrUpdateFileContents({
      ...repo,
      path,
      message: 'Add a note with an awkward name',
      content: Buffer.from('awkward\n').toString('base64'),
    });
    const encoded = 'notes/plan%20%232%3F%20100%25%20gr%C3%B6%C3%9Fe%20%E6%9D%B1%E4%BA%AC.md';
    expect(data.content?.url).toBe(`${world.sim.url}${R}/contents/${encoded}?ref=main`);
    expect(data.content?.download_url).toBe(`${world.sim.url}/raw/example/cluster-config/main/${encoded}`);
    const self = await call(world.sim, 'GET', (data.content?.url ?? '').slice(world.sim.url.length));
    expect(self.body).toMatchObject({ path, type: 'file' });
    const raw = await call(world.sim, 'GET', (data.content?.download_url ?? '').slice(world.sim.url.length));
    expect(raw.text).toBe('awkward\n');
  });

  it('percent-encodes whatever a header value holds that HTTP cannot carry, so answering cannot fail', () => {
    expect(headerValue('http://127.0.0.1:1/repos/o/r/git/refs/heads/main')).toBe('http://127.0.0.1:1/repos/o/r/git/refs/heads/main');
    expect(headerValue('<http://h/x?page=2>; rel="next"')).toBe('<http://h/x?page=2>; rel="next"');
    expect(headerValue('/refs/heads/東京')).toBe('/refs/heads/%E6%9D%B1%E4%BA%AC');
    expect(headerValue('größe')).toBe('gr%C3%B6%C3%9Fe');
    expect(headerValue('a\r\nSet-Cookie: x\u0000')).toBe('a%0D%0ASet-Cookie: x%00');
    expect(headerValue('lone \ud800 surrogate')).toBe('lone %EF%BF%BD surrogate');
  });
});
