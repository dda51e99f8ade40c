/**
 * The cluster's storage, standing in for etcd: objects by resource, namespace and name, one
 * revision counter for everything (an object's `metadata.resourceVersion` is the revision of its
 * last write, a list's is the current revision), and a bounded history of changes so a watch can
 * resume from any recent resourceVersion, as the API server's watch cache allows.
 *
 * At 150,000 pods nothing here may cost a pass over a whole resource per write, so the store keeps:
 * - each resource's keys in etcd order, merged lazily (a list after k creates costs O(n + k log k),
 *   a list after none O(page): pages of `limit`/`continue` are binary searches, not sorts);
 * - indexes that callers declare (`addIndex`: pods by node, objects by owner…), kept current on
 *   every write, so a controller or a selector reads only the objects it is about;
 * - every object by uid, for owner references.
 */
import type { KubeObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** The store key of the resource: "pods", "deployments.apps". */
  resource: string;
  /** The object's key in its table ("<namespace>/<name>"): one string for every listener of the event. */
  key: string;
  object: KubeObject;
  /** The object before this change (MODIFIED and DELETED), so watches with selectors can tell entering from leaving. */
  previous: KubeObject | undefined;
  revision: number;
}

export type StoreListener = (event: StoreEvent) => void;

/**
 * An index: the values an object is found under (a pod under its node name). `source` is the part of
 * the object the values come from: writers copy only what they change (a status write keeps `spec`
 * and `metadata.labels` as they were), so while it is the same object the values are not recomputed.
 */
export interface IndexDefinition {
  source(object: KubeObject): unknown;
  values(object: KubeObject): readonly string[];
}

/** The key of an object in its resource's table: "<namespace>/<name>", or the name of a cluster-scoped one. */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The keys of one namespace are those from "<ns>/" up to "<ns>0" ('0' is the character after '/'). */
function namespaceBounds(namespace: string): [string, string] {
  return [`${namespace}/`, `${namespace}0`];
}

/** The first position in sorted `keys` whose key is not below `key`. */
export function lowerBound(keys: readonly string[], key: string, from = 0, to = keys.length): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** A sorted view of a range of keys: `keys[start..end)`. The array is shared: callers never change it. */
export interface KeyRange {
  keys: readonly string[];
  start: number;
  end: number;
}

/**
 * A resource's keys in etcd order. Creates and removals are noted and merged in when the order is
 * next read, so writes cost O(1) and a read after k of them one merge, not a sort of everything.
 */
class KeyOrder {
  private sorted: string[] = [];
  /** Keys created since the last merge, in creation order (an array: building a cluster pushes 150,000). */
  private added: string[] = [];
  /** Keys removed since the last merge: in `sorted` or `added`, and to be left out of the next merge. */
  private readonly removed = new Set<string>();

  add(key: string): void {
    // Removed and created again (a pod deleted and re-created under its name): it is still where it was.
    if (!this.removed.delete(key)) this.added.push(key);
  }

  remove(key: string): void {
    this.removed.add(key);
    // A resource that churns and is never listed (events) would pile up removed keys: merge once they are half.
    if (this.removed.size > 1024 && this.removed.size * 2 > this.sorted.length + this.added.length) this.keys();
  }

  keys(): readonly string[] {
    if (this.added.length === 0 && this.removed.size === 0) return this.sorted;
    const fresh = (this.removed.size > 0 ? this.added.filter((k) => !this.removed.has(k)) : this.added).sort(compareText);
    const merged: string[] = [];
    let i = 0;
    let j = 0;
    const old = this.sorted;
    while (i < old.length || j < fresh.length) {
      const a = old[i];
      const b = fresh[j];
      if (a !== undefined && (b === undefined || a < b)) {
        if (!this.removed.has(a)) merged.push(a);
        i++;
      } else {
        merged.push(b as string);
        j++;
      }
    }
    this.sorted = merged;
    this.added = [];
    this.removed.clear();
    return merged;
  }
}

class Index {
  readonly buckets = new Map<string, Set<string>>();

  constructor(readonly definition: IndexDefinition) {}

  add(key: string, object: KubeObject): void {
    for (const value of this.definition.values(object)) {
      let bucket = this.buckets.get(value);
      if (!bucket) {
        bucket = new Set();
        this.buckets.set(value, bucket);
      }
      bucket.add(key);
    }
  }

