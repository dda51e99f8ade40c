/**
 * The scheduler loop: binds pending pods (highest priority first, then oldest) to nodes with
 * `placePod`, and marks the ones that fit nowhere `PodScheduled=False/Unschedulable` with the
 * scheduler's message and a FailedScheduling event.
 *
 * As the real scheduler's queue does, it tries a pod when it appears or changes, and sets the
 * ones that fit nowhere aside until a change that can make room for them: a node that comes or
 * changes (uncordoned, untainted, Ready), or a bound pod that finishes or goes. Each node's free
 * room is kept as pods bind and go (`NodeLoads`), and the nodes in name order (`Candidates`), so a
 * run costs the pods it tries and the nodes it looks at, not the cluster.
 */
import { R, storeKey } from '../resources.js';
import { Candidates, FilterMemo, NodeLoads, placePod, type SearchState, schedulingKey, takesRoom } from '../scheduler.js';
import { objectKey, type Store, type StoreEvent } from '../store.js';
import type { Pod } from '../types.js';
import type { Controller, ControllerContext } from './context.js';
import { drain, setCondition } from './util.js';

const PODS = storeKey(R.pods);
const NODES = storeKey(R.nodes);

/** A pod this scheduler has to place. */
function isPending(pod: Pod): boolean {
  return !pod.spec.nodeName && !pod.metadata.deletionTimestamp && (pod.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler';
}

export class Scheduler implements Controller {
  /** Every node's committed requests, kept as pods bind and go. */
  readonly loads = new NodeLoads((node, owner) => this.candidates.copy(node, owner));
  private readonly candidates: Candidates = new Candidates(this.loads);
  /** Where the next search over the nodes starts (it persists across pods and runs). */
  private readonly search: SearchState = { start: 0, examined: 0 };
  /** Pending pods to try in the next run. */
  private readonly active = new Set<string>();
  /** Pending pods that fit nowhere when last tried, waiting for a change that can make room. */
  private readonly unschedulable = new Set<string>();
  private retryAll = false;

  observe(event: StoreEvent): void {
    this.loads.observe(event);
    this.candidates.observe(event);
    if (event.resource === NODES) {
      // A node that comes or changes may take pods; one that goes changes every FitError's count of nodes.
      this.retryAll = true;
      return;
    }
    if (event.resource !== PODS) return;
    const key = event.key;
    const pod = event.type === 'DELETED' ? undefined : (event.object as Pod);
    this.unschedulable.delete(key);
    if (pod && isPending(pod)) this.active.add(key);
    else this.active.delete(key);
    const before = event.previous as Pod | undefined;
    if (before && takesRoom(before) && !(pod && takesRoom(pod))) this.retryAll = true;
  }

  resync(store: Store): void {
    for (const pod of store.values<Pod>(PODS)) if (isPending(pod)) this.active.add(objectKey(pod.metadata.namespace, pod.metadata.name));
    this.retryAll = true;
  }

  run(ctx: ControllerContext): void {
    if (this.retryAll) {
      for (const key of this.unschedulable) this.active.add(key);
      this.unschedulable.clear();
      this.retryAll = false;
    }
    if (this.active.size === 0) return;
    const pending: Pod[] = [];
    for (const key of drain(this.active)) {
      const pod = ctx.store.getByKey<Pod>(PODS, key);
      if (pod && isPending(pod)) pending.push(pod);
    }
    ctx.visit(pending.length);
    // creationTimestamps are RFC 3339 UTC of one length, so their text sorts as their time.
    pending.sort(
      (a, b) =>
        (b.spec.priority ?? 0) - (a.spec.priority ?? 0) ||
        compareText(a.metadata.creationTimestamp, b.metadata.creationTimestamp) ||
        compareText(a.metadata.name, b.metadata.name),
    );
    const now = ctx.clock.timestamp();
    const examined = this.search.examined;
    // Within a run the nodes stay and their loads only grow: a pod that fits nowhere tells that every
    // pod asking for the same (thousands of replicas of one template) fits nowhere either this run.
    const fitsNowhere = new Map<string, string>();
    const memo = new FilterMemo();
    for (const pod of pending) {
      const key = schedulingKey(pod);
      const known = fitsNowhere.get(key);
      const placement = known !== undefined ? { unschedulable: known } : placePod(pod, this.candidates, this.search, memo);
      // A shallow copy of what changes: pods are many, and stored objects are never changed in place.
      const next: Pod = { ...pod, spec: { ...pod.spec }, status: { ...pod.status } };
      if ('node' in placement) {
        next.spec.nodeName = placement.node;
        next.status.conditions = setCondition(
          next.status.conditions,
          { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
          now,
        );
        // The binding reaches `loads` through the store's event, before the next pod is placed.
        const stored = ctx.store.update(PODS, next);
        ctx.recordEvent({
          involved: stored,
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${placement.node}`,
          component: 'default-scheduler',
        });
        continue;
      }
      fitsNowhere.set(key, placement.unschedulable);
      this.setAside(ctx, pod, next, placement.unschedulable, now);
    }
    ctx.visit(this.search.examined - examined);
  }

  /** Marks a pod that fits nowhere (unless it says so already) and keeps it for a change that can make room. */
  private setAside(ctx: ControllerContext, pod: Pod, next: Pod, message: string, now: string): void {
    const key = objectKey(pod.metadata.namespace, pod.metadata.name);
    const existing = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
    if (existing?.status !== 'False' || existing.message !== message) {
      next.status.conditions = setCondition(
        next.status.conditions,
        {
          type: 'PodScheduled',
          status: 'False',
          lastProbeTime: null,
          lastTransitionTime: existing?.status === 'False' ? existing.lastTransitionTime : now,
          reason: 'Unschedulable',
          message,
        },
        now,
      );
      const stored = ctx.store.update(PODS, next);
      ctx.recordEvent({ involved: stored, type: 'Warning', reason: 'FailedScheduling', message, component: 'default-scheduler' });
    }
    // After the write, whose event put it back in the queue.
    this.active.delete(key);
    this.unschedulable.add(key);
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
