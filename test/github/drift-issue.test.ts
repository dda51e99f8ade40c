// The drift issue: its text and marker, what a cycle does with it (pure), and the calls that do
// it against the GitHub simulator's issue endpoints (list by label, create, update, comment, close).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DriftEntry, DriftReport } from '../../src/drift/index.js';
import { applyDriftIssuePlan, findDriftIssue } from '../../src/github/drift-issue.js';
import {
  type DriftContext,
  driftIssueBody,
  markerSightings,
  type OpenDriftIssue,
  planDriftIssue,
  readDriftMarker,
} from '../../src/github/drift-issue-body.js';
import { commitConfig, createBranch, mainSha, OWNER, REPO, startWorld, type World } from '../sim/github/support.js';

const T = Date.parse('2026-03-01T12:00:00Z');
const context: DriftContext = { cluster: 'shop', file: 'cluster-config/aws-demo.yml', count: 3, timeout: '15m' };

const missing = (name: string, since = T): DriftEntry => ({ kind: 'missing', name, why: 'absent', since });
const extra = (name: string, since = T): DriftEntry => ({ kind: 'extra', name, why: 'unnamed', since });
const report = (parts: Partial<DriftReport>): DriftReport => ({ missing: [], extra: [], settling: [], ...parts });

function openIssue(number: number, parts: Partial<DriftReport>): OpenDriftIssue {
  const marker = readDriftMarker(driftIssueBody(context, report(parts)));
  if (!marker) throw new Error('no marker');
  return { number, url: `https://github.example/issues/${number}`, marker };
}

describe('the drift issue plan', () => {
  it('opens an issue when drift appears, and nothing while there is none', () => {
    expect(planDriftIssue(undefined, context, report({}))).toEqual({ kind: 'none' });
    expect(planDriftIssue(undefined, context, report({ settling: [missing('vm-2')] }))).toEqual({ kind: 'none' });
    const plan = planDriftIssue(undefined, context, report({ missing: [missing('vm-2')] }));
    expect(plan).toMatchObject({ kind: 'open', title: 'Drift: shop has 1 missing worker' });
  });

  it('rewrites it only when the drifting node names change, not their times', () => {
    const open = openIssue(7, { missing: [missing('vm-2')] });
    expect(planDriftIssue(open, context, report({ missing: [missing('vm-2', T + 60_000)] }))).toEqual({ kind: 'none' });
    expect(planDriftIssue(open, context, report({ missing: [missing('vm-2')], extra: [extra('gpu-1')] }))).toMatchObject({
      kind: 'update',
      number: 7,
      title: 'Drift: shop has 1 missing and 1 extra workers',
    });
    // The same name under the other kind is a change too.
    expect(planDriftIssue(open, context, report({ extra: [extra('vm-2')] }))).toMatchObject({ kind: 'update' });
  });

  it('closes it with a comment naming what came back when the drift is gone', () => {
    const open = openIssue(7, { missing: [missing('vm-2')], extra: [extra('gpu-1')] });
    expect(planDriftIssue(open, context, report({ settling: [missing('vm-0')] }))).toEqual({
      kind: 'close',
      number: 7,
      comment:
        'The workers of **shop** match its config again (`kubernetes_node.count: 3`): closing.\n\n- vm-2 (was missing)\n- gpu-1 (was extra)',
    });
  });

  it('keeps the times in its marker, so a restarted watcher reads its clocks back', () => {
    const body = driftIssueBody(context, report({ missing: [missing('vm-2', T)], extra: [extra('gpu-1', T + 1000)] }));
    const marker = readDriftMarker(body);
    expect(marker && markerSightings(marker)).toEqual([
      { kind: 'missing', name: 'vm-2', since: T },
      { kind: 'extra', name: 'gpu-1', since: T + 1000 },
    ]);
    expect(body).toContain('| vm-2 | 2026-03-01T12:00:00.000Z | no node of this name |');
  });

  it('a node name cannot end the marker or write HTML into the issue', () => {
    const name = 'x--><img src=y>|z';
    const body = driftIssueBody(context, report({ extra: [extra(name)] }));
    expect(body).not.toContain('<img');
    expect(readDriftMarker(body)?.extra[0]?.name).toBe(name);
  });
});

describe('the drift issue on GitHub (simulator)', () => {
  let world: World;
  const repository = { owner: OWNER, repo: REPO };
  beforeAll(async () => {
    world = await startWorld();
  });
  afterAll(async () => {
    await world.close();
  });

  it('opens, finds (skipping other clusters and pull requests), updates, and closes with a comment', async () => {
    const { octokit } = world;
    expect(await findDriftIssue(octokit, repository, 'shop')).toBeUndefined();
    // Another cluster's drift issue, and an issue with the labels but no marker.
    const other = planDriftIssue(undefined, { ...context, cluster: 'analytics' }, report({ missing: [missing('a-vm-0')] }));
    await applyDriftIssuePlan(octokit, repository, undefined, other);
    await octokit.issues.create({ ...repository, title: 'copied by hand', labels: ['autoscaler', 'drift'] });
    // A pull request is an issue to the listing: one labelled so, with shop's marker in its body, is still no drift issue.
    await createBranch(octokit, 'quoting', await commitConfig(octokit, await mainSha(octokit), 4, 'Scale to 4'));
    const quoting = driftIssueBody(context, report({ missing: [missing('vm-9')] }));
    const { data: pull } = await octokit.pulls.create({
      ...repository,
      title: 'Quotes a drift issue',
      head: 'quoting',
      base: 'main',
      body: quoting,
    });
    await octokit.issues.addLabels({ ...repository, issue_number: pull.number, labels: ['autoscaler', 'drift'] });
    expect(await findDriftIssue(octokit, repository, 'shop')).toBeUndefined();

    const opened = await applyDriftIssuePlan(
      octokit,
      repository,
      undefined,
      planDriftIssue(undefined, context, report({ missing: [missing('vm-2')] })),
    );
    const found = await findDriftIssue(octokit, repository, 'shop');
    expect(found).toEqual(opened);
    expect(found?.marker.missing.map((e) => e.name)).toEqual(['vm-2']);
    const { data: issue } = await octokit.issues.get({ ...repository, issue_number: found?.number ?? 0 });
    expect(issue.labels.map((l) => (typeof l === 'string' ? l : l.name))).toEqual(['autoscaler', 'drift']);

    const updated = await applyDriftIssuePlan(
      octokit,
      repository,
      found,
      planDriftIssue(found, context, report({ missing: [missing('vm-2')], extra: [extra('gpu-1')] })),
    );
    expect(updated?.number).toBe(found?.number);
    expect((await findDriftIssue(octokit, repository, 'shop'))?.marker.extra.map((e) => e.name)).toEqual(['gpu-1']);

    expect(await applyDriftIssuePlan(octokit, repository, updated, planDriftIssue(updated, context, report({})))).toBeUndefined();
    expect(await findDriftIssue(octokit, repository, 'shop')).toBeUndefined();
    const { data: closed } = await octokit.issues.get({ ...repository, issue_number: found?.number ?? 0 });
    expect(closed).toMatchObject({ state: 'closed', state_reason: 'completed', comments: 1 });
    expect((await findDriftIssue(octokit, repository, 'analytics'))?.marker.missing.map((e) => e.name)).toEqual(['a-vm-0']);
  });
});
