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
 * Each controller syncs only what changed or what a change concerns (a Deployment whose
 * ReplicaSet changed, a ReplicaSet whose pod did, a DaemonSet on the node that came, changed or
 * went), and keeps counts of the pods it owns as they change, so a sync of a workload of thousands
 * of pods reads its pods only to choose which to delete.
 *
 * Simplified: a template change moves all replicas to the new ReplicaSet at once (no surge or
 * unavailability budget), and minReadySeconds is treated as 0.
 */
import { matchesNodeAffinity } from '../../../kube/node-affinity.js';
import { untoleratedTaint } from '../../../kube/taints.js';
import { admitPod, defaultPodSpec } from '../defaults.js';
import { OWNER } from '../indexes.js';
import { R, storeKey } from '../resources.js';
import { type LabelMatcher, labelSelectorMatcher } from '../selectors.js';
import { objectKey, type Store, type StoreEvent } from '../store.js';
import {
  clone,
  type DaemonSet,
  type Deployment,
  type KubeObject,
  type Node,
  type OwnerReference,
  type Pod,
  type PodSpec,
  type PodTemplateSpec,
  type ReplicaSet,
  type Toleration,
} from '../types.js';
import type { Controller, ControllerContext } from './context.js';
import { canonicalJson, controllerRef, drain, isActive, isReady, omitEmpty, ownerRefTo, setCondition, templateHash } from './util.js';

/** The ReplicaSet controller's burstReplicas: the most pods one sync creates or deletes. */
const REPLICA_SET_BURST = 500;
/** The DaemonSet controller's burstReplicas. */
const DAEMON_SET_BURST = 250;

const PODS = storeKey(R.pods);
const NODES = storeKey(R.nodes);
const REPLICASETS = storeKey(R.replicasets);
const DEPLOYMENTS = storeKey(R.deployments);
const DAEMONSETS = storeKey(R.daemonsets);

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

/** The objects of `resource` that `owner` controls (the owner index, then their controller reference). */
function ownedBy<T extends KubeObject>(ctx: ControllerContext, resource: string, owner: KubeObject): T[] {
  const uid = owner.metadata.uid;
  const owned = ctx.store.indexed<T>(resource, OWNER, uid).filter((o) => controllerRef(o)?.uid === uid);
  ctx.visit(owned.length);
  return owned;
}

function updateStatus<T extends KubeObject>(ctx: ControllerContext, key: string, object: T, status: Record<string, unknown>): void {
  if (canonicalJson(status) === canonicalJson((object as KubeObject).status ?? {})) return;
  // A copy of the top only: stored objects are never changed in place, so the rest can be shared.
  ctx.store.update(key, { ...object, status });
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

/** One sync of a Deployment; false when its new ReplicaSet could not be created (retried when anything changes). */
function syncDeployment(ctx: ControllerContext, d: Deployment): boolean {
  const rsKey = storeKey(R.replicasets);
  const owned = ownedBy<ReplicaSet>(ctx, rsKey, d);
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
        return false;
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
  return true;
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

/** What every pod of one version of an owner holds alike. */
interface PodParts {
  spec: PodSpec;
  labels: Record<string, string>;
  annotations: Record<string, string> | undefined;
  ownerReferences: OwnerReference[];
}

/**
 * The parts its pods share, per stored template (an owner's status writes keep its spec; a change
 * of the spec stores a new one, so parts never go stale). Stored objects are never changed in
 * place, so pods can share them: a ReplicaSet's thousand pods hold one spec, not a thousand
 * copies, and what is derived from it (requests, the scheduler's key, validation) is computed once.
 */
const podParts = new WeakMap<PodTemplateSpec, PodParts>();

/**
 * A pod for `owner` from its template, created `built`: nothing in it is the owner's own. A
 * ReplicaSet's pods share one spec, defaulted and admitted here as the API server would each pod's
 * (so it writes nothing to it); a DaemonSet's pods are pinned to their node, so each gets a spec of
 * its own, sharing the rest (containers, tolerations).
 */
function podFromTemplate(
  owner: KubeObject,
  template: PodTemplateSpec,
  extra: { labels?: Record<string, string>; tolerations?: Toleration[]; node?: string } = {},
): Record<string, unknown> {
  let parts = podParts.get(template);
  if (!parts) {
    const spec = clone(template.spec);
    if (extra.tolerations) {
      const list = spec.tolerations ?? [];
      for (const t of extra.tolerations) if (!list.some((x) => x.key === t.key && x.effect === t.effect)) list.push(t);
      spec.tolerations = list;
    }
    if (!extra.node) {
      defaultPodSpec(spec);
      admitPod({ spec } as Pod);
    }
    parts = {
      spec,
      labels: { ...(template.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      annotations: template.metadata?.annotations ? clone(template.metadata.annotations) : undefined,
      ownerReferences: [ownerRefTo(owner)],
    };
    podParts.set(template, parts);
  }
  let spec = parts.spec;
  if (extra.node) {
    spec = {
      ...spec,
      affinity: {
        ...(spec.affinity ?? {}),
        nodeAffinity: {
          ...(spec.affinity?.nodeAffinity ?? {}),
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [extra.node] }] }],
          },
        },
      },
    };
  }
  return {
    metadata: {
      generateName: `${owner.metadata.name}-`,
      namespace: owner.metadata.namespace,
      labels: parts.labels,
      ...(parts.annotations ? { annotations: parts.annotations } : {}),
      ownerReferences: parts.ownerReferences,
    },
    spec,
  };
}

