import { execa } from 'execa';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidRefName } from '../../../src/sim/github/git-store.js';
import { headerValue } from '../../../src/sim/github/server.js';
import { ISOLATED_GIT_ENV } from '../../support/git.js';
import { call, commitConfig, createBranch, mainSha, OWNER, REPO, rawExchange, rawHead, worldWithoutServerErrors } from './support.js';

// Hostile but small input: each case once made the simulator answer 500 (or wait for minutes)
// where GitHub answers 2xx or 4xx. Every 500 the server answers is collected, and there must be none.

const repo = { owner: OWNER, repo: REPO };
const R = '/repos/example/cluster-config';
const world = worldWithoutServerErrors();

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

/** POSTs raw bytes as a JSON body. */
async function postBytes(path: string, bytes: Buffer): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${world.sim.url}${path}`, {
    method: 'POST',
    headers: { authorization: 'token test', 'content-type': 'application/json' },
    body: bytes,
  });
  return { status: response.status, body: await response.json() };
}

const problemsParsingJson = (docs: string) => ({
  message: 'Problems parsing JSON',
  documentation_url: `https://docs.github.com/rest/${docs}`,
  status: '400',
});

describe('request bodies that are not JSON GitHub takes', () => {
  it('answers bytes that are not UTF-8 with 400 Problems parsing JSON, and creates nothing', async () => {
    const before = (await world.octokit.issues.listForRepo({ ...repo, state: 'all' })).data.length;
    const invalid = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    expect(await postBytes(`${R}/issues`, invalid)).toEqual({ status: 400, body: problemsParsingJson('issues/issues#create-an-issue') });
    expect((await world.octokit.issues.listForRepo({ ...repo, state: 'all' })).data.length).toBe(before);
  });

  it('answers JSON nested deeper than 100 levels with 400 (50,000 levels overflowed the stack: 500)', async () => {
    const nested = (depth: number): string => `{"title":"deep","extra":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
    for (const depth of [101, 50_000]) {
      expect(await postBytes(`${R}/issues`, Buffer.from(nested(depth)))).toEqual({
        status: 400,
        body: problemsParsingJson('issues/issues#create-an-issue'),
      });
    }
    // Brackets inside strings are not nesting; 100 levels are taken.
    expect((await postBytes(`${R}/issues`, Buffer.from(nested(100)))).status).toBe(201);
    expect((await call(world.sim, 'POST', `${R}/issues`, { body: { title: '[{'.repeat(128) } })).status).toBe(201);
  });

  it('answers a string with half a surrogate pair with 400: it created a ref under another name and answered 422', async () => {
    const sha = await mainSha(world.octokit);
    const refsBefore = await world.git(['for-each-ref', '--format=%(refname)']);
    const response = await postBytes(`${R}/git/refs`, Buffer.from(`{"ref":"refs/heads/half-\\ud800-pair","sha":"${sha}"}`));
    expect(response).toEqual({ status: 400, body: problemsParsingJson('git/refs#create-a-reference') });
    expect(await world.git(['for-each-ref', '--format=%(refname)'])).toBe(refsBefore);
    const tree = await postBytes(
      `${R}/git/trees`,
      Buffer.from('{"tree":[{"path":"half-\\udc00.txt","mode":"100644","type":"blob","content":"x"}]}'),
    );
    expect(tree.status).toBe(400);
  });
});

describe('request lines and paths', () => {
  it('answers a request target that is no URL with 400, not 500', async () => {
    for (const target of ['http://[', 'http://a:99999/']) {
      const answer = await rawExchange(world.sim, (write) => write(rawHead('GET', target)));
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(answer).toContain('"message":"Bad Request"');
    }
  });

  it('answers a file path with a NUL byte with 404 (git cannot take it as an argument: 500)', async () => {
    for (const path of [`${R}/contents/README.md%00x`, '/raw/example/cluster-config/main/README.md%00x']) {
      expect(await call(world.sim, 'GET', path)).toMatchObject({ status: 404, body: { message: 'Not Found' } });
    }
  });

  it('pages past the end, or with absurd sizes, without error', async () => {
    const far = await call(world.sim, 'GET', `${R}/issues?state=all&page=100000000000000000000&per_page=1000000000000000000000000000000`);
    expect(far.status).toBe(200);
    expect(far.body).toEqual([]);
    expect(far.headers.get('link')).toMatch(/[?&]page=1&[^>]*>; rel="first"$/);
  });
});

describe('commits from hostile input', () => {
  /** POST /git/commits on main's tree, with `fields` added. */
  async function commitWith(fields: Record<string, unknown>): Promise<{ status: number; body: unknown }> {
    const parent = await mainSha(world.octokit);
    const { data } = await world.octokit.git.getCommit({ ...repo, commit_sha: parent });
    return call(world.sim, 'POST', `${R}/git/commits`, { body: { message: 'm', tree: data.tree.sha, parents: [parent], ...fields } });
  }

  it('refuses a NUL in a commit message, a name or an email with 422 (git refused: 500)', async () => {
    const person = (name: string, email: string) => ({ name, email, date: '2024-05-01T12:00:00Z' });
    for (const fields of [
      { message: 'scale\u0000to 5' },
      { author: person('Dana\u0000Ops', 'dana@example.com') },
      { committer: person('Dana Ops', 'dana@exam\u0000ple.com') },
    ]) {
      const response = await commitWith(fields);
      expect(response.status).toBe(422);
      expect(response.body).toMatchObject({ message: expect.stringContaining('holds a NUL character, which git cannot store') });
    }
    const put = await call(world.sim, 'PUT', `${R}/contents/nul.txt`, { body: { message: 'a\u0000b', content: 'eA==' } });
    expect(put.status).toBe(422);
  });

  it('refuses a name git would not store (empty, or only dots, commas, angle brackets…) with 422', async () => {
    for (const name of ['', '.', ' <> ', '"\'', ';:,']) {
      const response = await commitWith({ author: { name, email: 'dana@example.com' } });
      expect(response).toMatchObject({
        status: 422,
        body: { message: `Invalid request.\n\nFor 'properties/name', ${JSON.stringify(name)} is not a name git can store.` },
      });
    }
  });

  it('stores any date from 1970 on, offsets kept (git refused 1970-01-01 and 2100 as raw dates: 500), and refuses earlier ones', async () => {
    for (const date of ['1970-01-01T00:00:00Z', '1973-03-03T09:46:39Z', '2100-01-01T00:00:00Z', '9999-12-31T23:59:59+05:30']) {
      const response = await commitWith({ author: { name: 'Dana Ops', email: 'dana@example.com', date } });
      expect(response.status).toBe(201);
      const sha = (response.body as { sha: string }).sha;
      expect(await world.git(['log', '-1', '--format=%ad', '--date=iso-strict', sha])).toBe(date.replace('Z', '+00:00'));
    }
    const early = await commitWith({ author: { name: 'Dana Ops', email: 'dana@example.com', date: '1969-12-31T23:59:59Z' } });
    expect(early).toMatchObject({ status: 422, body: { message: expect.stringContaining('is before 1970, which git cannot store') } });
  });

  it('merges a pull request whose title holds a NUL (the default merge message quoted it: 500)', async () => {
    const sha = await commitConfig(world.octokit, await mainSha(world.octokit), 6, 'Scale to 6');
    await createBranch(world.octokit, 'nul-title', sha);
    const { data: pr } = await world.octokit.pulls.create({ ...repo, title: 'Scale\u0000to 6', head: 'nul-title', base: 'main' });
    const refused = await call(world.sim, 'PUT', `${R}/pulls/${pr.number}/merge`, { body: { commit_message: 'x\u0000y' } });
    expect(refused.status).toBe(422);
    expect((await world.octokit.pulls.merge({ ...repo, pull_number: pr.number })).data.merged).toBe(true);
    expect((await world.git(['log', '-1', '--format=%B', 'main'])).trimEnd()).toBe(
      `Merge pull request #${pr.number} from example/nul-title\n\nScaleto 6`,
    );
  });
});

