import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { scaleHistory } from '../../src/git/history.js';
import type { HistoryEntry } from '../../src/history/index.js';
import { historyToMarkdown, historyToMermaid } from '../../src/history/index.js';
import { clusterConfig } from '../support/config-text.js';
import { alice, bob, bot, carol, dana, git, ISOLATED_GIT_ENV, newRepository, type TestRepository } from '../support/git.js';
import { tempDir } from '../support/temp.js';

// Real git in throw-away repositories. Every author, committer and date is fixed, so commit ids
// and dates are the same on every run.

function clusterYaml(options: {
  name: string;
  nodes: number | string;
  provider?: string;
  comment?: string;
  max?: number;
  prefix?: string;
}): string {
  return clusterConfig({
    name: options.name,
    nodes: options.nodes,
    provider: options.provider ?? 'aws',
    prefix: options.prefix ?? 'demo',
    comment: options.comment ?? 'worker count managed by lambdastack-autoscaler',
    ...(options.max === undefined ? {} : { autoscaling: { min: 1, max: options.max } }),
  });
}

const SHOP = 'cluster-config/shop.yml';
const LAB = 'cluster-config/lab.yml';

/**
 * The story every test below reads:
 *   c1  Alice adds the shop cluster (2 workers)
 *   c2  Bob rewords a comment
 *   b1, b2  the watcher raises shop to 3, then 4, on branch `autoscale` (while Bob commits docs on main)
 *   m   Carol merges it: "Merge pull request #12 from org/autoscale"
 *   s   Dana squash-merges "Scale workers to 5 (#14)" with an Autoscale-Reason trailer
 *   c5  Alice adds the lab cluster on Azure (1 worker)
 *   c6  Bob breaks shop.yml by hand and scales lab to 2 in the same commit
 *   c7  Alice fixes shop.yml at 6 workers (committed at +02:00)
 *   c8  Carol deletes the lab cluster
 */
const ids: Record<string, string> = {};
let repo: TestRepository;
let history: HistoryEntry[] = [];
const entry = (name: string): HistoryEntry | undefined => history.find((e) => e.commit === ids[name]);

beforeAll(async () => {
  repo = await newRepository();
  const shop = (nodes: number | string, comment = 'raise only through a pull request'): Record<string, string> => ({
    [SHOP]: clusterYaml({ name: 'shop', nodes, comment }),
  });
  ids.c1 = await repo.commit('Add shop cluster', {
    who: alice,
    date: '2026-11-01T09:00:00+00:00',
    files: { 'README.md': '# cluster configs\n', [SHOP]: clusterYaml({ name: 'shop', nodes: 2 }) },
  });
  ids.c2 = await repo.commit('Explain the worker count', { who: bob, date: '2026-11-02T09:00:00+00:00', files: shop(2) });

  await repo.git(['checkout', '-q', '-b', 'autoscale']);
  ids.b1 = await repo.commit('Scale shop kubernetes_node 2 → 3\n\nAutoscale-Reason: 1 pod pending', {
    who: bot,
    date: '2026-11-03T08:00:00+00:00',
    files: shop(3),
  });
  ids.b2 = await repo.commit('Scale shop kubernetes_node 3 → 4\n\nAutoscale-Reason: 2 pods pending for 90s', {
    who: bot,
    date: '2026-11-03T08:05:00+00:00',
    files: shop(4),
  });
  await repo.git(['checkout', '-q', 'main']);
  ids.d1 = await repo.commit('Document the runbook', {
    who: bob,
    date: '2026-11-03T08:30:00+00:00',
    files: { 'docs/runbook.md': 'drain first\n' },
  });
  await repo.git(
    ['merge', '-q', '--no-ff', 'autoscale', '-m', 'Merge pull request #12 from org/autoscale', '-m', 'Scale shop to 4 workers'],
    {
      who: carol,
      date: '2026-11-03T09:00:00+00:00',
    },
  );
  ids.m = await repo.git(['rev-parse', 'HEAD']);

  ids.s = await repo.commit('Scale workers to 5 (#14)\n\n* Scale shop kubernetes_node 4 → 5\n\nAutoscale-Reason: 3 pods pending for 120s', {
    who: dana,
    date: '2026-11-03T15:30:00+00:00',
    files: shop(5),
  });
  ids.c5 = await repo.commit('Add lab cluster\n\nAutoscale-Reason: new team | lab', {
    who: alice,
    date: '2026-11-05T10:00:00+00:00',
    files: { [LAB]: clusterYaml({ name: 'lab', nodes: 1, provider: 'azure' }) },
  });
  ids.c6 = await repo.commit('WIP hand edits', {
    who: bob,
    date: '2026-11-06T10:00:00+00:00',
    files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 'lots' }), [LAB]: clusterYaml({ name: 'lab', nodes: 2, provider: 'azure' }) },
  });
  ids.c7 = await repo.commit('Fix shop config\n\nAutoscale-Reason: restore workers after a\n  broken hand edit', {
    who: alice,
    date: '2026-11-07T10:00:00+02:00',
    files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 6 }) },
  });
  await rm(join(repo.dir, LAB));
  ids.c8 = await repo.commit('Retire lab cluster (#15)', { who: carol, date: '2026-11-08T10:00:00+00:00' });

  history = await scaleHistory({ cwd: repo.dir });
});

