import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, UserError } from '../../src/errors.js';
import {
  codeSpan,
  openScaleRequest,
  requestReason,
  type ScaleRequest,
  scaleBranch,
  scaleRequestBody,
} from '../../src/github/scale-request.js';
import { awsConfig, OWNER, REPO, startWorld, type World } from '../sim/github/support.js';
import { bob, git } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { callName, isWrite, requestLog } from './autoscale-support.js';

// The manual-scale PR through the product's client against the simulator (without the plugin's
// spacing of writes), for what the action's tests do not reach: the text, a branch someone else
// has pushed to, broken configs beside the one asked for, an unknown default branch.

function request(more: Partial<ScaleRequest> = {}): ScaleRequest {
  return {
    owner: OWNER,
    repo: REPO,
    dir: 'cluster-config',
    cluster: 'demo-shop',
    component: 'kubernetes_node',
    count: 5,
    reason: 'load test',
    requestedBy: 'octocat',
    runId: '77',
    ...more,
  };
}

/** A person pushes `files` to `branch` of the world's repository (creating it from main when new). */
async function push(world: World, branch: string, files: Record<string, string>, message: string): Promise<string> {
  const dir = await tempDir('lsa-push-');
  await git(dir, ['clone', '-q', world.bare, '.']);
  await git(dir, ['checkout', '-q', '-B', branch]);
  for (const [path, text] of Object.entries(files)) await writeFile(join(dir, path), text);
  await git(dir, ['add', '-A']);
  await git(dir, ['commit', '-qm', message], { who: bob });
  await git(dir, ['push', '-q', 'origin', branch]);
  return git(dir, ['rev-parse', 'HEAD']);
}

describe('the manual-scale PR text', () => {
  it('keeps user text in code spans whose fence outgrows its backticks, on one line', () => {
    expect(codeSpan('plain')).toBe('` plain `');
    expect(codeSpan('a `b` c')).toBe('`` a `b` c ``');
    expect(codeSpan('``x```')).toBe('```` ``x``` ````');
    expect(codeSpan('two\nlines\r\n  here ')).toBe('` two lines here `');
    expect(codeSpan('   ')).toBe('');
  });

  it('names the requester in the reason, one line and cut as every trailer is', () => {
    expect(requestReason('octocat', 'more\ncapacity')).toBe('requested by @octocat: more capacity');
    expect(requestReason('octocat', '  ')).toBe('requested by @octocat');
    expect(requestReason('octocat', 'x'.repeat(900))).toHaveLength(500);
  });

  it('names the branch after the cluster, the count and the run, and refuses names that make no branch', () => {
    expect(scaleBranch('shop', 5, '123')).toBe('scale/shop-5-123');
    expect(() => scaleBranch('a..b', 5, '1')).toThrow(UserError);
    expect(() => scaleBranch('shop', 5, '1 2')).toThrow(UserError);
  });

  it('writes a body in which nothing the user typed renders as Markdown or HTML', () => {
    const body = scaleRequestBody(
      {
        file: 'cluster-config/aws.yml',
        cluster: 'aws/prod-demo-shop',
        name: 'demo-shop',
        component: 'kubernetes_node',
        from: 3,
        to: 1,
        base: 'main',
        nodes: { add: [], remove: ['prod-demo-shop-kubernetes-node-vm-2', 'prod-demo-shop-kubernetes-node-vm-1'] },
      },
      { reason: '<!-- hide the rest\n@team please', requestedBy: 'octocat', runId: '9' },
      'scale/demo-shop-1-9',
    );
    expect(body).toContain(
      '@octocat asked for ` kubernetes_node 3 → 1 ` on cluster ` aws/prod-demo-shop `: merging this PR removes 2 nodes.',
    );
    expect(body).toContain('**Reason:** ` <!-- hide the rest @team please `');
    expect(body).toContain('```\n- prod-demo-shop-kubernetes-node-vm-2\n- prod-demo-shop-kubernetes-node-vm-1\n```');
    expect(body).toContain('in workflow run ` 9 `, on ` scale/demo-shop-1-9 ` from the latest ` main `.');
    expect(body.split('\n').filter((line) => line.includes('@team'))).toHaveLength(1);
  });
});

