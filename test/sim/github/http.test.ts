import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { STATE_FILE } from '../../../src/sim/github/index.js';
import { call, client, commitConfig, createBranch, mainSha, OWNER, REPO, startWorld, type World } from './support.js';

// The HTTP protocol around the JSON: headers, request counting, conditional requests, pagination,
// rate limits, and state that survives a restart.

const repo = { owner: OWNER, repo: REPO };
const worlds: World[] = [];

async function world(options: Parameters<typeof startWorld>[0] = {}): Promise<World> {
  const started = await startWorld(options);
  worlds.push(started);
  return started;
}

afterAll(async () => {
  await Promise.all(worlds.map((w) => w.close()));
});

describe('headers', () => {
  it('sends GitHub’s rate-limit headers and a request id on every answer, errors included', async () => {
    const { sim } = await world();
    const first = await call(sim, 'GET', '/repos/example/cluster-config');
    const second = await call(sim, 'GET', '/repos/example/cluster-config/pulls/77');
    expect(second.status).toBe(404);
    for (const response of [first, second]) {
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(response.headers.get('x-ratelimit-limit')).toBe('5000');
      expect(response.headers.get('x-ratelimit-resource')).toBe('core');
      expect(Number(response.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      expect(response.headers.get('x-github-api-version-selected')).toBe('2022-11-28');
      expect(response.headers.get('x-github-request-id')).toMatch(/^[0-9A-F]{4}(:[0-9A-F]+){4}$/);
    }
    expect(first.headers.get('x-ratelimit-used')).toBe('1');
    expect(second.headers.get('x-ratelimit-used')).toBe('2');
    expect(second.headers.get('x-ratelimit-remaining')).toBe('4998');
    expect(first.headers.get('x-github-request-id')).not.toBe(second.headers.get('x-github-request-id'));
  });
});

describe('request counting', () => {
  it('counts every request that reaches the server, refused and unknown ones too', async () => {
    const { sim, octokit } = await world();
    const before = sim.requestCount();
    await octokit.pulls.list(repo);
    await call(sim, 'GET', '/nowhere');
    await call(sim, 'GET', '/user', { token: null });
    expect(sim.requestCount() - before).toBe(3);
    expect(sim.requests().slice(-3)).toEqual([
      { method: 'GET', path: '/repos/example/cluster-config/pulls', status: 200 },
      { method: 'GET', path: '/nowhere', status: 404 },
      { method: 'GET', path: '/user', status: 401 },
    ]);
  });

  it('answers a conditional request with 304 without spending rate limit (the cheap idle poll)', async () => {
    const { sim } = await world();
    const first = await call(sim, 'GET', '/repos/example/cluster-config/pulls?state=open');
    const etag = first.headers.get('etag') ?? '';
    expect(etag).toMatch(/^W\/"[0-9a-f]{64}"$/);
    const again = await call(sim, 'GET', '/repos/example/cluster-config/pulls?state=open', { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.get('x-ratelimit-remaining')).toBe(first.headers.get('x-ratelimit-remaining'));
    expect(sim.requests().at(-1)).toMatchObject({ status: 304 });
  });
});

describe('pagination', () => {
  it('pages with per_page/page and Link headers in GitHub’s /repositories/{id} form, which octokit.paginate follows', async () => {
    const { sim, octokit } = await world();
    const { data: issue } = await octokit.issues.create({ ...repo, title: 'Plan history' });
    for (let i = 1; i <= 5; i++) await octokit.issues.createComment({ ...repo, issue_number: issue.number, body: `plan ${i}` });

    const first = await call(sim, 'GET', `/repos/example/cluster-config/issues/${issue.number}/comments?per_page=2`);
    expect((first.body as unknown[]).length).toBe(2);
    const link = first.headers.get('link') ?? '';
    const next = /<([^>]+)>; rel="next"/.exec(link)?.[1] ?? '';
    expect(next).toMatch(new RegExp(`^${sim.url}/repositories/\\d+/issues/${issue.number}/comments\\?per_page=2&page=2$`));
    expect(link).toMatch(/page=3>; rel="last"/);

    const second = await call(sim, 'GET', next.slice(sim.url.length));
    expect((second.body as Array<{ body: string }>).map((c) => c.body)).toEqual(['plan 3', 'plan 4']);
    expect(second.headers.get('link')).toMatch(/rel="prev".*rel="next".*rel="last".*rel="first"/);

    const all = await octokit.paginate(octokit.issues.listComments, { ...repo, issue_number: issue.number, per_page: 2 });
    expect(all.map((c) => c.body)).toEqual(['plan 1', 'plan 2', 'plan 3', 'plan 4', 'plan 5']);
  });
});

describe('rate limits', () => {
  it('refuses with 403 and x-ratelimit-remaining 0 when the budget is spent; the throttling plugin sees a rate limit', async () => {
    const { sim } = await world({ rateLimit: 3 });
    const onRateLimit = vi.fn((_retryAfter: number) => {});
    const limited = client(sim, { onRateLimit });
    await limited.repos.get(repo);
    await limited.pulls.list(repo);
    await limited.issues.listLabelsForRepo(repo);
    await expect(limited.pulls.list(repo)).rejects.toMatchObject({
      status: 403,
      response: { headers: { 'x-ratelimit-remaining': '0' }, data: { message: expect.stringContaining('API rate limit exceeded') } },
    });
    expect(onRateLimit).toHaveBeenCalledOnce();
    expect(onRateLimit.mock.calls[0]?.[0]).toBeGreaterThan(3500);
    // GET /rate_limit costs nothing and still answers.
    const { data } = await limited.rateLimit.get();
    expect(data.resources.core).toMatchObject({ limit: 3, remaining: 0, used: 3 });
  });
});

describe('state', () => {
  it('keeps pull requests, comments and labels in the bare repository across restarts; numbers continue', async () => {
    const first = await world();
    const sha = await commitConfig(first.octokit, await mainSha(first.octokit), 4, 'Scale to 4');
    await createBranch(first.octokit, 'autoscale/persist', sha);
    const { data: pr } = await first.octokit.pulls.create({ ...repo, title: 'Persist', head: 'autoscale/persist', base: 'main' });
    await first.octokit.issues.addLabels({ ...repo, issue_number: pr.number, labels: ['autoscaler'] });
    await first.octokit.issues.createComment({ ...repo, issue_number: pr.number, body: 'plan' });
    await first.close();
    expect(existsSync(join(first.bare, STATE_FILE))).toBe(true);

    const second = await world({ repoDir: first.bare });
    const { data: again } = await second.octokit.pulls.get({ ...repo, pull_number: pr.number });
    expect(again).toMatchObject({ title: 'Persist', head: { sha }, labels: [{ name: 'autoscaler' }], comments: 1 });
    const { data: issue } = await second.octokit.issues.create({ ...repo, title: 'Next' });
    expect(issue.number).toBe(pr.number + 1);
    await second.git(['fsck', '--no-dangling']);
  });
});
