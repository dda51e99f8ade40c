import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { AUTOSCALER_IDENTITY, closeAutoscalePr, syncAutoscalePr } from '../../src/github/autoscale-pr.js';
import { readClusterConfig } from '../../src/github/config-reader.js';
import { readPrMarker } from '../../src/github/pr-body.js';
import { parseCommitMessage, scaleCommitMessage } from '../../src/history/commit-message.js';
import { awsConfig, startWorld, type World } from '../sim/github/support.js';
import { bob, git } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import {
  AutoscalePrMemory,
  BRANCH,
  branchPullRequests,
  callName,
  decision,
  FILE,
  personPushes,
  repo,
  requestLog,
  someoneChangesMain,
  writesOf,
} from './autoscale-support.js';

// The autoscale PR against the GitHub simulator over a real bare repository: each test starts
// from main with cluster-config/aws.yml (demo-shop, 3 nodes, bounds 2..10) and checks the result
// with git itself and with the simulator's request log.

const REF = `heads/${BRANCH}`;

let world: World;
let memory: AutoscalePrMemory;

beforeEach(async () => {
  world = await startWorld();
  memory = new AutoscalePrMemory();
});

afterEach(async () => {
  await world?.close();
});

/** `git log` of the autoscale branch's own commits (those not on main). */
async function branchCommits(): Promise<string[]> {
  const out = await world.git(['log', '--format=%H', `main..${BRANCH}`]);
  return out ? out.split('\n') : [];
}

/** The lines the autoscale branch changes against main, as `git diff` shows them. */
async function changedLines(): Promise<string[]> {
  const diff = await world.git(['diff', '-U0', 'main', BRANCH]);
  return diff.split('\n').filter((line) => /^[-+](?![-+])/.test(line));
}

async function pull(number: number): Promise<Awaited<ReturnType<World['octokit']['pulls']['get']>>['data']> {
  return (await world.octokit.pulls.get({ ...repo, pull_number: number })).data;
}

describe('opening the autoscale PR', () => {
  it('opens one PR whose one commit on main changes only the count line, with the reason as a trailer', async () => {
    const log = requestLog(world);
    const result = await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const calls = log();

    expect(result).toMatchObject({ action: 'opened', number: 1, warnings: [] });
    expect(result.url).toMatch(/\/pull\/1$/);
    const [commit, ...more] = await branchCommits();
    expect(more).toEqual([]);
    expect(await world.git(['rev-parse', `${commit}^`])).toBe(await world.git(['rev-parse', 'main']));
    expect(await world.git(['diff', '--numstat', 'main', BRANCH])).toBe(`1\t1\t${FILE}`);
    expect(await changedLines()).toEqual(['-      count: 3', '+      count: 5']);

    const message = await world.git(['log', '-1', '--format=%B', BRANCH]);
    const change = { cluster: 'demo-shop', component: 'kubernetes_node', from: 3, to: 5, reason: '4 pods pending for 3m' };
    expect(message.trimEnd()).toBe(scaleCommitMessage(change).trimEnd());
    expect(parseCommitMessage(message).reason).toBe('4 pods pending for 3m');
    expect((await world.git(['log', '-1', '--format=%(trailers:key=Autoscale-Reason,valueonly)', BRANCH])).trim()).toBe(
      '4 pods pending for 3m',
    );
    const who = `${AUTOSCALER_IDENTITY.name} <${AUTOSCALER_IDENTITY.email}>`;
    expect(await world.git(['log', '-1', '--format=%an <%ae>|%cn <%ce>', BRANCH])).toBe(`${who}|${who}`);

    const pr = await pull(1);
    expect(pr).toMatchObject({
      title: 'Scale demo-shop kubernetes_node 3 → 5',
      head: { ref: BRANCH, sha: commit },
      base: { ref: 'main' },
      commits: 1,
      changed_files: 1,
      additions: 1,
      deletions: 1,
    });
    expect(pr.labels.map((label) => label.name)).toEqual(['autoscaler', 'scale-up']);
    expect(readPrMarker(pr.body)).toEqual({ file: FILE, cluster: 'demo-shop', component: 'kubernetes_node', from: 3, to: 5, head: commit });
    expect(pr.body).toContain('**Why:** 4 pods pending for 3m');
    expect(pr.body).toContain('+ prod-demo-shop-kubernetes-node-vm-3\n+ prod-demo-shop-kubernetes-node-vm-4');
    expect(pr.body).toContain('| measure | value | threshold |\n| --- | --- | --- |\n| pending pods | 4 | 0 |');
    expect(pr.body).toContain('```mermaid\nxychart-beta');

    // Five writes: tree, commit, branch, PR, labels; the reads are the listing, main's tip and the config at it.
    expect(writesOf(calls)).toEqual(['POST git/trees', 'POST git/commits', 'POST git/refs', 'POST pulls', 'POST issues/1/labels']);
    expect(calls.filter((r) => r.method === 'GET').map(callName)).toEqual(['GET pulls', 'GET branches/main', `GET contents/${FILE}`]);
  });

  it('makes no write and only conditional reads in an idle cycle (same decision, config unchanged)', async () => {
    const first = await readClusterConfig(world.octokit, { ...repo, path: FILE });
    if (first.unchanged) throw new Error('a first read is never unchanged');
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    // The cycle after the PR opened reads the listing in full once (it holds a new PR) and writes nothing.
    let log = requestLog(world);
    expect(await syncAutoscalePr(world.octokit, decision(5, { memory }))).toMatchObject({ action: 'unchanged' });
    expect(log().map((r) => [callName(r), r.status])).toEqual([['GET pulls', 200]]);

    log = requestLog(world);
    const config = await readClusterConfig(world.octokit, { ...repo, path: FILE, etag: first.etag });
    const result = await syncAutoscalePr(
      world.octokit,
      decision(5, { memory, reason: 'a reworded reason', evidence: { summary: 'new numbers' } }),
    );

    expect(config).toEqual({ unchanged: true });
    expect(result).toMatchObject({ action: 'unchanged', number: 1 });
    expect(log().map((r) => [callName(r), r.status])).toEqual([
      [`GET contents/${FILE}`, 304],
      ['GET pulls', 304],
    ]);
  });

  it('resolves the default branch when not told, with a conditional read too', async () => {
    const { defaultBranch: _, ...withoutBranch } = decision(5, { memory });
    await syncAutoscalePr(world.octokit, withoutBranch);
    await syncAutoscalePr(world.octokit, withoutBranch);
    const log = requestLog(world);
    expect(await syncAutoscalePr(world.octokit, withoutBranch)).toMatchObject({ action: 'unchanged' });
    expect(log().map((r) => [callName(r), r.status])).toEqual([
      ['GET repository', 304],
      ['GET pulls', 304],
    ]);
  });
});

