import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/github/plan-comment.js';
import type { JsonObject } from '../../src/workflow/index.js';
import { businessDay, recordedLines } from '../replay/support.js';
import { OWNER, REPO, worldWithoutServerErrors } from '../sim/github/support.js';
import { pricedShop } from '../support/config-text.js';
import { git } from '../support/git.js';
import { cloneOf, errorsOf, onlyJob, runRepositoryWorkflow, stepOutcomes } from './support.js';

// .github/workflows/pr.yml, run by the local runner for the pull_request events GitHub sends when a
// pull request changing cluster-config/ is opened and pushed to, against the GitHub simulator over
// a real bare repository: main holds cluster-config/shop.yml (aws/demo-shop, 3 t3.medium workers in
// eu-west-1, bounds [2, 10]) and the pull request changes its count.

const FILE = 'cluster-config/shop.yml';
const BRANCH = 'more-shop';
const node = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;

/** The shop cluster; `count` is on line 11, column 14. */
const shop = pricedShop;

const world = worldWithoutServerErrors();
let work: string;
let pullNumber: number;

/** The pull request's branch sets the count, and is pushed. */
async function pushToPullRequest(count: number): Promise<void> {
  await writeFile(join(work, FILE), shop(count));
  await git(work, ['commit', '-qam', `shop: ${count} workers`]);
  await git(work, ['push', '-q', 'origin', BRANCH]);
}

/**
 * The pull_request event GitHub sends after the push: the pull request as the API shows it once
 * GitHub has made its test merge (merge_commit_sha, refs/pull/N/merge), which the check runs on.
 */
async function pullRequestEvent(action: 'opened' | 'synchronize', number = pullNumber): Promise<JsonObject> {
  const { data: pull } = await world.octokit.pulls.get({ owner: OWNER, repo: REPO, pull_number: number });
  return {
    action,
    number: pull.number,
    pull_request: {
      number: pull.number,
      merge_commit_sha: pull.merge_commit_sha,
      head: { ref: pull.head.ref, sha: pull.head.sha },
      base: { ref: pull.base.ref, sha: pull.base.sha },
    },
  };
}

async function check(action: 'opened' | 'synchronize', number = pullNumber) {
  return runRepositoryWorkflow('pr.yml', 'pull_request', {
    eventPayload: await pullRequestEvent(action, number),
    actor: 'bob',
    runId: 4242,
    workspace: world.bare,
    apiUrl: world.sim.url,
  });
}

async function planComments(number = pullNumber): Promise<Array<{ id: number; body: string }>> {
  const { data } = await world.octokit.issues.listComments({ owner: OWNER, repo: REPO, issue_number: number });
  return data.map((comment) => ({ id: comment.id, body: comment.body ?? '' }));
}

beforeAll(async () => {
  work = await cloneOf(world);
  await writeFile(join(work, FILE), shop(3));
  await git(work, ['add', FILE]);
  await git(work, ['commit', '-qm', 'Add the shop cluster']);
  await git(work, ['push', '-q', 'origin', 'main']);
  await git(work, ['checkout', '-q', '-b', BRANCH]);
  await pushToPullRequest(5);
  const { data } = await world.octokit.pulls.create({ owner: OWNER, repo: REPO, title: 'More shop workers', head: BRANCH, base: 'main' });
  pullNumber = data.number;
});

