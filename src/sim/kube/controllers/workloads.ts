/**
 * The deployment, replica set and daemon set controllers: a Deployment owns a ReplicaSet per pod
 * template (named `<deployment>-<template hash>`), a ReplicaSet keeps its replica count of active
 * pods (an evicted or deleted pod is replaced at once and the scheduler places the new one), and a
 * DaemonSet keeps one pod on every node it tolerates, pinned with node affinity.
 *
 * Like the real controllers, a sync creates or deletes at most a burst of pods (500 for a
 * ReplicaSet, 250 for a DaemonSet), creating in slow-start batches of 1, 2, 4, … that stop at the
 * first failure, and says when it left work for the next sync (`ctx.more()`): the cluster runs that
 * sync on the next turn of the event loop, so a scale to thousands of pods never blocks the API.
 * A create that fails is reported once as a Warning event on the owner, and retried when anything changes.
 *
 * Simplified: a template change moves all replicas to the new ReplicaSet at once (no surge or
 * unavailability budget), and minReadySeconds is treated as 0.
 */
import { matchesNodeAffinity } from '../../../kube/node-affinity.js';
import { untoleratedTaint } from '../../../kube/taints.js';
import { R, storeKey } from '../resources.js';
import { labelSelectorMatcher } from '../selectors.js';
import {
  clone,
  type DaemonSet,
  type Deployment,
  type KubeObject,
  type Node,
  type Pod,
  type PodTemplateSpec,
  type ReplicaSet,
  type Toleration,
} from '../types.js';
import type { ControllerContext } from './context.js';
import { canonicalJson, controllerRef, isActive, isReady, omitEmpty, ownerRefTo, setCondition, templateHash } from './util.js';

/** The ReplicaSet controller's burstReplicas: the most pods one sync creates or deletes. */
const REPLICA_SET_BURST = 500;
/** The DaemonSet controller's burstReplicas. */
const DAEMON_SET_BURST = 250;

/**
 * `controller.slowStartBatch`: runs `create` up to `count` times in batches of 1, 2, 4, …, and
 * stops after the first batch in which one failed, so a controller that cannot create (a namespace
 * being deleted) tries a few times, not hundreds. The successes, and the first failure.
 */
function slowStart(count: number, create: () => void): { done: number; error?: unknown } {
  let done = 0;
  for (let batch = 1; done < count; batch *= 2) {
    let error: unknown;
    for (let i = Math.min(batch, count - done); i > 0; i--) {
      try {
        create();
        done++;
      } catch (failure) {
        error ??= failure;
      }
    }
    if (error !== undefined) return { done, error };
  }
  return { done };
}

/** Owners (as stored: every change stores a new object) whose last failure has been reported, so a retry that fails alike writes nothing. */
const reported = new WeakSet<KubeObject>();

/** A Warning event on the owner for a failed create (`what: why`), once per version of the owner. */
function reportFailure(ctx: ControllerContext, owner: KubeObject, reason: string, what: string, error: unknown, component: string): void {
  if (reported.has(owner)) return;
  reported.add(owner);
  const why = error instanceof Error ? error.message : String(error);
  ctx.recordEvent({ involved: owner, type: 'Warning', reason, message: `${what}: ${why}`, component });
}

const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';

function podsByOwner(ctx: ControllerContext): Map<string, Pod[]> {
  const byOwner = new Map<string, Pod[]>();
  for (const pod of ctx.store.values<Pod>(storeKey(R.pods))) {
    const ref = controllerRef(pod);
    if (!ref) continue;
    let list = byOwner.get(ref.uid);
    if (!list) {
      list = [];
      byOwner.set(ref.uid, list);
    }
    list.push(pod);
  }
  return byOwner;
}

function updateStatus<T extends KubeObject>(ctx: ControllerContext, key: string, object: T, status: Record<string, unknown>): void {
  if (canonicalJson(status) === canonicalJson((object as KubeObject).status ?? {})) return;
  const next: KubeObject = clone(object);
  next.status = status;
  ctx.store.update(key, next);
}