  remove(key: string, object: KubeObject): void {
    for (const value of this.definition.values(object)) {
      const bucket = this.buckets.get(value);
      if (!bucket) continue;
      bucket.delete(key);
      if (bucket.size === 0) this.buckets.delete(value);
    }
  }

  update(key: string, previous: KubeObject, next: KubeObject): void {
    if (this.definition.source(previous) === this.definition.source(next)) return;
    const before = this.definition.values(previous);
    const after = this.definition.values(next);
    if (before.length === after.length && before.every((value, i) => value === after[i])) return;
    this.remove(key, previous);
    this.add(key, next);
  }
}

interface Table {
  objects: Map<string, KubeObject>;
  order: KeyOrder;
  indexes: Map<string, Index>;
}

const NO_KEYS: ReadonlySet<string> = new Set();

export class Store {
  private rev = 1;
  private readonly tables = new Map<string, Table>();
  private readonly uids = new Map<string, { resource: string; key: string }>();
  private readonly history: StoreEvent[] = [];
  private recording = true;
  private readonly listeners = new Set<StoreListener>();

  /** @param historyLimit changes kept for watches that resume; older resourceVersions get 410 Gone. */
  constructor(private readonly historyLimit = 50_000) {}

  /** The current revision: the resourceVersion a list returns. */
  get revision(): number {
    return this.rev;
  }

  /** The oldest revision a watch can still resume from. */
  get oldestRevision(): number {
    const first = this.history[0];
    return first ? first.revision - 1 : this.rev;
  }

  get<T extends KubeObject = KubeObject>(resource: string, namespace: string | undefined, name: string): T | undefined {
    return this.table(resource).objects.get(objectKey(namespace, name)) as T | undefined;
  }

  /** An object by its table key ("<namespace>/<name>"), as the indexes and `keys` give them. */
  getByKey<T extends KubeObject = KubeObject>(resource: string, key: string): T | undefined {
    return this.table(resource).objects.get(key) as T | undefined;
  }

  /** The object with this uid, of any resource. */
  byUid(uid: string): { resource: string; object: KubeObject } | undefined {
    const at = this.uids.get(uid);
    const object = at ? this.table(at.resource).objects.get(at.key) : undefined;
    return at && object ? { resource: at.resource, object } : undefined;
  }

