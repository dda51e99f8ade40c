import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/github/plan-comment.js';
import { NAME, OWNER, REPO, worldWithoutServerErrors } from '../sim/github/support.js';
import { pricedShop, yaml } from '../support/config-text.js';
import { git, ISOLATED_GIT_ENV } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, runBundledAction } from './runner.js';

// The plan action in comment mode, as pr.yml runs it on a pull_request event: the committed
// bundle, a checkout of the pull request merged into main (as actions/checkout makes it), and the
// GitHub simulator over a real bare repository holding the pull request.

const STACK_FRAME = /(^|%0A|\n)\s+at /m;
const TOKEN = 'ghs_planCommentTestToken0123456789abcdef';
const FILE = 'cluster-config/shop.yml';
const node = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;

/** The shop cluster; `count` is on line 11, column 14. */
const shop = pricedShop;

const world = worldWithoutServerErrors();
let pullNumber: number;
let work: string;

beforeAll(async () => {
  work = await tempDir('lsa-pr-work-');
  await git(work, ['clone', '-q', '-b', 'main', world.bare, '.']);
  await writeFile(join(work, FILE), shop(3));
  await git(work, ['add', FILE]);
  await git(work, ['commit', '-qm', 'Add the shop cluster']);
  await git(work, ['push', '-q', 'origin', 'main']);
  await git(work, ['checkout', '-q', '-b', 'scale-shop']);
  await writeFile(join(work, FILE), shop(5));
  await git(work, ['commit', '-qam', 'Scale shop to 5']);
  await git(work, ['push', '-q', 'origin', 'scale-shop']);
  const { data } = await world.octokit.pulls.create({
    owner: OWNER,
    repo: REPO,
    title: 'Scale shop to 5',
    head: 'scale-shop',
    base: 'main',
  });
  pullNumber = data.number;
});

/** The branch's config changes to `count` workers and is pushed, as a reviewer's fix-up would be. */
async function pushToPullRequest(count: number | string): Promise<void> {
  await git(work, ['checkout', '-q', 'scale-shop']);
  await writeFile(join(work, FILE), shop(count));
  await git(work, ['commit', '-qam', `Scale shop to ${count}`]);
  await git(work, ['push', '-q', 'origin', 'scale-shop']);
}

/**
 * The checkout pr.yml's job gets: the pull request merged into main (GitHub's refs/pull/N/merge),
 * with history (fetch-depth: 0), and the event GitHub writes for it.
 */
async function pullRequestCheckout(): Promise<{ dir: string; merge: string; base: string; event: string }> {
  const dir = await tempDir('lsa-pr-checkout-');
  await git(dir, ['clone', '-q', world.bare, '.']);
  const base = await git(dir, ['rev-parse', 'origin/main']);
  const head = await git(dir, ['rev-parse', 'origin/scale-shop']);
  await git(dir, ['checkout', '-q', '--detach', base]);
  await git(dir, ['merge', '-q', '--no-ff', '-m', `Merge ${head} into ${base}`, head]);
  const merge = await git(dir, ['rev-parse', 'HEAD']);
  const event = join(await tempDir('lsa-pr-event-'), 'event.json');
  await writeFile(
    event,
    JSON.stringify({
      action: 'synchronize',
      number: pullNumber,
      // A synchronize event's before/after are two versions of the branch: the action must not plan between them.
      before: base,
      after: head,
      pull_request: {
        number: pullNumber,
        base: { ref: 'main', sha: base, repo: { full_name: NAME } },
        head: { ref: 'scale-shop', sha: head, repo: { full_name: NAME } },
      },
      repository: { name: REPO, full_name: NAME, owner: { login: OWNER }, default_branch: 'main' },
    }),
  );
  return { dir, merge, base, event };
}

async function planComment(inputs: Record<string, string> = {}, env: Record<string, string | undefined> = {}): Promise<ActionRun> {
  const checkout = await pullRequestCheckout();
  return runBundledAction('plan', {
    workspace: checkout.dir,
    inputs: { base: '', head: '', path: 'cluster-config', comment: 'true', token: TOKEN, 'pull-request': '', prices: '', ...inputs },
    env: {
      PATH: process.env.PATH ?? '',
      ...ISOLATED_GIT_ENV,
      GITHUB_API_URL: world.sim.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: NAME,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: checkout.event,
      GITHUB_SHA: checkout.merge,
      GITHUB_RUN_ID: '77',
      ...env,
    },
  });
}

async function planComments(): Promise<Array<{ id: number; body: string }>> {
  const { data } = await world.octokit.issues.listComments({ owner: OWNER, repo: REPO, issue_number: pullNumber });
  return data
    .filter((comment) => comment.body?.startsWith(PLAN_COMMENT_MARKER))
    .map((comment) => ({ id: comment.id, body: comment.body ?? '' }));
}

function expectTokenNowhere(run: ActionRun): void {
  const logs = (run.stdout + run.stderr).split('\n').filter((line) => !line.startsWith('::add-mask::'));
  expect(logs.join('\n')).not.toContain(TOKEN);
  expect(run.summary).not.toContain(TOKEN);
}