function withoutHash(template: PodTemplateSpec): PodTemplateSpec {
  const copy = clone(template);
  if (copy.metadata?.labels) {
    delete copy.metadata.labels[HASH_LABEL];
    if (Object.keys(copy.metadata.labels).length === 0) delete copy.metadata.labels;
  }
  return copy;
}

function maxUnavailable(d: Deployment, desired: number): number {
  const strategy = d.spec.strategy as { rollingUpdate?: { maxUnavailable?: number | string } } | undefined;
  const value = strategy?.rollingUpdate?.maxUnavailable ?? '25%';
  if (typeof value === 'number') return value;
  return Math.floor((Number.parseInt(value, 10) / 100) * desired);
}

export function deploymentController(ctx: ControllerContext): void {
  const rsKey = storeKey(R.replicasets);
  const byOwner = new Map<string, ReplicaSet[]>();
  for (const rs of ctx.store.values<ReplicaSet>(rsKey)) {
    const ref = controllerRef(rs);
    if (ref) byOwner.set(ref.uid, [...(byOwner.get(ref.uid) ?? []), rs]);
  }
  for (const d of [...ctx.store.values<Deployment>(storeKey(R.deployments))]) {
    if (d.metadata.deletionTimestamp) continue;
    const owned = byOwner.get(d.metadata.uid) ?? [];
    const desired = d.spec.replicas ?? 1;
    const wanted = canonicalJson(d.spec.template);
    let current = owned.find((rs) => canonicalJson(withoutHash(rs.spec.template)) === wanted);
    const revision = Math.max(0, ...owned.map((rs) => Number(rs.metadata.annotations?.[REVISION] ?? 0))) + (current ? 0 : 1);
    const surge = desired + Math.ceil(0.25 * desired);
    if (!d.spec.paused) {
      if (!current) {
        const hash = templateHash(d.spec.template);
        const labels = { ...(d.spec.template.metadata?.labels ?? {}), [HASH_LABEL]: hash };
        const name = `${d.metadata.name}-${hash}`;
        let rs: ReplicaSet;
        try {
          rs = ctx.registry.create(R.replicasets, d.metadata.namespace, {
            metadata: {
              name,
              namespace: d.metadata.namespace,
              labels,
              annotations: {
                'deployment.kubernetes.io/desired-replicas': String(desired),
                'deployment.kubernetes.io/max-replicas': String(surge),
                [REVISION]: String(revision),
              },
              ownerReferences: [ownerRefTo(d)],
            },
            spec: {
              replicas: desired,
              selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector.matchLabels ?? {}), [HASH_LABEL]: hash } },
              template: { ...clone(d.spec.template), metadata: { ...clone(d.spec.template.metadata ?? {}), labels } },
            },
          }) as ReplicaSet;
        } catch (error) {
          // A name too long with the hash, a namespace being deleted: the API server refused the ReplicaSet.
          reportFailure(ctx, d, 'ReplicaSetCreateError', `Failed to create new replica set "${name}"`, error, 'deployment-controller');
          continue;
        }
        current = rs;
        ctx.recordEvent({
          involved: d,
          type: 'Normal',
          reason: 'ScalingReplicaSet',
          message: `Scaled up replica set ${rs.metadata.name} to ${desired}`,
          component: 'deployment-controller',
        });
      } else if ((current.spec.replicas ?? 1) !== desired) {
        const from = current.spec.replicas ?? 1;
        const next = clone(current);
        next.spec.replicas = desired;
        next.metadata.annotations = {
          ...(next.metadata.annotations ?? {}),
          'deployment.kubernetes.io/desired-replicas': String(desired),
          'deployment.kubernetes.io/max-replicas': String(surge),
        };
        current = ctx.store.update(rsKey, next);
        ctx.recordEvent({
          involved: d,
          type: 'Normal',
          reason: 'ScalingReplicaSet',
          message: `Scaled ${desired > from ? 'up' : 'down'} replica set ${current.metadata.name} to ${desired} from ${from}`,
          component: 'deployment-controller',
        });
      }
      for (const old of owned) {
        if (old === current || old.metadata.uid === current.metadata.uid || (old.spec.replicas ?? 0) === 0) continue;
        const from = old.spec.replicas ?? 0;
        const next = clone(old);
        next.spec.replicas = 0;
        ctx.store.update(rsKey, next);
        ctx.recordEvent({
          involved: d,
          type: 'Normal',
          reason: 'ScalingReplicaSet',
          message: `Scaled down replica set ${old.metadata.name} to 0 from ${from}`,
          component: 'deployment-controller',
        });
      }
    }
    const all = [...owned.filter((rs) => rs.metadata.uid !== current?.metadata.uid), ...(current ? [current] : [])].map(
      (rs) => ctx.store.get<ReplicaSet>(rsKey, rs.metadata.namespace, rs.metadata.name) ?? rs,
    );
    const sum = (field: string): number => all.reduce((n, rs) => n + (Number(rs.status?.[field]) || 0), 0);
    const fresh = current ? ctx.store.get<ReplicaSet>(rsKey, current.metadata.namespace, current.metadata.name) : undefined;
    const available = sum('availableReplicas');
    const now = ctx.clock.timestamp();
    const isAvailable = available >= desired - maxUnavailable(d, desired);
    const progressed = fresh && Number(fresh.status?.availableReplicas ?? 0) >= desired && Number(fresh.status?.replicas ?? 0) === desired;
    const previous =
      (d.status?.conditions as Array<{ type: string; status: string; reason?: string; lastUpdateTime?: string }> | undefined) ?? [];
    const keepUpdate = (type: string, status: string, reason: string): string => {
      const old = previous.find((c) => c.type === type);
      return old && old.status === status && old.reason === reason ? (old.lastUpdateTime ?? now) : now;
    };
    let conditions = setCondition(
      previous as never,
      {
        type: 'Available',
        status: isAvailable ? 'True' : 'False',
        lastUpdateTime: keepUpdate(
          'Available',
          isAvailable ? 'True' : 'False',
          isAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        ),
        reason: isAvailable ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
        message: isAvailable ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      },
      now,
    );
    const progressReason = progressed ? 'NewReplicaSetAvailable' : 'ReplicaSetUpdated';
    conditions = setCondition(
      conditions,
      {
        type: 'Progressing',
        status: 'True',
        lastUpdateTime: keepUpdate('Progressing', 'True', progressReason),
        reason: progressReason,
        message: fresh
          ? progressed
            ? `ReplicaSet "${fresh.metadata.name}" has successfully progressed.`
            : `ReplicaSet "${fresh.metadata.name}" is progressing.`
          : 'Deployment is paused',
      },
      now,
    );
    conditions.sort((a, b) => (a.type === 'Available' ? -1 : b.type === 'Available' ? 1 : 0));
    const status = omitEmpty({
      observedGeneration: d.metadata.generation,
      replicas: sum('replicas'),
      updatedReplicas: Number(fresh?.status?.replicas ?? 0),
      readyReplicas: sum('readyReplicas'),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, desired - available),
      conditions,
    });
    const latest = ctx.store.get<Deployment>(storeKey(R.deployments), d.metadata.namespace, d.metadata.name);
    if (latest) {
      if (fresh && latest.metadata.annotations?.[REVISION] !== fresh.metadata.annotations?.[REVISION]) {
        const next = clone(latest);
        next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [REVISION]: fresh.metadata.annotations?.[REVISION] ?? '1' };
        next.status = status;
        ctx.store.update(storeKey(R.deployments), next);
      } else updateStatus(ctx, storeKey(R.deployments), latest, status);
    }
  }
}

