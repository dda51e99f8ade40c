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
import type { Deployment, OwnerReference, Pod, PodDisruptionBudget, ReplicaSet } from './types.js';

/** How long an evicted pod stays in `disruptedPods` if it is never deleted (DeletionTimeout in the controller). */
export const DISRUPTED_POD_TIMEOUT_MS = 2 * 60 * 1000;

export interface BudgetNumbers extends BudgetCounts {
  /** The pods the counts covered. */
  matching: number;
  /** The uids of the controllers whose scale the counts read (ReplicaSets and their Deployments). */
  controllers: Set<string>;
}

/**
 * What a budget counts of the pods it covers, in a form that can be kept as pods change (the
 * disruption controller adds and takes out one pod at a time) or counted at once (`tallyPods`):
 * how many, how many are Ready and not being deleted, and their controllers.
 */
export interface BudgetTally {
  matching: number;
  healthy: number;
  /** Pods without a controller: each counts as one expected pod. */
  uncontrolled: number;
  /** Controller references by uid, with how many covered pods name each. */
  controllers: Map<string, { ref: OwnerReference; pods: number }>;
}

function emptyTally(): BudgetTally {
  return { matching: 0, healthy: 0, uncontrolled: 0, controllers: new Map() };
}

/** Counts a covered pod in (1) or out (-1). */
export function tallyPod(tally: BudgetTally, pod: Pod, sign: number): void {
  tally.matching += sign;
  if (!pod.metadata.deletionTimestamp && isReady(pod)) tally.healthy += sign;
  const ref = controllerRef(pod);
  if (!ref) {
    tally.uncontrolled += sign;
    return;
  }
  const known = tally.controllers.get(ref.uid) ?? { ref, pods: 0 };
  known.pods += sign;
  if (known.pods > 0) tally.controllers.set(ref.uid, known);
  else tally.controllers.delete(ref.uid);
}

export function tallyPods(pods: Iterable<Pod>): BudgetTally {
  const tally = emptyTally();
  for (const pod of pods) tallyPod(tally, pod, 1);
  return tally;
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
function expectedFromControllers(store: Store, namespace: string | undefined, tally: BudgetTally, consulted: Set<string>): number {
  const seen = new Set<string>();
  // A pod without a controller has no scale: the real controller refuses to compute (and allows no disruption); count it as one.
  let expected = tally.uncontrolled;
  for (const { ref } of tally.controllers.values()) {
    let scaleOwner: { uid: string; replicas: number } | undefined;
    if (ref.kind === 'ReplicaSet') {
      const rs = store.get<ReplicaSet>(storeKey(R.replicasets), namespace, ref.name);
      const dref = rs ? controllerRef(rs) : undefined;
      const d = dref?.kind === 'Deployment' ? store.get<Deployment>(storeKey(R.deployments), namespace, dref.name) : undefined;
      if (d) scaleOwner = { uid: d.metadata.uid, replicas: d.spec.replicas ?? 1 };
      else if (rs) scaleOwner = { uid: rs.metadata.uid, replicas: rs.spec.replicas ?? 1 };
      for (const uid of [ref.uid, rs?.metadata.uid, dref?.uid, d?.metadata.uid]) if (uid) consulted.add(uid);
    }
    scaleOwner ??= { uid: ref.uid, replicas: 1 };
    if (seen.has(scaleOwner.uid)) continue;
    seen.add(scaleOwner.uid);
    expected += scaleOwner.replicas;
  }
  return expected;
}

/** A covered pod by name: what `disruptedPods` names. */
function coveredPod(store: Store, pdb: PodDisruptionBudget, name: string): Pod | undefined {
  const pod = store.get<Pod>(storeKey(R.pods), pdb.metadata.namespace, name);
  return pod && budgetMatcher(pdb)(pod.metadata.labels) ? pod : undefined;
}

/**
 * The numbers of a budget now, from what it counts of its pods (`tally`: the disruption controller's,
 * kept as pods change; counted from the store when not given).
 */
export function budgetNumbers(
  store: Store,
  pdb: PodDisruptionBudget,
  now: number,
  tally: BudgetTally = tallyPods(podsOf(store, pdb)),
): BudgetNumbers {
  // Recently evicted pods are not healthy, though Ready, until they are gone or the eviction times out.
  let healthyPods = tally.healthy;
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const pod = coveredPod(store, pdb, name);
    if (pod && !pod.metadata.deletionTimestamp && isReady(pod) && Date.parse(at) + DISRUPTED_POD_TIMEOUT_MS > now) healthyPods--;
  }
  const controllers = new Set<string>();
  const controllerReplicas = expectsControllerScale(pdb.spec)
    ? expectedFromControllers(store, pdb.metadata.namespace, tally, controllers)
    : 0;
  return {
    ...budgetCounts(pdb.spec, { matchingPods: tally.matching, controllerReplicas, healthyPods }),
    matching: tally.matching,
    controllers,
  };
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
  for (const [name, at] of Object.entries((pdb.status?.disruptedPods ?? {}) as Record<string, string>)) {
    const pod = coveredPod(store, pdb, name);
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
