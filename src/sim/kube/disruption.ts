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
import { LABELS, labelIndexValue } from './indexes.js';
import { R, storeKey } from './resources.js';
import { type LabelMatcher, labelSelectorMatcher } from './selectors.js';
import type { Store } from './store.js';
import type { Deployment, Pod, PodDisruptionBudget, ReplicaSet } from './types.js';

/** How long an evicted pod stays in `disruptedPods` if it is never deleted (DeletionTimeout in the controller). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

export interface BudgetNumbers extends BudgetCounts {
  pods: Pod[];
  /** The uids of the controllers whose scale the counts read (ReplicaSets and their Deployments). */
  controllers: Set<string>;
}

/** A PDB's selector as a matcher, per stored PDB (a budget is matched against every pod that changes). */
const matchers = new WeakMap<PodDisruptionBudget, LabelMatcher>();

export function budgetMatcher(pdb: PodDisruptionBudget): LabelMatcher {
  let matcher = matchers.get(pdb);
  if (!matcher) {
    matcher = labelSelectorMatcher(pdb.spec.selector);
    matchers.set(pdb, matcher);
  }
  return matcher;
}

/**
 * The pods a PDB covers: same namespace, matching selector (an absent selector covers none, `{}`
 * all). Read from the label index under the selector's rarest `matchLabels` pair when it has one.
 */
export function podsOf(store: Store, pdb: PodDisruptionBudget): Pod[] {
  const matches = budgetMatcher(pdb);
  const pods = storeKey(R.pods);
  const namespace = pdb.metadata.namespace ?? '';
  let keys: ReadonlySet<string> | undefined;
  for (const [key, value] of Object.entries(pdb.spec.selector?.matchLabels ?? {})) {
    const bucket = store.indexedKeys(pods, LABELS, labelIndexValue(key, value));
    if (!keys || bucket.size < keys.size) keys = bucket;
  }
  if (!keys) return store.list<Pod>(pods, namespace).filter((p) => matches(p.metadata.labels));
  const found: Pod[] = [];
  for (const key of keys) {
    const pod = store.getByKey<Pod>(pods, key);
    if (pod && pod.metadata.namespace === namespace && matches(pod.metadata.labels)) found.push(pod);
  }
  return found;
}

/** The replicas a budget's pods' controllers expect, each controller (its Deployment for a ReplicaSet that has one) counted once. */
function expectedFromControllers(store: Store, pods: Pod[], consulted: Set<string>): number {
  const seen = new Set<string>();
  // Thousands of pods share a few controllers: each controller reference is resolved once.
  const resolved = new Map<string, { uid: string; replicas: number }>();
  let expected = 0;
  for (const pod of pods) {
    const ref = controllerRef(pod);
    if (!ref) {
      // A pod without a controller has no scale: the real controller refuses to compute (and allows no disruption); count it as one.
      expected += 1;
      continue;
    }
    let scaleOwner = resolved.get(ref.uid);
    if (!scaleOwner) {
      if (ref.kind === 'ReplicaSet') {
        const rs = store.get<ReplicaSet>(storeKey(R.replicasets), pod.metadata.namespace, ref.name);
        const dref = rs ? controllerRef(rs) : undefined;
        const d =
          dref?.kind === 'Deployment' ? store.get<Deployment>(storeKey(R.deployments), pod.metadata.namespace, dref.name) : undefined;
        if (d) scaleOwner = { uid: d.metadata.uid, replicas: d.spec.replicas ?? 1 };
        else if (rs) scaleOwner = { uid: rs.metadata.uid, replicas: rs.spec.replicas ?? 1 };
        for (const uid of [ref.uid, rs?.metadata.uid, dref?.uid, d?.metadata.uid]) if (uid) consulted.add(uid);
      }
      scaleOwner ??= { uid: ref.uid, replicas: 1 };
      resolved.set(ref.uid, scaleOwner);
    }
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
  const controllers = new Set<string>();
  const controllerReplicas = expectsControllerScale(pdb.spec) ? expectedFromControllers(store, pods, controllers) : 0;
  return { ...budgetCounts(pdb.spec, { matchingPods: pods.length, controllerReplicas, healthyPods }), pods, controllers };
}

/** The status the disruption controller would write now (from `numbers`, when the caller has them already). */
export function budgetStatus(
  store: Store,
  pdb: PodDisruptionBudget,
  now: number,
  timestamp: string,
  numbers = budgetNumbers(store, pdb, now),
): Record<string, unknown> {
  // Evicted pods leave `disruptedPods` once they are gone (or after the timeout).
  const disrupted: Record<string, string> = {};
  const byName = new Map(numbers.pods.map((p) => [p.metadata.name, p]));
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const pod = byName.get(name);
    if (pod && !pod.metadata.deletionTimestamp && Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS > now) disrupted[name] = at;
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