/** A ReplicaSet's active pods, and of those the Ready ones and the ones its selector matches. */
interface Tally {
  active: number;
  ready: number;
  labeled: number;
}

/**
 * Each ReplicaSet's (by uid) tally, kept as its pods change: a sync that creates pods, or none,
 * reads these numbers instead of its pods (thousands, for a big workload); only deleting pods reads
 * them, to choose which. A ReplicaSet whose selector changed is counted again at its next sync.
 */
class ReplicaSetTallies {
  private readonly tallies = new Map<string, Tally>();
  private readonly stale = new Set<string>();

  /** @param store the store `observe` reads a pod's ReplicaSet from (for its selector). */
  constructor(private readonly store: Store) {}

  observe(event: StoreEvent): void {
    if (event.resource === REPLICASETS) {
      const uid = event.object.metadata.uid;
      if (event.type === 'DELETED') {
        this.tallies.delete(uid);
        this.stale.delete(uid);
      } else if (event.type === 'ADDED' || !sameSelector(event.previous as ReplicaSet, event.object as ReplicaSet)) this.stale.add(uid);
      return;
    }
    if (event.resource !== PODS) return;
    if (event.previous) this.count(event.previous as Pod, -1);
    if (event.type !== 'DELETED') this.count(event.object as Pod, 1);
  }

  /** A ReplicaSet's tally, counted from its pods when it is new, its selector changed, or after a resync. */
  of(ctx: ControllerContext, rs: ReplicaSet): Tally {
    const uid = rs.metadata.uid;
    let tally = this.tallies.get(uid);
    if (!tally || this.stale.has(uid)) {
      const matches = labelSelectorMatcher(rs.spec.selector);
      tally = { active: 0, ready: 0, labeled: 0 };
      for (const pod of ownedBy<Pod>(ctx, PODS, rs)) {
        if (!isActive(pod)) continue;
        tally.active++;
        if (isReady(pod)) tally.ready++;
        if (matches(pod.metadata.labels)) tally.labeled++;
      }
      this.tallies.set(uid, tally);
      this.stale.delete(uid);
    }
    return tally;
  }

  resync(): void {
    for (const uid of this.tallies.keys()) this.stale.add(uid);
  }

  private count(pod: Pod, sign: number): void {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'ReplicaSet' || !isActive(pod)) return;
    const tally = this.tallies.get(ref.uid);
    // Not counted yet (or being counted again): its first sync counts it from its pods.
    if (!tally || this.stale.has(ref.uid)) return;
    const rs = this.store.byUid(ref.uid)?.object as ReplicaSet | undefined;
    if (!rs) return;
    tally.active += sign;
    if (isReady(pod)) tally.ready += sign;
    if (matcherOf(rs)(pod.metadata.labels)) tally.labeled += sign;
  }
}

function sameSelector(a: ReplicaSet, b: ReplicaSet): boolean {
  return a.spec.selector === b.spec.selector || canonicalJson(a.spec.selector) === canonicalJson(b.spec.selector);
}

/** A ReplicaSet's selector as a matcher, per stored ReplicaSet. */
const matchers = new WeakMap<ReplicaSet, LabelMatcher>();

function matcherOf(rs: ReplicaSet): LabelMatcher {
  let matcher = matchers.get(rs);
  if (!matcher) {
    matcher = labelSelectorMatcher(rs.spec.selector);
    matchers.set(rs, matcher);
  }
  return matcher;
}

