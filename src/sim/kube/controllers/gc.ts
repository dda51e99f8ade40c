/**
 * Cleanup controllers:
 * - the garbage collector deletes objects whose owners are all gone (a deleted Deployment takes
 *   its ReplicaSets and their pods; a deleted Node its mirror pods), and finishes foreground
 *   deletions once the dependents are gone;
 * - the pod GC deletes pods bound to a node that no longer exists, after a quarantine, as the
 *   real one does after a node is removed;
 * - the namespace controller empties a Terminating namespace, then removes it.
 *
 * Each works from what changed: the dependents of an object that went (the owner index), the
 * owners of a dependent that came or went, the pods of a node that went or came back (the node
 * index), the namespaces being terminated whose content changed.
 */
import { dependentsOf, NODE_NAME } from '../indexes.js';
import { R, RESOURCES, type ResourceInfo, storeKey } from '../resources.js';
import { objectKey, type Store, type StoreEvent } from '../store.js';
import { clone, type KubeObject, type OwnerReference, type Pod } from '../types.js';
import type { Controller, ControllerContext } from './context.js';
import { drain } from './util.js';

const LIVE = RESOURCES.filter((r) => !r.aggregated);
const INFO = new Map<string, ResourceInfo>(LIVE.map((info) => [storeKey(info), info]));
const PODS = storeKey(R.pods);
const NODES = storeKey(R.nodes);
const NAMESPACES = storeKey(R.namespaces);
const FOREGROUND = 'foregroundDeletion';

/** A dirty entry naming an object of any resource. */
function ref(resource: string, object: KubeObject): string {
  return `${resource}\u0000${objectKey(object.metadata.namespace, object.metadata.name)}`;
}

function waitsInForeground(object: KubeObject): boolean {
  return Boolean(object.metadata.deletionTimestamp && object.metadata.finalizers?.includes(FOREGROUND));
}

export class GarbageCollector implements Controller {
  /** Objects (`ref`) with owners that may all be gone. */
  private readonly maybeOrphaned = new Set<string>();
  /** Uids of owners whose foreground deletion may go on. */
  private readonly foreground = new Set<string>();
  /** Pods (by key) whose node may have gone or come back. */
  private readonly podsToCheck = new Set<string>();
  /** Pods whose node is gone: uid → key and the simulated time the node was first seen missing. */
  private readonly orphanedSince = new Map<string, { key: string; since: number }>();
  private readonly terminating = new Set<string>();
  /** Terminating namespaces whose content changed. */
  private readonly namespaces = new Set<string>();
  private wakeTimer: { due: number; cancel: () => void } | undefined;
  /**
   * How many owner references name each uid: most objects that go (events, pods) own nothing, and
   * for them the owner index is not asked.
   */
  private readonly referenced = new Map<string, number>();

  /** @param store the store whose indexes `observe` reads. */
  constructor(private readonly store: Store) {}

  stop(): void {
    this.wakeTimer?.cancel();
  }

  observe(event: StoreEvent): void {
    const { resource, type, object } = event;
    const refs = object.metadata.ownerReferences;
    this.count(event.previous?.metadata.ownerReferences, type === 'DELETED' ? undefined : refs);
    if (type === 'DELETED') {
      if (this.referenced.has(object.metadata.uid)) {
        for (const dependent of dependentsOf(this.store, object.metadata.uid))
          this.maybeOrphaned.add(ref(dependent.resource, dependent.object));
      }
      for (const owner of refs ?? []) this.foreground.add(owner.uid);
    } else {
      if (refs?.length && refs !== event.previous?.metadata.ownerReferences) {
        // Owners that exist now can only go with a DELETED event, which brings their dependents back here.
        if (!refs.some((r) => this.store.byUid(r.uid))) this.maybeOrphaned.add(`${resource}\u0000${event.key}`);
        // A new dependent of an owner deleted in the foreground is deleted too.
        for (const owner of refs) this.foreground.add(owner.uid);
      }
      if (waitsInForeground(object)) this.foreground.add(object.metadata.uid);
    }
    if (resource === PODS) {
      const pod = object as Pod;
      if (type === 'DELETED') this.orphanedSince.delete(pod.metadata.uid);
      // A pod bound to a node that exists can only be orphaned by that node's DELETED event, which brings its pods back here.
      else if (
        pod.spec.nodeName &&
        pod.spec.nodeName !== (event.previous as Pod | undefined)?.spec.nodeName &&
        !this.store.get(NODES, undefined, pod.spec.nodeName)
      )
        this.podsToCheck.add(event.key);
    } else if (resource === NODES && type !== 'MODIFIED') {
      for (const key of this.store.indexedKeys(PODS, NODE_NAME, object.metadata.name)) this.podsToCheck.add(key);
    }
    if (resource === NAMESPACES) {
      if (type === 'DELETED') this.terminating.delete(object.metadata.name);
      else if (object.metadata.deletionTimestamp) {
        this.terminating.add(object.metadata.name);
        this.namespaces.add(object.metadata.name);
      }
    } else if (object.metadata.namespace && this.terminating.has(object.metadata.namespace)) {
      this.namespaces.add(object.metadata.namespace);
    }
  }

