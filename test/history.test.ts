import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../src/errors.js';
import {
  type HistoryEntry,
  historyToJson,
  historyToMarkdown,
  historyToMermaid,
  historyToText,
  pullRequestNumber,
  scaleHistory,
} from '../src/git/history.js';

// Real git in throw-away repositories. Every author, committer and date is fixed, so commit ids
// and dates are the same on every run.

interface Person {
  name: string;
  email: string;
}
const alice: Person = { name: 'Alice Admin', email: 'alice@example.com' };
const bob: Person = { name: 'Bob Builder', email: 'bob@example.com' };
const bot: Person = { name: 'lambdastack-autoscaler[bot]', email: 'autoscaler@example.com' };
const carol: Person = { name: 'Carol Merger', email: 'carol@example.com' };
const dana: Person = { name: 'Dana Ops', email: 'dana@example.com' };

const ISOLATED = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const temporary: string[] = [];

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'history-'));
  temporary.push(dir);
  return dir;
}

async function git(cwd: string, args: string[], who: Person = alice, date = '2026-10-01T00:00:00+00:00'): Promise<string> {
  const env = {
    ...ISOLATED,
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_AUTHOR_DATE: date,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
    GIT_COMMITTER_DATE: date,
  };
  return (await execa('git', args, { cwd, env })).stdout;
}

async function newRepository(): Promise<string> {
  const dir = await tempDir();
  await git(dir, ['init', '-q', '-b', 'main']);
  return dir;
}

async function write(repo: string, file: string, text: string): Promise<void> {
  await mkdir(dirname(join(repo, file)), { recursive: true });
  await writeFile(join(repo, file), text);
}

/** Commits everything in the work tree; returns the new commit id. */
async function commit(repo: string, message: string, who: Person, date: string): Promise<string> {
  await git(repo, ['add', '-A']);
  await git(repo, ['commit', '-q', '--allow-empty', '-m', message], who, date);
  return git(repo, ['rev-parse', 'HEAD']);
}

function clusterYaml(options: { name: string; nodes: number | string; provider?: string; comment?: string; max?: number }): string {
  const autoscaling =
    options.max === undefined
      ? ''
      : `---\nkind: configuration/autoscaling\nname: default\nspecification:\n  components:\n    kubernetes_node:\n      min: 1\n      max: ${options.max}\n`;
  return `# ${options.comment ?? 'worker count managed by lambdastack-autoscaler'}
kind: lambdastack-cluster
provider: ${options.provider ?? 'aws'}
specification:
  name: ${options.name}
  prefix: demo
  components:
    kubernetes_master:
      count: 1
    kubernetes_node:
      count: ${options.nodes}
${autoscaling}`;
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
let repo = '';
let history: HistoryEntry[] = [];
const entry = (name: string): HistoryEntry | undefined => history.find((e) => e.commit === ids[name]);

beforeAll(async () => {
  repo = await newRepository();
  await write(repo, 'README.md', '# cluster configs\n');
  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 2 }));
  ids.c1 = await commit(repo, 'Add shop cluster', alice, '2026-11-01T09:00:00+00:00');
  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 2, comment: 'raise only through a pull request' }));
  ids.c2 = await commit(repo, 'Explain the worker count', bob, '2026-11-02T09:00:00+00:00');

  await git(repo, ['checkout', '-q', '-b', 'autoscale']);
  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 3, comment: 'raise only through a pull request' }));
  ids.b1 = await commit(repo, 'Scale shop kubernetes_node 2 → 3\n\nAutoscale-Reason: 1 pod pending', bot, '2026-11-03T08:00:00+00:00');
  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 4, comment: 'raise only through a pull request' }));
  ids.b2 = await commit(
    repo,
    'Scale shop kubernetes_node 3 → 4\n\nAutoscale-Reason: 2 pods pending for 90s',
    bot,
    '2026-11-03T08:05:00+00:00',
  );
  await git(repo, ['checkout', '-q', 'main']);
  await write(repo, 'docs/runbook.md', 'drain first\n');
  ids.d1 = await commit(repo, 'Document the runbook', bob, '2026-11-03T08:30:00+00:00');
  await git(
    repo,
    ['merge', '-q', '--no-ff', 'autoscale', '-m', 'Merge pull request #12 from org/autoscale', '-m', 'Scale shop to 4 workers'],
    carol,
    '2026-11-03T09:00:00+00:00',
  );
  ids.m = await git(repo, ['rev-parse', 'HEAD']);

  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 5, comment: 'raise only through a pull request' }));
  ids.s = await commit(
    repo,
    'Scale workers to 5 (#14)\n\n* Scale shop kubernetes_node 4 → 5\n\nAutoscale-Reason: 3 pods pending for 120s',
    dana,
    '2026-11-03T15:30:00+00:00',
  );
  await write(repo, LAB, clusterYaml({ name: 'lab', nodes: 1, provider: 'azure' }));
  ids.c5 = await commit(repo, 'Add lab cluster\n\nAutoscale-Reason: new team | lab', alice, '2026-11-05T10:00:00+00:00');
  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 'lots' }));
  await write(repo, LAB, clusterYaml({ name: 'lab', nodes: 2, provider: 'azure' }));
  ids.c6 = await commit(repo, 'WIP hand edits', bob, '2026-11-06T10:00:00+00:00');
  await write(repo, SHOP, clusterYaml({ name: 'shop', nodes: 6 }));
  ids.c7 = await commit(
    repo,
    'Fix shop config\n\nAutoscale-Reason: restore workers after a\n  broken hand edit',
    alice,
    '2026-11-07T10:00:00+02:00',
  );
  await rm(join(repo, LAB));
  ids.c8 = await commit(repo, 'Retire lab cluster (#15)', carol, '2026-11-08T10:00:00+00:00');

  history = await scaleHistory({ cwd: repo });
});

