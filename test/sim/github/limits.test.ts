import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { STATE_FILE } from '../../../src/sim/github/index.js';
import { call, commitConfig, createBranch, mainSha, OWNER, REPO, rawExchange, rawHead, worldWithoutServerErrors } from './support.js';

// GitHub's limits on what one request may carry: field lengths (422, in GitHub's own words) and
// request body sizes (413, refused before the body is read).

const repo = { owner: OWNER, repo: REPO };
const R = '/repos/example/cluster-config';
const world = worldWithoutServerErrors();

/** A branch one commit ahead of main, for a pull request. */
async function branch(name: string, count: number): Promise<void> {
  await createBranch(world.octokit, name, await commitConfig(world.octokit, await mainSha(world.octokit), count, `Scale to ${count}`));
}

const tooLong = (field: 'title' | 'body', max: number) => ({
  resource: 'Issue',
  code: 'custom',
  field,
  message: `${field} is too long (maximum is ${max} characters)`,
});

describe('text fields', () => {
  it('refuses a pull request body over 65,536 characters and a title over 256, as GitHub words it', async () => {
    await branch('long-text', 4);
    const response = await call(world.sim, 'POST', `${R}/pulls`, {
      body: { title: 't'.repeat(257), head: 'long-text', base: 'main', body: 'b'.repeat(65_537) },
    });
    expect(response.status).toBe(422);
    expect(response.body).toEqual({
      message: 'Validation Failed',
      errors: [tooLong('title', 256), tooLong('body', 65_536)],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
      status: '422',
    });
    expect((await world.octokit.pulls.list({ ...repo, state: 'all' })).data).toEqual([]);

    // Characters are code points: 65,536 emoji (131,072 UTF-16 units) and 256 of 'é' fit.
    const { data: pr } = await world.octokit.pulls.create({
      ...repo,
      title: 'é'.repeat(256),
      head: 'long-text',
      base: 'main',
      body: '😀'.repeat(65_536),
    });
    expect(pr.body).toBe('😀'.repeat(65_536));
    const update = await call(world.sim, 'PATCH', `${R}/pulls/${pr.number}`, { body: { body: `${'😀'.repeat(65_536)}!` } });
    expect(update.body).toEqual({
      message: 'Validation Failed',
      errors: [tooLong('body', 65_536)],
      documentation_url: 'https://docs.github.com/rest/pulls/pulls#update-a-pull-request',
      status: '422',
    });
    expect((await world.octokit.pulls.get({ ...repo, pull_number: pr.number })).data.body).toBe('😀'.repeat(65_536));
  });

  it('refuses an issue title over 256 and a body over 65,536 characters, on create and on update', async () => {
    const created = await call(world.sim, 'POST', `${R}/issues`, { body: { title: 'x'.repeat(257), body: 'y'.repeat(65_537) } });
    expect(created.body).toEqual({
      message: 'Validation Failed',
      errors: [tooLong('title', 256), tooLong('body', 65_536)],
      documentation_url: 'https://docs.github.com/rest/issues/issues#create-an-issue',
      status: '422',
    });
    const { data: issue } = await world.octokit.issues.create({ ...repo, title: 'x'.repeat(256), body: 'y'.repeat(65_536) });
    const updated = await call(world.sim, 'PATCH', `${R}/issues/${issue.number}`, { body: { title: 'x'.repeat(257) } });
    expect(updated.body).toMatchObject({ message: 'Validation Failed', errors: [tooLong('title', 256)] });
    expect((await world.octokit.issues.get({ ...repo, issue_number: issue.number })).data.title).toBe('x'.repeat(256));
  });

  it('refuses a comment over 65,536 characters in the words GitHub uses for comments', async () => {
    const { data: issue } = await world.octokit.issues.create({ ...repo, title: 'Plan comments' });
    const refused = await call(world.sim, 'POST', `${R}/issues/${issue.number}/comments`, { body: { body: 'p'.repeat(65_537) } });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      message: 'Validation Failed',
      errors: [
        { resource: 'IssueComment', code: 'unprocessable', field: 'data', message: 'Body is too long (maximum is 65536 characters)' },
      ],
      documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
      status: '422',
    });
    const { data: comment } = await world.octokit.issues.createComment({ ...repo, issue_number: issue.number, body: 'p'.repeat(65_536) });
    const edit = await call(world.sim, 'PATCH', `${R}/issues/comments/${comment.id}`, { body: { body: 'q'.repeat(65_537) } });
    expect(edit.body).toMatchObject({
      errors: [{ resource: 'IssueComment', code: 'unprocessable' }],
      documentation_url: 'https://docs.github.com/rest/issues/comments#update-an-issue-comment',
    });
    expect((await world.octokit.issues.getComment({ ...repo, comment_id: comment.id })).data.body).toBe('p'.repeat(65_536));
  });

  it('refuses more than 100 labels on one issue before creating any of them', async () => {
    const { data: issue } = await world.octokit.issues.create({ ...repo, title: 'Labelled' });
    const many = Array.from({ length: 20_000 }, (_, i) => `area-${i}`);
    const refused = await call(world.sim, 'POST', `${R}/issues/${issue.number}/labels`, { body: { labels: many } });
    expect(refused.status).toBe(422);
    expect(refused.body).toEqual({
      message: 'Validation Failed. Issues cannot have more than 100 labels',
      errors: [],
      documentation_url: 'https://docs.github.com/rest/issues/labels#add-labels-to-an-issue',
      status: '422',
    });
    expect((await world.octokit.issues.listLabelsForRepo(repo)).data).toEqual([]);
    // 100 distinct names, each sent in many spellings, are 100 labels.
    const hundred = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? `AREA-${i % 100}` : `area-${i % 100}`));
    const { data: labels } = await world.octokit.issues.addLabels({ ...repo, issue_number: issue.number, labels: hundred });
    expect(labels).toHaveLength(100);
  });
});

