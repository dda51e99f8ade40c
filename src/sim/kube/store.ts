/**
 * The cluster's storage, standing in for etcd: objects by resource, namespace and name, one
 * revision counter for everything (an object's `metadata.resourceVersion` is the revision of its
 * last write, a list's is the current revision), and a bounded history of changes so a watch can
 * resume from any recent resourceVersion, as the API server's watch cache allows.
 */
import type { KubeObject } from './types.js';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** The store key of the resource: "pods", "deployments.apps". */
  resource: string;
  object: KubeObject;
  /** The object before this change (MODIFIED and DELETED), so watches with selectors can tell entering from leaving. */
  previous: KubeObject | undefined;
  revision: number;
}

export type StoreListener = (event: StoreEvent) => void;

function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

export class Store {
  private rev = 1;
  private readonly tables = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
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
    return this.table(resource).get(objectKey(namespace, name)) as T | undefined;
  }

  /** Objects of a resource, in one namespace or all, in etcd key order. */
  list<T extends KubeObject = KubeObject>(resource: string, namespace?: string): T[] {
    const items: KubeObject[] = [];
    for (const object of this.table(resource).values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) items.push(object);
    }
    items.sort((a, b) => compareKeys(a, b));
    return items as T[];
  }

  /** Number of objects of a resource (cheap: no copy, no sort). */
  count(resource: string): number {
    return this.table(resource).size;
  }

  /** Iterates a resource's objects in insertion order, without sorting (for controllers). */
  values<T extends KubeObject = KubeObject>(resource: string): IterableIterator<T> {
    return this.table(resource).values() as IterableIterator<T>;
  }

  /** Stores a new object; its resourceVersion becomes the new revision. The caller checks it does not exist. */
  create<T extends KubeObject>(resource: string, object: T): T {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const table = this.table(resource);
    if (table.has(key)) throw new Error(`store: ${resource} ${key} already exists (a caller skipped its existence check)`);
    const stored = this.stamp(object);
    table.set(key, stored);
    this.emit({ type: 'ADDED', resource, object: stored, previous: undefined, revision: this.rev });
    return stored;
  }

  /** Replaces an object; its resourceVersion becomes the new revision. */
  update<T extends KubeObject>(resource: string, object: T): T {
    const key = objectKey(object.metadata.namespace, object.metadata.name);
    const table = this.table(resource);
    const previous = table.get(key);
    if (!previous) throw new Error(`store: ${resource} ${key} does not exist (a caller skipped its existence check)`);
    const stored = this.stamp(object);
    table.set(key, stored);
    this.emit({ type: 'MODIFIED', resource, object: stored, previous, revision: this.rev });
    return stored;
  }

  /** Removes an object; the DELETED event carries it with the deletion's resourceVersion, as etcd watches do. */
  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = objectKey(namespace, name);
    const table = this.table(resource);
    const previous = table.get(key);
    if (!previous) return undefined;
    table.delete(key);
    const gone = this.stamp(previous);
    this.emit({ type: 'DELETED', resource, object: gone, previous, revision: this.rev });
    return gone;
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

  private table(resource: string): Map<string, KubeObject> {
    let table = this.tables.get(resource);
    if (!table) {
      table = new Map();
      this.tables.set(resource, table);
    }
    return table;
  }

  private stamp<T extends KubeObject>(object: T): T {
    this.rev += 1;
    return { ...object, metadata: { ...object.metadata, resourceVersion: String(this.rev) } };
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    // Trim in batches: removing one event per write from the front of a long array would cost O(n) each time.
    if (this.history.length > this.historyLimit * 1.25) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** etcd's order: by the key string "<namespace>/<name>" (so "a-b/x" sorts before "a/x", as in etcd). */
function compareKeys(a: KubeObject, b: KubeObject): number {
  const ka = objectKey(a.metadata.namespace, a.metadata.name);
  const kb = objectKey(b.metadata.namespace, b.metadata.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