describe('a new decision', () => {
  it('rewrites the same PR: one new commit on the latest main, new title, body, labels; four writes', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const tip = await someoneChangesMain(world);

    const log = requestLog(world);
    const result = await syncAutoscalePr(world.octokit, decision(6, { memory }));
    const calls = log();

    expect(result).toMatchObject({ action: 'updated', number: 1 });
    const commits = await branchCommits();
    expect(commits).toHaveLength(1);
    expect(await world.git(['rev-parse', `${commits[0]}^`])).toBe(tip);
    expect(await world.git(['diff', '--numstat', 'main', BRANCH])).toBe(`1\t1\t${FILE}`);
    expect(await world.git(['log', '-1', '--format=%s', BRANCH])).toBe('Scale demo-shop kubernetes_node 3 → 6');
    const pr = await pull(1);
    expect(pr).toMatchObject({ title: 'Scale demo-shop kubernetes_node 3 → 6', state: 'open', commits: 1 });
    expect(readPrMarker(pr.body)).toMatchObject({ from: 3, to: 6, head: commits[0] });
    // Four writes: tree, commit, the forced branch move, and one PR write for title, body and labels.
    expect(writesOf(calls)).toEqual(['POST git/trees', 'POST git/commits', `PATCH git/refs/${REF}`, 'PATCH issues/1']);
    // Four reads: the listing, main's tip, the config at it, and the branch again just before the forced move.
    expect(calls.filter((r) => r.method === 'GET').map(callName)).toEqual([
      'GET pulls',
      'GET branches/main',
      `GET contents/${FILE}`,
      `GET git/ref/${REF}`,
    ]);
    expect((await branchPullRequests(world.octokit)).length).toBe(1);
  });

  it('turns a scale-up into a scale-down: the direction label follows, other labels stay', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory, labels: ['team-infra'] }));
    await world.octokit.issues.addLabels({ ...repo, issue_number: 1, labels: ['reviewed-by-ops'] });

    expect(await syncAutoscalePr(world.octokit, decision(2, { memory, labels: ['team-infra'] }))).toMatchObject({ action: 'updated' });
    const pr = await pull(1);
    expect(pr.labels.map((label) => label.name).sort()).toEqual(['autoscaler', 'reviewed-by-ops', 'scale-down', 'team-infra']);
    expect(pr.body).toContain('- prod-demo-shop-kubernetes-node-vm-2');
  });

  it('puts back labels a person removed, and writes nothing else', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    await world.octokit.issues.removeLabel({ ...repo, issue_number: 1, name: 'scale-up' });
    const log = requestLog(world);
    expect(await syncAutoscalePr(world.octokit, decision(5, { memory }))).toMatchObject({ action: 'updated' });
    expect(writesOf(log())).toEqual(['POST issues/1/labels']);
  });
});

