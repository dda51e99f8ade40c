/**
 * PodDisruptionBudget arithmetic, as the disruption controller computes a budget's status:
 * how many pods are expected, how many must stay healthy, and how many may be disrupted now.
 * The decision engine uses it to tell whether a node's pods can be evicted (a scale-down that a
 * budget blocks would only stall the drain), and the simulator uses it for PDB status and the
 * Eviction API. Finding the pods a budget covers, and the replicas of their controllers, is the
 * caller's part: this module only counts.
 */
import type { IntOrString } from '@kubernetes/client-node';

/** `minAvailable` and `maxUnavailable` of a `policy/v1` PodDisruptionBudget spec (at most one is set). */
export interface BudgetSpec {
  minAvailable?: IntOrString | null;
  maxUnavailable?: IntOrString | null;
}

/** What the caller observed of the pods a budget covers. */
export interface BudgetObservation {
  /** Pods the selector matches. */
  matchingPods: number;
  /**
   * The replicas their controllers want, each controller counted once (a ReplicaSet owned by a
   * Deployment counts the Deployment's). Read only when `expectsControllerScale(spec)`.
   */
  controllerReplicas: number;
  /** Matching pods that are Ready and neither being deleted nor recently evicted. */
  healthyPods: number;
}

/** A budget's status numbers (`status.expectedPods`, `desiredHealthy`, `currentHealthy`, `disruptionsAllowed`). */
export interface BudgetCounts {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
  /** Set when the spec cannot be read: then no disruption is allowed, as the controller's fail-safe does. */
  problem?: string;
}

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an integer as it is, or a percentage ("50%") of `total`,
 * rounded up or down. Undefined for anything else (a string without `%`, a negative or fractional number).
 */
export function scaleIntOrPercent(value: IntOrString, total: number, roundUp: boolean): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^(\d+)%$/.exec(value);
  if (!match) return undefined;
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * Whether the expected count comes from the pods' controllers rather than from the matching pods:
 * for `maxUnavailable`, and for `minAvailable` as a percentage. An integer `minAvailable` needs no
 * controller, which is why a budget over bare pods can only use that form.
 */
export function expectsControllerScale(spec: BudgetSpec): boolean {
  const { minAvailable, maxUnavailable } = spec;
  return (maxUnavailable !== undefined && maxUnavailable !== null) || typeof minAvailable === 'string';
}

/**
 * Disruptions allowed: the healthy pods above the desired number, never negative, and none while
 * no pod is expected (`updatePdbStatus`). A desired count below 0 (which no budget yields) counts
 * as 0, so the answer never exceeds the healthy pods.
 */
export function disruptionsAllowed(expectedPods: number, currentHealthy: number, desiredHealthy: number): number {
  const room = currentHealthy - Math.max(0, desiredHealthy);
  return expectedPods <= 0 || room <= 0 ? 0 : room;
}

/**
 * A budget's numbers (`getExpectedPodCount` and `updatePdbStatus` of the disruption controller):
 * - `maxUnavailable`: expected = controllers' replicas, desired healthy = expected − maxUnavailable
 *   (a percentage rounded up), at least 0;
 * - `minAvailable` as an integer: expected = the matching pods, desired healthy = the number;
 * - `minAvailable` as a percentage: expected = controllers' replicas, desired healthy = the
 *   percentage of it, rounded up;
 * - neither: nothing expected, so nothing may be disrupted.
 */
export function budgetCounts(spec: BudgetSpec, observed: BudgetObservation): BudgetCounts {
  const currentHealthy = observed.healthyPods;
  const unreadable = (field: string, value: unknown): BudgetCounts => ({
    expectedPods: 0,
    desiredHealthy: 0,
    currentHealthy,
    disruptionsAllowed: 0,
    problem: `${field} ${JSON.stringify(value)} is neither a whole number nor a percentage such as "50%"`,
  });
  let expectedPods = 0;
  let desiredHealthy = 0;
  const { minAvailable, maxUnavailable } = spec;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    expectedPods = observed.controllerReplicas;
    const unavailable = scaleIntOrPercent(maxUnavailable, expectedPods, true);
    if (unavailable === undefined) return unreadable('maxUnavailable', maxUnavailable);
    desiredHealthy = Math.max(0, expectedPods - unavailable);
  } else if (minAvailable !== undefined && minAvailable !== null) {
    expectedPods = typeof minAvailable === 'number' ? observed.matchingPods : observed.controllerReplicas;
    const available = scaleIntOrPercent(minAvailable, expectedPods, true);
    if (available === undefined) return unreadable('minAvailable', minAvailable);
    desiredHealthy = available;
  }
  return {
    expectedPods,
    desiredHealthy,
    currentHealthy,
    disruptionsAllowed: disruptionsAllowed(expectedPods, currentHealthy, desiredHealthy),
  };
}
