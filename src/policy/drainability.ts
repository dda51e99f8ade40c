/**
 * Whether the pods of a node let it be removed, as small rules in the manner of Cluster
 * Autoscaler's drainability rules (cluster-autoscaler/simulator/drainability/rules): each rule
 * looks at one pod and either has no opinion or says skip (the pod does not need to move), drain
 * (it moves) or block (the node stays). The first rule with an opinion decides; a pod no rule
 * speaks for has a controller to recreate it, so it drains.
 *
 * The PodDisruptionBudget rule needs every pod to be removed at once, so it is a function of its own.
 */
import type { BudgetView, PodView } from './snapshot.js';

/** Pods that stay where they are: the node's removal takes them with it, and nothing recreates them elsewhere. */
export type SkipRule = 'mirror-pod' | 'daemonset-pod' | 'terminated-pod';
/** Pods that keep their node. */
export type PodBlockRule = 'not-safe-to-evict' | 'do-not-disrupt' | 'no-controller';
/** Pods that are evicted and recreated (or, for safe-to-evict, allowed to go). */
export type DrainRule = 'safe-to-evict' | 'has-controller';

export type PodDrainability =
  | { outcome: 'skip'; rule: SkipRule }
  | { outcome: 'drain'; rule: DrainRule }
  | { outcome: 'block'; rule: PodBlockRule };

export interface DrainabilityRule {
  name: string;
  check(pod: PodView): PodDrainability | undefined;
}

/**
 * The rules in the order they are asked. The skips come first, so a DaemonSet or mirror pod
 * never blocks, whatever its annotations; the opt-outs come before safe-to-evict "true"; and
 * safe-to-evict "true" comes before no-controller, because that annotation is how a bare pod says
 * it may go.
 */
export const DRAINABILITY_RULES: readonly DrainabilityRule[] = [
  {
    name: 'mirror-pod',
    check: (pod) => (pod.mirror || pod.ownerKind === 'Node' ? { outcome: 'skip', rule: 'mirror-pod' } : undefined),
  },
  {
    name: 'daemonset-pod',
    check: (pod) => (pod.ownerKind === 'DaemonSet' ? { outcome: 'skip', rule: 'daemonset-pod' } : undefined),
  },
  {
    name: 'terminated-pod',
    check: (pod) => (pod.phase === 'Succeeded' || pod.phase === 'Failed' ? { outcome: 'skip', rule: 'terminated-pod' } : undefined),
  },
  {
    name: 'not-safe-to-evict',
    check: (pod) => (pod.safeToEvict === false ? { outcome: 'block', rule: 'not-safe-to-evict' } : undefined),
  },
  {
    name: 'do-not-disrupt',
    check: (pod) => (pod.doNotDisrupt ? { outcome: 'block', rule: 'do-not-disrupt' } : undefined),
  },
  {
    name: 'safe-to-evict',
    check: (pod) => (pod.safeToEvict === true ? { outcome: 'drain', rule: 'safe-to-evict' } : undefined),
  },
  {
    name: 'no-controller',
    check: (pod) => (pod.ownerKind === 'none' ? { outcome: 'block', rule: 'no-controller' } : undefined),
  },
];

/** What removing its node means for one pod: the first rule with an opinion, else it drains. */
export function podDrainability(pod: PodView, rules: readonly DrainabilityRule[] = DRAINABILITY_RULES): PodDrainability {
  for (const rule of rules) {
    const verdict = rule.check(pod);
    if (verdict) return verdict;
  }
  return { outcome: 'drain', rule: 'has-controller' };
}

/** A PodDisruptionBudget that would refuse the evictions a scale-down needs. */
export interface BudgetBlock {
  budget: string;
  /** `status.disruptionsAllowed`; undefined when the budget is not in the snapshot (read as none allowed). */
  disruptionsAllowed: number | undefined;
  /** Its pods on the nodes to remove, the one being considered included. */
  pods: number;
}

/**
 * The budgets a removal would break: those with fewer disruptions allowed than their pods on the
 * nodes to remove. `evicted` holds, per budget, the pods already counted on the nodes removed
 * before this one; it is updated with this node's pods. A budget a pod names but the snapshot
 * lacks allows nothing: an unknown budget is never assumed generous.
 */
export function budgetBlocks(
  drained: readonly PodView[],
  budgets: ReadonlyMap<string, BudgetView>,
  evicted: Map<string, number>,
): BudgetBlock[] {
  const touched = new Set<string>();
  for (const pod of drained) {
    for (const budget of pod.budgets) {
      evicted.set(budget, (evicted.get(budget) ?? 0) + 1);
      touched.add(budget);
    }
  }
  const blocks: BudgetBlock[] = [];
  for (const budget of [...touched].sort()) {
    const pods = evicted.get(budget) ?? 0;
    const allowed = budgets.get(budget)?.disruptionsAllowed;
    if (allowed === undefined || allowed < pods) blocks.push({ budget, disruptionsAllowed: allowed, pods });
  }
  return blocks;
}
