/**
 * PodDisruptionBudget status, computed as the disruption controller computes it. The counting
 * rules (expected pods, desired healthy, disruptions allowed) are product code in
 * src/kube/disruption-budget.ts; this module finds what they count in the store:
 * - the pods a budget covers (same namespace, matching selector);
 * - the replicas of their controllers (a ReplicaSet owned by a Deployment counts the Deployment's);
 * - the healthy ones: Ready, and neither being deleted nor recently evicted (`status.disruptedPods`).
 */

import { type BudgetCounts, budgetCounts, expectsControllerScale } from '../../kube/disruption-budget.js';
import { controllerRef, isReady, omitEmpty, setCondition } from './controllers/util.js';
import { R, storeKey } from './resources.js';
import { labelSelectorMatcher } from './selectors.js';
import type { Store } from './store.js';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from './types.js';

/** How long an evicted pod stays in `disruptedPods` if it is never deleted (DeletionTimeout in the controller). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

export interface BudgetNumbers extends BudgetCounts {
  pods: Pod[];
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
  const healthyPods = pods.filter((p) => {
    if (p.metadata.deletionTimestamp) return false;
    const evictedAt = disrupted[p.metadata.name];
    if (evictedAt && Date.parse(evictedAt) + DISRUPTED_POD_TIMEOUT_MS > now) return false;
    return isReady(p);
  }).length;
  const controllerReplicas = expectsControllerScale(pdb.spec) ? expectedFromControllers(store, pods) : 0;
  return { ...budgetCounts(pdb.spec, { matchingPods: pods.length, controllerReplicas, healthyPods }), pods };
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
      // A spec the controller cannot read fails safe, as the real one's `failSafe` does.
      reason: numbers.problem !== undefined ? 'SyncFailed' : allowed ? 'SufficientPods' : 'InsufficientPods',
      message: numbers.problem ?? '',
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
