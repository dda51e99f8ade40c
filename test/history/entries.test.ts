import { describe, expect, it } from 'vitest';
import { historyEntries, type LogCommit, parseLog, parseReasons } from '../../src/history/index.js';
import { clusterConfig } from '../support/config-text.js';

// History without git: `git log` output and blob contents written by hand.

const ZERO = '0'.repeat(40);
const id = (n: number): string => String(n).padStart(40, '0');

/** One commit as `git log -z --raw` prints it with history's format. */
function logRecord(commit: string, parents: string, subject: string, reason: string, changes: Array<[string, string, string]>): string {
  const header = `\x1e${[commit, parents, '2026-11-01T09:00:00+00:00', 'Alice Admin', 'alice@example.com', subject, reason].join('\0')}\0`;
  const raw = changes.map(([before, after, file]) => `:100644 100644 ${before} ${after} M\0${file}\0`).join('');
  return `${header}\n${raw}`;
}

describe('reading git log output', () => {
  it('reads each commit with its parents, subject, reason and changed files; NULs and newlines in subjects cannot derail it', () => {
    const out =
      logRecord(id(2), `${id(1)} ${id(9)}`, 'Merge pull request #3 from org/x', '', [[id(10), id(11), 'cluster-config/shop.yml']]) +
      logRecord(id(1), '', 'Add\u0001 shop', 'why\x1fand why', [[ZERO, id(10), 'cluster-config/sh op.yml']]);
    expect(parseLog(out)).toEqual([
      {
        commit: id(2),
        mergedHead: id(9),
        date: '2026-11-01T09:00:00+00:00',
        author: 'Alice Admin',
        authorEmail: 'alice@example.com',
        subject: 'Merge pull request #3 from org/x',
        reason: null,
        changes: [{ file: 'cluster-config/shop.yml', before: { id: id(10), mode: '100644' }, after: { id: id(11), mode: '100644' } }],
      },
      expect.objectContaining({
        commit: id(1),
        mergedHead: undefined,
        subject: 'Add\u0001 shop',
        reason: 'why; and why',
        changes: [{ file: 'cluster-config/sh op.yml', before: undefined, after: { id: id(10), mode: '100644' } }],
      }),
    ]);
  });

  it('refuses output it does not understand instead of guessing', () => {
    expect(() => parseLog('garbage\0')).toThrow(/unexpected git log output/);
  });

  it('reads the reasons of merged heads', () => {
    expect(parseReasons(`${id(9)} 2 pods pending\0${id(8)} \0`)).toEqual(new Map([[id(9), '2 pods pending']]));
  });
});

describe('history entries from commits and file versions', () => {
  const file = 'cluster-config/shop.yml';
  const blobs = new Map<string, Uint8Array>([
    [id(1), new TextEncoder().encode(clusterConfig({ name: 'shop', nodes: 2 }))],
    [id(2), new TextEncoder().encode(clusterConfig({ name: 'shop', nodes: 4 }))],
    [id(3), new TextEncoder().encode(clusterConfig({ name: 'shop', nodes: 'oops' }))],
    [id(4), new TextEncoder().encode(clusterConfig({ name: 'shop', nodes: 6 }))],
    [id(5), new TextEncoder().encode(clusterConfig({ name: 'store', nodes: 6 }))],
  ]);
  const commit = (n: number, before: number | undefined, after: number | undefined, extra: Partial<LogCommit> = {}): LogCommit => ({
    commit: id(100 + n),
    mergedHead: undefined,
    date: `2026-11-0${n}T09:00:00+00:00`,
    author: 'Alice Admin',
    authorEmail: 'alice@example.com',
    subject: `commit ${n}`,
    reason: null,
    changes: [
      {
        file,
        before: before === undefined ? undefined : { id: id(before), mode: '100644' },
        after: after === undefined ? undefined : { id: id(after), mode: '100644' },
      },
    ],
    ...extra,
  });

  it('labels each commit with the scale plan of its diff: added, scaled, renamed, removed; newest first', () => {
    const log = [commit(6, 5, undefined), commit(5, 4, 5), commit(2, 1, 2), commit(1, undefined, 1)];
    const entries = historyEntries(log, blobs);
    expect(entries.map((e) => [e.subject, e.clusters.map((c) => c.change)])).toEqual([
      ['commit 6', ['removed']],
      ['commit 5', ['renamed']],
      ['commit 2', ['scaled']],
      ['commit 1', ['added']],
    ]);
    expect(entries[2]?.clusters[0]?.components[0]).toEqual({
      component: 'kubernetes_node',
      from: 2,
      to: 4,
      add: ['demo-shop-kubernetes-node-vm-2', 'demo-shop-kubernetes-node-vm-3'],
      remove: [],
    });
  });

  it('skips a version that cannot be read, and compares the next readable one with the last readable one', () => {
    const entries = historyEntries([commit(4, 3, 4), commit(3, 2, 3), commit(2, 1, 2)], blobs);
    expect(entries.map((e) => [e.subject, e.clusters[0]?.components.map((c) => `${c.from}→${c.to}`)])).toEqual([
      ['commit 4', ['4→6']],
      ['commit 2', ['2→4']],
    ]);
  });

  it("gives a merge without a reason the reason of the merged branch's head, and reads PR numbers from subjects", () => {
    const merge = commit(2, 1, 2, { subject: 'Merge pull request #12 from org/autoscale', mergedHead: id(77) });
    const [entry] = historyEntries([merge], blobs, new Map([[id(77), '2 pods pending']]));
    expect(entry).toMatchObject({ pr: 12, reason: '2 pods pending' });
  });

  it('reads a symlink or a missing blob as nothing, never as a cluster', () => {
    const link = commit(2, 1, 2);
    link.changes[0] = { file, before: { id: id(1), mode: '100644' }, after: { id: id(2), mode: '120000' } };
    expect(historyEntries([link, commit(9, 1, 999)], blobs)).toEqual([]);
  });
});
