/**
 * The disruption controller: keeps every PodDisruptionBudget's status current (see `disruption.ts`).
 * A budget is synced when it changed, when a pod it covers (found by the pod's namespace and labels)
 * came, went, or changed in a way it counts (labels, readiness, deletion, owner), when a controller
 * whose scale it counts changed that scale, and when an eviction it recorded times out; what it
 * counts of its pods is kept as they change, so a sync does not read them.
 */
import {
  type BudgetTally,
  budgetMatcher,
  budgetNumbers,
  budgetStatus,
  DISRUPTED_POD_TIMEOUT_MS,
  podsOf,
  tallyPod,
  tallyPods,
} from '../disruption.js';
import { labelIndexValue } from '../indexes.js';
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

function slotOf(namespace: string, pair: string): string {
  return `${namespace}\u0000${pair}`;
}

/** The slots a pod's labels look under, per labels map (a ReplicaSet's pods share theirs); with none, the namespace's own slot. */
const podSlots = new WeakMap<object, { namespace: string; slots: string[] }>();
const namespaceSlots = new Map<string, string[]>();

function slotsOf(namespace: string, labels: Record<string, string> | undefined): string[] {
  if (!labels) {
    let slots = namespaceSlots.get(namespace);
    if (!slots) {
      slots = [slotOf(namespace, '')];
      namespaceSlots.set(namespace, slots);
    }
    return slots;
  }
  const known = podSlots.get(labels);
  if (known?.namespace === namespace) return known.slots;
  const slots = Object.entries(labels).map(([name, value]) => slotOf(namespace, labelIndexValue(name, value)));
  podSlots.set(labels, { namespace, slots });
  return slots;
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
  /**
   * Budgets (by key) by where a pod's change finds them: "<namespace>\0<key>=<value>", the first
   * pair of their `matchLabels`, or "<namespace>\0" for those without (a pod event looks under its
   * namespace and each of its labels, not at every budget of the namespace).
   */
  private readonly slots = new Map<string, Set<string>>();
  private readonly filed = new Map<string, string>();
  /**
   * What each budget (by key) counts of the pods it covers, kept as they change: a sync reads these
   * numbers, not its pods (thousands, for a big workload). Stale ones are counted again.
   */
  private readonly tallies = new Map<string, BudgetTally>();
  private readonly stale = new Set<string>();
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
      this.file(event.key, event.type === 'DELETED' ? undefined : (object as PodDisruptionBudget));
      // Counted again (at its next sync) when new or when what it selects may have changed.
      const before = previous as PodDisruptionBudget | undefined;
      const after = object as PodDisruptionBudget;
      if (event.type === 'DELETED') this.tallies.delete(event.key);
      else if (!before || before.spec.selector !== after.spec.selector) {
        if (!before || canonicalJson(before.spec.selector) !== canonicalJson(after.spec.selector)) this.stale.add(event.key);
      }
    } else if (resource === PODS) {
      if (event.type === 'MODIFIED' && !podChangeCounts(previous as Pod, object as Pod)) return;
      // The pod as it was leaves the budgets that covered it, and as it is joins those that cover it.
      const namespace = object.metadata.namespace ?? '';
      if (previous) this.count(namespace, previous as Pod, -1);
      if (event.type !== 'DELETED') this.count(namespace, object as Pod, 1);
    } else if (SCALED.has(resource)) {
      const changed =
        event.type !== 'MODIFIED' ||
        scaleOf(previous) !== scaleOf(object) ||
        controllerRef(previous as KubeObject)?.uid !== controllerRef(object)?.uid;
      if (!changed) return;
      for (const key of this.readers.get(object.metadata.uid) ?? []) this.dirty.add(key);
    }
  }

  /** Files a budget under the first pair of its `matchLabels` (every pod it covers has that label), or under its namespace alone. */
  private file(key: string, pdb: PodDisruptionBudget | undefined): void {
    const before = this.filed.get(key);
    const pair = Object.entries(pdb?.spec.selector?.matchLabels ?? {})[0];
    const slot = pdb ? slotOf(pdb.metadata.namespace ?? '', pair ? labelIndexValue(pair[0], pair[1]) : '') : undefined;
    if (before === slot) return;
    if (before !== undefined) {
      const keys = this.slots.get(before);
      keys?.delete(key);
      if (keys?.size === 0) this.slots.delete(before);
    }
    if (slot === undefined) {
      this.filed.delete(key);
      return;
    }
    this.filed.set(key, slot);
    const keys = this.slots.get(slot) ?? new Set<string>();
    keys.add(key);
    this.slots.set(slot, keys);
  }

  /** Counts a pod in (1) or out (-1) of the budgets that cover it, and marks them. */
  private count(namespace: string, pod: Pod, sign: number): void {
    for (const slot of [...slotsOf(namespace, undefined), ...slotsOf(namespace, pod.metadata.labels)]) {
      for (const key of this.slots.get(slot) ?? []) {
        const pdb = this.store.getByKey<PodDisruptionBudget>(PDBS, key);
        if (!pdb) continue;
        let covers: boolean;
        try {
          covers = budgetMatcher(pdb)(pod.metadata.labels);
        } catch {
          // A selector that cannot be read: the sync reports it as the controller does.
          this.dirty.add(key);
          continue;
        }
        if (!covers) continue;
        this.dirty.add(key);
        const tally = this.tallies.get(key);
        if (tally && !this.stale.has(key)) tallyPod(tally, pod, sign);
      }
    }
  }

  resync(store: Store): void {
    // Counted again from the pods: a status the kept counts got wrong is rewritten, which tests notice.
    for (const key of this.tallies.keys()) this.stale.add(key);
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
        this.tallies.delete(key);
        this.stale.delete(key);
        continue;
      }
      const numbers = budgetNumbers(ctx.store, pdb, now, this.tallyOf(ctx, key, pdb));
      ctx.visit(1);
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

  /** A budget's tally, counted from its pods when it is new, its selector changed, or after a resync. */
  private tallyOf(ctx: ControllerContext, key: string, pdb: PodDisruptionBudget): BudgetTally {
    let tally = this.tallies.get(key);
    if (!tally || this.stale.has(key)) {
      const pods = podsOf(ctx.store, pdb);
      ctx.visit(pods.length);
      tally = tallyPods(pods);
      this.tallies.set(key, tally);
      this.stale.delete(key);
    }
    return tally;
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
