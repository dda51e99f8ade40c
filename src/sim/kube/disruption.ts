/**
 * PodDisruptionBudget status, computed as the disruption controller computes it:
 * - `minAvailable: <int>`: expected = the matching pods, desired healthy = the number;
 * - `minAvailable: <percent>` or `maxUnavailable`: expected = the replicas of the pods'
 *   controllers (a ReplicaSet owned by a Deployment counts the Deployment's), percentages
 *   rounded up;
 * - current healthy = matching pods that are Ready and neither being deleted nor recently
 *   evicted (`status.disruptedPods`); allowed disruptions = healthy − desired, at least 0.
 */

import { controllerRef, isReady, omitEmpty, setCondition } from './controllers/util.js';
import { R, storeKey } from './resources.js';
import { labelSelectorMatcher } from './selectors.js';
import type { Store } from './store.js';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from './types.js';

/** How long an evicted pod stays in `disruptedPods` if it is never deleted (DeletionTimeout in the controller). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

export interface BudgetNumbers {
  expectedPods: number;
  desiredHealthy: number;
  currentHealthy: number;
  disruptionsAllowed: number;
  pods: Pod[];
}

/** `intstr.GetScaledValueFromIntOrPercent(value, total, roundUp)`. */
export function scaled(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const percent = Number.parseInt(value, 10);
  const exact = (percent * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** The pods a PDB covers: same namespace, matching selector (an absent selector covers none, `{}` all). */
export function podsOf(store: Store, pdb: PodDisruptionBudget): Pod[] {
  const matches = labelSelectorMatcher(pdb.spec.selector);
  return store.list<Pod>(storeKey(R.pods), pdb.metadata.namespace).filter((p) => matches(p.metadata.labels));
}

function expectedFromControllers(store: Store, pods: Pod[]): number {
  const seen = new Set<string>();
  let expected = 0;
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) {
      // A pod without a controller has no scale: the real controller refuses to compute (and allows no disruption); count it as one.
      expected += 1;
      continue;
    }
    let scaleOwner: { uid: string; replicas: number } | undefined;
    if (ref.kind === 'ReplicaSet') {
      const rs = store.get<ReplicaSet>(storeKey(R.replicasets), pod.metadata.namespace, ref.name);
      const dref = rs ? controllerRef(rs) : undefined;
      const d = dref?.kind === 'Deployment' ? store.get<Deployment>(storeKey(R.deployments), pod.metadata.namespace, dref.name) : undefined;
      if (d) scaleOwner = { uid: d.metadata.uid, replicas: d.spec.replicas ?? 1 };
      else if (rs) scaleOwner = { uid: rs.metadata.uid, replicas: rs.spec.replicas ?? 1 };
    }
    if (!scaleOwner) scaleOwner = { uid: ref.uid, replicas: 1 };
    if (seen.has(scaleOwner.uid)) continue;
    seen.add(scaleOwner.uid);
    expected += scaleOwner.replicas;
  }
  return expected;
}

export function budgetNumbers(store: Store, pdb: PodDisruptionBudget, now: number): BudgetNumbers {
  const pods = podsOf(store, pdb);
  const disrupted = (pdb.status?.disruptedPods ?? {}) as Record<string, string>;
  let expectedPods = 0;
  let desiredHealthy = 0;
  const { minAvailable, maxUnavailable } = pdb.spec;
  if (maxUnavailable !== undefined && maxUnavailable !== null) {
    expectedPods = expectedFromControllers(store, pods);
    desiredHealthy = Math.max(0, expectedPods - scaled(maxUnavailable, expectedPods, true));
  } else if (typeof minAvailable === 'number') {
    expectedPods = pods.length;
    desiredHealthy = minAvailable;
  } else if (typeof minAvailable === 'string') {
    expectedPods = expectedFromControllers(store, pods);
    desiredHealthy = scaled(minAvailable, expectedPods, true);
  }
  const currentHealthy = pods.filter((p) => {
    if (p.metadata.deletionTimestamp) return false;
    const evictedAt = disrupted[p.metadata.name];
    if (evictedAt && Date.parse(evictedAt) + DISRUPTED_POD_TIMEOUT_MS > now) return false;
    return isReady(p);
  }).length;
  const room = currentHealthy - desiredHealthy;
  return { expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed: expectedPods <= 0 || room <= 0 ? 0 : room, pods };
}

/** The status the disruption controller would write now. */
export function budgetStatus(store: Store, pdb: PodDisruptionBudget, now: number, timestamp: string): Record<string, unknown> {
  const numbers = budgetNumbers(store, pdb, now);
  // Evicted pods leave `disruptedPods` once they are gone (or after the timeout).
  const disrupted: Record<string, string> = {};
  const names = new Set(numbers.pods.map((p) => p.metadata.name));
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const pod = numbers.pods.find((p) => p.metadata.name === name);
    if (names.has(name) && !pod?.metadata.deletionTimestamp && Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS > now) disrupted[name] = at;
  }
  const allowed = numbers.disruptionsAllowed > 0;
  const conditions = setCondition(
    (pdb.status?.conditions as never) ?? [],
    {
      type: 'DisruptionAllowed',
      status: allowed ? 'True' : 'False',
      reason: allowed ? 'SufficientPods' : 'InsufficientPods',
      message: '',
      observedGeneration: pdb.metadata.generation ?? 1,
    },
    timestamp,
  );
  return {
    ...omitEmpty({ observedGeneration: pdb.metadata.generation ?? 1 }),
    ...(Object.keys(disrupted).length > 0 ? { disruptedPods: disrupted } : {}),
    disruptionsAllowed: numbers.disruptionsAllowed,
    currentHealthy: numbers.currentHealthy,
    desiredHealthy: numbers.desiredHealthy,
    expectedPods: numbers.expectedPods,
    conditions,
  };
}
