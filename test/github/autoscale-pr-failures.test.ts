import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TransientError, UserError } from '../../src/errors.js';
import type { AutoMergeStrategy, PullRequestRef } from '../../src/github/auto-merge.js';
import { syncAutoscalePr } from '../../src/github/autoscale-pr.js';
import { readClusterConfig } from '../../src/github/config-reader.js';
import { readPrMarker } from '../../src/github/pr-body.js';
import { type Client, client, startWorld, type World } from '../sim/github/support.js';
import {
  AutoscalePrMemory,
  BRANCH,
  branchPullRequests,
  decision,
  FILE,
  personPushes,
  repo,
  requestLog,
  withoutRetries,
  writesOf,
} from './autoscale-support.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';

// GitHub failing, answers lost on the way back, two watchers at once, a person pushing in the
// middle of a cycle, and auto-merge. Failures come from a real HTTP proxy in front of the
// simulator; the product's client talks to it as to GitHub.

let world: World;
let proxy: FaultProxy;
/** The product's client through the proxy, failing at the first 5xx (see withoutRetries). */
let github: Client;
let memory: AutoscalePrMemory;

beforeEach(async () => {
  world = await startWorld();
  proxy = await startFaultProxy(world.sim.url);
  github = withoutRetries(client({ ...world.sim, url: proxy.url }));
  memory = new AutoscalePrMemory();
});

afterEach(async () => {
  const unused = proxy?.unused() ?? [];
  await proxy?.close();
  await world?.close();
  expect(unused, 'faults the test set up but no request met').toEqual([]);
});

const PULLS = /^\/repos\/example\/cluster-config\/pulls$/;
const BRANCH_REF = /\/git\/refs?\/heads%2Fautoscale%2Fdemo-shop$/;

async function branchHead(): Promise<string> {
  return world.git(['rev-parse', BRANCH]);
}

