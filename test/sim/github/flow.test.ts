import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsConfig, BOT, type Client, commitConfig, createBranch, mainSha, OWNER, REPO, startWorld, type World } from './support.js';

// The watcher's whole conversation with GitHub, through @octokit/rest with the retry and throttling
// plugins, against the simulator; then the bare repository is checked with git itself.

const repo = { owner: OWNER, repo: REPO };
let world: World;
let octokit: Client;

beforeAll(async () => {
  world = await startWorld();
  octokit = world.octokit;
});

afterAll(async () => {
  await world?.close();
});

/** `git log -1` of a ref: parents, subject, body, author and committer. */
async function lastCommit(ref: string): Promise<{ parents: string[]; subject: string; body: string; author: string; committer: string }> {
  const out = await world.git(['log', '-1', '--format=%P%x00%s%x00%b%x00%an <%ae>%x00%cn <%ce>', ref]);
  const [parents = '', subject = '', body = '', author = '', committer = ''] = out.split('\0');
  return { parents: parents.split(' ').filter(Boolean), subject, body: body.trim(), author, committer };
}

describe('the autoscale pull request, end to end', () => {
  const branch = 'autoscale/demo-shop';
  let base: string;
  let first: string;
  let second: string;
  let number: number;

  it('serves the repository and the token user', async () => {
    const { data } = await octokit.repos.get(repo);
    expect(data).toMatchObject({ full_name: 'example/cluster-config', default_branch: 'main', private: true, owner: { login: 'example' } });
    expect(data.permissions).toMatchObject({ push: true, pull: true });
    const { data: user } = await octokit.users.getAuthenticated();
    expect(user).toMatchObject({ login: BOT, type: 'Bot' });
  });

  it('builds a commit with the git data API and opens a PR from a new branch', async () => {
    const { data: ref } = await octokit.git.getRef({ ...repo, ref: 'heads/main' });
    expect(ref).toMatchObject({ ref: 'refs/heads/main', object: { type: 'commit' } });
    base = ref.object.sha;
    first = await commitConfig(octokit, base, 4, 'Scale demo-shop kubernetes_node 3 → 4\n\n2 pods pending for 3m.');
    await createBranch(octokit, branch, first);

    const { data: pr } = await octokit.pulls.create({
      ...repo,
      title: 'Scale demo-shop to 4 nodes',
      head: branch,
      base: 'main',
      body: 'Pending pods: 2',
    });
    number = pr.number;
    expect(pr).toMatchObject({
      number: 1,
      state: 'open',
      draft: false,
      merged: false,
      mergeable: true,
      mergeable_state: 'clean',
      title: 'Scale demo-shop to 4 nodes',
      body: 'Pending pods: 2',
      user: { login: BOT },
      head: { ref: branch, sha: first, label: `example:${branch}`, repo: { full_name: 'example/cluster-config' } },
      base: { ref: 'main', sha: base, label: 'example:main' },
      commits: 1,
      additions: 1,
      deletions: 1,
      changed_files: 1,
      url: `${world.sim.url}/repos/example/cluster-config/pulls/1`,
    });
    // While open, merge_commit_sha is GitHub's test merge, kept at refs/pull/N/merge.
    expect(pr.merge_commit_sha).toBe(await world.git(['rev-parse', 'refs/pull/1/merge']));
    expect(await world.git(['rev-parse', 'refs/pull/1/head'])).toBe(first);
  });

  it('finds the PR again by head=owner:branch, and only that one', async () => {
    const other = await commitConfig(octokit, base, 5, 'Another change');
    await createBranch(octokit, 'manual/other', other);
    await octokit.pulls.create({ ...repo, title: 'Another', head: 'manual/other', base: 'main' });

    const { data: found } = await octokit.pulls.list({ ...repo, head: `${OWNER}:${branch}`, state: 'open' });
    expect(found.map((pr) => pr.number)).toEqual([number]);
    // Without the owner GitHub ignores the filter, and so does the simulator: every open PR, newest first.
    const { data: unfiltered } = await octokit.pulls.list({ ...repo, head: branch, state: 'open' });
    expect(unfiltered.map((pr) => pr.number)).toEqual([2, 1]);
    await octokit.pulls.update({ ...repo, pull_number: 2, state: 'closed' });
    const { data: closed } = await octokit.pulls.list({ ...repo, state: 'closed' });
    expect(closed.map((pr) => [pr.number, pr.state, pr.merged_at])).toEqual([[2, 'closed', null]]);
  });

  it('follows the branch when the watcher moves it, and updates the body', async () => {
    second = await commitConfig(octokit, first, 5, 'Scale demo-shop kubernetes_node 4 → 5\n\n4 pods pending.');
    const { data: moved } = await octokit.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: second });
    expect(moved.object.sha).toBe(second);
    await octokit.pulls.update({ ...repo, pull_number: number, body: 'Pending pods: 4' });

    const { data: pr } = await octokit.pulls.get({ ...repo, pull_number: number });
    expect(pr).toMatchObject({ body: 'Pending pods: 4', head: { sha: second }, commits: 2, additions: 1, deletions: 1 });
    const { data: commits } = await octokit.pulls.listCommits({ ...repo, pull_number: number });
    expect(commits.map((c) => c.sha)).toEqual([first, second]);
    expect(commits[1]?.commit.message).toBe('Scale demo-shop kubernetes_node 4 → 5\n\n4 pods pending.');
    expect(commits[1]).toMatchObject({ author: { login: BOT }, parents: [{ sha: first }] });

    const { data: files } = await octokit.pulls.listFiles({ ...repo, pull_number: number });
    expect(files).toEqual([
      expect.objectContaining({
        filename: 'cluster-config/aws.yml',
        status: 'modified',
        additions: 1,
        deletions: 1,
        changes: 2,
        patch: expect.stringContaining('-      count: 3\n+      count: 5'),
      }),
    ]);
  });

  it('labels the PR and comments the plan on it (labels are created on first use)', async () => {
    const { data: labels } = await octokit.issues.addLabels({ ...repo, issue_number: number, labels: ['autoscaler', 'scale-up'] });
    expect(labels.map((l) => [l.name, l.color])).toEqual([
      ['autoscaler', 'ededed'],
      ['scale-up', 'ededed'],
    ]);
    const { data: comment } = await octokit.issues.createComment({
      ...repo,
      issue_number: number,
      body: '### Plan\n+ prod-demo-shop-kubernetes-node-vm-3',
    });
    expect(comment).toMatchObject({ user: { login: BOT }, issue_url: `${world.sim.url}/repos/example/cluster-config/issues/1` });
    const { data: edited } = await octokit.issues.updateComment({ ...repo, comment_id: comment.id, body: '### Plan\n+ vm-3\n+ vm-4' });
    expect(edited.body).toBe('### Plan\n+ vm-3\n+ vm-4');
    await octokit.issues.removeLabel({ ...repo, issue_number: number, name: 'scale-up' });

    const { data: issue } = await octokit.issues.get({ ...repo, issue_number: number });
    expect(issue).toMatchObject({ number, comments: 1, labels: [{ name: 'autoscaler' }] });
    expect(issue.pull_request).toMatchObject({ url: `${world.sim.url}/repos/example/cluster-config/pulls/1`, merged_at: null });
    const { data: comments } = await octokit.issues.listComments({ ...repo, issue_number: number });
    expect(comments.map((c) => c.body)).toEqual(['### Plan\n+ vm-3\n+ vm-4']);
    const { data: repoLabels } = await octokit.issues.listLabelsForRepo(repo);
    expect(repoLabels.map((l) => l.name).sort()).toEqual(['autoscaler', 'scale-up']);
  });

  it('merges with a merge commit: two parents, GitHub’s subject, the PR title as body', async () => {
    const { data: result } = await octokit.pulls.merge({ ...repo, pull_number: number, merge_method: 'merge', sha: second });
    expect(result).toMatchObject({ merged: true, message: 'Pull Request successfully merged' });

    const log = await lastCommit('main');
    expect(result.sha).toBe(await world.git(['rev-parse', 'main']));
    expect(log.parents).toEqual([base, second]);
    expect(log.subject).toBe(`Merge pull request #1 from example/${branch}`);
    expect(log.body).toBe('Scale demo-shop to 4 nodes');
    expect(log.author).toBe(`${BOT} <1001+${BOT}@users.noreply.github.com>`);
    expect(log.committer).toBe('GitHub <noreply@github.com>');
    expect(await world.git(['show', 'main:cluster-config/aws.yml'])).toBe(awsConfig(5).trimEnd());

    const { data: pr } = await octokit.pulls.get({ ...repo, pull_number: number });
    expect(pr).toMatchObject({ state: 'closed', merged: true, merge_commit_sha: result.sha, merged_by: { login: BOT }, mergeable: null });
    await expect(octokit.pulls.checkIfMerged({ ...repo, pull_number: number })).resolves.toMatchObject({ status: 204 });
    // The head branch stays (delete_branch_on_merge is off by default).
    expect(await world.git(['rev-parse', `refs/heads/${branch}`])).toBe(second);
  });

  it('squash-merges a two-commit PR: one parent, "title (#N)", the commit messages as body', async () => {
    const tip = await mainSha(octokit);
    const a = await commitConfig(octokit, tip, 6, 'Scale to 6');
    const b = await commitConfig(octokit, a, 7, 'Scale to 7\n\nStill pending.');
    await createBranch(octokit, 'autoscale/squash', b);
    const { data: pr } = await octokit.pulls.create({
      ...repo,
      title: 'Scale demo-shop to 7 nodes',
      head: 'autoscale/squash',
      base: 'main',
    });
    expect(pr.number).toBe(3);

    const { data: result } = await octokit.pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'squash' });
    const log = await lastCommit('main');
    expect(log.parents).toEqual([tip]);
    expect(log.subject).toBe('Scale demo-shop to 7 nodes (#3)');
    expect(log.body).toBe('* Scale to 6\n\n* Scale to 7\n\nStill pending.');
    expect(result.sha).toBe(await world.git(['rev-parse', 'main']));
    expect(await world.git(['show', 'main:cluster-config/aws.yml'])).toBe(awsConfig(7).trimEnd());
  });

  it('squash-merges a one-commit PR with the commit’s own title (GitHub’s COMMIT_OR_PR_TITLE default), or the given one', async () => {
    const tip = await mainSha(octokit);
    await createBranch(octokit, 'autoscale/one', await commitConfig(octokit, tip, 8, 'Scale to 8\n\nBecause.'));
    const { data: one } = await octokit.pulls.create({ ...repo, title: 'PR title', head: 'autoscale/one', base: 'main' });
    await octokit.pulls.merge({ ...repo, pull_number: one.number, merge_method: 'squash' });
    expect(await lastCommit('main')).toMatchObject({ subject: `Scale to 8 (#${one.number})`, body: 'Because.' });

    await createBranch(octokit, 'autoscale/titled', await commitConfig(octokit, await mainSha(octokit), 9, 'Scale to 9'));
    const { data: titled } = await octokit.pulls.create({ ...repo, title: 'Scale to 9 nodes', head: 'autoscale/titled', base: 'main' });
    await octokit.pulls.merge({
      ...repo,
      pull_number: titled.number,
      merge_method: 'squash',
      commit_title: `Scale to 9 nodes (#${titled.number})`,
      commit_message: 'Decision: 5 pods pending',
    });
    expect(await lastCommit('main')).toMatchObject({ subject: `Scale to 9 nodes (#${titled.number})`, body: 'Decision: 5 pods pending' });
  });

  it('rebase-merges: the commits replayed on the base, authors kept, history linear', async () => {
    const tip = await mainSha(octokit);
    const a = await commitConfig(octokit, tip, 3, 'Scale down to 3');
    // A side change on main meanwhile, so the replay really rebases rather than fast-forwards.
    const side = await octokit.repos.createOrUpdateFileContents({
      ...repo,
      path: 'NOTES.md',
      message: 'Notes',
      content: Buffer.from('notes\n').toString('base64'),
    });
    await createBranch(octokit, 'autoscale/rebase', a);
    const { data: pr } = await octokit.pulls.create({ ...repo, title: 'Scale down', head: 'autoscale/rebase', base: 'main' });
    const { data: result } = await octokit.pulls.merge({ ...repo, pull_number: pr.number, merge_method: 'rebase' });
    const log = await lastCommit('main');
    expect(log.parents).toEqual([side.data.commit.sha]);
    expect(log.subject).toBe('Scale down to 3');
    expect(log.committer).toBe('GitHub <noreply@github.com>');
    expect(result.sha).not.toBe(a);
    expect(await world.git(['show', 'main:cluster-config/aws.yml'])).toBe(awsConfig(3).trimEnd());
    expect(await world.git(['show', 'main:NOTES.md'])).toBe('notes');
  });

  it('leaves a repository git itself finds sound, with the PR history on the mainline', async () => {
    await world.git(['fsck', '--strict', '--no-dangling']);
    const subjects = (await world.git(['log', '--first-parent', '--format=%s', 'main'])).split('\n');
    expect(subjects).toEqual([
      'Scale down to 3',
      'Notes',
      'Scale to 9 nodes (#5)',
      'Scale to 8 (#4)',
      'Scale demo-shop to 7 nodes (#3)',
      `Merge pull request #1 from example/${branch}`,
      'Add the demo cluster',
    ]);
  });
});