describe('the plan action in comment mode, on a pull request', () => {
  it('posts one comment with the plan of the pull request merged into its base: nodes, counts and the monthly cost change', async () => {
    const run = await planComment();

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const comments = await planComments();
    expect(comments).toHaveLength(1);
    const [comment] = comments;
    expect(comment?.body).toContain('1 cluster scaled: 2 nodes added, 0 removed; monthly cost change **+$66.58**.');
    expect(comment?.body).toContain('| `aws/demo-shop` | `cluster-config/shop.yml` | kubernetes\\_node 3 → 5 | +2 | +$66.58 |');
    expect(comment?.body).toContain(['```diff', `+ ${node(3)}`, `+ ${node(4)}`, '```'].join('\n'));
    expect(comment?.body).toContain('+2 × `t3.medium` × $0.0456/h × 730 h = **+$66.58**');
    expect(comment?.body).toContain('from `data/prices.yml` (compiled ');
    expect(comment?.body).toContain('[workflow run](https://github.com/example/cluster-config/actions/runs/77)');
    expect(run.outputs['comment-url']).toBe(`${world.sim.url}/${NAME}/pull/${pullNumber}#issuecomment-${comment?.id}`);
    expect(run.outputs['nodes-added']).toBe(`${node(3)}\n${node(4)}`);
    expect(run.summary).toContain('Monthly cost change: +$66.58');
    expectTokenNowhere(run);
  });

  it('edits the same comment after another push to the pull request, never adding a second', async () => {
    const [first] = await planComments();
    await pushToPullRequest(6);

    const run = await planComment();

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const comments = await planComments();
    expect(comments.map((comment) => comment.id)).toEqual([first?.id]);
    expect(comments[0]?.body).toContain('kubernetes\\_node 3 → 6 | +3 | +$99.86 |');
    expect(comments[0]?.body).toContain(`+ ${node(5)}`);
  });

  it('fails the check on an invalid config and lists the problem at file:line in the comment, without annotating it twice', async () => {
    await pushToPullRequest(-1);

    const run = await planComment();

    expect(run.exitCode).toBe(1);
    const errors = run.commands.filter((c) => c.command === 'error');
    expect(errors.map((c) => c.message)).toEqual([
      '1 problem(s) in the cluster configs under cluster-config: nothing is planned until they are fixed (the plan comment lists them at file:line)',
    ]);
    // The validate step annotates each problem on its line; this step adds none of its own.
    expect(errors.every((c) => c.properties.file === undefined)).toBe(true);
    const comments = await planComments();
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain('❌ 1 problem in the cluster configs: nothing can be planned until it is fixed.');
    expect(comments[0]?.body).toMatch(/- `cluster-config\/shop\.yml:11:14`: specification\.components\.kubernetes\\_node\.count: /);
    expect(run.summary).toContain('❌ 1 problem(s) in the cluster configs: nothing is planned');
    expect(run.summary).toContain('<code>cluster-config/shop.yml:11</code></a>: specification.components.kubernetes_node.count: ');
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);

    await pushToPullRequest(5);
    expect((await planComment()).exitCode).toBe(0);
    expect((await planComments())[0]?.body).toContain('kubernetes\\_node 3 → 5');
  });

  it('takes another price table from the checkout, and says plainly when a size has no price', async () => {
    const checkoutPrices = yaml(
      'currency: USD',
      'compiled: "2026-11-30"',
      'providers:',
      '  aws:',
      '    source: https://aws.amazon.com/ec2/pricing/on-demand/',
      '    terms: EC2 On-Demand, Linux',
      '    regions:',
      '      eu-west-1:',
      '        m5.large: 0.107',
    );
    await git(work, ['checkout', '-q', 'scale-shop']);
    await writeFile(join(work, 'prices.yml'), checkoutPrices);
    await git(work, ['add', 'prices.yml']);
    await git(work, ['commit', '-qm', 'Our own price table']);
    await git(work, ['push', '-q', 'origin', 'scale-shop']);

    const run = await planComment({ prices: 'prices.yml' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const body = (await planComments())[0]?.body ?? '';
    expect(body).toContain('| +2 | no price (below) |');
    expect(body).toContain('- `aws/demo-shop` kubernetes\\_node 3 → 5: no price for t3.medium in eu-west-1');
    expect(body).toContain('from `prices.yml` (compiled 2026-11-30;');
  });

  it('refuses a wrong `comment`, and comment mode without a pull request, before any GitHub call', async () => {
    const start = world.sim.requestCount();
    const wrong = await planComment({ comment: 'yes' });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.commands.find((c) => c.command === 'error')?.message).toBe(
      'input `comment` is "yes": use true (post the plan as a pull request comment) or false',
    );

    const push = await planComment({}, { GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: undefined });
    expect(push.exitCode).toBe(1);
    expect(push.commands.find((c) => c.command === 'error')?.message).toBe(
      'comment mode needs a pull request: run it on a pull_request event (this is push event), or set input `pull-request` to its number',
    );
    expect(world.sim.requestCount()).toBe(start);
  });
});
