/** Small helpers the controllers share: ownership, pod states, conditions, hashes. */
import type { Condition, KubeObject, OwnerReference, Pod } from '../types.js';

export function controllerRef(object: KubeObject): OwnerReference | undefined {
  // A plain loop: asked for every pod event by several controllers.
  for (const ref of object.metadata.ownerReferences ?? []) if (ref.controller) return ref;
  return undefined;
}

export function ownerRefTo(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** A pod that counts as a replica: not being deleted and not finished. */
export function isActive(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return !pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed';
}

export function isReady(pod: Pod): boolean {
  // A plain loop: asked of every pod a ReplicaSet, DaemonSet or budget counts.
  for (const c of pod.status?.conditions ?? []) if (c.type === 'Ready' && c.status === 'True') return true;
  return false;
}

/**
 * Sets a condition, keeping `lastTransitionTime` when the status does not change (as every
 * controller does). Returns the new list.
 */
export function setCondition(conditions: readonly Condition[] | undefined, next: Condition, now: string): Condition[] {
  return setConditions(conditions, [next], now);
}

/** Sets several conditions in turn, as `setCondition` does each, with one copy of the list. */
export function setConditions(conditions: readonly Condition[] | undefined, nexts: readonly Condition[], now: string): Condition[] {
  const list = [...(conditions ?? [])];
  for (const next of nexts) {
    const at = list.findIndex((c) => c.type === next.type);
    const previous = at >= 0 ? list[at] : undefined;
    const merged: Condition = { ...next };
    if (merged.lastTransitionTime === undefined) {
      merged.lastTransitionTime = previous && previous.status === next.status ? (previous.lastTransitionTime ?? now) : now;
    }
    const condition = shared(merged);
    if (at >= 0) list[at] = condition;
    else list.push(condition);
  }
  return list;
}

/** Conditions by transition time, type and status, for `shared`; emptied when it grows (a sync's moment makes a few). */
const conditions = new Map<string, Map<string, Map<string, Condition>>>();

/**
 * One object for equal conditions: the pods a sync starts or binds get the same conditions, with the
 * same times, and stored objects are never changed in place, so they can share them (150,000 pods
 * hold a few condition objects, not 750,000). Only the plain ones are shared (type, status, times):
 * conditions with a reason or message, or other fields, are left alone.
 */
function shared(condition: Condition): Condition {
  const time = condition.lastTransitionTime;
  if (condition.lastProbeTime !== null || typeof time !== 'string' || condition.reason !== undefined || condition.message !== undefined)
    return condition;
  for (const key in condition)
    if (key !== 'type' && key !== 'status' && key !== 'lastProbeTime' && key !== 'lastTransitionTime') return condition;
  let byType = conditions.get(time);
  if (!byType) {
    if (conditions.size >= 100) conditions.clear();
    byType = new Map();
    conditions.set(time, byType);
  }
  let byStatus = byType.get(condition.type);
  if (!byStatus) {
    byStatus = new Map();
    byType.set(condition.type, byStatus);
  }
  const known = byStatus.get(condition.status);
  if (known) return known;
  byStatus.set(condition.status, condition);
  return condition;
}

/** JSON with sorted keys: a stable form for comparing and hashing templates. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** FNV-1a, 32 bits: the hash the controllers use for template hashes. */
function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

const SAFE = 'bcdfghjklmnpqrstvwxz2456789';

/** `controller.ComputeHash` → `rand.SafeEncodeString`: the decimal hash, digit by digit, in the name-safe alphabet. */
export function templateHash(template: unknown): string {
  return [...String(fnv32a(canonicalJson(template)))].map((c) => SAFE[c.charCodeAt(0) % SAFE.length]).join('');
}

/** Drops zero and empty values, as Go's `omitempty` does for the optional status fields. */
export function omitEmpty(record: Record<string, unknown>, keep: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (keep.includes(key) || !(value === 0 || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)))
      out[key] = value;
  }
  return out;
}

/** The items of a dirty set, which is emptied: what a run works through (what it notes meanwhile is for the next run). */
export function drain<T>(set: Set<T>): T[] {
  const items = [...set];
  set.clear();
  return items;
}