/** Which surplus pods go first (controller.ActivePodsWithRanks): unscheduled, then pending, not ready, crowded, newest. */
function deletionOrder(pods: Pod[]): Pod[] {
  const perNode = new Map<string, number>();
  for (const p of pods) if (p.spec.nodeName) perNode.set(p.spec.nodeName, (perNode.get(p.spec.nodeName) ?? 0) + 1);
  const phaseRank = (p: Pod): number => ({ Pending: 0, Unknown: 1, Running: 2 })[p.status?.phase ?? 'Pending'] ?? 0;
  return [...pods].sort(
    (a, b) =>
      Number(Boolean(a.spec.nodeName)) - Number(Boolean(b.spec.nodeName)) ||
      phaseRank(a) - phaseRank(b) ||
      Number(isReady(a)) - Number(isReady(b)) ||
      (perNode.get(b.spec.nodeName ?? '') ?? 0) - (perNode.get(a.spec.nodeName ?? '') ?? 0) ||
      // Newest first; RFC 3339 UTC timestamps of one length sort as text.
      (b.metadata.creationTimestamp > a.metadata.creationTimestamp
        ? 1
        : b.metadata.creationTimestamp < a.metadata.creationTimestamp
          ? -1
          : 0),
  );
}

function podFromTemplate(
  owner: KubeObject,
  template: PodTemplateSpec,
  extra: { labels?: Record<string, string>; tolerations?: Toleration[]; node?: string } = {},
): Record<string, unknown> {
  const spec = clone(template.spec);
  if (extra.tolerations) {
    const list = spec.tolerations ?? [];
    for (const t of extra.tolerations) if (!list.some((x) => x.key === t.key && x.effect === t.effect)) list.push(t);
    spec.tolerations = list;
  }
  if (extra.node) {
    spec.affinity = {
      ...(spec.affinity ?? {}),
      nodeAffinity: {
        ...(spec.affinity?.nodeAffinity ?? {}),
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [extra.node] }] }],
        },
      },
    };
  }
  return {
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: { ...(template.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      ...(template.metadata?.annotations ? { annotations: clone(template.metadata.annotations) } : {}),
      ownerReferences: [ownerRefTo(owner)],
    },
    spec,
  };
}

