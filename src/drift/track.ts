/**
 * Drift: a difference between the workers and the config (./differences.ts) that has lasted
 * longer than the provisioning timeout. Every change through git makes differences for a while (a
 * raised count's VMs join, a lowered count's nodes are drained and destroyed); the timeout is how
 * long that may take, so what outlasts it was not done by git: a VM destroyed by hand, an apply
 * that failed, a node made by hand.
 *
 * Pure, over plain data: the state says since when each difference has been seen without a break.
 */
import type { DifferenceWhy, DriftKind, NodeDifference } from './differences.js';

export interface SeenDifference {
  kind: DriftKind;
  name: string;
  /** When it was first seen, without a break since (ms since the epoch). */
  since: number;
}

export interface DriftState {
  /** The differences seen in the last observation, in its order. */
  seen: SeenDifference[];
}

export interface DriftEntry extends NodeDifference {
  since: number;
}

export interface DriftReport {
  /** Differences older than the timeout: the drift. */
  missing: DriftEntry[];
  extra: DriftEntry[];
  /** Differences not old enough yet (a change being applied, most likely). */
  settling: DriftEntry[];
}

export function emptyDriftState(): DriftState {
  return { seen: [] };
}

const keyOf = (d: { kind: DriftKind; name: string }): string => `${d.kind} ${d.name}`;

/**
 * The drift at `now` given the differences seen now. A difference keeps its `since` while it is
 * seen in every observation (its `why` may change: a node that was NotReady and is now gone is
 * still missing); one that disappears is forgotten, and starts again if it comes back. It is drift
 * once `now - since` is more than `timeoutMs`.
 */
export function trackDrift(
  previous: DriftState,
  differences: readonly NodeDifference[],
  now: number,
  timeoutMs: number,
): { state: DriftState; report: DriftReport } {
  const before = new Map(previous.seen.map((seen) => [keyOf(seen), seen.since]));
  const report: DriftReport = { missing: [], extra: [], settling: [] };
  const seen: SeenDifference[] = [];
  for (const difference of differences) {
    const since = Math.min(before.get(keyOf(difference)) ?? now, now);
    seen.push({ kind: difference.kind, name: difference.name, since });
    const entry: DriftEntry = { ...difference, since };
    if (now - since <= timeoutMs) report.settling.push(entry);
    else if (difference.kind === 'missing') report.missing.push(entry);
    else report.extra.push(entry);
  }
  return { state: { seen }, report };
}

/**
 * The state with earlier sightings added: what a drift issue says was seen, and since when, so a
 * restarted watcher does not start the clocks again (and close an issue it would reopen a
 * timeout later). The earlier `since` of the two wins; a difference not seen now is dropped by
 * the next `trackDrift`.
 */
export function seedDrift(state: DriftState, earlier: readonly SeenDifference[]): DriftState {
  const seen = new Map(state.seen.map((s) => [keyOf(s), s]));
  for (const sighting of earlier) {
    const key = keyOf(sighting);
    const current = seen.get(key);
    seen.set(key, current ? { ...current, since: Math.min(current.since, sighting.since) } : { ...sighting });
  }
  return { seen: [...seen.values()] };
}

/** Whether the report has any drift. */
export function hasDrift(report: DriftReport): boolean {
  return report.missing.length > 0 || report.extra.length > 0;
}

/** How a reason reads in an issue or a log. */
export function describeWhy(why: DifferenceWhy, count: number): string {
  switch (why) {
    case 'absent':
      return 'no node of this name';
    case 'not-ready':
      return 'the node is not Ready';
    case 'above-count':
      return `its index is at or above the count (${count})`;
    case 'unnamed':
      return "not a name LambdaStack's naming rule gives a worker (a hand-made node?)";
  }
}