/** One sync of a ReplicaSet; `failed` when a create was refused (retried when anything changes), `more` when it stopped at its burst. */
function syncReplicaSet(ctx: ControllerContext, rs: ReplicaSet, tallies: ReplicaSetTallies): { failed: boolean; more: boolean } {
  const tally = tallies.of(ctx, rs);
  const desired = rs.spec.replicas ?? 1;
  let failed = false;
  let more = false;
  if (tally.active < desired) {
    // Each create is counted in the tally (through the store's event) as it happens.
    const { error } = slowStart(Math.min(desired - tally.active, REPLICA_SET_BURST), () => {
      const pod = ctx.registry.create(R.pods, rs.metadata.namespace, podFromTemplate(rs, rs.spec.template), { built: true }) as Pod;
      ctx.recordEvent({
        involved: rs,
        type: 'Normal',
        reason: 'SuccessfulCreate',
        message: `Created pod: ${pod.metadata.name}`,
        component: 'replicaset-controller',
      });
    });
    if (error !== undefined) {
      reportFailure(ctx, rs, 'FailedCreate', 'Error creating', error, 'replicaset-controller');
      failed = true;
    } else more = tally.active < desired;
  } else if (tally.active > desired) {
    const active = ownedBy<Pod>(ctx, PODS, rs).filter(isActive);
    const victims = deletionOrder(active).slice(0, Math.min(active.length - desired, REPLICA_SET_BURST));
    more = active.length - victims.length > desired;
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
  }
  const status = {
    replicas: tally.active,
    ...omitEmpty({
      fullyLabeledReplicas: tally.labeled,
      readyReplicas: tally.ready,
      availableReplicas: tally.ready,
      observedGeneration: rs.metadata.generation,
    }),
  };
  const latest = ctx.store.get<ReplicaSet>(storeKey(R.replicasets), rs.metadata.namespace, rs.metadata.name);
  if (latest) updateStatus(ctx, storeKey(R.replicasets), latest, status);
  return { failed, more };
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

/** What the DaemonSet's pods look like to the filters: its template with the tolerations every daemon gets (per stored DaemonSet). */
const probes = new WeakMap<DaemonSet, Pod['spec']>();

function daemonShouldRun(ds: DaemonSet, node: Node): boolean {
  let spec = probes.get(ds);
  if (!spec) {
    spec = { ...ds.spec.template.spec, tolerations: [...(ds.spec.template.spec.tolerations ?? []), ...DAEMON_TOLERATIONS] };
    probes.set(ds, spec);
  }
  return matchesNodeAffinity(spec, node.metadata) && untoleratedTaint(spec.tolerations, node.spec?.taints) === undefined;
}

function pinnedNode(pod: Pod): string | undefined {
  if (pod.spec.nodeName) return pod.spec.nodeName;
  const terms = pod.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) for (const f of term.matchFields ?? []) if (f.key === 'metadata.name') return f.values?.[0];
  return undefined;
}

/**
 * The DaemonSet controller syncs a DaemonSet on the nodes that changed (one that came, changed or
 * went, or whose daemon pod did), or on every node when the DaemonSet itself changed. It keeps each
 * DaemonSet's active pods by the node they are pinned to, and the nodes it runs on, so a sync of one
 * node reads that node's pods, not the DaemonSet's thousands.
 */
export class DaemonSetController implements Controller {
  /** Active pods (keys) of each DaemonSet (by uid), by the node they are pinned to. */
  private readonly placed = new Map<string, Map<string, Set<string>>>();
  /** The nodes each DaemonSet (by uid) should run on, as far as its syncs found. */
  private readonly runsOn = new Map<string, Set<string>>();
  /** DaemonSets (by key) to sync, each with the nodes to look at, or 'all'. */
  private readonly dirty = new Map<string, Set<string> | 'all'>();
  /** DaemonSets whose last create was refused: retried (on every node) when anything changes. */
  private readonly failed = new Set<string>();
  private changed = false;
  /**
   * Each DaemonSet's (by uid) active pods that are scheduled, and of those the Ready ones, kept as
   * its pods change: its status without counting its thousands of pods (one per node) at each sync.
   */
  private readonly tallies = new Map<string, { scheduled: number; ready: number }>();

  /** @param store the store `observe` reads the DaemonSets from when a node changes. */
  constructor(private readonly store: Store) {}

