import { isRegularFile } from '../git/modes.js';
import { type ClusterPlan, scalePlan } from '../plan/scale-plan.js';
import { pullRequestNumber } from './commit-message.js';
import type { BlobRef, LogCommit } from './log.js';
import { ABSENT, isCluster, readSnapshot, type Snapshot, UNREADABLE } from './snapshot.js';

/** One mainline commit that changed at least one cluster. */
export interface HistoryEntry {
  /** Full commit id. */
  commit: string;
  /** Committer date, strict ISO 8601 with the committer's offset. */
  date: string;
  /** Author name (after .mailmap). */
  author: string;
  authorEmail: string;
  pr: number | null;
  /** The `Autoscale-Reason:` trailer, or null when the commit (and a merged PR's head) has none. */
  reason: string | null;
  subject: string;
  /** What the commit did to each cluster: the scale plan of its diff, as `plan` reports it. */
  clusters: ClusterPlan[];
}

/**
 * The scale history of a mainline log, newest first (the order of `commits`): one entry per
 * commit whose diff changes a cluster, labelled with the same scale plan `plan` computes.
 * `blobs` holds the files' versions by id; `mergedReasons` the reasons of merged branch heads.
 * A version that cannot be read is skipped: the next readable one is compared with the last
 * readable one before it.
 */
export function historyEntries(
  commits: readonly LogCommit[],
  blobs: ReadonlyMap<string, Uint8Array>,
  mergedReasons: ReadonlyMap<string, string> = new Map(),
): HistoryEntry[] {
  const read = snapshotReader(blobs);
  const lastReadable = new Map<string, Snapshot>();
  const entries: HistoryEntry[] = [];
  // Oldest first, so a side that cannot be read can fall back to the last version that could.
  for (const c of commits.toReversed()) {
    const base: Snapshot[] = [];
    const head: Snapshot[] = [];
    for (const change of c.changes) {
      const after = read(change.file, change.after);
      let before = read(change.file, change.before);
      if (before === UNREADABLE) before = lastReadable.get(change.file) ?? UNREADABLE;
      const known = after !== UNREADABLE ? after : before;
      if (known !== UNREADABLE) lastReadable.set(change.file, known);
      // A file unreadable on either side says nothing about this commit.
      if (before === UNREADABLE || after === UNREADABLE) continue;
      base.push(before);
      head.push(after);
    }
    const clusters = scalePlan(base.filter(isCluster), head.filter(isCluster)).clusters.sort((a, b) => compare(a.file, b.file));
    if (clusters.length === 0) continue;
    entries.push({
      commit: c.commit,
      date: c.date,
      author: c.author,
      authorEmail: c.authorEmail,
      pr: pullRequestNumber(c.subject),
      reason: c.reason ?? (c.mergedHead ? (mergedReasons.get(c.mergedHead) ?? null) : null),
      subject: c.subject,
      clusters,
    });
  }
  return entries.reverse();
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Reads each blob once, however many commits share it. */
function snapshotReader(blobs: ReadonlyMap<string, Uint8Array>): (file: string, ref: BlobRef | undefined) => Snapshot {
  const cache = new Map<string, Snapshot>();
  return (file, ref) => {
    if (!ref) return ABSENT;
    if (!isRegularFile(ref.mode)) return UNREADABLE;
    const key = `${ref.id}\0${file}`;
    let snapshot = cache.get(key);
    if (!snapshot) {
      const bytes = blobs.get(ref.id);
      snapshot = bytes === undefined ? UNREADABLE : readSnapshot(file, bytes);
      cache.set(key, snapshot);
    }
    return snapshot;
  };
}