export function replicaSetController(ctx: ControllerContext): void {
  const owned = podsByOwner(ctx);
  for (const rs of [...ctx.store.values<ReplicaSet>(storeKey(R.replicasets))]) {
    if (rs.metadata.deletionTimestamp) continue;
    const pods = owned.get(rs.metadata.uid) ?? [];
    let active = pods.filter(isActive);
    const desired = rs.spec.replicas ?? 1;
    if (active.length < desired) {
      const { error } = slowStart(Math.min(desired - active.length, REPLICA_SET_BURST), () => {
        const pod = ctx.registry.create(R.pods, rs.metadata.namespace, podFromTemplate(rs, rs.spec.template)) as Pod;
        active.push(pod);
        ctx.recordEvent({
          involved: rs,
          type: 'Normal',
          reason: 'SuccessfulCreate',
          message: `Created pod: ${pod.metadata.name}`,
          component: 'replicaset-controller',
        });
      });
      if (error !== undefined) reportFailure(ctx, rs, 'FailedCreate', 'Error creating', error, 'replicaset-controller');
      else if (active.length < desired) ctx.more();
    } else if (active.length > desired) {
      const victims = deletionOrder(active).slice(0, Math.min(active.length - desired, REPLICA_SET_BURST));
      if (active.length - victims.length > desired) ctx.more();
      for (const pod of victims) {
        ctx.registry.delete(R.pods, pod.metadata.namespace, pod.metadata.name);
        ctx.recordEvent({
          involved: rs,
          type: 'Normal',
          reason: 'SuccessfulDelete',
          message: `Deleted pod: ${pod.metadata.name}`,
          component: 'replicaset-controller',
        });
      }
      const gone = new Set(victims.map((p) => p.metadata.uid));
      active = active.filter((p) => !gone.has(p.metadata.uid));
    }
    const current = active.map((p) => ctx.store.get<Pod>(storeKey(R.pods), p.metadata.namespace, p.metadata.name) ?? p);
    const matches = labelSelectorMatcher(rs.spec.selector);
    const ready = current.filter(isReady).length;
    const status = {
      replicas: current.length,
      ...omitEmpty({
        fullyLabeledReplicas: current.filter((p) => matches(p.metadata.labels)).length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: rs.metadata.generation,
      }),
    };
    const latest = ctx.store.get<ReplicaSet>(storeKey(R.replicasets), rs.metadata.namespace, rs.metadata.name);
    if (latest) updateStatus(ctx, storeKey(R.replicasets), latest, status);
  }
}

