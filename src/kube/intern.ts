/**
 * One shared, frozen copy of equal values. The pods of one workload carry the same labels,
 * tolerations, selectors and requests; kept once each, 150,000 pods cost a few thousand such
 * objects instead of 150,000. Entries are held weakly, so a value no pod uses any more (the labels
 * of a ReplicaSet rolled away) is collected, and the table does not grow with the cluster's history.
 */
export class Interner<T extends object> {
  private readonly table = new Map<string, WeakRef<T>>();
  private readonly registry = new FinalizationRegistry<string>((key) => {
    // The key may have been taken by a newer copy since this one became unreachable.
    if (this.table.get(key)?.deref() === undefined) this.table.delete(key);
  });

  /** The shared copy of `value` (frozen, deeply), made from `value` itself the first time. */
  intern(value: T): T {
    const key = JSON.stringify(value);
    const existing = this.table.get(key)?.deref();
    if (existing !== undefined) return existing;
    deepFreeze(value);
    this.table.set(key, new WeakRef(value));
    this.registry.register(value, key);
    return value;
  }

  /** How many distinct values are held (for tests and measurements). */
  get size(): number {
    return this.table.size;
  }
}

function deepFreeze(value: object): void {
  for (const member of Object.values(value)) if (typeof member === 'object' && member !== null) deepFreeze(member);
  Object.freeze(value);
}