/** A `scaled` change of kubernetes_node as history reports it. */
function workersScaled(file: string, name: string, provider: string, from: number, to: number, prefix = 'demo'): unknown {
  const node = (i: number): string => `${prefix}-${name}-kubernetes-node-vm-${i}`;
  const indices = (a: number, b: number): number[] => Array.from({ length: Math.max(0, b - a) }, (_, k) => a + k);
  return {
    file,
    name,
    provider,
    change: 'scaled',
    counts: { kubernetes_master: 1, kubernetes_node: to },
    components: [
      { component: 'kubernetes_node', from, to, add: indices(from, to).map(node), remove: indices(to, from).map(node).reverse() },
    ],
  };
}

describe('scale history from git', () => {
  it('lists one entry per mainline commit that changed a count, newest first', () => {
    expect(history.map((e) => e.commit)).toEqual([ids.c8, ids.c7, ids.c6, ids.c5, ids.s, ids.m, ids.c1]);
  });

  it('shows a merged pull request once, as its merge commit compared with the main line before it', () => {
    expect(history.map((e) => e.commit)).not.toContain(ids.b1);
    expect(history.map((e) => e.commit)).not.toContain(ids.b2);
    expect(entry('m')).toEqual({
      commit: ids.m,
      date: '2026-11-03T09:00:00+00:00',
      author: 'Carol Merger',
      authorEmail: 'carol@example.com',
      pr: 12,
      // The merge commit has no trailer: the reason is the one at the head of the merged branch.
      reason: '2 pods pending for 90s',
      subject: 'Merge pull request #12 from org/autoscale',
      clusters: [workersScaled(SHOP, 'shop', 'aws', 2, 4)],
    });
  });

  it('gives the PR number and the Autoscale-Reason trailer of a squash-merged pull request', () => {
    expect(entry('s')).toMatchObject({
      pr: 14,
      reason: '3 pods pending for 120s',
      subject: 'Scale workers to 5 (#14)',
      author: 'Dana Ops',
      clusters: [workersScaled(SHOP, 'shop', 'aws', 4, 5)],
    });
  });

  it('leaves out commits that change no count: a comment edit, or files outside cluster-config/', () => {
    expect(entry('c2')).toBeUndefined();
    expect(entry('d1')).toBeUndefined();
  });

  it('reports a new cluster as added, with its counts, exactly as plan does', () => {
    expect(entry('c1')?.clusters).toEqual([
      { file: SHOP, name: 'shop', provider: 'aws', change: 'added', counts: { kubernetes_master: 1, kubernetes_node: 2 }, components: [] },
    ]);
    expect(entry('c5')?.clusters.map((c) => [c.name, c.provider, c.change])).toEqual([['lab', 'azure', 'added']]);
    expect(entry('c1')?.pr).toBeNull();
    expect(entry('c1')?.reason).toBeNull();
  });

  it('reports a deleted cluster as removed, with the counts it had', () => {
    expect(entry('c8')).toMatchObject({
      pr: 15,
      clusters: [{ file: LAB, name: 'lab', change: 'removed', counts: { kubernetes_master: 1, kubernetes_node: 2 }, components: [] }],
    });
  });

  it('skips a file at a commit where it is not a valid config, and still reports the other clusters of that commit', () => {
    expect(entry('c6')?.clusters).toEqual([workersScaled(LAB, 'lab', 'azure', 1, 2)]);
  });

  it('counts the commit that repairs an invalid config from the last valid count', () => {
    expect(entry('c7')?.clusters).toEqual([workersScaled(SHOP, 'shop', 'aws', 5, 6)]);
  });

  it('joins a reason written over several lines into one', () => {
    expect(entry('c7')?.reason).toBe('restore workers after a broken hand edit');
  });

  it("dates each entry with the committer's date in strict ISO 8601, offset included", () => {
    expect(entry('c7')?.date).toBe('2026-11-07T10:00:00+02:00');
  });

  it('with since, lists only commits after that date', async () => {
    const recent = await scaleHistory({ cwd: repo.dir, since: '2026-11-05T00:00:00Z' });
    expect(recent.map((e) => e.commit)).toEqual([ids.c8, ids.c7, ids.c6, ids.c5]);
  });

  it('with since, takes a date as midnight UTC, whatever the time of day it runs', async () => {
    // git alone reads "2026-11-05" as that day at the current time of day, which lost this commit.
    const small = await newRepository();
    await small.commit('Add shop', { files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 2 }) }, date: '2026-11-04T23:59:59Z' });
    const first = await small.commit('Scale shop', {
      files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 3 }) },
      date: '2026-11-05T00:00:01Z',
    });
    expect((await scaleHistory({ cwd: small.dir, since: '2026-11-05' })).map((e) => e.commit)).toEqual([first]);
    expect((await scaleHistory({ cwd: repo.dir, since: '2026-11-05' })).map((e) => e.commit)).toEqual([ids.c8, ids.c7, ids.c6, ids.c5]);
  });

  it('with since "N units ago", counts back from now', async () => {
    const now = new Date('2026-11-07T12:00:00Z');
    // 2026-11-05T12:00Z: c5 (10:00 that day) is older, c6 (10:00 the next) newer.
    expect((await scaleHistory({ cwd: repo.dir, since: '2 days ago', now })).map((e) => e.commit)).toEqual([ids.c8, ids.c7, ids.c6]);
    expect(
      (await scaleHistory({ cwd: repo.dir, since: '1 second ago', now: new Date('2026-11-08T10:00:01Z') })).map((e) => e.commit),
    ).toEqual([ids.c8]);
  });

  it('refuses a since that is not a date, rather than printing an empty or cut-short history', async () => {
    for (const since of ['5 dasy ago', '2026-13-45', '2026-02-30', 'yesterday']) {
      const error = await scaleHistory({ cwd: repo.dir, since }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as Error).message).toMatch(new RegExp(`^--since "${since}" is not a date: `));
    }
  });

  it('with a file, lists only the commits that changed that cluster', async () => {
    const lab = [ids.c8, ids.c6, ids.c5];
    expect((await scaleHistory({ cwd: repo.dir, paths: [LAB] })).map((e) => e.commit)).toEqual(lab);
    expect((await scaleHistory({ cwd: repo.dir, paths: [join(repo.dir, LAB)] })).map((e) => e.commit)).toEqual(lab);
  });

  it('with a file that never moved, following it gives what the log of that one path gives', async () => {
    for (const file of [LAB, SHOP]) {
      const followed = await scaleHistory({ cwd: repo.dir, file });
      expect(followed).toEqual(await scaleHistory({ cwd: repo.dir, paths: [file] }));
      expect(followed.length).toBeGreaterThan(0);
    }
    expect((await scaleHistory({ cwd: repo.dir, file: SHOP, since: '2026-11-05' })).map((e) => e.commit)).toEqual([ids.c7]);
  });

  it('takes a file relative to the directory it runs in, or to the repository root, and names files from the root either way', async () => {
    const fromConfigDir = await scaleHistory({ cwd: join(repo.dir, 'cluster-config'), paths: ['lab.yml'] });
    const fromDocs = await scaleHistory({ cwd: join(repo.dir, 'docs'), paths: ['../cluster-config/lab.yml'] });
    for (const result of [fromConfigDir, fromDocs]) {
      expect(result.map((e) => e.commit)).toEqual([ids.c8, ids.c6, ids.c5]);
      expect(result.flatMap((e) => e.clusters.map((c) => c.file))).toEqual([LAB, LAB, LAB]);
    }
    const rootRelative = await scaleHistory({ cwd: join(repo.dir, 'docs'), paths: [SHOP] });
    expect(rootRelative.map((e) => e.commit)).toEqual([ids.c7, ids.s, ids.m, ids.c1]);
    expect(await scaleHistory({ cwd: join(repo.dir, 'docs') })).toEqual(history);
  });

  it('with a ref, walks back from that commit', async () => {
    expect((await scaleHistory({ cwd: repo.dir, ref: ids.m })).map((e) => e.commit)).toEqual([ids.m, ids.c1]);
    expect((await scaleHistory({ cwd: repo.dir, ref: 'autoscale' })).map((e) => e.commit)).toEqual([ids.b2, ids.b1, ids.c1]);
  });

  it('refuses a path outside the repository, naming it', async () => {
    await expect(scaleHistory({ cwd: repo.dir, paths: ['../elsewhere.yml'] })).rejects.toThrow(
      /\.\.\/elsewhere\.yml is outside the repository/,
    );
  });

  it('renders as a table and a chart', () => {
    const markdown = historyToMarkdown(history);
    expect(markdown).toContain(
      `| 2026-11-03 | ${ids.m?.slice(0, 7)} | Carol Merger | #12 | shop | kubernetes_node 2 → 4 | 2 pods pending for 90s |`,
    );
    expect(markdown).toContain('| new team \\| lab |');
    expect(historyToMermaid(history)).toContain('  line [0, 2, 4, 5, 6]\n');
  });
});