  /** Follows the owner references of one object from `before` to `after`. */
  private count(before: readonly OwnerReference[] | undefined, after: readonly OwnerReference[] | undefined): void {
    if (before === after) return;
    for (const owner of before ?? []) {
      const left = (this.referenced.get(owner.uid) ?? 0) - 1;
      if (left > 0) this.referenced.set(owner.uid, left);
      else this.referenced.delete(owner.uid);
    }
    for (const owner of after ?? []) this.referenced.set(owner.uid, (this.referenced.get(owner.uid) ?? 0) + 1);
  }

  resync(store: Store): void {
    for (const info of LIVE) {
      const resource = storeKey(info);
      for (const object of store.values(resource)) {
        if (object.metadata.ownerReferences?.length) this.maybeOrphaned.add(ref(resource, object));
        if (waitsInForeground(object)) this.foreground.add(object.metadata.uid);
      }
    }
    for (const pod of store.values<Pod>(PODS))
      if (pod.spec.nodeName) this.podsToCheck.add(objectKey(pod.metadata.namespace, pod.metadata.name));
    for (const ns of store.values(NAMESPACES)) {
      if (!ns.metadata.deletionTimestamp) continue;
      this.terminating.add(ns.metadata.name);
      this.namespaces.add(ns.metadata.name);
    }
  }

  run(ctx: ControllerContext): void {
    this.collectDependents(ctx);
    this.collectOrphanedPods(ctx);
    this.finishNamespaces(ctx);
  }

  private collectDependents(ctx: ControllerContext): void {
    const entries = drain(this.maybeOrphaned);
    ctx.visit(entries.length);
    for (const entry of entries) {
      const [resource, key] = entry.split('\u0000') as [string, string];
      const object = ctx.store.getByKey(resource, key);
      if (!object || object.metadata.deletionTimestamp) continue;
      const refs = object.metadata.ownerReferences ?? [];
      if (refs.length > 0 && !refs.some((r) => ctx.store.byUid(r.uid))) {
        ctx.registry.delete(INFO.get(resource) as ResourceInfo, object.metadata.namespace, object.metadata.name, {
          propagationPolicy: 'Background',
        });
      }
    }
    for (const uid of drain(this.foreground)) {
      const owner = ctx.store.byUid(uid);
      if (!owner || !waitsInForeground(owner.object)) continue;
      const waiting = dependentsOf(ctx.store, uid);
      ctx.visit(waiting.length + 1);
      for (const { resource, object: d } of waiting) {
        if (!d.metadata.deletionTimestamp)
          ctx.registry.delete(INFO.get(resource) as ResourceInfo, d.metadata.namespace, d.metadata.name, {
            propagationPolicy: 'Foreground',
          });
      }
      if (waiting.length === 0) {
        const { object, resource } = owner;
        const next = clone(object);
        next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== FOREGROUND);
        if (next.metadata.finalizers.length === 0) ctx.store.remove(resource, object.metadata.namespace, object.metadata.name);
        else ctx.store.update(resource, next);
      }
    }
  }

  private collectOrphanedPods(ctx: ControllerContext): void {
    const now = ctx.clock.now();
    const keys = drain(this.podsToCheck);
    ctx.visit(keys.length);
    for (const key of keys) {
      const pod = ctx.store.getByKey<Pod>(PODS, key);
      if (!pod) continue;
      const node = pod.spec.nodeName;
      if (node && !ctx.store.get(NODES, undefined, node)) {
        if (!this.orphanedSince.has(pod.metadata.uid)) this.orphanedSince.set(pod.metadata.uid, { key, since: now });
      } else this.orphanedSince.delete(pod.metadata.uid);
    }
    let nextDue = Number.POSITIVE_INFINITY;
    ctx.visit(this.orphanedSince.size);
    for (const [uid, { key, since }] of [...this.orphanedSince]) {
      const pod = ctx.store.getByKey<Pod>(PODS, key);
      if (pod?.metadata.uid !== uid) {
        this.orphanedSince.delete(uid);
        continue;
      }
      const due = since + ctx.timing.orphanPodSeconds * 1000;
      if (due <= now) {
        ctx.store.remove(PODS, pod.metadata.namespace, pod.metadata.name);
        this.orphanedSince.delete(uid);
      } else nextDue = Math.min(nextDue, due);
    }
    if (this.wakeTimer?.due === nextDue) return;
    this.wakeTimer?.cancel();
    const wake = (): void => {
      this.wakeTimer = undefined;
      ctx.wake();
    };
    this.wakeTimer = Number.isFinite(nextDue) ? { due: nextDue, cancel: ctx.clock.at(nextDue, wake) } : undefined;
  }

  private finishNamespaces(ctx: ControllerContext): void {
    for (const name of drain(this.namespaces)) {
      const ns = ctx.store.get(NAMESPACES, undefined, name);
      if (!ns?.metadata.deletionTimestamp) continue;
      let left = 0;
      for (const info of LIVE) {
        if (!info.namespaced) continue;
        for (const object of ctx.store.list(storeKey(info), name)) {
          left++;
          if (!object.metadata.deletionTimestamp)
            ctx.registry.delete(info, name, object.metadata.name, { propagationPolicy: 'Background' });
        }
      }
      ctx.visit(left + 1);
      if (left === 0) ctx.store.remove(NAMESPACES, undefined, name);
    }
  }
}