describe('GitHub failing mid-cycle', () => {
  it('a 502 before the PR opens is a TransientError; the next cycle opens the one PR on the branch it left', async () => {
    proxy.fail({ method: 'POST', path: PULLS, when: 'before' });
    await expect(syncAutoscalePr(github, decision(5, { memory }))).rejects.toThrow(TransientError);
    expect(await branchPullRequests(world.octokit)).toEqual([]);

    const result = await syncAutoscalePr(github, decision(5, { memory }));
    expect(result).toMatchObject({ action: 'opened', number: 1 });
    expect(await branchPullRequests(world.octokit)).toEqual([{ number: 1, state: 'open', merged: false }]);
    expect(await world.git(['rev-list', '--count', `main..${BRANCH}`])).toBe('1');
  });

  it('a PR opened but its answer lost (as after a timeout): the next cycle finds it and only labels it', async () => {
    proxy.fail({ method: 'POST', path: PULLS, when: 'after' });
    await expect(syncAutoscalePr(github, decision(5, { memory }))).rejects.toThrow(/HTTP 502/);

    const log = requestLog(world);
    expect(await syncAutoscalePr(github, decision(5, { memory }))).toMatchObject({ action: 'updated', number: 1 });
    expect(writesOf(log())).toEqual(['POST issues/1/labels']);
    expect(await branchPullRequests(world.octokit)).toEqual([{ number: 1, state: 'open', merged: false }]);
  });

  it('with the client’s own retries, a single 502 is retried inside the call and the PR opens', async () => {
    const retrying = client({ ...world.sim, url: proxy.url });
    proxy.fail({ method: 'POST', path: PULLS, when: 'before' });
    expect(await syncAutoscalePr(retrying, decision(5, { memory }))).toMatchObject({ action: 'opened', number: 1 });
  });

  it('a 502 after the branch moved but before the PR was rewritten: the next cycle makes PR and branch agree', async () => {
    await syncAutoscalePr(github, decision(5, { memory }));
    proxy.fail({ method: 'PATCH', path: /\/issues\/1$/, when: 'before' });
    await expect(syncAutoscalePr(github, decision(6, { memory }))).rejects.toThrow(TransientError);
    // The branch has the autoscaler's new commit; the PR still describes the old one.
    const moved = await branchHead();
    expect(readPrMarker((await world.octokit.pulls.get({ ...repo, pull_number: 1 })).data.body)?.head).not.toBe(moved);

    expect(await syncAutoscalePr(github, decision(6, { memory: new AutoscalePrMemory() }))).toMatchObject({ action: 'updated', number: 1 });
    const { data: pr } = await world.octokit.pulls.get({ ...repo, pull_number: 1 });
    expect(readPrMarker(pr.body)).toMatchObject({ to: 6, head: pr.head.sha });
    expect(await world.git(['rev-list', '--count', `main..${BRANCH}`])).toBe('1');
  });

  it('a refused ref update (409) is a race: the cycle reads the branch again and finishes', async () => {
    await syncAutoscalePr(github, decision(5, { memory }));
    proxy.fail({ method: 'PATCH', path: BRANCH_REF, when: 'before', status: 409 });
    expect(await syncAutoscalePr(github, decision(6, { memory }))).toMatchObject({ action: 'updated', number: 1 });
    expect(readPrMarker((await world.octokit.pulls.get({ ...repo, pull_number: 1 })).data.body)).toMatchObject({
      to: 6,
      head: await branchHead(),
    });
  });

  it('a person pushing in the middle of a rewrite is seen before the forced update: a comment, their commit kept', async () => {
    await syncAutoscalePr(github, decision(5, { memory }));
    let personal = '';
    // Just before the autoscaler checks the branch one last time, a person pushes to it.
    proxy.before('GET', BRANCH_REF, async () => {
      personal = await personPushes(world, 4);
    });
    expect(await syncAutoscalePr(github, decision(6, { memory }))).toMatchObject({ action: 'commented', number: 1 });
    expect(await branchHead()).toBe(personal);
  });

  it('a 502 on the config read is "retry later", naming the file', async () => {
    proxy.fail({ method: 'GET', path: /\/contents\//, when: 'before', status: 503 });
    const read = readClusterConfig(github, { ...repo, path: FILE });
    await expect(read).rejects.toThrow(TransientError);
    await expect(readClusterConfig(github, { ...repo, path: FILE })).resolves.toMatchObject({ unchanged: false });
  });
});

describe('two watchers at once', () => {
  it('open one PR between them, and leave branch and PR in agreement', async () => {
    // Different reasons make different commits (the same decision in the same second makes the same commit id).
    const other = client(world.sim);
    const log = requestLog(world);
    const results = await Promise.all([
      syncAutoscalePr(world.octokit, decision(5, { memory, reason: 'seen by watcher A' })),
      syncAutoscalePr(other, decision(5, { memory: new AutoscalePrMemory(), reason: 'seen by watcher B' })),
    ]);
    // Both built a commit and raced for the branch and the PR; one opened it, the other found it and took it over.
    const writes = writesOf(log());
    expect(writes.filter((w) => w === 'POST git/commits')).toHaveLength(2);
    expect(writes.filter((w) => w === 'POST pulls')).toHaveLength(2);
    expect(results.map((r) => r.action).sort()).toContainEqual('opened');
    expect(results.every((r) => r.number === 1)).toBe(true);
    expect(await branchPullRequests(world.octokit)).toEqual([{ number: 1, state: 'open', merged: false }]);
    expect(await world.git(['rev-list', '--count', `main..${BRANCH}`])).toBe('1');

    // Whatever the interleaving, the next cycle of either ends with the PR describing the branch's head.
    await syncAutoscalePr(world.octokit, decision(5, { memory }));
    const { data: pr } = await world.octokit.pulls.get({ ...repo, pull_number: 1 });
    expect(readPrMarker(pr.body)?.head).toBe(pr.head.sha);
  });
});

/** An auto-merge strategy that records what it was asked, and the branch's head at that moment. */
function recordingAutoMerge(): AutoMergeStrategy & { calls: Array<[string, number, string]> } {
  const calls: Array<[string, number, string]> = [];
  return {
    calls,
    enable: async (pull: PullRequestRef) => {
      calls.push(['enable', pull.number, await branchHead()]);
    },
    disable: async (pull: PullRequestRef) => {
      calls.push(['disable', pull.number, await branchHead()]);
    },
  };
}

describe('auto-merge', () => {
  it('is asked for once on a scale-up, and withdrawn before the PR becomes a scale-down', async () => {
    const strategy = recordingAutoMerge();
    const options = { memory, autoMerge: true, autoMergeStrategy: strategy };
    await syncAutoscalePr(github, decision(5, options));
    const up = await branchHead();
    await syncAutoscalePr(github, decision(5, options));
    expect(strategy.calls).toEqual([['enable', 1, up]]);

    await syncAutoscalePr(github, decision(2, options));
    // Withdrawn while the branch still held the scale-up, and not asked for again.
    expect(strategy.calls).toEqual([
      ['enable', 1, up],
      ['disable', 1, up],
    ]);
  });

  it('a refused withdrawal stops the rewrite: a scale-down never rides on a PR set to merge itself', async () => {
    const strategy: AutoMergeStrategy = {
      enable: async () => undefined,
      disable: async () => {
        throw new UserError('GitHub: cannot disable auto-merge on PR #1: no');
      },
    };
    await syncAutoscalePr(github, decision(5, { memory, autoMerge: true, autoMergeStrategy: strategy }));
    const up = await branchHead();
    await expect(syncAutoscalePr(github, decision(2, { memory, autoMerge: true, autoMergeStrategy: strategy }))).rejects.toThrow(
      /disable auto-merge/,
    );
    expect(await branchHead()).toBe(up);
  });

  it('is never asked for on a scale-down', async () => {
    const strategy = recordingAutoMerge();
    await syncAutoscalePr(github, decision(2, { memory, autoMerge: true, autoMergeStrategy: strategy }));
    expect(strategy.calls).toEqual([]);
  });

  it('by default is GitHub’s GraphQL mutation with the PR’s node id, squash merge', async () => {
    const result = await syncAutoscalePr(github, decision(5, { memory, autoMerge: true }));
    const { data: pr } = await world.octokit.pulls.get({ ...repo, pull_number: 1 });
    expect(result.warnings).toEqual([]);
    expect(proxy.graphqlCalls).toHaveLength(1);
    expect(proxy.graphqlCalls[0]?.query).toContain(
      'enablePullRequestAutoMerge(input: {pullRequestId: $pullRequestId, mergeMethod: $mergeMethod})',
    );
    expect(proxy.graphqlCalls[0]?.variables).toEqual({ pullRequestId: pr.node_id, mergeMethod: 'SQUASH' });
  });

  it('a GraphQL refusal is a warning on an opened PR, not a failure, and is not asked again', async () => {
    proxy.answerGraphql(() => ({
      data: null,
      errors: [{ type: 'UNPROCESSABLE', message: 'Auto merge is not allowed for this repository' }],
    }));
    const result = await syncAutoscalePr(github, decision(5, { memory, autoMerge: true }));
    expect(result.action).toBe('opened');
    expect(result.warnings).toEqual([
      expect.stringMatching(/auto-merge not enabled on PR #1: .*Auto merge is not allowed for this repository/),
    ]);
    await syncAutoscalePr(github, decision(5, { memory, autoMerge: true }));
    expect(proxy.graphqlCalls).toHaveLength(1);
  });
});