/** The tolerations every DaemonSet pod gets, so daemons run on cordoned and pressured nodes. */
const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function daemonShouldRun(ds: DaemonSet, node: Node): boolean {
  const probe = {
    spec: { ...ds.spec.template.spec, tolerations: [...(ds.spec.template.spec.tolerations ?? []), ...DAEMON_TOLERATIONS] },
  } as Pod;
  return matchesNodeAffinity(probe.spec, node.metadata) && untoleratedTaint(probe.spec.tolerations, node.spec?.taints) === undefined;
}

function pinnedNode(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) for (const f of term.matchFields ?? []) if (f.key === 'metadata.name') return f.values?.[0];
  return undefined;
}

export function daemonSetController(ctx: ControllerContext): void {
  const owned = podsByOwner(ctx);
  const nodes = [...ctx.store.values<Node>(storeKey(R.nodes))];
  for (const ds of [...ctx.store.values<DaemonSet>(storeKey(R.daemonsets))]) {
    if (ds.metadata.deletionTimestamp) continue;
    const byNode = new Map<string, Pod[]>();
    for (const pod of (owned.get(ds.metadata.uid) ?? []).filter(isActive)) {
      const node = pinnedNode(pod) ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const hash = templateHash(ds.spec.template).slice(0, 10);
    let desired = 0;
    const missing: Node[] = [];
    const surplus: Pod[] = [];
    for (const node of nodes) {
      const pods = byNode.get(node.metadata.name) ?? [];
      if (daemonShouldRun(ds, node)) {
        desired++;
        if (pods.length === 0) missing.push(node);
        else surplus.push(...pods.slice(1));
      } else surplus.push(...pods);
    }
    const { error } = slowStart(Math.min(missing.length, DAEMON_SET_BURST), () => {
      const node = missing.shift() as Node;
      ctx.registry.create(
        R.pods,
        ds.metadata.namespace,
        podFromTemplate(ds, ds.spec.template, {
          labels: { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
          tolerations: DAEMON_TOLERATIONS,
          node: node.metadata.name,
        }),
      );
    });
    if (error !== undefined) reportFailure(ctx, ds, 'FailedCreate', 'Error creating', error, 'daemonset-controller');
    else if (missing.length > 0) ctx.more();
    for (const pod of surplus.slice(0, DAEMON_SET_BURST)) ctx.registry.delete(R.pods, pod.metadata.namespace, pod.metadata.name);
    if (surplus.length > DAEMON_SET_BURST) ctx.more();
    const current = (ctx.store.list<Pod>(storeKey(R.pods), ds.metadata.namespace) ?? []).filter(
      (p) => controllerRef(p)?.uid === ds.metadata.uid && isActive(p),
    );
    const scheduled = current.filter((p) => p.spec.nodeName);
    const ready = scheduled.filter(isReady).length;
    const status = {
      currentNumberScheduled: scheduled.length,
      numberMisscheduled: 0,
      desiredNumberScheduled: desired,
      numberReady: ready,
      ...omitEmpty({
        observedGeneration: ds.metadata.generation,
        updatedNumberScheduled: scheduled.length,
        numberAvailable: ready,
        numberUnavailable: Math.max(0, desired - ready),
      }),
    };
    const latest = ctx.store.get<DaemonSet>(storeKey(R.daemonsets), ds.metadata.namespace, ds.metadata.name);
    if (latest) updateStatus(ctx, storeKey(R.daemonsets), latest, status);
  }
}
