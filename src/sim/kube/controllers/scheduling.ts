/**
 * The scheduler loop: binds pending pods (highest priority first, then oldest) to nodes with
 * `placePod`, and marks the ones that fit nowhere `PodScheduled=False/Unschedulable` with the
 * scheduler's message and a FailedScheduling event. Pods are retried whenever anything changes,
 * as the real scheduler requeues unschedulable pods on cluster events.
 */
import { R, storeKey } from '../resources.js';
import { addToLoad, candidatesOf, emptyLoad, type NodeLoad, placePod, type SearchState, schedulingKey } from '../scheduler.js';
import type { Node, Pod } from '../types.js';
import type { ControllerContext } from './context.js';
import { setCondition } from './util.js';

/** The scheduler loop, with its search position kept between runs. */
export function schedulerController(): (ctx: ControllerContext) => void {
  const search: SearchState = { start: 0 };
  return (ctx) => schedule(ctx, search);
}

function schedule(ctx: ControllerContext, search: SearchState): void {
  const podKey = storeKey(R.pods);
  const nodes = [...ctx.store.values<Node>(storeKey(R.nodes))].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
  const loads = new Map<string, NodeLoad>();
  const pending: Pod[] = [];
  for (const pod of ctx.store.values<Pod>(podKey)) {
    const phase = pod.status?.phase;
    if (pod.spec.nodeName) {
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      let load = loads.get(pod.spec.nodeName);
      if (!load) {
        load = emptyLoad();
        loads.set(pod.spec.nodeName, load);
      }
      addToLoad(load, pod);
    } else if (!pod.metadata.deletionTimestamp && (pod.spec.schedulerName ?? 'default-scheduler') === 'default-scheduler') {
      pending.push(pod);
    }
  }
  if (pending.length === 0) return;
  // creationTimestamps are RFC 3339 UTC of one length, so their text sorts as their time.
  pending.sort(
    (a, b) =>
      (b.spec.priority ?? 0) - (a.spec.priority ?? 0) ||
      compareText(a.metadata.creationTimestamp, b.metadata.creationTimestamp) ||
      compareText(a.metadata.name, b.metadata.name),
  );
  const now = ctx.clock.timestamp();
  const candidates = candidatesOf(nodes, loads);
  // Within a pass the nodes stay and their loads only grow: a pod that fits nowhere tells that every
  // pod asking for the same (thousands of replicas of one template) fits nowhere either this pass.
  const fitsNowhere = new Map<string, string>();
  for (const pod of pending) {
    const key = schedulingKey(pod);
    const known = fitsNowhere.get(key);
    const placement = known !== undefined ? { unschedulable: known } : placePod(pod, candidates, search);
    if ('unschedulable' in placement) fitsNowhere.set(key, placement.unschedulable);
    // A shallow copy of what changes: pods are many, and stored objects are never changed in place.
    const next: Pod = { ...pod, spec: { ...pod.spec }, status: { ...pod.status } };
    if ('node' in placement) {
      next.spec.nodeName = placement.node;
      next.status.conditions = setCondition(
        next.status.conditions,
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
        now,
      );
      const stored = ctx.store.update(podKey, next);
      let load = loads.get(placement.node);
      if (!load) {
        load = emptyLoad();
        loads.set(placement.node, load);
      }
      addToLoad(load, stored);
      ctx.recordEvent({
        involved: stored,
        type: 'Normal',
        reason: 'Scheduled',
        message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${placement.node}`,
        component: 'default-scheduler',
      });
      continue;
    }
    const existing = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
    if (existing?.status === 'False' && existing.message === placement.unschedulable) continue;
    next.status.conditions = setCondition(
      next.status.conditions,
      {
        type: 'PodScheduled',
        status: 'False',
        lastProbeTime: null,
        lastTransitionTime: existing?.status === 'False' ? existing.lastTransitionTime : now,
        reason: 'Unschedulable',
        message: placement.unschedulable,
      },
      now,
    );
    const stored = ctx.store.update(podKey, next);
    ctx.recordEvent({
      involved: stored,
      type: 'Warning',
      reason: 'FailedScheduling',
      message: placement.unschedulable,
      component: 'default-scheduler',
    });
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
