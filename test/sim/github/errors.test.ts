import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsConfig, call, client, commitConfig, createBranch, mainSha, OWNER, REPO, startWorld, type World } from './support.js';

// GitHub's refusals, status by status, with the exact bodies clients parse.

const repo = { owner: OWNER, repo: REPO };
let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

/** What octokit's RequestError carries. */
interface Refusal {
  status: number;
  response?: { data: unknown; headers: Record<string, string | number | undefined> };
}

/** The error an octokit call fails with (the test fails if the call succeeds). */
async function refusal(promise: Promise<unknown>): Promise<Refusal> {
  try {
    await promise;
  } catch (error) {
    if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') return error as Refusal;
    throw error;
  }
  throw new Error('the request succeeded, but it should have been refused');
}

describe('authentication', () => {
  it('refuses a request without a token with 401 Requires authentication', async () => {
    const response = await call(world.sim, 'GET', '/repos/example/cluster-config/pulls', { token: null });
    expect(response.status).toBe(401);
    expect(response.body).toEqual({
      message: 'Requires authentication',
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#list-pull-requests',
      status: '401',
    });
    const error = await refusal(client(world.sim, { token: undefined }).users.getAuthenticated());
    expect(error.status).toBe(401);
    expect(error.response?.headers['x-ratelimit-limit']).toBe('60');
  });

  it('accepts any token, as `token X` or `Bearer X`', async () => {
    expect((await call(world.sim, 'GET', '/user', { token: 'anything' })).status).toBe(200);
    const bearer = await call(world.sim, 'GET', '/user', { token: null, headers: { authorization: 'Bearer ghs_xyz' } });
    expect(bearer.status).toBe(200);
    expect(await client(world.sim, { token: 'ghs_app_token' }).users.getAuthenticated()).toMatchObject({ status: 200 });
  });
});

describe('404 Not Found', () => {
  it('answers unknown repositories, pull requests, refs, objects, paths and routes', async () => {
    const { octokit } = world;
    const cases: Array<Promise<unknown>> = [
      octokit.repos.get({ owner: OWNER, repo: 'nope' }),
      octokit.pulls.list({ owner: 'someone-else', repo: REPO }),
      octokit.pulls.get({ ...repo, pull_number: 99 }),
      octokit.git.getRef({ ...repo, ref: 'heads/nope' }),
      octokit.git.getCommit({ ...repo, commit_sha: '0123456789012345678901234567890123456789' }),
      octokit.git.getBlob({ ...repo, file_sha: 'not-a-sha' }),
      octokit.repos.getContent({ ...repo, path: 'cluster-config/missing.yml' }),
      octokit.issues.get({ ...repo, issue_number: 42 }),
      octokit.issues.getComment({ ...repo, comment_id: 123456 }),
    ];
    for (const promise of cases) expect((await refusal(promise)).status).toBe(404);
    const unknownRoute = await call(world.sim, 'GET', '/repos/example/cluster-config/deployments');
    expect(unknownRoute).toMatchObject({
      status: 404,
      body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' },
    });
    const unknownRepo = await call(world.sim, 'GET', '/repos/example/nope');
    expect(unknownRepo.body).toEqual({
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest/repos/repos#get-a-repository',
      status: '404',
    });
  });

  it('answers a pull request number that belongs to an issue with 404 on the pulls API', async () => {
    const { data: issue } = await world.octokit.issues.create({ ...repo, title: 'Not a PR' });
    expect((await refusal(world.octokit.pulls.get({ ...repo, pull_number: issue.number }))).status).toBe(404);
    const { data: again } = await world.octokit.issues.get({ ...repo, issue_number: issue.number });
    expect(again.pull_request).toBeUndefined();
  });
});