describe('scale history errors', () => {
  it('outside a git repository, says to run it inside a clone', async () => {
    const dir = await tempDir();
    const error = await scaleHistory({ cwd: dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('not a git repository: run history inside a clone of your cluster-config repository');
  });

  it('in a repository with no commits, says there are none yet', async () => {
    const empty = await newRepository();
    await expect(scaleHistory({ cwd: empty.dir })).rejects.toThrow(/no commits yet/);
  });

  it('with an unknown ref, names it', async () => {
    await expect(scaleHistory({ cwd: repo.dir, ref: 'no-such-branch' })).rejects.toThrow(/unknown ref no-such-branch/);
  });

  it('in a shallow clone (actions/checkout by default), refuses and names the fix, instead of calling the oldest commit an addition', async () => {
    const clone = await tempDir('lsa-shallow-');
    // A file:// URL, because git ignores --depth for a plain local path.
    await git(clone, ['clone', '-q', '--depth', '1', `file://${repo.dir}`, '.']);
    const error = await scaleHistory({ cwd: clone }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(/is a shallow clone/);
    expect((error as Error).message).toMatch(/git fetch --unshallow/);
    expect((error as Error).message).toMatch(/fetch-depth: 0/);
    // Once deepened, the same clone has the whole history.
    await git(clone, ['fetch', '-q', '--unshallow']);
    expect((await scaleHistory({ cwd: clone })).map((e) => e.commit)).toEqual(history.map((e) => e.commit));
  });
});

describe('scale history of unusual commits', () => {
  it('reads counts from a historic config that today’s validation rejects (a count above its max)', async () => {
    const small = await newRepository();
    await small.commit('Add shop', {
      files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 3, max: 4 }) },
      date: '2026-11-01T09:00:00+00:00',
    });
    const over = await small.commit('Scale shop by hand', {
      who: bob,
      files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 9, max: 4 }) },
      date: '2026-11-02T09:00:00+00:00',
    });
    const [latest] = await scaleHistory({ cwd: small.dir });
    expect(latest?.commit).toBe(over);
    expect(latest?.clusters[0]?.components.map((c) => [c.component, c.from, c.to])).toEqual([['kubernetes_node', 3, 9]]);
  });

  it('treats a cluster moved to another file as the same cluster, not a removal and an addition', async () => {
    const small = await newRepository();
    await small.commit('Add shop', { files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 3 }) } });
    await rm(join(small.dir, SHOP));
    const moved = await small.commit('Move shop', { files: { 'cluster-config/aws/shop.yml': clusterYaml({ name: 'shop', nodes: 3 }) } });
    await rm(join(small.dir, 'cluster-config/aws/shop.yml'));
    const movedAndScaled = await small.commit('Move shop back and scale it', {
      files: { 'cluster-config/shop.yaml': clusterYaml({ name: 'shop', nodes: 4 }) },
    });
    const entries = await scaleHistory({ cwd: small.dir });
    expect(entries.map((e) => e.commit)).not.toContain(moved);
    expect(entries[0]?.commit).toBe(movedAndScaled);
    expect(entries[0]?.clusters).toEqual([workersScaled('cluster-config/shop.yaml', 'shop', 'aws', 3, 4)]);
  });

  describe('a file followed across moves', () => {
    /**
     *   f1  add shop in cluster-config/shop.yml (3 workers) and lab in cluster-config/lab.yml
     *   f2  scale shop 3 → 4
     *   f3  git mv shop.yml aws/shop.yml, and scale lab in the same commit
     *   f4  scale shop 4 → 6 in aws/shop.yml
     *   f5  move it to prod/shop.yml and scale 6 → 5 in the same commit
     */
    const moved: Record<string, string> = {};
    let small: TestRepository;
    const PROD = 'cluster-config/prod/shop.yml';
    beforeAll(async () => {
      small = await newRepository();
      const at = (day: number): string => `2026-11-0${day}T09:00:00+00:00`;
      moved.f1 = await small.commit('Add shop and lab', {
        date: at(1),
        files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 3 }), [LAB]: clusterYaml({ name: 'lab', nodes: 1 }) },
      });
      moved.f2 = await small.commit('Scale shop', { date: at(2), files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 4 }) } });
      await small.git(['mv', SHOP, 'cluster-config/aws.yml']);
      moved.f3 = await small.commit('Move shop, scale lab', { date: at(3), files: { [LAB]: clusterYaml({ name: 'lab', nodes: 2 }) } });
      moved.f4 = await small.commit('Scale shop', {
        date: at(4),
        files: { 'cluster-config/aws.yml': clusterYaml({ name: 'shop', nodes: 6 }) },
      });
      await rm(join(small.dir, 'cluster-config/aws.yml'));
      moved.f5 = await small.commit('Move shop to prod and scale it', {
        date: at(5),
        files: { [PROD]: clusterYaml({ name: 'shop', nodes: 5 }) },
      });
    });

    it('has the history of the cluster it holds from before the moves, not "added" at the last one', async () => {
      const entries = await scaleHistory({ cwd: small.dir, file: PROD, ref: moved.f5 });
      expect(entries.map((e) => e.commit)).toEqual([moved.f5, moved.f4, moved.f2, moved.f1]);
      expect(entries[0]?.clusters).toEqual([workersScaled(PROD, 'shop', 'aws', 6, 5)]);
      expect(entries[1]?.clusters).toEqual([workersScaled('cluster-config/aws.yml', 'shop', 'aws', 4, 6)]);
      // Other clusters changed in the same commits are left out.
      expect(entries.at(-1)?.clusters.map((c) => [c.name, c.change])).toEqual([['shop', 'added']]);
    });

    it('gives a file deleted by now the history of the cluster it held', async () => {
      const entries = await scaleHistory({ cwd: small.dir, file: SHOP, ref: moved.f5 });
      expect(entries.map((e) => e.commit)).toEqual([moved.f5, moved.f4, moved.f2, moved.f1]);
      expect(entries.flatMap((e) => e.clusters.map((c) => c.change))).not.toContain('removed');
    });

    it('follows a cluster renamed in its file, the rename counting for the old name and the new', async () => {
      await small.commit('Rename shop to store', {
        date: '2026-11-06T09:00:00+00:00',
        files: { [PROD]: clusterYaml({ name: 'store', nodes: 5 }) },
      });
      await small.git(['mv', PROD, 'cluster-config/store.yml']);
      const last = await small.commit('Move store', { date: '2026-11-07T09:00:00+00:00' });
      const renamed = await small.git(['rev-parse', 'HEAD~1']);
      const entries = await scaleHistory({ cwd: small.dir, file: 'cluster-config/store.yml' });
      expect(entries.map((e) => e.commit)).toEqual([renamed, moved.f5, moved.f4, moved.f2, moved.f1]);
      expect(entries[0]?.clusters[0]).toMatchObject({ name: 'store', change: 'renamed', previous: { id: 'aws/demo-shop', file: PROD } });
      expect(entries.map((e) => e.commit)).not.toContain(last);
    });
  });

  it('reports a new name in the same file as renamed, never as scaling', async () => {
    const small = await newRepository();
    await small.commit('Add shop', { files: { [SHOP]: clusterYaml({ name: 'shop', nodes: 3 }) } });
    const renamed = await small.commit('Rename shop to store', { files: { [SHOP]: clusterYaml({ name: 'store', nodes: 3 }) } });
    const [latest] = await scaleHistory({ cwd: small.dir });
    expect(latest?.commit).toBe(renamed);
    expect(latest?.clusters).toEqual([
      {
        file: SHOP,
        name: 'store',
        provider: 'aws',
        change: 'renamed',
        counts: { kubernetes_master: 1, kubernetes_node: 3 },
        components: [],
        previous: { id: 'aws/demo-shop', file: SHOP },
      },
    ]);
  });

  it('reads hundreds of commits in one pass', async () => {
    const big = await newRepository();
    const commits = 300;
    const stream: string[] = [];
    for (let i = 1; i <= commits; i += 1) {
      const message = `Scale shop to ${i}\n\nAutoscale-Reason: step ${i}\n`;
      const content = clusterYaml({ name: 'shop', nodes: i });
      stream.push(
        'commit refs/heads/main',
        `mark :${i}`,
        `committer Bot <bot@example.com> ${1_793_000_000 + i * 60} +0000`,
        `data ${Buffer.byteLength(message)}`,
        message,
        ...(i > 1 ? [`from :${i - 1}`] : []),
        `M 100644 inline ${SHOP}`,
        `data ${Buffer.byteLength(content)}`,
        content,
      );
    }
    await execa('git', ['fast-import', '--quiet'], { cwd: big.dir, input: `${stream.join('\n')}\n`, env: ISOLATED_GIT_ENV });
    const entries = await scaleHistory({ cwd: big.dir });
    expect(entries).toHaveLength(commits);
    expect(entries[0]).toMatchObject({ reason: `step ${commits}`, clusters: [{ components: [{ from: commits - 1, to: commits }] }] });
    expect(entries.at(-1)?.clusters[0]?.change).toBe('added');
  });
});
