/**
 * What a drain does with each pod of a node, by the rules of `kubectl drain
 * --ignore-daemonsets --delete-emptydir-data` (k8s.io/kubectl/pkg/drain/filters.go), and what a
 * refused eviction says about the PodDisruptionBudget behind it. Pure: the drain (./drain.ts) reads
 * the pods, this module only looks at them.
 */
import type { V1OwnerReference, V1Pod } from '@kubernetes/client-node';

/** The annotation the kubelet puts on the API server's copy of a static pod. */
export const MIRROR_ANNOTATION = 'kubernetes.io/config.mirror';

/** A pod as reports and outputs name it: `namespace/name`. */
export type PodName = string;

/**
 * - `skip`: the pod stays and goes with its node. A DaemonSet pod would only be recreated on the
 *   same node (DaemonSets tolerate the unschedulable taint), and a mirror pod cannot be evicted:
 *   the kubelet owns it.
 * - `evict`: a controller (or nothing, for a finished pod) recreates it elsewhere, so it is evicted.
 * - `unreplicated`: nothing would recreate it, so evicting it loses it for good: only with `force`.
 */
export type PodDisposition =
  | { action: 'skip'; reason: 'DaemonSet' | 'mirror' }
  | { action: 'evict'; emptyDir: boolean }
  | { action: 'unreplicated'; emptyDir: boolean };

export function podName(pod: V1Pod): PodName {
  return `${pod.metadata?.namespace ?? 'default'}/${pod.metadata?.name ?? ''}`;
}

function controllerOf(pod: V1Pod): V1OwnerReference | undefined {
  return pod.metadata?.ownerReferences?.find((owner) => owner.controller === true);
}

/** Whether the pod has an emptyDir volume: its data is lost with the pod (allowed, and said in the report). */
function hasEmptyDir(pod: V1Pod): boolean {
  return (pod.spec?.volumes ?? []).some((volume) => volume.emptyDir !== undefined && volume.emptyDir !== null);
}

/** What the drain does with one pod; the order of the checks is kubectl's. */
export function podDisposition(pod: V1Pod): PodDisposition {
  if (pod.metadata?.annotations?.[MIRROR_ANNOTATION] !== undefined) return { action: 'skip', reason: 'mirror' };
  const controller = controllerOf(pod);
  if (controller?.kind === 'DaemonSet') return { action: 'skip', reason: 'DaemonSet' };
  const emptyDir = hasEmptyDir(pod);
  // A finished pod runs nothing: removing it loses nothing, controller or not.
  const phase = pod.status?.phase;
  if (controller === undefined && phase !== 'Succeeded' && phase !== 'Failed') return { action: 'unreplicated', emptyDir };
  return { action: 'evict', emptyDir };
}

/** A pod being deleted (its grace period running): it still counts until it is gone, but is not evicted again. */
export function isTerminating(pod: V1Pod): boolean {
  return pod.metadata?.deletionTimestamp !== undefined && pod.metadata?.deletionTimestamp !== null;
}

/** One cause of a Status body, as the API server writes it into `details.causes`. */
export interface StatusCause {
  reason?: string;
  message?: string;
}

/**
 * The budgets named by a refused eviction's causes. The API server answers 429 with a
 * `DisruptionBudget` cause whose message starts "The disruption budget <name> …" (needs N healthy
 * pods, or is still being processed); the budget is in the pod's namespace.
 */
export function budgetsInCauses(causes: readonly StatusCause[], namespace: string): string[] {
  const names = new Set<string>();
  for (const cause of causes) {
    if (cause.reason !== 'DisruptionBudget') continue;
    const match = /^The disruption budget (\S+)/.exec(cause.message ?? '');
    if (match?.[1]) names.add(`${namespace}/${match[1]}`);
  }
  return [...names];
}