describe('a branch a person has pushed to', () => {
  it('is never rewritten: the autoscaler comments what it would now do, once per decision', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const personal = await personPushes(world, 4);

    const result = await syncAutoscalePr(world.octokit, decision(6, { memory }));
    expect(result).toMatchObject({ action: 'commented', number: 1 });
    expect(await world.git(['rev-parse', BRANCH])).toBe(personal);
    const { data: comments } = await world.octokit.issues.listComments({ ...repo, issue_number: 1 });
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('The autoscaler now decides **kubernetes_node 3 → 6**');
    expect(comments[0]?.body).toContain('set `kubernetes_node.count: 6` in `cluster-config/aws.yml` on this branch');

    // The same decision again: nothing new to say, from memory or (after a restart) from the comments.
    let log = requestLog(world);
    expect(await syncAutoscalePr(world.octokit, decision(6, { memory }))).toMatchObject({ action: 'unchanged' });
    expect(await syncAutoscalePr(world.octokit, decision(6, { memory: new AutoscalePrMemory() }))).toMatchObject({ action: 'unchanged' });
    expect(writesOf(log())).toEqual([]);

    // What the PR proposed all along: nothing to add either.
    expect(await syncAutoscalePr(world.octokit, decision(5, { memory }))).toMatchObject({ action: 'unchanged' });

    log = requestLog(world);
    expect(await syncAutoscalePr(world.octokit, decision(7, { memory }))).toMatchObject({ action: 'commented' });
    expect(writesOf(log())).toEqual(['POST issues/1/comments']);
    expect(await world.git(['rev-parse', BRANCH])).toBe(personal);
  });

  it('an amended commit (the autoscaler’s message, a person as committer) counts as a person’s', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const dir = await tempDir('amend-');
    await git(dir, ['clone', '-q', '-b', BRANCH, world.bare, '.']);
    await git(dir, ['commit', '-q', '--amend', '--no-edit'], { who: bob });
    await git(dir, ['push', '-q', '--force', 'origin', BRANCH]);
    const amended = await git(dir, ['rev-parse', 'HEAD']);

    expect(await syncAutoscalePr(world.octokit, decision(6, { memory }))).toMatchObject({ action: 'commented' });
    expect(await world.git(['rev-parse', BRANCH])).toBe(amended);
  });
});

describe('when no change is needed any more', () => {
  it('closes the PR with a comment saying why, and deletes the autoscaler’s branch', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const log = requestLog(world);
    const result = await closeAutoscalePr(world.octokit, {
      ...repo,
      defaultBranch: 'main',
      cluster: 'demo-shop',
      why: 'the pending pods were scheduled',
      memory,
    });

    expect(result).toMatchObject({ action: 'closed', number: 1 });
    const calls = log();
    expect(writesOf(calls)).toEqual(['POST issues/1/comments', 'PATCH issues/1', `DELETE git/refs/${REF}`]);
    expect(calls.filter((r) => r.method === 'GET').map(callName)).toEqual(['GET pulls', `GET git/ref/${REF}`]);
    const pr = await pull(1);
    expect(pr).toMatchObject({ state: 'closed', merged: false });
    expect(readPrMarker(pr.body)).toMatchObject({ to: 5, closed: 'the pending pods were scheduled' });
    const { data: comments } = await world.octokit.issues.listComments({ ...repo, issue_number: 1 });
    expect(comments.map((c) => c.body)).toEqual([
      'The autoscaler closes this PR: the pending pods were scheduled.\n\nThe branch `autoscale/demo-shop` is deleted with it.\n',
    ]);
    expect(await world.git(['branch', '--list', BRANCH])).toBe('');

    const again = requestLog(world);
    expect(
      await closeAutoscalePr(world.octokit, { ...repo, defaultBranch: 'main', cluster: 'demo-shop', why: 'still fine', memory }),
    ).toMatchObject({
      action: 'unchanged',
      number: null,
    });
    expect(writesOf(again())).toEqual([]);

    // A PR the autoscaler closed does not hold back a new one when the need comes back.
    expect(await syncAutoscalePr(world.octokit, decision(5, { memory }))).toMatchObject({ action: 'opened', number: 2 });
  });

  it('keeps a branch a person has pushed to when it closes the PR', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const personal = await personPushes(world, 4);
    const result = await closeAutoscalePr(world.octokit, {
      ...repo,
      defaultBranch: 'main',
      cluster: 'demo-shop',
      why: 'load went down',
      memory,
    });
    expect(result).toMatchObject({ action: 'closed' });
    expect(await world.git(['rev-parse', BRANCH])).toBe(personal);
    const { data: comments } = await world.octokit.issues.listComments({ ...repo, issue_number: 1 });
    expect(comments[0]?.body).toContain('is kept: it has commits the autoscaler did not make');
  });

  it('closes the PR when main already has the count it proposes', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    // A person sets 6 on main by hand; the watcher, deciding 3 → 6 from an older read, finds it done.
    const { data: main } = await world.octokit.repos.getContent({ ...repo, path: FILE });
    await world.octokit.repos.createOrUpdateFileContents({
      ...repo,
      path: FILE,
      message: 'Scale by hand',
      content: Buffer.from(awsConfig(6)).toString('base64'),
      sha: (main as { sha: string }).sha,
    });
    const result = await syncAutoscalePr(world.octokit, decision(6, { memory }));
    expect(result).toMatchObject({ action: 'closed', number: 1 });
    expect(result.detail).toContain('already sets kubernetes_node.count to 6');
  });
});