afterAll(async () => {
  await Promise.all(temporary.map((dir) => rm(dir, { recursive: true, force: true })));
});

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
      clusters: [
        {
          file: SHOP,
          name: 'shop',
          provider: 'aws',
          change: 'scaled',
          components: [{ component: 'kubernetes_node', from: 2, to: 4 }],
        },
      ],
    });
  });

  it('gives the PR number and the Autoscale-Reason trailer of a squash-merged pull request', () => {
    expect(entry('s')).toMatchObject({
      pr: 14,
      reason: '3 pods pending for 120s',
      subject: 'Scale workers to 5 (#14)',
      author: 'Dana Ops',
      clusters: [{ file: SHOP, change: 'scaled', components: [{ component: 'kubernetes_node', from: 4, to: 5 }] }],
    });
  });

  it('leaves out commits that change no count: a comment edit, or files outside cluster-config/', () => {
    expect(entry('c2')).toBeUndefined();
    expect(entry('d1')).toBeUndefined();
  });

  it('reports a new cluster as added, every component counted from 0', () => {
    expect(entry('c1')?.clusters).toEqual([
      {
        file: SHOP,
        name: 'shop',
        provider: 'aws',
        change: 'added',
        components: [
          { component: 'kubernetes_master', from: 0, to: 1 },
          { component: 'kubernetes_node', from: 0, to: 2 },
        ],
      },
    ]);
    expect(entry('c5')?.clusters.map((c) => [c.name, c.provider, c.change])).toEqual([['lab', 'azure', 'added']]);
    expect(entry('c1')?.pr).toBeNull();
    expect(entry('c1')?.reason).toBeNull();
  });

  it('reports a deleted cluster as removed, every component counted down to 0', () => {
    expect(entry('c8')).toMatchObject({
      pr: 15,
      clusters: [
        {
          file: LAB,
          name: 'lab',
          change: 'removed',
          components: [
            { component: 'kubernetes_master', from: 1, to: 0 },
            { component: 'kubernetes_node', from: 2, to: 0 },
          ],
        },
      ],
    });
  });

  it('skips a file at a commit where it is not a valid config, and still reports the other clusters of that commit', () => {
    expect(entry('c6')?.clusters).toEqual([
      { file: LAB, name: 'lab', provider: 'azure', change: 'scaled', components: [{ component: 'kubernetes_node', from: 1, to: 2 }] },
    ]);
  });

  it('counts the commit that repairs an invalid config from the last valid count', () => {
    expect(entry('c7')?.clusters).toEqual([
      { file: SHOP, name: 'shop', provider: 'aws', change: 'scaled', components: [{ component: 'kubernetes_node', from: 5, to: 6 }] },
    ]);
  });

  it('joins a reason written over several lines into one', () => {
    expect(entry('c7')?.reason).toBe('restore workers after a broken hand edit');
  });

  it("dates each entry with the committer's date in strict ISO 8601, offset included", () => {
    expect(entry('c7')?.date).toBe('2026-11-07T10:00:00+02:00');
  });

  it('with since, lists only commits after that date', async () => {
    const recent = await scaleHistory({ cwd: repo, since: '2026-11-05T00:00:00Z' });
    expect(recent.map((e) => e.commit)).toEqual([ids.c8, ids.c7, ids.c6, ids.c5]);
  });

  it('with a file, lists only the commits that changed that cluster', async () => {
    const lab = [ids.c8, ids.c6, ids.c5];
    expect((await scaleHistory({ cwd: repo, paths: [LAB] })).map((e) => e.commit)).toEqual(lab);
    expect((await scaleHistory({ cwd: repo, paths: [join(repo, LAB)] })).map((e) => e.commit)).toEqual(lab);
  });

  it('takes a file relative to the directory it runs in, or to the repository root', async () => {
    await mkdir(join(repo, 'docs'), { recursive: true });
    const fromConfigDir = await scaleHistory({ cwd: join(repo, 'cluster-config'), paths: ['lab.yml'] });
    const fromDocs = await scaleHistory({ cwd: join(repo, 'docs'), paths: ['../cluster-config/lab.yml'] });
    for (const result of [fromConfigDir, fromDocs]) expect(result.map((e) => e.commit)).toEqual([ids.c8, ids.c6, ids.c5]);
    const rootRelative = await scaleHistory({ cwd: join(repo, 'docs'), paths: [SHOP] });
    expect(rootRelative.map((e) => e.commit)).toEqual([ids.c7, ids.s, ids.m, ids.c1]);
    const everything = await scaleHistory({ cwd: join(repo, 'docs') });
    expect(everything.map((e) => e.commit)).toEqual(history.map((e) => e.commit));
  });

  it('with a ref, walks back from that commit', async () => {
    expect((await scaleHistory({ cwd: repo, ref: ids.m })).map((e) => e.commit)).toEqual([ids.m, ids.c1]);
    expect((await scaleHistory({ cwd: repo, ref: 'autoscale' })).map((e) => e.commit)).toEqual([ids.b2, ids.b1, ids.c1]);
  });

  it('refuses a path outside the repository, naming it', async () => {
    await expect(scaleHistory({ cwd: repo, paths: ['../elsewhere.yml'] })).rejects.toThrow(
      /\.\.\/elsewhere\.yml is outside the repository/,
    );
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
    await expect(scaleHistory({ cwd: empty })).rejects.toThrow(/no commits yet/);
  });

  it('with an unknown ref, names it', async () => {
    await expect(scaleHistory({ cwd: repo, ref: 'no-such-branch' })).rejects.toThrow(/unknown ref no-such-branch/);
  });
});

