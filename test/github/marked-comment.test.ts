import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { upsertMarkedComment } from '../../src/github/marked-comment.js';
import { PLAN_COMMENT_MARKER } from '../../src/github/plan-comment.js';
import { client, commitConfig, createBranch, mainSha, OWNER, REPO, startWorld, type World } from '../sim/github/support.js';
import { callName, isWrite, requestLog } from './autoscale-support.js';

// The plan comment's GitHub side against the GitHub simulator over a real bare repository: one
// pull request, and the comments the check keeps on it.

let world: World;
let pullNumber: number;

beforeAll(async () => {
  world = await startWorld();
  const head = await commitConfig(world.octokit, await mainSha(world.octokit), 5, 'Scale demo-shop to 5');
  await createBranch(world.octokit, 'scale-up', head);
  const { data } = await world.octokit.pulls.create({ owner: OWNER, repo: REPO, title: 'Scale up', head: 'scale-up', base: 'main' });
  pullNumber = data.number;
});

afterAll(async () => {
  await world?.close();
});

const plan = (text: string): string => `${PLAN_COMMENT_MARKER}\n## Scale plan\n\n${text}\n`;

async function commentBodies(): Promise<string[]> {
  const comments = await world.octokit.paginate(world.octokit.issues.listComments, {
    owner: OWNER,
    repo: REPO,
    issue_number: pullNumber,
    per_page: 100,
  });
  return comments.map((comment) => comment.body ?? '');
}

describe('the plan comment on a pull request', () => {
  it('is created once, then edited in place on the next push, and left alone when its text is the same', async () => {
    const options = { owner: OWNER, repo: REPO, issueNumber: pullNumber, marker: PLAN_COMMENT_MARKER };
    await world.octokit.issues.createComment({ owner: OWNER, repo: REPO, issue_number: pullNumber, body: 'Looks good to me' });

    const first = await upsertMarkedComment(world.octokit, { ...options, body: plan('shop 3 → 5') });
    expect(first.action).toBe('created');
    expect(first.url).toMatch(new RegExp(`/pull/${pullNumber}#issuecomment-${first.id}$`));

    const log = requestLog(world);
    const second = await upsertMarkedComment(world.octokit, { ...options, body: plan('shop 3 → 6') });
    expect(second).toEqual({ action: 'updated', id: first.id, url: first.url });
    expect(log().filter(isWrite).map(callName)).toEqual([`PATCH issues/comments/${first.id}`]);

    const again = requestLog(world);
    const third = await upsertMarkedComment(world.octokit, { ...options, body: plan('shop 3 → 6') });
    expect(third).toEqual({ action: 'unchanged', id: first.id, url: first.url });
    expect(again().filter(isWrite)).toEqual([]);

    expect(await commentBodies()).toEqual(['Looks good to me', plan('shop 3 → 6')]);
  });

  it("never takes a person's comment that quotes the marker for its own", async () => {
    const options = { owner: OWNER, repo: REPO, issueNumber: pullNumber, marker: PLAN_COMMENT_MARKER };
    await world.octokit.issues.createComment({
      owner: OWNER,
      repo: REPO,
      issue_number: pullNumber,
      body: `Why does the bot write\n> ${PLAN_COMMENT_MARKER}\nat the top?`,
    });
    const result = await upsertMarkedComment(world.octokit, { ...options, body: plan('shop 3 → 7') });
    expect(result.action).toBe('updated');
    const bodies = await commentBodies();
    expect(bodies.filter((body) => body.startsWith(PLAN_COMMENT_MARKER))).toEqual([plan('shop 3 → 7')]);
    expect(bodies).toContain(`Why does the bot write\n> ${PLAN_COMMENT_MARKER}\nat the top?`);
  });

  it('finds its comment behind a hundred others (the listing is paged)', async () => {
    await createBranch(world.octokit, 'busy', await commitConfig(world.octokit, await mainSha(world.octokit), 4, 'Scale to 4'));
    const { data } = await world.octokit.pulls.create({ owner: OWNER, repo: REPO, title: 'Busy', head: 'busy', base: 'main' });
    for (let i = 0; i < 101; i++) {
      await world.octokit.issues.createComment({ owner: OWNER, repo: REPO, issue_number: data.number, body: `comment ${i}` });
    }
    const options = { owner: OWNER, repo: REPO, issueNumber: data.number, marker: PLAN_COMMENT_MARKER };
    const created = await upsertMarkedComment(world.octokit, { ...options, body: plan('busy 3 → 4') });
    const updated = await upsertMarkedComment(world.octokit, { ...options, body: plan('busy 3 → 2') });
    expect(updated).toMatchObject({ action: 'updated', id: created.id });
  });

  it('says what it could not do when the token is refused, as a refusal', async () => {
    const refused = client(world.sim, { token: undefined });
    const call = upsertMarkedComment(refused, {
      owner: OWNER,
      repo: REPO,
      issueNumber: pullNumber,
      marker: PLAN_COMMENT_MARKER,
      body: plan('x'),
    });
    await expect(call).rejects.toThrow(UserError);
    await expect(call).rejects.toThrow(
      `GitHub: cannot list the comments of pull request #${pullNumber} of ${OWNER}/${REPO}: the token was refused (401)`,
    );
  });

  it('refuses a body without its marker: it could never find that comment again', async () => {
    await expect(
      upsertMarkedComment(world.octokit, { owner: OWNER, repo: REPO, issueNumber: pullNumber, marker: PLAN_COMMENT_MARKER, body: 'plan' }),
    ).rejects.toThrow('the comment body must start with its marker');
  });
});
