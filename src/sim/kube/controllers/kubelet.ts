/**
 * The kubelets of all nodes: a pod bound to a node shows ContainerCreating, then after
 * `podStartSeconds` (simulated) runs and is Ready, with a pod IP from the node's pod CIDR (or the
 * node's IP for host-network pods); a pod with a `deletionTimestamp` is removed when its grace
 * period is over, as the kubelet does once its containers stop.
 */
import { hash } from 'node:crypto';
import { NODE_NAME } from '../indexes.js';
import { R, storeKey } from '../resources.js';
import { objectKey, type Store, type StoreEvent } from '../store.js';
import type { Condition, ContainerStatus, Node, Pod } from '../types.js';
import type { Controller, ControllerContext } from './context.js';
import { drain, setConditions } from './util.js';

const PODS = storeKey(R.pods);
const NODES = storeKey(R.nodes);

function imageRef(image: string): string {
  if (image.includes('/') && image.split('/')[0]?.includes('.')) return image.includes(':') ? image : `${image}:latest`;
  const name = image.includes('/') ? image : `library/${image}`;
  return `docker.io/${name.includes(':') ? name : `${name}:latest`}`;
}

/** Stable hex digits derived from a seed (image digests, container ids). */
function hex(length: number, seed: string): string {
  return hash('sha256', seed).slice(0, length);
}

/** An image as the kubelet reports it once pulled (its full reference and its id), by image: a cluster runs few images in many pods. */
const pulledImages = new Map<string, { ref: string; id: string }>();

function pulled(image: string): { ref: string; id: string } {
  let known = pulledImages.get(image);
  if (!known) {
    const ref = imageRef(image);
    known = { ref, id: `${ref.replace(/:[^:/]+$/, '')}@sha256:${hex(64, image)}` };
    pulledImages.set(image, known);
  }
  return known;
}

/** The first three octets of a node's pod CIDR, per stored node (every pod start asks). */
const podNetworks = new WeakMap<Node, string | undefined>();

function podNetwork(node: Node): string | undefined {
  if (podNetworks.has(node)) return podNetworks.get(node);
  const cidr = node.spec?.podCIDR;
  const base = cidr ? /^(\d+\.\d+\.\d+)\.\d+\/\d+$/.exec(cidr)?.[1] : undefined;
  podNetworks.set(node, base);
  return base;
}

/** The conditions a pod's start sets True. */
const STARTED = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady'];

/** A node's `status.hostIPs` for its pods, per stored node: shared by them (stored objects are never changed in place). */
const hostIPs = new WeakMap<Node, Array<{ ip: string }> | undefined>();

function hostIPsOf(node: Node): Array<{ ip: string }> | undefined {
  if (hostIPs.has(node)) return hostIPs.get(node);
  const ip = node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
  const list = ip ? [{ ip }] : undefined;
  hostIPs.set(node, list);
  return list;
}

/** A pod's kubelet timers: the start of its containers, and the end of its grace period. */
interface PodTimers {
  start?: () => void;
  delete?: () => void;
}

/**
 * The kubelets work on the pods whose state changed (bound, deleted, started) and on the pods of a
 * node that came or went, never on all pods.
 */
export class Kubelets implements Controller {
  /** Timers by pod uid. */
  private readonly timers = new Map<string, PodTimers>();
  private readonly nextIp = new Map<string, number>();
  /** Pods (by key) to look at in the next run. */
  private readonly dirty = new Set<string>();
  /** Uids of pods that are gone: their timers are dropped in the next run. */
  private readonly gone = new Set<string>();

  /** @param store the store whose node index `observe` reads. */
  constructor(private readonly store: Store) {}

  /** Cancels all timers (the cluster is closing). */
  stop(): void {
    for (const timers of this.timers.values()) {
      timers.start?.();
      timers.delete?.();
    }
    this.timers.clear();
  }