/** What git itself says of a ref name. */
async function gitAccepts(ref: string): Promise<boolean> {
  return (await execa('git', ['check-ref-format', ref], { env: ISOLATED_GIT_ENV, reject: false })).exitCode === 0;
}

describe('ref names, by git’s own rules', () => {
  it('refuses what git check-ref-format refuses with 422 `<name> is not a valid ref name.`, on create, read and update', async () => {
    const sha = await mainSha(world.octokit);
    const refused = [
      '../x',
      'a/../x',
      'x@{1}',
      'x.lock',
      'x.lock/y',
      'x\u0001',
      'x\u007f',
      'a b',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'a\\b',
      '.hidden',
      'a/.b',
      'a/',
      'a//b',
      'a.',
    ];
    for (const suffix of refused) {
      const ref = `refs/heads/${suffix}`;
      expect(await gitAccepts(ref)).toBe(false);
      const response = await call(world.sim, 'POST', `${R}/git/refs`, { body: { ref, sha } });
      expect(response).toMatchObject({ status: 422, body: { message: `${ref} is not a valid ref name.` } });
      const path = `heads/${suffix.split('/').map(encodeURIComponent).join('/')}`;
      expect((await call(world.sim, 'GET', `${R}/git/ref/${path}`)).status).toBe(404);
      // 422 `Reference does not exist`, or 404 where an empty segment (`a//b`) matches no route.
      expect([404, 422]).toContain((await call(world.sim, 'PATCH', `${R}/git/refs/${path}`, { body: { sha } })).status);
    }
    expect(await world.git(['for-each-ref', '--format=%(refname)', 'refs/heads/'])).not.toMatch(/lock|hidden|\.\./);
  });

  it('agrees with git check-ref-format on names built from the characters git treats specially', async () => {
    const unit = fc.constantFrom(
      'a',
      'é',
      '東',
      '.',
      '/',
      '@',
      '{',
      '}',
      '~',
      '^',
      ':',
      '?',
      '*',
      '[',
      '\\',
      ' ',
      '\u0001',
      '\u007f',
      '-',
      '#',
      'lock',
    );
    await fc.assert(
      fc.asyncProperty(fc.string({ unit, minLength: 1, maxLength: 6 }), async (suffix) => {
        const ref = `refs/heads/${suffix}`;
        expect(isValidRefName(ref)).toBe(await gitAccepts(ref));
      }),
      { numRuns: 300 },
    );
  });
});