describe('openScaleRequest against the GitHub simulator', () => {
  it('reads the default branch when not given, and opens the PR from its tip', async () => {
    const world = await startWorld();
    try {
      const log = requestLog(world);
      const result = await openScaleRequest(world.octokit, request());

      expect(result.action).toBe('opened');
      expect(log().map(callName).slice(0, 2)).toEqual(['GET repository', 'GET branches/main']);
      expect(result).toMatchObject({
        change: { file: 'cluster-config/aws.yml', cluster: 'aws/prod-demo-shop', name: 'demo-shop', from: 3, to: 5, base: 'main' },
        pull: { branch: 'scale/demo-shop-5-77', labels: ['manual-scale', 'scale-up'] },
        warnings: [],
      });
    } finally {
      await world.close();
    }
  });

  it('refuses to move a run branch that holds a commit someone else made, and opens no PR', async () => {
    const world = await startWorld();
    try {
      await push(world, 'scale/demo-shop-5-77', { 'cluster-config/aws.yml': awsConfig(6) }, 'Six, by hand');
      const log = requestLog(world);

      const refused = openScaleRequest(world.octokit, request({ defaultBranch: 'main' }));

      await expect(refused).rejects.toThrow(UserError);
      await expect(refused).rejects.toThrow(
        /^GitHub: the branch scale\/demo-shop-5-77 exists with commits the scale action did not make \(head [0-9a-f]{40}\): delete it, or start a new workflow run/,
      );
      expect(log().filter(isWrite).map(callName)).toEqual(['POST git/trees', 'POST git/commits', 'POST git/refs']);
      const { data: pulls } = await world.octokit.pulls.list({ owner: OWNER, repo: REPO, state: 'all' });
      expect(pulls).toEqual([]);
    } finally {
      await world.close();
    }
  });

  it('moves a run branch its own earlier attempt left without a PR, then opens the PR', async () => {
    const world = await startWorld();
    try {
      // An earlier attempt of the run whose PR is gone (closed here; a failure before the PR leaves the same branch).
      const first = await openScaleRequest(world.octokit, request({ defaultBranch: 'main', count: 4 }));
      if (first.action === 'unchanged') throw new Error('expected a PR');
      await world.octokit.pulls.update({ owner: OWNER, repo: REPO, pull_number: first.pull.number, state: 'closed' });

      const again = await openScaleRequest(world.octokit, request({ defaultBranch: 'main', count: 4 }));

      expect(again.action).toBe('opened');
      if (again.action === 'unchanged') return;
      expect(again.pull.number).not.toBe(first.pull.number);
      expect(again.pull.branch).toBe(first.pull.branch);
    } finally {
      await world.close();
    }
  });

  it('goes ahead beside a broken config of another cluster with a warning, and refuses when the broken file is the one asked for', async () => {
    const world = await startWorld();
    try {
      await push(world, 'main', { 'cluster-config/broken.yml': 'kind: lambdastack-cluster\nprovider: [\n' }, 'A broken config');

      const beside = await openScaleRequest(world.octokit, request({ defaultBranch: 'main', count: 3 }));
      expect(beside).toMatchObject({
        action: 'unchanged',
        warnings: ['main:cluster-config/broken.yml has problems (run the validate action on it); the request does not touch it'],
      });

      const asked = openScaleRequest(world.octokit, request({ defaultBranch: 'main', cluster: 'broken', count: 3 }));
      await expect(asked).rejects.toThrow(ConfigError);
      await expect(asked).rejects.toThrow(/^main:cluster-config\/broken\.yml:\d+:\d+: YAML syntax error/);
    } finally {
      await world.close();
    }
  });
});
