/**
 * The disruption controller: keeps every PodDisruptionBudget's status current (see `disruption.ts`).
 * A budget is synced when it changed, when a pod it covers (in its namespace: the namespace index)
 * came, went, or changed in a way it counts (labels, readiness, deletion, owner), when a controller
 * whose scale it counts changed that scale, and when an eviction it recorded times out.
 */
import { budgetMatcher, budgetNumbers, budgetStatus, DISRUPTED_POD_TIMEOUT_MS } from '../disruption.js';
import { NAMESPACE } from '../indexes.js';
import { R, storeKey } from '../resources.js';
import { objectKey, type Store, type StoreEvent } from '../store.js';
import { clone, type KubeObject, type Pod, type PodDisruptionBudget } from '../types.js';
import type { Controller, ControllerContext } from './context.js';
import { canonicalJson, controllerRef, drain, isReady } from './util.js';

const PDBS = storeKey(R.pdbs);
const PODS = storeKey(R.pods);
const SCALED = new Set([storeKey(R.replicasets), storeKey(R.deployments)]);

/** Whether a pod's change can change a budget's counts. */
function podChangeCounts(before: Pod, after: Pod): boolean {
  return (
    before.metadata.labels !== after.metadata.labels ||
    before.metadata.deletionTimestamp !== after.metadata.deletionTimestamp ||
    controllerRef(before)?.uid !== controllerRef(after)?.uid ||
    isReady(before) !== isReady(after)
  );
}

function scaleOf(object: KubeObject | undefined): unknown {
  return (object?.spec as { replicas?: number } | undefined)?.replicas;
}

export class DisruptionController implements Controller {
  private readonly dirty = new Set<string>();
  /**
   * The budgets (by key) that read each controller's scale (by uid) when last synced, and the other
   * way round: a scale change concerns those only. Which controllers a budget reads changes only
   * with its pods, whose changes sync it.
   */
  private readonly readers = new Map<string, Set<string>>();
  private readonly reads = new Map<string, Set<string>>();
  /** A wake-up per budget for the earliest of its recorded evictions to time out. */
  private readonly expiries = new Map<string, { due: number; cancel: () => void }>();

  /** @param store the store whose budgets `observe` matches changed pods against. */
  constructor(private readonly store: Store) {}

  stop(): void {
    for (const expiry of this.expiries.values()) expiry.cancel();
    this.expiries.clear();
  }

  observe(event: StoreEvent): void {
    const { resource, object, previous } = event;
    if (resource === PDBS) {
      this.dirty.add(event.key);
    } else if (resource === PODS) {
      if (event.type === 'MODIFIED' && !podChangeCounts(previous as Pod, object as Pod)) return;
      for (const pdb of this.store.indexed<PodDisruptionBudget>(PDBS, NAMESPACE, object.metadata.namespace ?? '')) {
        const key = objectKey(pdb.metadata.namespace, pdb.metadata.name);
        if (this.dirty.has(key)) continue;
        let covers: boolean;
        try {
          const matches = budgetMatcher(pdb);
          covers = matches(object.metadata.labels) || (previous !== undefined && matches(previous.metadata.labels));
        } catch {
          // A selector that cannot be read: the sync reports it as the controller does.
          covers = true;
        }
        if (covers) this.dirty.add(key);
      }
    } else if (SCALED.has(resource)) {
      const changed =
        event.type !== 'MODIFIED' ||
        scaleOf(previous) !== scaleOf(object) ||
        controllerRef(previous as KubeObject)?.uid !== controllerRef(object)?.uid;
      if (!changed) return;
      for (const key of this.readers.get(object.metadata.uid) ?? []) this.dirty.add(key);
    }
  }

  resync(store: Store): void {
    for (const pdb of store.values(PDBS)) this.dirty.add(objectKey(pdb.metadata.namespace, pdb.metadata.name));
  }

  run(ctx: ControllerContext): void {
    const now = ctx.clock.now();
    const timestamp = ctx.clock.timestamp(now);
    for (const key of drain(this.dirty)) {
      const pdb = ctx.store.getByKey<PodDisruptionBudget>(PDBS, key);
      if (!pdb) {
        this.expiries.get(key)?.cancel();
        this.expiries.delete(key);
        this.noteReads(key, new Set());
        continue;
      }
      const numbers = budgetNumbers(ctx.store, pdb, now);
      ctx.visit(numbers.pods.length + 1);
      this.noteReads(key, numbers.controllers);
      const status = budgetStatus(ctx.store, pdb, now, timestamp, numbers);
      this.expireLater(ctx, key, status.disruptedPods as Record<string, string> | undefined);
      if (canonicalJson(status) === canonicalJson(pdb.status ?? {})) continue;
      const next = clone(pdb);
      next.status = status;
      ctx.store.update(PDBS, next);
    }
  }

  private noteReads(key: string, controllers: Set<string>): void {
    for (const uid of this.reads.get(key) ?? []) {
      const readers = this.readers.get(uid);
      readers?.delete(key);
      if (readers?.size === 0) this.readers.delete(uid);
    }
    if (controllers.size === 0) this.reads.delete(key);
    else this.reads.set(key, controllers);
    for (const uid of controllers) {
      const readers = this.readers.get(uid) ?? new Set<string>();
      readers.add(key);
      this.readers.set(uid, readers);
    }
  }

  /** Syncs the budget again when the first of its recorded evictions times out. */
  private expireLater(ctx: ControllerContext, key: string, disrupted: Record<string, string> | undefined): void {
    const times = Object.values(disrupted ?? {}).map((at) => Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS);
    const due = times.length > 0 ? Math.min(...times) : undefined;
    const current = this.expiries.get(key);
    if (current?.due === due) return;
    current?.cancel();
    this.expiries.delete(key);
    if (due === undefined) return;
    const cancel = ctx.clock.at(due, () => {
      this.expiries.delete(key);
      this.dirty.add(key);
      ctx.wake();
    });
    this.expiries.set(key, { due, cancel });
  }
}
