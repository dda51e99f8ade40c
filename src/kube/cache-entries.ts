/**
 * What the informers keep of each node, pod and PodDisruptionBudget: the few fields a decision
 * reads, taken from the object as it enters the cache, so that the caches of a 150,000-pod cluster
 * hold small views rather than full `V1Pod` objects. Equal parts (labels, tolerations, selectors,
 * requests) are shared between pods (./intern.ts).
 *
 * Objects arrive in two shapes: from a list, deserialized by client-node's generated API (timestamps
 * are `Date`s), and from a watch, as parsed JSON (timestamps are strings). Both are read here.
 */
import type { KubernetesObject, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { BudgetView, Capacity, NodeView, OwnerKind, PodView } from '../policy/snapshot.js';
import { Interner } from './intern.js';
import { type LabelMatcher, type Labels, labelSelectorMatcher } from './label-selector.js';
import type { NodeSelectorRequirement, NodeSelectorTerm } from './node-affinity.js';
import { podRequests } from './pod-requests.js';
import { cpuMillis, memoryBytes } from './quantity.js';
import type { Taint, Toleration } from './taints.js';

/** An informer cache entry: the identity the informer keys and versions it by, and the view. */
export interface CacheEntry<V> extends KubernetesObject {
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  view: V;
}

/** A node as cached: everything of its NodeView except what the worker rule decides at build time. */
export type NodeFacts = Omit<NodeView, 'worker' | 'index'>;

/** A pod as cached: its PodView without the budgets, plus what finds them (namespace and labels). */
export type PodFacts = Omit<PodView, 'budgets'> & { namespace: string; labels: Labels };

/**
 * A budget as cached: its view, its selector compiled once, and one `matchLabels` pair of it (any
 * pod it selects carries that label), so pods are matched only against budgets that can select them.
 */
export type BudgetFacts = BudgetView & { namespace: string; selects: LabelMatcher; anchor: readonly [string, string] | undefined };

export const ANNOTATIONS = {
  scaleDownDisabled: 'cluster-autoscaler.kubernetes.io/scale-down-disabled',
  safeToEvict: 'cluster-autoscaler.kubernetes.io/safe-to-evict',
  doNotDisrupt: 'karpenter.sh/do-not-disrupt',
  mirror: 'kubernetes.io/config.mirror',
} as const;

const OWNER_KINDS: ReadonlySet<string> = new Set<OwnerKind>([
  'DaemonSet',
  'ReplicaSet',
  'StatefulSet',
  'Job',
  'ReplicationController',
  'Node',
]);
const PHASES: ReadonlySet<string> = new Set<PodView['phase']>(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']);

const labelSets = new Interner<Labels>();
const tolerationLists = new Interner<Toleration[]>();
const taintLists = new Interner<Taint[]>();
const affinityTerms = new Interner<NodeSelectorTerm[]>();
const capacities = new Interner<Capacity>();
const EMPTY_LABELS: Labels = Object.freeze({});
const NO_TOLERATIONS: readonly Toleration[] = Object.freeze([]);

/** A timestamp as milliseconds: a `Date` from a list, an RFC 3339 string from a watch. */
function millis(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return undefined;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** Only own string members, so a label map never brings anything else along. */
function stringMap(value: unknown): Record<string, string> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const map: Record<string, string> = {};
  let any = false;
  for (const [key, member] of Object.entries(value)) {
    if (typeof member === 'string') {
      map[key] = member;
      any = true;
    }
  }
  return any ? map : undefined;
}

function identity(object: KubernetesObject): CacheEntry<never>['metadata'] {
  const metadata = object.metadata ?? {};
  return {
    name: metadata.name ?? '',
    ...(metadata.namespace !== undefined ? { namespace: metadata.namespace } : {}),
    ...(metadata.resourceVersion !== undefined ? { resourceVersion: metadata.resourceVersion } : {}),
  };
}

function capacity(values: Readonly<Record<string, string | number>> | undefined): Capacity {
  return capacities.intern({
    cpu: cpuMillis(values?.cpu ?? 0) ?? 0,
    memory: memoryBytes(values?.memory ?? 0) ?? 0,
    pods: memoryBytes(values?.pods ?? 0) ?? 0,
  });
}

export function nodeEntry(node: V1Node): CacheEntry<NodeFacts> {
  const metadata = node.metadata ?? {};
  const annotations = metadata.annotations ?? {};
  const taints = (node.spec?.taints ?? []).map(
    (t): Taint => ({ key: t.key, effect: t.effect, ...(t.value !== undefined ? { value: t.value } : {}) }),
  );
  return {
    metadata: identity(node),
    view: {
      name: metadata.name ?? '',
      ready: (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'),
      unschedulable: node.spec?.unschedulable === true,
      taints: taintLists.intern(taints),
      labels: stringMap(metadata.labels) ?? EMPTY_LABELS,
      allocatable: capacity(node.status?.allocatable),
      scaleDownDisabled: annotations[ANNOTATIONS.scaleDownDisabled] === 'true',
      createdAt: millis(metadata.creationTimestamp) ?? 0,
    },
  };
}

/** The kind of the pod's controller (the owner reference with `controller: true`). */
function ownerKindOf(pod: V1Pod, mirror: boolean): OwnerKind {
  const controller = (pod.metadata?.ownerReferences ?? []).find((ref) => ref.controller === true);
  if (controller) return OWNER_KINDS.has(controller.kind) ? (controller.kind as OwnerKind) : 'other';
  // Mirror pods are the kubelet's; clusters before 1.24 did not give them a Node owner reference.
  return mirror ? 'Node' : 'none';
}

function tolerationsOf(pod: V1Pod): readonly Toleration[] {
  const list = pod.spec?.tolerations ?? [];
  if (list.length === 0) return NO_TOLERATIONS;
  // tolerationSeconds only says how long a pod stays on a node that turns bad; placement ignores it.
  return tolerationLists.intern(
    list.map((t) => {
      const toleration: Toleration = {};
      if (t.key !== undefined) toleration.key = t.key;
      if (t.operator !== undefined) toleration.operator = t.operator;
      if (t.value !== undefined) toleration.value = t.value;
      if (t.effect !== undefined) toleration.effect = t.effect;
      return toleration;
    }),
  );
}

function requiredAffinityOf(pod: V1Pod): readonly NodeSelectorTerm[] | undefined {
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return undefined;
  const requirement = (r: NodeSelectorRequirement): NodeSelectorRequirement => ({
    key: r.key,
    operator: r.operator,
    ...(r.values !== undefined ? { values: [...r.values] } : {}),
  });
  return affinityTerms.intern(
    (required.nodeSelectorTerms ?? []).map((term) => ({
      ...(term.matchExpressions ? { matchExpressions: term.matchExpressions.map(requirement) } : {}),
      ...(term.matchFields ? { matchFields: term.matchFields.map(requirement) } : {}),
    })),
  );
}

function podLabels(labels: unknown): Labels {
  const map = stringMap(labels);
  return map ? labelSets.intern(map) : EMPTY_LABELS;
}

export function podEntry(pod: V1Pod): CacheEntry<PodFacts> {
  const metadata = pod.metadata ?? {};
  const annotations = metadata.annotations ?? {};
  const namespace = metadata.namespace ?? '';
  const mirror = Object.hasOwn(annotations, ANNOTATIONS.mirror);
  const scheduled = (pod.status?.conditions ?? []).find((c) => c.type === 'PodScheduled');
  const unschedulable = scheduled?.status === 'False' && scheduled.reason === 'Unschedulable';
  const phase = pod.status?.phase;
  const safeToEvict = annotations[ANNOTATIONS.safeToEvict];
  const nodeSelector = stringMap(pod.spec?.nodeSelector);
  const requests = podRequests(pod.spec ?? {});
  return {
    metadata: identity(pod),
    view: {
      key: `${namespace}/${metadata.name ?? ''}`,
      namespace,
      labels: podLabels(metadata.labels),
      nodeName: pod.spec?.nodeName || undefined,
      // The API server defaults a missing phase to Pending.
      phase: phase === undefined ? 'Pending' : PHASES.has(phase) ? (phase as PodView['phase']) : 'Unknown',
      requests: capacities.intern({ cpu: requests.cpu, memory: requests.memory, pods: 1 }),
      ownerKind: ownerKindOf(pod, mirror),
      unschedulable,
      unschedulableSince: unschedulable ? millis(scheduled?.lastTransitionTime) : undefined,
      nodeSelector: nodeSelector ? labelSets.intern(nodeSelector) : undefined,
      requiredNodeAffinity: requiredAffinityOf(pod),
      tolerations: tolerationsOf(pod),
      safeToEvict: safeToEvict === 'true' ? true : safeToEvict === 'false' ? false : undefined,
      doNotDisrupt: annotations[ANNOTATIONS.doNotDisrupt] === 'true',
      mirror,
    },
  };
}

/**
 * A budget whose selector cannot be read (the API server validates selectors, so only a broken
 * object) is taken to cover every pod of its namespace: guessing that it covers none could let a
 * scale-down evict pods it protects.
 */
function budgetMatcher(budget: V1PodDisruptionBudget): LabelMatcher {
  try {
    return labelSelectorMatcher(budget.spec?.selector);
  } catch {
    return () => true;
  }
}

export function budgetEntry(budget: V1PodDisruptionBudget): CacheEntry<BudgetFacts> {
  const metadata = budget.metadata ?? {};
  const namespace = metadata.namespace ?? '';
  return {
    metadata: identity(budget),
    view: {
      key: `${namespace}/${metadata.name ?? ''}`,
      namespace,
      // Until the disruption controller has written a status, nothing may be disrupted.
      disruptionsAllowed: budget.status?.disruptionsAllowed ?? 0,
      selects: budgetMatcher(budget),
      anchor: Object.entries(budget.spec?.selector?.matchLabels ?? {})[0],
    },
  };
}