describe('request bodies', () => {
  it('answers a 30 MB pull request body with 413 before creating anything; the state file is untouched', async () => {
    await branch('huge-body', 5);
    const stateFile = join(world.bare, STATE_FILE);
    const before = await readFile(stateFile, 'utf8');
    const refused = world.octokit.pulls.create({
      ...repo,
      title: 'Huge',
      head: 'huge-body',
      base: 'main',
      body: 'z'.repeat(30_000_000),
      // The product client would retry a 413 (it is not in its do-not-retry list); one attempt here.
      request: { retries: 0 },
    });
    await expect(refused).rejects.toMatchObject({
      status: 413,
      response: {
        headers: { connection: 'close' },
        data: {
          message: 'Payload too large: this endpoint takes a request body of at most 1048576 bytes',
          documentation_url: 'https://docs.github.com/rest/pulls/pulls#create-a-pull-request',
          status: '413',
        },
      },
    });
    expect(await readFile(stateFile, 'utf8')).toBe(before);
    expect((await world.octokit.pulls.list({ ...repo, head: 'example:huge-body' })).data).toEqual([]);
  });

  it('refuses by Content-Length without reading the body (none is ever sent) and closes the connection', async () => {
    const answer = await rawExchange(world.sim, (write) =>
      write(rawHead('POST', `${R}/git/blobs`, { 'content-length': 200 * 1024 * 1024 })),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 413 Payload Too Large\r\n/);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
    expect(answer).toContain('"status":"413"');
  });

  it('stops reading a chunked body once it passes the limit, answers 413 and closes (the body never ends)', async () => {
    const answer = await rawExchange(world.sim, (write) => {
      write(rawHead('POST', `${R}/issues`, { 'transfer-encoding': 'chunked' }));
      const chunk = Buffer.alloc(64 * 1024, 'a');
      // 17 chunks of 64 KiB pass the 1 MiB limit; the terminating chunk is never sent.
      for (let i = 0; i < 17; i++) write(Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    expect(answer).toMatch(/\r\nconnection: close\r\n/i);
  });

  it('answers `Expect: 100-continue` with 413 instead of inviting an oversized body, and invites one that fits', async () => {
    const refused = await rawExchange(world.sim, (write) =>
      write(rawHead('POST', `${R}/issues`, { 'content-length': 2 * 1024 * 1024, expect: '100-continue' })),
    );
    expect(refused).toMatch(/^HTTP\/1\.1 413 /);
    expect(refused).not.toContain('100 Continue');

    const body = JSON.stringify({ title: 'Sent after 100 Continue' });
    const accepted = await rawExchange(world.sim, (write) => {
      write(rawHead('POST', `${R}/issues`, { 'content-length': Buffer.byteLength(body), expect: '100-continue', connection: 'close' }));
      write(body);
    });
    expect(accepted).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 201 Created\r\n/);
  });

  it('still takes blobs and files larger than the default limit (GitHub allows files up to 100 MiB)', async () => {
    const data = Buffer.alloc(3 * 1024 * 1024, 7);
    const { data: blob } = await world.octokit.git.createBlob({ ...repo, content: data.toString('base64'), encoding: 'base64' });
    expect(await world.git(['cat-file', '-s', blob.sha])).toBe(String(data.length));
    const { data: file } = await world.octokit.repos.createOrUpdateFileContents({
      ...repo,
      path: 'images/node.img',
      message: 'Add an image',
      content: data.toString('base64'),
    });
    expect(file.content?.size).toBe(data.length);
  });
});
