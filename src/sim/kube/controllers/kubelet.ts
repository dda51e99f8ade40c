/**
 * The kubelets of all nodes: a pod bound to a node shows ContainerCreating, then after
 * `podStartSeconds` (simulated) runs and is Ready, with a pod IP from the node's pod CIDR (or the
 * node's IP for host-network pods); a pod with a `deletionTimestamp` is removed when its grace
 * period is over, as the kubelet does once its containers stop.
 */
import { createHash } from 'node:crypto';
import { R, storeKey } from '../resources.js';
import type { Condition, ContainerStatus, Node, Pod } from '../types.js';
import type { ControllerContext } from './context.js';
import { setCondition } from './util.js';

function imageRef(image: string): string {
  if (image.includes('/') && image.split('/')[0]?.includes('.')) return image.includes(':') ? image : `${image}:latest`;
  const name = image.includes('/') ? image : `library/${image}`;
  return `docker.io/${name.includes(':') ? name : `${name}:latest`}`;
}

/** Stable hex digits derived from a seed (image digests, container ids). */
function hex(length: number, seed: string): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function internalIP(node: Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === 'InternalIP')?.address;
}

export class Kubelets {
  private readonly timers = new Map<string, () => void>();
  private readonly nextIp = new Map<string, number>();

  /** Cancels all timers (the cluster is closing). */
  stop(): void {
    for (const cancel of this.timers.values()) cancel();
    this.timers.clear();
  }

  run(ctx: ControllerContext): void {
    const podKey = storeKey(R.pods);
    const nodeKey = storeKey(R.nodes);
    const seen = new Set<string>();
    for (const pod of [...ctx.store.values<Pod>(podKey)]) {
      const nodeName = pod.spec.nodeName;
      if (!nodeName) continue;
      const node = ctx.store.get<Node>(nodeKey, undefined, nodeName);
      if (!node) continue; // the pod GC deals with pods on nodes that are gone
      const uid = pod.metadata.uid;
      if (pod.metadata.deletionTimestamp) {
        const timerKey = `delete:${uid}`;
        seen.add(timerKey);
        if (this.timers.has(timerKey)) continue;
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
          this.timers.delete(timerKey);
          const current = ctx.store.get<Pod>(podKey, pod.metadata.namespace, pod.metadata.name);
          if (current && current.metadata.uid === uid && (current.metadata.finalizers ?? []).length === 0) {
            ctx.store.remove(podKey, current.metadata.namespace, current.metadata.name);
          }
          ctx.wake();
        };
        // deletionTimestamp has second precision, so the pod may go up to a second early: as with a real kubelet, whose containers rarely use all their grace.
        this.timers.set(timerKey, ctx.clock.at(due, finish));
        continue;
      }
      if (pod.status?.phase !== 'Pending') continue;
      if (!pod.status.containerStatuses) ctx.store.update(podKey, this.creating(pod, node, ctx));
      if (ctx.bootstrapping) {
        this.start(ctx, pod.metadata.namespace as string, pod.metadata.name, uid);
        continue;
      }
      const timerKey = `start:${uid}`;
      seen.add(timerKey);
      if (this.timers.has(timerKey)) continue;
      this.timers.set(
        timerKey,
        ctx.clock.after(ctx.timing.podStartSeconds, () => {
          this.timers.delete(timerKey);
          this.start(ctx, pod.metadata.namespace as string, pod.metadata.name, uid);
          ctx.wake();
        }),
      );
    }
    // Timers of pods that no longer need them (deleted before they started) are dropped.
    for (const [key, cancel] of this.timers) {
      if (!seen.has(key)) {
        cancel();
        this.timers.delete(key);
      }
    }
  }

  private creating(pod: Pod, node: Node, ctx: ControllerContext): Pod {
    const next: Pod = { ...pod, status: { ...pod.status } };
    const now = ctx.clock.timestamp();
    const names = (pod.spec.containers ?? []).map((c) => c.name);
    let conditions: Condition[] = next.status.conditions ?? [];
    const unready = `containers with unready status: [${names.join(' ')}]`;
    conditions = setCondition(conditions, { type: 'PodReadyToStartContainers', status: 'False', lastProbeTime: null }, now);
    conditions = setCondition(conditions, { type: 'Initialized', status: 'True', lastProbeTime: null }, now);
    conditions = setCondition(
      conditions,
      { type: 'Ready', status: 'False', lastProbeTime: null, reason: 'ContainersNotReady', message: unready },
      now,
    );
    conditions = setCondition(
      conditions,
      { type: 'ContainersReady', status: 'False', lastProbeTime: null, reason: 'ContainersNotReady', message: unready },
      now,
    );
    next.status.conditions = orderConditions(conditions);
    const hostIP = internalIP(node);
    if (hostIP) {
      next.status.hostIP = hostIP;
      next.status.hostIPs = [{ ip: hostIP }];
    }
    next.status.startTime = now;
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

  private start(ctx: ControllerContext, namespace: string, name: string, uid: string): void {
    const podKey = storeKey(R.pods);
    const pod = ctx.store.get<Pod>(podKey, namespace, name);
    if (!pod || pod.metadata.uid !== uid || pod.metadata.deletionTimestamp || pod.status?.phase !== 'Pending' || !pod.spec.nodeName) return;
    const node = ctx.store.get<Node>(storeKey(R.nodes), undefined, pod.spec.nodeName);
    if (!node) return;
    const next: Pod = pod.status.containerStatuses ? { ...pod, status: { ...pod.status } } : this.creating(pod, node, ctx);
    const now = ctx.clock.timestamp();
    let conditions = next.status.conditions ?? [];
    for (const type of ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady']) {
      conditions = setCondition(conditions, { type, status: 'True', lastProbeTime: null }, now);
    }
    next.status.conditions = orderConditions(conditions);
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
        image: imageRef(c.image ?? ''),
        imageID: `${imageRef(c.image ?? '').replace(/:[^:/]+$/, '')}@sha256:${hex(64, c.image ?? '')}`,
        containerID: `containerd://${hex(64, `${uid}/${c.name}`)}`,
        started: true,
      }),
    );
    ctx.store.update(podKey, next);
  }

  private allocateIp(node: Node): string | undefined {
    const cidr = node.spec?.podCIDR;
    const base = cidr ? /^(\d+\.\d+\.\d+)\.\d+\/\d+$/.exec(cidr)?.[1] : undefined;
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