describe('422 on pull requests, in GitHub’s exact shape', () => {
  it('refuses a second PR from the same head', async () => {
    const sha = await commitConfig(world.octokit, await mainSha(world.octokit), 4, 'Scale to 4');
    await createBranch(world.octokit, 'dup', sha);
    await world.octokit.pulls.create({ ...repo, title: 'First', head: 'dup', base: 'main' });
    const response = await call(world.sim, 'POST', '/repos/example/cluster-config/pulls', {
      body: { title: 'Second', head: 'example:dup', base: 'main' },
    });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'A pull request already exists for example:dup.' }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });
  });

  it('refuses a PR with no commits between base and head', async () => {
    await createBranch(world.octokit, 'same', await mainSha(world.octokit));
    const error = await refusal(world.octokit.pulls.create({ ...repo, title: 'Nothing', head: 'same', base: 'main' }));
    expect(error.status).toBe(422);
    expect(error.response?.data).toEqual({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', code: 'custom', message: 'No commits between main and same' }],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });
  });

  it('names a missing head or base branch as an invalid field, and missing fields as missing_field', async () => {
    const error = await refusal(world.octokit.pulls.create({ ...repo, title: 'x', head: 'no-such-branch', base: 'main' }));
    expect(error.response?.data).toMatchObject({
      message: 'Validation Failed',
      errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }],
    });
    const missing = await call(world.sim, 'POST', '/repos/example/cluster-config/pulls', { body: { head: 'dup' } });
    expect(missing.body).toMatchObject({
      errors: [
        { resource: 'PullRequest', code: 'missing_field', field: 'title' },
        { resource: 'PullRequest', code: 'missing_field', field: 'base' },
      ],
    });
  });
});

describe('refs', () => {
  it('refuses a non-fast-forward update without force (422), and makes it with force', async () => {
    const base = await mainSha(world.octokit);
    const ahead = await commitConfig(world.octokit, base, 5, 'Ahead');
    const sideways = await commitConfig(world.octokit, base, 6, 'Sideways');
    await createBranch(world.octokit, 'ff', ahead);
    const error = await refusal(world.octokit.git.updateRef({ ...repo, ref: 'heads/ff', sha: sideways }));
    expect(error.status).toBe(422);
    expect(error.response?.data).toEqual({
      message: 'Update is not a fast forward',
      documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference',
      status: '422',
    });
    expect(await world.git(['rev-parse', 'refs/heads/ff'])).toBe(ahead);
    await world.octokit.git.updateRef({ ...repo, ref: 'heads/ff', sha: sideways, force: true });
    expect(await world.git(['rev-parse', 'refs/heads/ff'])).toBe(sideways);
  });

  it('answers existing, missing and malformed refs and unknown objects with 422', async () => {
    const sha = await mainSha(world.octokit);
    const messages = async (promise: Promise<unknown>): Promise<unknown> => (await refusal(promise)).response?.data;
    expect(await messages(world.octokit.git.createRef({ ...repo, ref: 'refs/heads/main', sha }))).toMatchObject({
      message: 'Reference already exists',
    });
    expect(await messages(world.octokit.git.createRef({ ...repo, ref: 'heads/x', sha }))).toMatchObject({
      message: 'Reference name must contain at least three slash-separated components.',
    });
    expect(await messages(world.octokit.git.createRef({ ...repo, ref: 'refs/heads/x', sha: 'f'.repeat(40) }))).toMatchObject({
      message: 'Object does not exist',
    });
    expect(await messages(world.octokit.git.deleteRef({ ...repo, ref: 'heads/never' }))).toMatchObject({
      message: 'Reference does not exist',
    });
    expect(await messages(world.octokit.git.updateRef({ ...repo, ref: 'heads/never', sha }))).toMatchObject({
      message: 'Reference does not exist',
    });
  });

  it('deletes a branch with 204 and closes the open PR whose head it was', async () => {
    const sha = await commitConfig(world.octokit, await mainSha(world.octokit), 7, 'Doomed');
    await createBranch(world.octokit, 'doomed', sha);
    const { data: pr } = await world.octokit.pulls.create({ ...repo, title: 'Doomed', head: 'doomed', base: 'main' });
    expect((await world.octokit.git.deleteRef({ ...repo, ref: 'heads/doomed' })).status).toBe(204);
    expect((await world.octokit.pulls.get({ ...repo, pull_number: pr.number })).data).toMatchObject({ state: 'closed', merged: false });
    expect((await refusal(world.octokit.git.getRef({ ...repo, ref: 'heads/doomed' }))).status).toBe(404);
  });

  it('lists matching refs by prefix', async () => {
    const { data } = await world.octokit.git.listMatchingRefs({ ...repo, ref: 'heads/d' });
    expect(data.map((ref) => ref.ref)).toEqual(['refs/heads/dup']);
    expect((await world.octokit.git.listMatchingRefs({ ...repo, ref: 'heads/zzz' })).data).toEqual([]);
  });
});