  observe(event: StoreEvent): void {
    this.changed = true;
    const { resource, object } = event;
    if (resource === DAEMONSETS) {
      if (event.type === 'DELETED') this.runsOn.delete(object.metadata.uid);
      this.dirty.set(event.key, 'all');
    } else if (resource === NODES) {
      for (const ds of this.store.values(DAEMONSETS)) this.mark(objectKey(ds.metadata.namespace, ds.metadata.name), object.metadata.name);
    } else if (resource === PODS) {
      const key = event.key;
      const before = event.previous as Pod | undefined;
      if (before) this.track(before, key, false);
      if (event.type !== 'DELETED') this.track(object as Pod, key, true);
    }
  }

  resync(store: Store): void {
    // Counted again from the pods: a status the kept counts got wrong is rewritten, which tests notice.
    this.placed.clear();
    this.tallies.clear();
    for (const [key, pod] of store.entries<Pod>(PODS)) this.track(pod, key, true);
    for (const ds of store.values(DAEMONSETS)) this.dirty.set(objectKey(ds.metadata.namespace, ds.metadata.name), 'all');
  }

  run(ctx: ControllerContext): void {
    if (this.changed) {
      for (const key of this.failed) this.dirty.set(key, 'all');
      this.failed.clear();
      this.changed = false;
    }
    const work = [...this.dirty];
    this.dirty.clear();
    for (const [key, scope] of work) {
      const ds = ctx.store.getByKey<DaemonSet>(DAEMONSETS, key);
      if (!ds || ds.metadata.deletionTimestamp) continue;
      const { failed, left } = this.sync(ctx, ds, scope);
      if (failed) this.failed.add(key);
      if (left.length > 0) {
        for (const node of left) this.mark(key, node);
        ctx.more();
      }
    }
  }

  private mark(key: string, node: string): void {
    const scope = this.dirty.get(key);
    if (scope === 'all') return;
    if (scope) scope.add(node);
    else this.dirty.set(key, new Set([node]));
  }

  /** Notes a daemon pod as it was (`add` false: it leaves its node's set) or is (`add`: it joins it, when active). */
  private track(pod: Pod, key: string, add: boolean): void {
    const ref = controllerRef(pod);
    if (ref?.kind !== 'DaemonSet') return;
    const node = pinnedNode(pod) ?? '';
    this.mark(objectKey(pod.metadata.namespace, ref.name), node);
    let byNode = this.placed.get(ref.uid);
    if (!isActive(pod)) return;
    this.tally(ref.uid, pod, add ? 1 : -1);
    if (!add) {
      byNode?.get(node)?.delete(key);
      if (byNode?.get(node)?.size === 0) byNode.delete(node);
      if (byNode?.size === 0) this.placed.delete(ref.uid);
      return;
    }
    if (!byNode) {
      byNode = new Map();
      this.placed.set(ref.uid, byNode);
    }
    const keys = byNode.get(node) ?? new Set<string>();
    keys.add(key);
    byNode.set(node, keys);
  }

  /** Counts an active pod in (1) or out (-1) of its DaemonSet's tally. */
  private tally(uid: string, pod: Pod, sign: number): void {
    const tally = this.tallies.get(uid) ?? { scheduled: 0, ready: 0 };
    if (pod.spec.nodeName) {
      tally.scheduled += sign;
      if (isReady(pod)) tally.ready += sign;
    }
    if (tally.scheduled === 0 && tally.ready === 0) this.tallies.delete(uid);
    else this.tallies.set(uid, tally);
  }