  /** Objects of a resource, in one namespace or all, in etcd key order. */
  list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): T[] {
    const { keys, start, end } = this.keys(resource, namespace);
    const objects = this.table(resource).objects;
    const items: KubeObject[] = [];
    for (let i = start; i < end; i++) items.push(objects.get(keys[i] as string) as KubeObject);
    return items as T[];
  }

  /** The keys of a resource (in one namespace or all) in etcd order, without copying them. */
  keys(resource: string, namespace?: string): KeyRange {
    const keys = this.table(resource).order.keys();
    if (namespace === undefined) return { keys, start: 0, end: keys.length };
    const [low, high] = namespaceBounds(namespace);
    const start = lowerBound(keys, low);
    return { keys, start, end: lowerBound(keys, high, start) };
  }

  /** Number of objects of a resource (cheap: no copy, no sort). */
  count(resource: string): number {
    return this.table(resource).objects.size;
  }

  /** Iterates a resource's objects with their keys in insertion order, without sorting (for controllers). */
  entries<T extends KubeObject = KubeObject>(resource: string): IterableIterator<[string, T]> {
    return this.table(resource).objects.entries() as IterableIterator<[string, T]>;
  }

  /** Iterates a resource's objects in insertion order, without sorting (for controllers). */
  values<T extends KubeObject = KubeObject>(resource: string): IterableIterator<T> {
    return this.table(resource).objects.values() as IterableIterator<T>;
  }

  /** Declares an index of a resource under `name` (built from the objects already stored). */
  addIndex(resource: string, name: string, definition: IndexDefinition): void {
    const table = this.table(resource);
    const index = new Index(definition);
    for (const [key, object] of table.objects) index.add(key, object);
    table.indexes.set(name, index);
  }

  hasIndex(resource: string, name: string): boolean {
    return this.table(resource).indexes.has(name);
  }

  /** The keys of the objects an index holds under `value`, in the order they got there (empty when none). */
  indexedKeys(resource: string, name: string, value: string): ReadonlySet<string> {
    const index = this.table(resource).indexes.get(name);
    if (!index) throw new Error(`store: no index ${name} on ${resource}`);
    return index.buckets.get(value) ?? NO_KEYS;
  }

  /** The objects an index holds under `value`. */
  indexed<T extends KubeObject = KubeObject>(resource: string, name: string, value: string): T[] {
    const objects = this.table(resource).objects;
    const items: KubeObject[] = [];
    for (const key of this.indexedKeys(resource, name, value)) items.push(objects.get(key) as KubeObject);
    return items as T[];
  }

  /** Stores a new object; its resourceVersion becomes the new revision. The caller checks it does not exist. */
  create<T extends KubeObject>(resource: string, object: T): T {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const table = this.table(resource);
    if (table.objects.has(key)) throw new Error(`store: ${resource} ${key} already exists (a caller skipped its existence check)`);
    const stored = this.stamp(object);
    table.objects.set(key, stored);
    table.order.add(key);
    for (const index of table.indexes.values()) index.add(key, stored);
    if (stored.metadata.uid) this.uids.set(stored.metadata.uid, { resource, key });
    this.emit({ type: 'ADDED', resource, key, object: stored, previous: undefined, revision: this.rev });
    return stored;
  }

  /** Replaces an object; its resourceVersion becomes the new revision. */
  update<T extends KubeObject>(resource: string, object: T): T {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const table = this.table(resource);
    const previous = table.objects.get(key);
    if (!previous) throw new Error(`store: ${resource} ${key} does not exist (a caller skipped its existence check)`);
    const stored = this.stamp(object);
    table.objects.set(key, stored);
    for (const index of table.indexes.values()) index.update(key, previous, stored);
    if (previous.metadata.uid !== stored.metadata.uid) {
      this.forgetUid(previous.metadata.uid, key);
      if (stored.metadata.uid) this.uids.set(stored.metadata.uid, { resource, key });
    }
    this.emit({ type: 'MODIFIED', resource, key, object: stored, previous, revision: this.rev });
    return stored;
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion, as etcd watches do. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const table = this.table(resource);
    const previous = table.objects.get(key);
    if (!previous) return undefined;
    table.objects.delete(key);
    table.order.remove(key);
    for (const index of table.indexes.values()) index.remove(key, previous);
    this.forgetUid(previous.metadata.uid, key);
    const gone = this.stamp(previous);
    this.emit({ type: 'DELETED', resource, key, object: gone, previous, revision: this.rev });
    return gone;
  }

  /**
   * Runs `build` without keeping its changes for watches that resume (listeners still see them):
   * the history starts again after it, so a watch from before gets 410 and lists again. For building
   * a cluster before anyone watches it, whose 150,000 pods' first versions need not outlive it.
   */
  withoutHistory(build: () => void): void {
    this.history.length = 0;
    this.recording = false;
    try {
      build();
    } finally {
      this.recording = true;
    }
  }

  /** Changes after `revision`, oldest first; undefined when the history no longer reaches back that far. */
  since(revision: number): StoreEvent[] | undefined {
    if (revision < this.oldestRevision) return undefined;
    // History is in revision order: binary search for the first event after `revision`.
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.history[mid] as StoreEvent).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return this.history.slice(lo);
  }

  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private forgetUid(uid: string | undefined, key: string): void {
    // Only when the entry is this object's: a uid given twice (possible through the store alone) keeps the other.
    if (uid && this.uids.get(uid)?.key === key) this.uids.delete(uid);
  }

  private table(resource: string): Table {
    let table = this.tables.get(resource);
    if (!table) {
      table = { objects: new Map(), order: new KeyOrder(), indexes: new Map() };
      this.tables.set(resource, table);
    }
    return table;
  }

  private stamp<T extends KubeObject>(object: T): T {
    this.rev += 1;
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(this.rev) } };
  }

  private emit(event: StoreEvent): void {
    if (this.recording) this.history.push(event);
    // Trim in batches: removing one event per write from the front of a long array would cost O(n) each time.
    if (this.history.length > this.historyLimit * 1.25) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** etcd's order: by the key string "<namespace>/<name>" (so "a-b/x" sorts before "a/x", as in etcd). */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