describe('pr.yml (pull_request), run with the local runner against the GitHub simulator', () => {
  it('validates, then comments the plan once: the counts, the node names added and the monthly cost change', async () => {
    const run = await check('opened');

    expect(run.conclusion, run.log.join('\n')).toBe('success');
    // The check ran on GitHub's test merge of the pull request into main.
    const { data: pull } = await world.octokit.pulls.get({ owner: OWNER, repo: REPO, pull_number: pullNumber });
    expect([run.ref, run.sha]).toEqual([`refs/pull/${pullNumber}/merge`, pull.merge_commit_sha]);
    const job = onlyJob(run, 'plan');
    expect(stepOutcomes(job)).toEqual([
      'Run actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: success',
      'Validate the cluster configs (annotations on the changed lines): success',
      'Scale plan and monthly cost change, as one pull request comment: success',
    ]);
    expect(job.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    expect(run.concurrency).toEqual({ group: `plan-pr-${pullNumber}`, cancelInProgress: true });
    expect(errorsOf(run)).toEqual([]);

    const comments = await planComments();
    expect(comments).toHaveLength(1);
    const body = comments[0]?.body ?? '';
    expect(body.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(body).toContain('1 cluster scaled: 2 nodes added, 0 removed; monthly cost change **+$66.58**.');
    expect(body).toContain('| `aws/demo-shop` | `cluster-config/shop.yml` | kubernetes\\_node 3 → 5 | +2 | +$66.58 |');
    expect(body).toContain(['```diff', `+ ${node(3)}`, `+ ${node(4)}`, '```'].join('\n'));
    expect(body).toContain('- `aws/demo-shop` kubernetes\\_node 3 → 5: +2 × `t3.medium` × $0.0456/h × 730 h = **+$66.58**');
    expect(body).toContain('[workflow run](https://github.com/example/cluster-config/actions/runs/4242)');
  }, 60_000);

  it('edits the same comment after a second push to the pull request: still one comment, now with the nodes removed', async () => {
    const [first] = await planComments();
    await pushToPullRequest(2);

    const run = await check('synchronize');

    expect(run.conclusion, run.log.join('\n')).toBe('success');
    const comments = await planComments();
    expect(comments.map((comment) => comment.id)).toEqual([first?.id]);
    const body = comments[0]?.body ?? '';
    expect(body).toContain('1 cluster scaled: 0 nodes added, 1 removed; monthly cost change **-$33.29**.');
    expect(body).toContain('| `aws/demo-shop` | `cluster-config/shop.yml` | kubernetes\\_node 3 → 2 | −1 | -$33.29 |');
    expect(body).toContain(['```diff', `- ${node(2)}`, '```'].join('\n'));
    expect(body).not.toContain(node(3));
  }, 60_000);

  it('fails the check on an invalid config, with the problem annotated at its file:line and listed in the same comment', async () => {
    const [first] = await planComments();
    await pushToPullRequest(11);

    const run = await check('synchronize');

    expect(run.conclusion).toBe('failure');
    const job = onlyJob(run, 'plan');
    expect(stepOutcomes(job)).toEqual([
      'Run actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: success',
      'Validate the cluster configs (annotations on the changed lines): failure',
      'Scale plan and monthly cost change, as one pull request comment: failure',
    ]);
    const problem = run.annotations.filter((annotation) => annotation.level === 'error' && annotation.file !== undefined);
    expect(problem.map(({ file, line, column, message }) => ({ file, line, column, message }))).toEqual([
      { file: FILE, line: 11, column: 14, message: 'kubernetes_node.count 11 is outside its autoscaling bounds [2, 10]' },
    ]);
    const comments = await planComments();
    expect(comments.map((comment) => comment.id)).toEqual([first?.id]);
    expect(comments[0]?.body).toContain('❌ 1 problem in the cluster configs: nothing can be planned until it is fixed.');
    expect(comments[0]?.body).toContain('`cluster-config/shop.yml:11:14`');
  }, 60_000);
});

describe('pr.yml on a pull request that changes the autoscaling settings', () => {
  it('adds the what-if replay of the recorded week (recordings/aws/demo-shop.jsonl) to the plan comment', async () => {
    // A person commits a copy of the watcher's recording to main, then proposes patient scale-downs.
    const clone = await cloneOf(world);
    const recording = 'recordings/aws/demo-shop.jsonl';
    await mkdir(join(clone, 'recordings', 'aws'), { recursive: true });
    await writeFile(
      join(clone, recording),
      recordedLines(businessDay())
        .map((line) => `${JSON.stringify(line)}\n`)
        .join(''),
    );
    await git(clone, ['add', recording]);
    await git(clone, ['commit', '-qm', 'shop: the recorded day']);
    await git(clone, ['push', '-q', 'origin', 'main']);
    await git(clone, ['checkout', '-q', '-b', 'patient-shop']);
    await writeFile(
      join(clone, FILE),
      shop(3).replace('      max: 10\n', '      max: 10\n      scale_down_unneeded_time: 1h\n      scale_down_max_step: 3\n'),
    );
    await git(clone, ['commit', '-qam', 'shop: scale down after an hour, three at a time']);
    await git(clone, ['push', '-q', 'origin', 'patient-shop']);
    const { data } = await world.octokit.pulls.create({
      owner: OWNER,
      repo: REPO,
      title: 'Patient shop',
      head: 'patient-shop',
      base: 'main',
    });

    const run = await check('opened', data.number);

    expect(run.conclusion, run.log.join('\n')).toBe('success');
    expect(run.annotations.filter((annotation) => annotation.level !== 'notice')).toEqual([]);
    const [comment] = await planComments(data.number);
    const body = comment?.body ?? '';
    expect(body).toContain('No node count changes: merging this applies nothing.');
    expect(body).toContain('### What-if replay of the autoscaling settings\n\n480 recorded cycles of **shop**');
    expect(body).toContain('| `scale_down_unneeded_time` | 10m | 1h |');
    expect(body).toContain('```mermaid\nxychart-beta\n');
    expect(body).toContain('| node-hours (Ready workers × hours) | 23.8 | 26.1 | +2.3 (+9.4 %) |');
    expect(body).toContain('<sub>Replayed from `recordings/aws/demo-shop.jsonl` (up to its last 7 days).</sub>');
  }, 60_000);
});