describe('scale history of unusual commits', () => {
  it('reads counts from a historic config that today’s validation rejects (a count above its max)', async () => {
    const small = await newRepository();
    await write(small, SHOP, clusterYaml({ name: 'shop', nodes: 3, max: 4 }));
    await commit(small, 'Add shop', alice, '2026-11-01T09:00:00+00:00');
    await write(small, SHOP, clusterYaml({ name: 'shop', nodes: 9, max: 4 }));
    const over = await commit(small, 'Scale shop by hand', bob, '2026-11-02T09:00:00+00:00');
    const [latest] = await scaleHistory({ cwd: small });
    expect(latest?.commit).toBe(over);
    expect(latest?.clusters[0]?.components).toEqual([{ component: 'kubernetes_node', from: 3, to: 9 }]);
  });

  it('treats a cluster moved to another file as the same cluster, not a removal and an addition', async () => {
    const small = await newRepository();
    await write(small, SHOP, clusterYaml({ name: 'shop', nodes: 3 }));
    await commit(small, 'Add shop', alice, '2026-11-01T09:00:00+00:00');
    await rm(join(small, SHOP));
    await write(small, 'cluster-config/aws/shop.yml', clusterYaml({ name: 'shop', nodes: 3 }));
    const moved = await commit(small, 'Move shop', bob, '2026-11-02T09:00:00+00:00');
    await rm(join(small, 'cluster-config/aws/shop.yml'));
    await write(small, 'cluster-config/shop.yaml', clusterYaml({ name: 'shop', nodes: 4 }));
    const movedAndScaled = await commit(small, 'Move shop back and scale it', bob, '2026-11-03T09:00:00+00:00');
    const entries = await scaleHistory({ cwd: small });
    expect(entries.map((e) => e.commit)).not.toContain(moved);
    expect(entries[0]?.commit).toBe(movedAndScaled);
    expect(entries[0]?.clusters).toEqual([
      {
        file: 'cluster-config/shop.yaml',
        name: 'shop',
        provider: 'aws',
        change: 'scaled',
        components: [{ component: 'kubernetes_node', from: 3, to: 4 }],
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
    await execa('git', ['fast-import', '--quiet'], { cwd: big, input: `${stream.join('\n')}\n`, env: ISOLATED });
    const entries = await scaleHistory({ cwd: big });
    expect(entries).toHaveLength(commits);
    expect(entries[0]).toMatchObject({ reason: `step ${commits}`, clusters: [{ components: [{ from: commits - 1, to: commits }] }] });
    expect(entries.at(-1)?.clusters[0]?.change).toBe('added');
  });
});

describe('pull request numbers', () => {
  it('come from GitHub merge commits and from squash subjects ending in (#N)', () => {
    expect(pullRequestNumber('Merge pull request #12 from org/autoscale')).toBe(12);
    expect(pullRequestNumber('Scale workers to 5 (#14)')).toBe(14);
    expect(pullRequestNumber('Scale workers (#14) by hand')).toBeNull();
    expect(pullRequestNumber('Fix #14')).toBeNull();
  });
});

const sample: HistoryEntry[] = [
  {
    commit: 'c'.repeat(40),
    date: '2026-11-03T15:30:00+00:00',
    author: 'Dana Ops',
    authorEmail: 'dana@example.com',
    pr: 14,
    reason: '3 pods pending | queue 120s',
    subject: 'Scale workers to 5 (#14)',
    clusters: [
      { file: SHOP, name: 'shop', provider: 'aws', change: 'scaled', components: [{ component: 'kubernetes_node', from: 4, to: 5 }] },
    ],
  },
  {
    commit: 'b'.repeat(40),
    date: '2026-11-03T09:00:00+00:00',
    author: 'Carol Merger',
    authorEmail: 'carol@example.com',
    pr: 12,
    reason: null,
    subject: 'Merge pull request #12 from org/autoscale',
    clusters: [
      { file: SHOP, name: 'shop', provider: 'aws', change: 'scaled', components: [{ component: 'kubernetes_node', from: 2, to: 4 }] },
    ],
  },
  {
    commit: 'a'.repeat(40),
    date: '2026-11-01T09:00:00+00:00',
    author: 'Alice Admin',
    authorEmail: 'alice@example.com',
    pr: null,
    reason: 'new clusters\nfor the <launch>',
    subject: 'Add the clusters',
    clusters: [
      {
        file: LAB,
        name: 'lab',
        provider: 'azure',
        change: 'added',
        components: [
          { component: 'kubernetes_master', from: 0, to: 1 },
          { component: 'kubernetes_node', from: 0, to: 1 },
        ],
      },
      {
        file: SHOP,
        name: 'shop',
        provider: 'aws',
        change: 'added',
        components: [
          { component: 'kubernetes_master', from: 0, to: 1 },
          { component: 'kubernetes_node', from: 0, to: 2 },
        ],
      },
    ],
  },
];

describe('history formats', () => {
  it('JSON: the entries as they are, under "entries"', () => {
    const json = historyToJson(sample);
    expect(JSON.parse(json)).toEqual({ entries: sample });
    expect(json.startsWith('{\n  "entries": [\n    {\n      "commit": "cccc')).toBe(true);
    expect(json.endsWith('}\n')).toBe(true);
  });

  it('text: one block per commit with date, short id, author, PR, each cluster change and the reason', () => {
    expect(historyToText(sample)).toBe(
      [
        '2026-11-03 15:30:00+00:00  ccccccc  Dana Ops <dana@example.com>  PR #14',
        '  Scale workers to 5 (#14)',
        '  shop (cluster-config/shop.yml): kubernetes_node 4 → 5',
        '  reason: 3 pods pending | queue 120s',
        '',
        '2026-11-03 09:00:00+00:00  bbbbbbb  Carol Merger <carol@example.com>  PR #12',
        '  Merge pull request #12 from org/autoscale',
        '  shop (cluster-config/shop.yml): kubernetes_node 2 → 4',
        '',
        '2026-11-01 09:00:00+00:00  aaaaaaa  Alice Admin <alice@example.com>',
        '  Add the clusters',
        '  lab (cluster-config/lab.yml): cluster added, kubernetes_master 0 → 1, kubernetes_node 0 → 1',
        '  shop (cluster-config/shop.yml): cluster added, kubernetes_master 0 → 1, kubernetes_node 0 → 2',
        '  reason: new clusters for the <launch>',
        '',
      ].join('\n'),
    );
  });

  it('text: control characters in commit messages cannot reach the terminal', () => {
    const [first] = sample;
    const hostile = { ...(first as HistoryEntry), subject: 'Scale\u001b[2J up', reason: 'bell\u0007' };
    const text = historyToText([hostile]);
    expect(text).toContain('  Scale [2J up\n');
    expect(text).toContain('  reason: bell \n');
    expect(text.replaceAll('\n', '')).not.toMatch(/\p{Cc}/u);
  });

  it('Markdown: a table row per cluster change, with | escaped and line breaks as <br>', () => {
    expect(historyToMarkdown(sample)).toBe(
      [
        '| Date | Commit | Author | PR | Cluster | Change | Reason |',
        '| --- | --- | --- | --- | --- | --- | --- |',
        '| 2026-11-03 | ccccccc | Dana Ops | #14 | shop | kubernetes_node 4 → 5 | 3 pods pending \\| queue 120s |',
        '| 2026-11-03 | bbbbbbb | Carol Merger | #12 | shop | kubernetes_node 2 → 4 |  |',
        '| 2026-11-01 | aaaaaaa | Alice Admin |  | lab | cluster added<br>kubernetes_master 0 → 1<br>kubernetes_node 0 → 1 | new clusters<br>for the &lt;launch&gt; |',
        '| 2026-11-01 | aaaaaaa | Alice Admin |  | shop | cluster added<br>kubernetes_master 0 → 1<br>kubernetes_node 0 → 2 | new clusters<br>for the &lt;launch&gt; |',
        '',
      ].join('\n'),
    );
  });

  it('Mermaid: a workers-over-time chart per cluster, oldest first, starting from the count before the first change', () => {
    expect(historyToMermaid(sample)).toBe(
      [
        '```mermaid',
        'xychart-beta',
        '  title "lab workers"',
        '  x-axis ["before", "2026-11-01"]',
        '  y-axis "workers" 0 --> 2',
        '  line [0, 1]',
        '```',
        '',
        '```mermaid',
        'xychart-beta',
        '  title "shop workers"',
        // Two changes on one day: the time of day tells the points apart.
        '  x-axis ["before", "2026-11-01", "2026-11-03 09:00", "2026-11-03 15:30"]',
        '  y-axis "workers" 0 --> 6',
        '  line [0, 2, 4, 5]',
        '```',
        '',
      ].join('\n'),
    );
  });

  it('Mermaid: changes within one minute get seconds, and within one second a counter', () => {
    const at = (date: string, from: number, to: number): HistoryEntry => ({
      ...(sample[1] as HistoryEntry),
      date,
      clusters: [{ file: SHOP, name: 'shop', provider: 'aws', change: 'scaled', components: [{ component: 'kubernetes_node', from, to }] }],
    });
    const chart = historyToMermaid([
      at('2026-11-03T09:00:30+00:00', 4, 5),
      at('2026-11-03T09:00:30+00:00', 3, 4),
      at('2026-11-03T09:00:10+00:00', 2, 3),
    ]);
    expect(chart).toContain('  x-axis ["before", "2026-11-03 09:00:10", "2026-11-03 09:00:30", "2026-11-03 09:00:30 (2)"]\n');
    expect(chart).toContain('  line [2, 3, 4, 5]\n');
  });

  it('every format says so when there is nothing to show', () => {
    expect(historyToJson([])).toBe('{\n  "entries": []\n}\n');
    expect(historyToText([])).toBe('No scale changes found.\n');
    expect(historyToMarkdown([])).toBe('_No scale changes found._\n');
    expect(historyToMermaid([])).toBe('No scale changes found.\n');
    const mastersOnly: HistoryEntry = {
      ...(sample[1] as HistoryEntry),
      clusters: [
        { file: SHOP, name: 'shop', provider: 'aws', change: 'scaled', components: [{ component: 'kubernetes_master', from: 1, to: 3 }] },
      ],
    };
    expect(historyToMermaid([mastersOnly])).toBe('No kubernetes_node count changes found.\n');
  });

  it('renders a history read from git', () => {
    const markdown = historyToMarkdown(history);
    expect(markdown).toContain(
      `| 2026-11-03 | ${ids.m?.slice(0, 7)} | Carol Merger | #12 | shop | kubernetes_node 2 → 4 | 2 pods pending for 90s |`,
    );
    expect(markdown).toContain('| new team \\| lab |');
    expect(historyToMermaid(history)).toContain('  line [0, 2, 4, 5, 6]\n');
  });
});
