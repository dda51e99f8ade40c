/**
 * Taints and tolerations: whether a pod may land on a node that repels pods. The decision engine
 * needs this to know which pending pods a new worker would take at all (a pod that tolerates no
 * taint of the worker machine is not helped by adding one), and the simulator's scheduler uses the
 * same rule, so both read a toleration the way the API server's `ToleratesTaint` does.
 */
import type { V1Taint, V1Toleration } from '@kubernetes/client-node';

export type Taint = Pick<V1Taint, 'key' | 'value' | 'effect'>;
export type Toleration = Pick<V1Toleration, 'key' | 'operator' | 'value' | 'effect'>;

/** The effects that keep a pod off a node at scheduling time; `PreferNoSchedule` is only a preference. */
export const SCHEDULING_EFFECTS: readonly string[] = ['NoSchedule', 'NoExecute'];

/**
 * Whether one toleration tolerates one taint (`v1.Toleration.ToleratesTaint`): an empty effect
 * matches every effect, an empty key with `Exists` matches every taint, `Equal` (or no operator)
 * compares values, and any other operator tolerates nothing. An empty key with `Equal` tolerates
 * nothing: the API server refuses it, and no taint has an empty key.
 */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? '') {
    case 'Exists':
      return true;
    case '':
    case 'Equal':
      return Boolean(toleration.key) && (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

/** Whether any of a pod's tolerations tolerates the taint (`v1helper.TolerationsTolerateTaint`). */
export function tolerationsTolerate(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((toleration) => toleratesTaint(toleration, taint));
}

/**
 * The first of a node's taints with one of `effects` that the tolerations do not tolerate, or
 * undefined when the pod may be placed there (the TaintToleration filter, which reports the first).
 */
export function untoleratedTaint(
  tolerations: readonly Toleration[] | undefined,
  taints: readonly Taint[] | undefined,
  effects: readonly string[] = SCHEDULING_EFFECTS,
): Taint | undefined {
  return (taints ?? []).find((taint) => effects.includes(taint.effect) && !tolerationsTolerate(tolerations, taint));
}