describe('trees and commits of many parts', () => {
  // Each of these spawned git once per entry, directory or parent, one request holding every other
  // request back for minutes: they must now finish well inside the test timeout.

  it('creates a tree of 7,000 entries named by sha, and one of 5,000 inline files, each in one request (1 MiB each)', async () => {
    const { data: blob } = await world.octokit.git.createBlob({ ...repo, content: 'node\n' });
    const bySha = Array.from({ length: 7_000 }, (_, i) => ({
      path: `nodes/n${i}.yml`,
      mode: '100644' as const,
      type: 'blob' as const,
      sha: blob.sha,
    }));
    const { data: shaTree } = await world.octokit.git.createTree({ ...repo, tree: bySha });
    expect(await world.git(['ls-tree', '-r', '--name-only', shaTree.sha])).toHaveLength(bySha.map((e) => e.path).join('\n').length);

    const inline = Array.from({ length: 5_000 }, (_, i) => ({
      path: `pods/p${i}.yml`,
      mode: '100644' as const,
      type: 'blob' as const,
      content: `pod ${i}\n`,
    }));
    const { data: inlineTree } = await world.octokit.git.createTree({ ...repo, base_tree: shaTree.sha, tree: inline });
    expect(await world.git(['show', `${inlineTree.sha}:pods/p4321.yml`])).toBe('pod 4321');
    expect(await world.git(['rev-parse', `${inlineTree.sha}:nodes`])).toBe(await world.git(['rev-parse', `${shaTree.sha}:nodes`]));
    await world.git(['fsck', '--strict', '--no-dangling']);
  });

  it('creates a path 4,096 directories deep (a stack overflow: 500), edits it again over that base, and refuses one deeper', async () => {
    const deep = (levels: number): string => Array.from({ length: levels }, () => 'd').join('/');
    const { data: first } = await world.octokit.git.createTree({
      ...repo,
      tree: [{ path: `${deep(4095)}/a.txt`, mode: '100644', type: 'blob', content: 'a' }],
    });
    expect(await world.git(['ls-tree', '-r', '--name-only', first.sha])).toBe(`${deep(4095)}/a.txt`);
    const { data: second } = await world.octokit.git.createTree({
      ...repo,
      base_tree: first.sha,
      tree: [{ path: `${deep(4095)}/b.txt`, mode: '100644', type: 'blob', content: 'b' }],
    });
    expect(await world.git(['ls-tree', '--name-only', `${second.sha}:${deep(4095)}`])).toBe('a.txt\nb.txt');
    const tooDeep = await call(world.sim, 'POST', `${R}/git/trees`, {
      body: { tree: [{ path: `${deep(4096)}/c.txt`, mode: '100644', type: 'blob', content: 'c' }] },
    });
    expect(tooDeep).toMatchObject({ status: 422, body: { message: 'tree.path contains a malformed path component' } });
  });

  it('creates a commit naming its parent 10,000 times (git keeps one)', async () => {
    const parent = await mainSha(world.octokit);
    const { data: parentCommit } = await world.octokit.git.getCommit({ ...repo, commit_sha: parent });
    const { data: commit } = await world.octokit.git.createCommit({
      ...repo,
      message: 'Many parents',
      tree: parentCommit.tree.sha,
      parents: Array.from({ length: 10_000 }, () => parent),
    });
    expect(commit.parents.map((p) => p.sha)).toEqual([parent]);
  });

  it('orders and names entries exactly as git does, so the tree passes git fsck --strict', async () => {
    const { data: blob } = await world.octokit.git.createBlob({ ...repo, content: 'x' });
    const names = ['a', 'a.b', 'a-b', 'a0', 'a/b', 'ab/c', 'é', '東京', 'Z', 'a b', 'a+b/c', '~', 'x/y/z/w'];
    const { data: tree } = await world.octokit.git.createTree({
      ...repo,
      tree: names.map((name) => ({ path: name === 'a' ? 'a/x' : name, mode: '100644' as const, type: 'blob' as const, sha: blob.sha })),
    });
    const made = await world.git(['ls-tree', '-r', '--name-only', '-z', tree.sha]);
    // git's own mktree, from the same entries, makes the same object.
    const listing = await world.git(['ls-tree', tree.sha]);
    expect(
      await execa('git', ['mktree'], { input: `${listing}\n`, env: { ...ISOLATED_GIT_ENV, GIT_DIR: world.bare } }).then((r) => r.stdout),
    ).toBe(tree.sha);
    expect(made.split('\0').filter(Boolean).sort()).toEqual(names.map((name) => (name === 'a' ? 'a/x' : name)).sort());
    await world.git(['fsck', '--strict', '--no-dangling']);
  });

  it('refuses a tree entry git would refuse on a push (.GIT and its disguises) with 422', async () => {
    for (const path of ['.GIT/config', 'x/.Git/hooks/post-checkout', 'GIT~1/config']) {
      const response = await call(world.sim, 'POST', `${R}/git/trees`, {
        body: { tree: [{ path, mode: '100644', type: 'blob', content: 'x' }] },
      });
      expect(response).toMatchObject({ status: 422, body: { message: expect.stringContaining('git refuses this tree: ') } });
    }
    // With more than 100 new trees they are written as a pack, checked the same way.
    const { data: blob } = await world.octokit.git.createBlob({ ...repo, content: 'x' });
    const many = Array.from({ length: 150 }, (_, i) => ({ path: `d${i}/f${i}`, mode: '100644', type: 'blob', sha: blob.sha }));
    const packed = await call(world.sim, 'POST', `${R}/git/trees`, {
      body: { tree: [...many, { path: 'd7/.GIT/config', mode: '100644', type: 'blob', sha: blob.sha }] },
    });
    expect(packed).toMatchObject({ status: 422, body: { message: expect.stringContaining("hasDotgit: contains '.git'") } });
    expect((await call(world.sim, 'POST', `${R}/git/trees`, { body: { tree: many } })).status).toBe(201);
  });
});

describe('bytes as stored', () => {
  it('serves a file ending in a carriage return whole (its last byte was cut off)', async () => {
    const data = Buffer.from('count: 3\r\nname: shop\r');
    const { data: blob } = await world.octokit.git.createBlob({ ...repo, content: data.toString('base64'), encoding: 'base64' });
    const { data: read } = await world.octokit.git.getBlob({ ...repo, file_sha: blob.sha });
    expect(read.size).toBe(data.length);
    expect(Buffer.from(read.content, 'base64')).toEqual(data);
    await world.octokit.repos.createOrUpdateFileContents({
      ...repo,
      path: 'crlf.yml',
      message: 'Add a CRLF file',
      content: data.toString('base64'),
    });
    expect((await call(world.sim, 'GET', '/raw/example/cluster-config/main/crlf.yml')).text).toBe(data.toString());
    const { data: file } = await world.octokit.repos.getContent({ ...repo, path: 'crlf.yml' });
    expect(Buffer.from((file as { content: string }).content, 'base64')).toEqual(data);
  });
});