describe('what people did meanwhile', () => {
  it('a PR merged by a person: no new PR when none is needed, a new one from the merged branch when more is', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    await world.octokit.pulls.merge({ ...repo, pull_number: 1, merge_method: 'squash' });

    // The next cycle reads the new config (5 nodes) and needs nothing more.
    const log = requestLog(world);
    expect(
      await closeAutoscalePr(world.octokit, { ...repo, defaultBranch: 'main', cluster: 'demo-shop', why: 'enough nodes', memory }),
    ).toMatchObject({
      action: 'unchanged',
    });
    // A decision from a read before the merge: main already has it, or the count moved under it.
    expect(await syncAutoscalePr(world.octokit, decision(5, { memory }))).toMatchObject({ action: 'unchanged', number: null });
    expect(await syncAutoscalePr(world.octokit, decision(6, { memory }))).toMatchObject({ action: 'stale' });
    expect(writesOf(log())).toEqual([]);

    const result = await syncAutoscalePr(world.octokit, decision(7, { memory, from: 5 }));
    expect(result).toMatchObject({ action: 'opened', number: 2 });
    expect(await branchCommits()).toHaveLength(1);
    expect(await changedLines()).toEqual(['-      count: 5', '+      count: 7']);
    expect((await branchPullRequests(world.octokit)).map((p) => [p.number, p.state, p.merged])).toEqual([
      [1, 'closed', true],
      [2, 'open', false],
    ]);
  });

  it('a PR a person closed: not opened again for the same change within the hour, opened for another change', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    await world.octokit.pulls.update({ ...repo, pull_number: 1, state: 'closed' });

    const log = requestLog(world);
    const held = await syncAutoscalePr(world.octokit, decision(5, { memory }));
    expect(held).toMatchObject({ action: 'unchanged', number: 1 });
    expect(held.detail).toMatch(/a person closed PR #1 for this same change/);
    expect(writesOf(log())).toEqual([]);

    const later = () => new Date(Date.now() + 2 * 60 * 60 * 1000);
    expect(await syncAutoscalePr(world.octokit, decision(5, { memory, now: later }))).toMatchObject({ action: 'opened', number: 2 });
    expect(await syncAutoscalePr(world.octokit, decision(6, { memory }))).toMatchObject({ action: 'updated', number: 2 });
  });

  it('a leftover branch with a person’s unmerged commits and no open PR is refused, naming the fix', async () => {
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    await personPushes(world, 4);
    await world.octokit.pulls.update({ ...repo, pull_number: 1, state: 'closed' });
    const refusal = syncAutoscalePr(world.octokit, decision(6, { memory }));
    await expect(refusal).rejects.toThrow(UserError);
    await expect(refusal).rejects.toThrow(/has commits the autoscaler did not make .* merge or delete the branch/);
  });
});

describe('refusals', () => {
  it('refuses a count outside the autoscaling bounds before writing anything', async () => {
    const log = requestLog(world);
    await expect(syncAutoscalePr(world.octokit, decision(11, { memory }))).rejects.toThrow(/outside the autoscaling bounds \[2, 10\]/);
    expect(writesOf(log())).toEqual([]);
  });

  it('refuses no change, a file of another cluster, and a cluster name that is no branch name', async () => {
    await expect(syncAutoscalePr(world.octokit, decision(3, { memory }))).rejects.toThrow(/nothing to change: call closeAutoscalePr/);
    await expect(syncAutoscalePr(world.octokit, decision(5, { memory, cluster: 'other' }))).rejects.toThrow(
      /holds cluster demo-shop, not other: pass the file of cluster other/,
    );
    await expect(syncAutoscalePr(world.octokit, decision(5, { memory, cluster: 'a b' }))).rejects.toThrow(/letters, digits and '-'/);
  });
});