  /** One sync on some nodes (or all); what was refused, and the nodes left for the next sync (past the burst). */
  private sync(ctx: ControllerContext, ds: DaemonSet, scope: Set<string> | 'all'): { failed: boolean; left: string[] } {
    const uid = ds.metadata.uid;
    let runs = this.runsOn.get(uid);
    if (!runs || scope === 'all') {
      runs = new Set();
      this.runsOn.set(uid, runs);
    }
    const nodes: Node[] = [];
    if (scope === 'all') nodes.push(...ctx.store.values<Node>(NODES));
    else {
      for (const name of scope) {
        const node = ctx.store.get<Node>(NODES, undefined, name);
        if (node) nodes.push(node);
        else runs.delete(name);
      }
    }
    ctx.visit(nodes.length);
    const pinned = this.placed.get(uid);
    const missing: Node[] = [];
    const surplus: Pod[] = [];
    for (const node of nodes) {
      const name = node.metadata.name;
      const pods = [...(pinned?.get(name) ?? [])].map((key) => ctx.store.getByKey<Pod>(PODS, key) as Pod);
      if (daemonShouldRun(ds, node)) {
        runs.add(name);
        if (pods.length === 0) missing.push(node);
        else surplus.push(...pods.slice(1));
      } else {
        runs.delete(name);
        surplus.push(...pods);
      }
    }
    const hash = templateHash(ds.spec.template).slice(0, 10);
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
        { built: true },
      );
    });
    if (error !== undefined) reportFailure(ctx, ds, 'FailedCreate', 'Error creating', error, 'daemonset-controller');
    for (const pod of surplus.slice(0, DAEMON_SET_BURST)) ctx.registry.delete(R.pods, pod.metadata.namespace, pod.metadata.name);
    const left = error !== undefined ? [] : missing.map((n) => n.metadata.name);
    for (const pod of surplus.slice(DAEMON_SET_BURST)) left.push(pinnedNode(pod) ?? '');
    const { scheduled, ready } = this.tallies.get(uid) ?? { scheduled: 0, ready: 0 };
    const desired = runs.size;
    const status = {
      currentNumberScheduled: scheduled,
      numberMisscheduled: 0,
      desiredNumberScheduled: desired,
      numberReady: ready,
      ...omitEmpty({
        observedGeneration: ds.metadata.generation,
        updatedNumberScheduled: scheduled,
        numberAvailable: ready,
        numberUnavailable: Math.max(0, desired - ready),
      }),
    };
    const latest = ctx.store.get<DaemonSet>(DAEMONSETS, ds.metadata.namespace, ds.metadata.name);
    if (latest) updateStatus(ctx, DAEMONSETS, latest, status);
    return { failed: error !== undefined, left };
  }
}

/**
 * The Deployment and ReplicaSet controllers: an object is synced when it changed or one of the
 * objects it controls did (a ReplicaSet of a Deployment, a pod of a ReplicaSet), and reads only
 * those (the owner index). One whose create was refused is retried whenever anything changes.
 */
class OwnerController implements Controller {
  /** Objects to sync, by uid: a changed pod names its ReplicaSet by uid, so nothing is built per event. */
  private readonly dirty = new Set<string>();
  private readonly failed = new Set<string>();
  private changed = false;

  /** @param counts what the sync keeps counted of the owned objects (fed every change, counted again on a resync). */
  constructor(
    private readonly resource: string,
    private readonly ownedResource: string,
    private readonly kind: string,
    private readonly sync: (ctx: ControllerContext, object: KubeObject) => { failed: boolean; more: boolean },
    private readonly counts?: { observe(event: StoreEvent): void; resync(): void },
  ) {}

  observe(event: StoreEvent): void {
    this.changed = true;
    this.counts?.observe(event);
    if (event.resource === this.resource) {
      this.dirty.add(event.object.metadata.uid);
    } else if (event.resource === this.ownedResource) {
      this.note(event.object);
      if (event.previous && event.previous.metadata.ownerReferences !== event.object.metadata.ownerReferences) this.note(event.previous);
    }
  }

  private note(object: KubeObject): void {
    const ref = controllerRef(object);
    if (ref?.kind === this.kind) this.dirty.add(ref.uid);
  }

  resync(store: Store): void {
    this.counts?.resync();
    for (const object of store.values(this.resource)) this.dirty.add(object.metadata.uid);
  }

  run(ctx: ControllerContext): void {
    if (this.changed) {
      for (const uid of this.failed) this.dirty.add(uid);
      this.failed.clear();
      this.changed = false;
    }
    for (const uid of drain(this.dirty)) {
      const found = ctx.store.byUid(uid);
      if (found?.resource !== this.resource || found.object.metadata.deletionTimestamp) continue;
      const { failed, more } = this.sync(ctx, found.object);
      if (failed) this.failed.add(uid);
      if (more) {
        this.dirty.add(uid);
        ctx.more();
      }
    }
  }
}

export function deploymentController(): Controller {
  return new OwnerController(DEPLOYMENTS, REPLICASETS, 'Deployment', (ctx, d) => ({
    failed: !syncDeployment(ctx, d as Deployment),
    more: false,
  }));
}

export function replicaSetController(store: Store): Controller {
  const tallies = new ReplicaSetTallies(store);
  return new OwnerController(REPLICASETS, PODS, 'ReplicaSet', (ctx, rs) => syncReplicaSet(ctx, rs as ReplicaSet, tallies), tallies);
}