describe('merging', () => {
  it('refuses a conflicting PR with 405 and reports it as not mergeable ("dirty"); the base is untouched', async () => {
    const base = await mainSha(world.octokit);
    await createBranch(world.octokit, 'left', await commitConfig(world.octokit, base, 4, 'Left'));
    await createBranch(world.octokit, 'right', await commitConfig(world.octokit, base, 6, 'Right'));
    const { data: left } = await world.octokit.pulls.create({ ...repo, title: 'Left', head: 'left', base: 'main' });
    const { data: right } = await world.octokit.pulls.create({ ...repo, title: 'Right', head: 'right', base: 'main' });
    expect(right).toMatchObject({ mergeable: true, mergeable_state: 'clean' });
    await world.octokit.pulls.merge({ ...repo, pull_number: left.number });
    const merged = await mainSha(world.octokit);

    const { data: now } = await world.octokit.pulls.get({ ...repo, pull_number: right.number });
    expect(now).toMatchObject({ mergeable: false, mergeable_state: 'dirty', base: { sha: merged } });
    const error = await refusal(world.octokit.pulls.merge({ ...repo, pull_number: right.number, merge_method: 'squash' }));
    expect(error.status).toBe(405);
    expect(error.response?.data).toEqual({
      message: 'Pull Request is not mergeable',
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#merge-a-pull-request',
      status: '405',
    });
    expect(await mainSha(world.octokit)).toBe(merged);
    expect(await world.git(['show', 'main:cluster-config/aws.yml'])).toBe(awsConfig(4).trimEnd());
  });

  it('refuses with 409 when the head moved since the client looked (sha precondition)', async () => {
    const base = await mainSha(world.octokit);
    const first = await commitConfig(world.octokit, base, 8, 'Eight');
    await createBranch(world.octokit, 'moving', first);
    const { data: pr } = await world.octokit.pulls.create({ ...repo, title: 'Moving', head: 'moving', base: 'main' });
    await world.octokit.git.updateRef({ ...repo, ref: 'heads/moving', sha: await commitConfig(world.octokit, first, 9, 'Nine') });
    const error = await refusal(world.octokit.pulls.merge({ ...repo, pull_number: pr.number, sha: first }));
    expect(error.status).toBe(409);
    expect(error.response?.data).toMatchObject({ message: 'Head branch was modified. Review and try the merge again.' });
  });

  it('refuses to merge a closed or already merged PR (405), and a draft', async () => {
    const { data: merged } = await world.octokit.pulls.list({ ...repo, state: 'closed' });
    const left = merged.find((pr) => pr.title === 'Left' && pr.merged_at !== null);
    expect((await refusal(world.octokit.pulls.merge({ ...repo, pull_number: left?.number ?? 0 }))).response?.data).toMatchObject({
      message: 'Pull Request is not mergeable',
    });
    const base = await mainSha(world.octokit);
    await createBranch(world.octokit, 'drafty', await commitConfig(world.octokit, base, 2, 'Draft'));
    const { data: draft } = await world.octokit.pulls.create({ ...repo, title: 'Draft', head: 'drafty', base: 'main', draft: true });
    expect(draft).toMatchObject({ draft: true, mergeable_state: 'draft' });
    expect((await refusal(world.octokit.pulls.merge({ ...repo, pull_number: draft.number }))).response?.data).toMatchObject({
      message: 'Pull Request is still a draft',
    });
    await world.octokit.pulls.update({ ...repo, pull_number: draft.number, state: 'closed' });
    expect((await refusal(world.octokit.pulls.merge({ ...repo, pull_number: draft.number }))).status).toBe(405);
  });
});