  observe(event: StoreEvent): void {
    if (event.resource === NODES) {
      // A node that comes or goes: its pods can start, or their timers stop.
      if (event.type === 'MODIFIED') return;
      for (const key of this.store.indexedKeys(PODS, NODE_NAME, event.object.metadata.name)) this.dirty.add(key);
      return;
    }
    if (event.resource !== PODS) return;
    const pod = event.object as Pod;
    if (event.type === 'DELETED') this.gone.add(pod.metadata.uid);
    // A kubelet has something to do for a bound pod that is Pending or being deleted, or whose timers may need dropping.
    else if (pod.spec.nodeName && (pod.status?.phase === 'Pending' || pod.metadata.deletionTimestamp || this.timers.has(pod.metadata.uid)))
      this.dirty.add(event.key);
  }

  resync(store: Store): void {
    for (const pod of store.values<Pod>(PODS)) if (pod.spec.nodeName) this.dirty.add(objectKey(pod.metadata.namespace, pod.metadata.name));
  }

  run(ctx: ControllerContext): void {
    for (const uid of drain(this.gone)) this.cancel(uid);
    const keys = drain(this.dirty);
    ctx.visit(keys.length);
    for (const key of keys) {
      const pod = ctx.store.getByKey<Pod>(PODS, key);
      if (pod) this.sync(ctx, pod);
    }
  }

  /** What the pod's kubelet does about it now. */
  private sync(ctx: ControllerContext, pod: Pod): void {
    const nodeName = pod.spec.nodeName;
    if (!nodeName) return;
    const uid = pod.metadata.uid;
    const node = ctx.store.get<Node>(NODES, undefined, nodeName);
    // The pod GC deals with pods on nodes that are gone.
    if (!node) {
      this.cancel(uid);
      return;
    }
    const timers = this.timers.get(uid) ?? {};
    if (pod.metadata.deletionTimestamp) {
      this.cancel(uid, 'start');
      if (timers.delete) return;
      if ((pod.metadata.deletionGracePeriodSeconds ?? 0) > 0) {
        for (const c of pod.spec.containers ?? []) {
          ctx.recordEvent({
            involved: pod,
            type: 'Normal',
            reason: 'Killing',
            message: `Stopping container ${c.name}`,
            component: 'kubelet',
            host: nodeName,
          });
        }
      }
      const due = Date.parse(pod.metadata.deletionTimestamp);
      const finish = (): void => {
        this.cancel(uid, 'delete');
        const current = ctx.store.get<Pod>(PODS, pod.metadata.namespace, pod.metadata.name);
        if (current && current.metadata.uid === uid && (current.metadata.finalizers ?? []).length === 0) {
          ctx.store.remove(PODS, current.metadata.namespace, current.metadata.name);
        }
        ctx.wake();
      };
      // deletionTimestamp has second precision, so the pod may go up to a second early: as with a real kubelet, whose containers rarely use all their grace.
      this.set(uid, 'delete', ctx.clock.at(due, finish));
      return;
    }
    if (pod.status?.phase !== 'Pending') {
      this.cancel(uid);
      return;
    }
    if (ctx.bootstrapping) {
      // Started at once: one write from bound to Running (no client watches a cluster being built).
      this.cancel(uid, 'start');
      this.start(ctx, pod.metadata.namespace as string, pod.metadata.name, uid);
      return;
    }
    if (!pod.status.containerStatuses) ctx.store.update(PODS, this.creating(pod, node, ctx));
    if (timers.start) return;
    this.set(
      uid,
      'start',
      ctx.clock.after(ctx.timing.podStartSeconds, () => {
        this.cancel(uid, 'start');
        this.start(ctx, pod.metadata.namespace as string, pod.metadata.name, uid);
        ctx.wake();
      }),
    );
  }

  private set(uid: string, which: keyof PodTimers, cancel: () => void): void {
    const timers = this.timers.get(uid) ?? {};
    timers[which] = cancel;
    this.timers.set(uid, timers);
  }

  /** Cancels a pod's timer (or both); a timer that fired cancels itself here too, which does nothing more. */
  private cancel(uid: string, which?: keyof PodTimers): void {
    const timers = this.timers.get(uid);
    if (!timers) return;
    for (const key of which ? [which] : (['start', 'delete'] as const)) {
      timers[key]?.();
      delete timers[key];
    }
    if (!timers.start && !timers.delete) this.timers.delete(uid);
  }

