import { clusterId } from '../config/load.js';
import { isRegularFile } from '../git/modes.js';
import { type ClusterPlan, type PlanCluster, scalePlan } from '../plan/scale-plan.js';
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
 *
 * With `follow` (a root-relative file, or a directory), only the changes of the clusters that path
 * has held are kept: the log must then cover every file those clusters lived in (the whole config
 * directory), so a move of the file reads as the same cluster, never as removed and added.
 */
export function historyEntries(
  commits: readonly LogCommit[],
  blobs: ReadonlyMap<string, Uint8Array>,
  mergedReasons: ReadonlyMap<string, string> = new Map(),
  follow?: string,
): HistoryEntry[] {
  const read = snapshotReader(blobs);
  const lastReadable = new Map<string, Snapshot>();
  const labelled: Array<{ commit: LogCommit; clusters: IdentifiedPlan[] }> = [];
  const held = new Set<string>();
  const within = follow === undefined ? undefined : inside(follow);
  // Oldest first, so a side that cannot be read can fall back to the last version that could.
  for (const c of commits.toReversed()) {
    const base: PlanCluster[] = [];
    const head: PlanCluster[] = [];
    for (const change of c.changes) {
      const after = read(change.file, change.after);
      let before = read(change.file, change.before);
      if (before === UNREADABLE) before = lastReadable.get(change.file) ?? UNREADABLE;
      const known = after !== UNREADABLE ? after : before;
      if (known !== UNREADABLE) lastReadable.set(change.file, known);
      if (within?.(change.file)) for (const side of [before, after]) if (isCluster(side)) held.add(clusterId(side));
      // A file unreadable on either side says nothing about this commit.
      if (before === UNREADABLE || after === UNREADABLE) continue;
      if (isCluster(before)) base.push(before);
      if (isCluster(after)) head.push(after);
    }
    const clusters = identify(scalePlan(base, head).clusters, base, head).sort((a, b) => compare(a.plan.file, b.plan.file));
    if (clusters.length > 0) labelled.push({ commit: c, clusters });
  }
  // Computed over the whole log, since a rename can come after or before the file's move.
  if (follow !== undefined) joinRenames(held, labelled);
  const entries: HistoryEntry[] = [];
  for (const { commit: c, clusters } of labelled) {
    const kept = follow === undefined ? clusters : clusters.filter((cluster) => cluster.ids.some((id) => held.has(id)));
    if (kept.length === 0) continue;
    entries.push({
      commit: c.commit,
      date: c.date,
      author: c.author,
      authorEmail: c.authorEmail,
      pr: pullRequestNumber(c.subject),
      reason: c.reason ?? (c.mergedHead ? (mergedReasons.get(c.mergedHead) ?? null) : null),
      subject: c.subject,
      clusters: kept.map((cluster) => cluster.plan),
    });
  }
  return entries.reverse();
}

/** A cluster's change with the identities it concerns: one, or for a rename the new one and the old. */
interface IdentifiedPlan {
  plan: ClusterPlan;
  ids: string[];
}

/** Each change's identity, read from the version it describes (a plan names no prefix; a file holds one cluster). */
function identify(plans: readonly ClusterPlan[], base: readonly PlanCluster[], head: readonly PlanCluster[]): IdentifiedPlan[] {
  return plans.map((plan) => {
    const side = plan.change === 'removed' ? base : head;
    const version = side.find((cluster) => cluster.file === plan.file);
    return { plan, ids: [...(version ? [clusterId(version)] : []), ...(plan.previous ? [plan.previous.id] : [])] };
  });
}

/**
 * A rename keeps the cluster in its file under a new identity, so it joins the two: the history of
 * a file that holds `store` includes `shop`'s, from before `store` was renamed from it.
 */
function joinRenames(held: Set<string>, commits: ReadonlyArray<{ clusters: readonly IdentifiedPlan[] }>): void {
  const renames = commits.flatMap((commit) => commit.clusters).filter((cluster) => cluster.ids.length > 1);
  let grew = true;
  while (grew) {
    grew = false;
    for (const { ids } of renames) {
      if (!ids.some((id) => held.has(id)) || ids.every((id) => held.has(id))) continue;
      for (const id of ids) held.add(id);
      grew = true;
    }
  }
}

/** Whether a root-relative file is `path` or inside it (when `path` is a directory). */
function inside(path: string): (file: string) => boolean {
  const dir = path.replace(/\/+$/, '');
  return (file) => file === dir || file.startsWith(`${dir}/`);
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