describe('the contents API', () => {
  const path = 'cluster-config/azure.yml';

  it('creates a file (201), reads it back, and updates it only against the blob sha it replaces', async () => {
    const { octokit } = world;
    const created = await octokit.repos.createOrUpdateFileContents({
      ...repo,
      path,
      message: 'Add azure',
      content: Buffer.from('count: 1\n').toString('base64'),
      branch: 'main',
    });
    expect(created.status).toBe(201);
    const blob = created.data.content?.sha ?? '';
    expect(blob).toBe(await world.git(['rev-parse', `main:${path}`]));
    expect(created.data.commit).toMatchObject({ message: 'Add azure', author: { name: 'lambdastack-autoscaler[bot]' } });

    const { data: file } = await octokit.repos.getContent({ ...repo, path, ref: 'main' });
    expect(file).toMatchObject({ type: 'file', encoding: 'base64', sha: blob, size: 9, path, name: 'azure.yml' });
    expect(Buffer.from((file as { content: string }).content, 'base64').toString()).toBe('count: 1\n');
    const raw = await octokit.repos.getContent({ ...repo, path, mediaType: { format: 'raw' } });
    expect(raw.data).toBe('count: 1\n');

    const noSha = await call(world.sim, 'PUT', `/repos/example/cluster-config/contents/${path}`, {
      body: { message: 'Update', content: Buffer.from('count: 2\n').toString('base64') },
    });
    expect(noSha.status).toBe(422);
    expect(noSha.body).toEqual({
      message: 'Invalid request.\n\n"sha" wasn\'t supplied.',
      documentation_url: 'https://docs.github.com/rest/repos/contents#create-or-update-file-contents',
      status: '422',
    });

    const stale = await refusal(
      octokit.repos.createOrUpdateFileContents({
        ...repo,
        path,
        message: 'Update',
        content: Buffer.from('count: 2\n').toString('base64'),
        sha: 'f'.repeat(40),
      }),
    );
    expect(stale.status).toBe(409);
    expect(stale.response?.data).toMatchObject({ message: `${path} does not match ${'f'.repeat(40)}` });

    const updated = await octokit.repos.createOrUpdateFileContents({
      ...repo,
      path,
      message: 'Update azure',
      content: Buffer.from('count: 2\n').toString('base64'),
      sha: blob,
      committer: { name: 'Dana Ops', email: 'dana@example.com' },
    });
    expect(updated.status).toBe(200);
    expect(await world.git(['show', `main:${path}`])).toBe('count: 2');
    expect(await world.git(['log', '-1', '--format=%an|%cn|%s', 'main'])).toBe('Dana Ops|Dana Ops|Update azure');
  });

  it('lists a directory, deletes a file against its sha, and answers unknown refs with 404', async () => {
    const { octokit } = world;
    const { data: listing } = await octokit.repos.getContent({ ...repo, path: 'cluster-config' });
    expect(Array.isArray(listing) && listing.map((item) => [item.name, item.type])).toEqual([
      ['aws.yml', 'file'],
      ['azure.yml', 'file'],
    ]);
    const sha = await world.git(['rev-parse', `main:${path}`]);
    const deleted = await octokit.repos.deleteFile({ ...repo, path, message: 'Remove azure', sha });
    expect(deleted.data.content).toBeNull();
    expect((await refusal(octokit.repos.getContent({ ...repo, path }))).status).toBe(404);
    const unknownRef = await refusal(octokit.repos.getContent({ ...repo, path: 'README.md', ref: 'no-such-branch' }));
    expect(unknownRef.response?.data).toMatchObject({ message: 'No commit found for the ref no-such-branch' });
  });
});

describe('malformed requests', () => {
  it('answers a body that is not JSON with 400 Problems parsing JSON', async () => {
    const response = await call(world.sim, 'POST', '/repos/example/cluster-config/git/blobs', { body: '{not json' });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ message: 'Problems parsing JSON' });
  });

  it('refuses git data that points at nothing', async () => {
    const { octokit } = world;
    const noTree = await refusal(octokit.git.createCommit({ ...repo, message: 'x', tree: 'f'.repeat(40), parents: [] }));
    expect(noTree.response?.data).toMatchObject({ message: 'Tree SHA does not exist' });
    const { data: tree } = await octokit.git.createTree({ ...repo, tree: [{ path: 'a.txt', mode: '100644', type: 'blob', content: 'a' }] });
    const noParent = await refusal(octokit.git.createCommit({ ...repo, message: 'x', tree: tree.sha, parents: ['e'.repeat(40)] }));
    expect(noParent.response?.data).toMatchObject({ message: 'Parent SHA does not exist or is not a commit object' });
    const badEntry = await refusal(
      octokit.git.createTree({ ...repo, tree: [{ path: 'b.txt', mode: '100644', type: 'blob', sha: 'd'.repeat(40) }] }),
    );
    expect(badEntry.status).toBe(422);
    for (const path of ['../escape.txt', 'a/.git/config', 'nul\u0000byte']) {
      expect(
        (await refusal(octokit.git.createTree({ ...repo, tree: [{ path, mode: '100644', type: 'blob', content: 'x' }] }))).status,
      ).toBe(422);
    }
  });
});
