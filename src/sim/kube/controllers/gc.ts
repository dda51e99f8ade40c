/**
 * Cleanup controllers:
 * - the garbage collector deletes objects whose owners are all gone (a deleted Deployment takes
 *   its ReplicaSets and their pods; a deleted Node its mirror pods), and finishes foreground
 *   deletions once the dependents are gone;
 * - the pod GC deletes pods bound to a node that no longer exists, after a quarantine, as the
 *   real one does after a node is removed;
 * - the namespace controller empties a Terminating namespace, then removes it.
 */
import { R, RESOURCES, storeKey } from '../resources.js';
import { clone, type KubeObject, type Pod } from '../types.js';
import type { ControllerContext } from './context.js';

const LIVE = RESOURCES.filter((r) => !r.aggregated);

export class GarbageCollector {
  /** Pod uid → simulated time its node was first seen missing. */
  private readonly orphanedSince = new Map<string, number>();
  private wakeTimer: (() => void) | undefined;

  stop(): void {
    this.wakeTimer?.();
  }

  run(ctx: ControllerContext): void {
    this.collectDependents(ctx);
    this.collectOrphanedPods(ctx);
    this.finishNamespaces(ctx);
  }

  private collectDependents(ctx: ControllerContext): void {
    const uids = new Set<string>();
    for (const info of LIVE) for (const object of ctx.store.values(storeKey(info))) uids.add(object.metadata.uid);
    // Who owns what is needed only while a foreground deletion waits, so it is gathered then.
    let dependents: Map<string, KubeObject[]> | undefined;
    const dependentsOf = (uid: string): KubeObject[] => {
      if (!dependents) {
        const found = new Map<string, KubeObject[]>();
        for (const info of LIVE) {
          for (const object of ctx.store.values(storeKey(info))) {
            for (const ref of object.metadata.ownerReferences ?? []) {
              const list = found.get(ref.uid);
              if (list) list.push(object);
              else found.set(ref.uid, [object]);
            }
          }
        }
        dependents = found;
      }
      return dependents.get(uid) ?? [];
    };
    for (const info of LIVE) {
      for (const object of [...ctx.store.values(storeKey(info))]) {
        const refs = object.metadata.ownerReferences ?? [];
        if (refs.length > 0 && !refs.some((r) => uids.has(r.uid)) && !object.metadata.deletionTimestamp) {
          if (ctx.store.get(storeKey(info), object.metadata.namespace, object.metadata.name)) {
            ctx.registry.delete(info, object.metadata.namespace, object.metadata.name, { propagationPolicy: 'Background' });
          }
          continue;
        }
        if (object.metadata.deletionTimestamp && object.metadata.finalizers?.includes('foregroundDeletion')) {
          const waiting = dependentsOf(object.metadata.uid).filter((d) =>
            ctx.store.get(storeKey(infoOf(d)), d.metadata.namespace, d.metadata.name),
          );
          for (const d of waiting) {
            if (!d.metadata.deletionTimestamp)
              ctx.registry.delete(infoOf(d), d.metadata.namespace, d.metadata.name, { propagationPolicy: 'Foreground' });
          }
          if (waiting.length === 0) {
            const next = clone(object);
            next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== 'foregroundDeletion');
            if (next.metadata.finalizers.length === 0) ctx.store.remove(storeKey(info), object.metadata.namespace, object.metadata.name);
            else ctx.store.update(storeKey(info), next);
          }
        }
      }
    }
  }

  private collectOrphanedPods(ctx: ControllerContext): void {
    const now = ctx.clock.now();
    const nodeKey = storeKey(R.nodes);
    const live = new Set<string>();
    let nextDue = Number.POSITIVE_INFINITY;
    for (const pod of [...ctx.store.values<Pod>(storeKey(R.pods))]) {
      const node = pod.spec.nodeName;
      if (!node || ctx.store.get(nodeKey, undefined, node)) continue;
      live.add(pod.metadata.uid);
      const since = this.orphanedSince.get(pod.metadata.uid) ?? now;
      this.orphanedSince.set(pod.metadata.uid, since);
      const due = since + ctx.timing.orphanPodSeconds * 1000;
      if (due <= now) {
        ctx.store.remove(storeKey(R.pods), pod.metadata.namespace, pod.metadata.name);
        this.orphanedSince.delete(pod.metadata.uid);
      } else nextDue = Math.min(nextDue, due);
    }
    for (const uid of this.orphanedSince.keys()) if (!live.has(uid)) this.orphanedSince.delete(uid);
    this.wakeTimer?.();
    this.wakeTimer = Number.isFinite(nextDue) ? ctx.clock.at(nextDue, () => ctx.wake()) : undefined;
  }

  private finishNamespaces(ctx: ControllerContext): void {
    for (const ns of [...ctx.store.values(storeKey(R.namespaces))]) {
      if (!ns.metadata.deletionTimestamp) continue;
      let left = 0;
      for (const info of LIVE) {
        if (!info.namespaced) continue;
        for (const object of ctx.store.list(storeKey(info), ns.metadata.name)) {
          left++;
          if (!object.metadata.deletionTimestamp)
            ctx.registry.delete(info, ns.metadata.name, object.metadata.name, { propagationPolicy: 'Background' });
        }
      }
      if (left === 0) ctx.store.remove(storeKey(R.namespaces), undefined, ns.metadata.name);
    }
  }
}

function infoOf(object: KubeObject): (typeof LIVE)[number] {
  const group = object.apiVersion.includes('/') ? object.apiVersion.split('/')[0] : '';
  const info = LIVE.find((r) => r.group === group && r.kind === object.kind);
  if (!info) throw new Error(`no resource for ${object.apiVersion} ${object.kind}`);
  return info;
}