  private creating(pod: Pod, node: Node, ctx: ControllerContext): Pod {
    const next: Pod = { ...pod, status: { ...pod.status } };
    const now = ctx.clock.timestamp();
    const names = (pod.spec.containers ?? []).map((c) => c.name);
    const unready = `containers with unready status: [${names.join(' ')}]`;
    const conditions: Condition[] = setConditions(
      next.status.conditions,
      [
        { type: 'PodReadyToStartContainers', status: 'False', lastProbeTime: null },
        { type: 'Initialized', status: 'True', lastProbeTime: null },
        { type: 'Ready', status: 'False', lastProbeTime: null, reason: 'ContainersNotReady', message: unready },
        { type: 'ContainersReady', status: 'False', lastProbeTime: null, reason: 'ContainersNotReady', message: unready },
      ],
      now,
    );
    next.status.conditions = orderConditions(conditions);
    this.placeOn(next, node, now);
    next.status.containerStatuses = (pod.spec.containers ?? []).map(
      (c): ContainerStatus => ({
        name: c.name,
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        restartCount: 0,
        image: c.image ?? '',
        imageID: '',
        started: false,
      }),
    );
    return next;
  }

  /** The node's address and the start time, as the kubelet reports them once it takes the pod. */
  private placeOn(next: Pod, node: Node, now: string): void {
    const hostIPs = hostIPsOf(node);
    if (hostIPs) {
      next.status.hostIP = (hostIPs[0] as { ip: string }).ip;
      next.status.hostIPs = hostIPs;
    }
    next.status.startTime = now;
  }

  private start(ctx: ControllerContext, namespace: string, name: string, uid: string): void {
    const pod = ctx.store.get<Pod>(PODS, namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp || pod.status?.phase !== 'Pending' || !pod.spec.nodeName) return;
    const node = ctx.store.get<Node>(NODES, undefined, pod.spec.nodeName);
    if (!node) return;
    const next: Pod = { ...pod, status: { ...pod.status } };
    const now = ctx.clock.timestamp();
    next.status.conditions = orderConditions(
      setConditions(
        next.status.conditions,
        STARTED.map((type) => ({ type, status: 'True', lastProbeTime: null })),
        now,
      ),
    );
    // Straight from bound (the build starts pods in one write): what ContainerCreating would have set, in its order.
    if (!pod.status.containerStatuses) {
      this.placeOn(next, node, now);
      next.status.containerStatuses = []; // set below: here for its place among the fields
    }
    next.status.phase = 'Running';
    const ip = pod.spec.hostNetwork ? next.status.hostIP : this.allocateIp(node);
    if (ip) {
      next.status.podIP = ip;
      next.status.podIPs = [{ ip }];
    }
    next.status.containerStatuses = (pod.spec.containers ?? []).map(
      (c): ContainerStatus => ({
        name: c.name,
        state: { running: { startedAt: now } },
        lastState: {},
        ready: true,
        restartCount: 0,
        image: pulled(c.image ?? '').ref,
        imageID: pulled(c.image ?? '').id,
        containerID: `containerd://${hex(64, `${uid}/${c.name}`)}`,
        started: true,
      }),
    );
    ctx.store.update(PODS, next);
  }

  private allocateIp(node: Node): string | undefined {
    const base = podNetwork(node);
    if (!base) return undefined;
    const n = this.nextIp.get(node.metadata.name) ?? 0;
    this.nextIp.set(node.metadata.name, n + 1);
    return `${base}.${2 + (n % 252)}`;
  }
}

/** The kubelet writes pod conditions in this order. */
function orderConditions(conditions: Condition[]): Condition[] {
  const order = ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'];
  const rank = (c: Condition): number => {
    const at = order.indexOf(c.type);
    return at < 0 ? order.length : at;
  };
  return [...conditions].sort((a, b) => rank(a) - rank(b));
}
