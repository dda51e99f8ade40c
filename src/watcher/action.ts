/**
 * What a cycle does on GitHub with its decision: the pure core of the watcher, apart from the
 * calls themselves.
 *
 * - A stale snapshot holds, with no GitHub write at all: a PR is neither opened nor closed on
 *   caches that may miss changes.
 * - A desired count other than the config's proposes it: the one autoscale PR is opened or
 *   brought in line (syncAutoscalePr finds an existing one, so a retry never makes a second).
 * - The config's count, with an autoscale PR that may be open, closes it, saying why.
 * - Otherwise nothing: an idle cycle makes no call but the conditional config read.
 *
 * Whether a PR may be open is remembered rather than asked each cycle, so that an idle cycle does
 * not list pull requests. A watcher that has just started does not know, and looks once.
 */
import type { AutoscalePrAction } from '../github/autoscale-pr.js';
import type { Decision } from '../policy/index.js';

export type CycleAction =
  | { kind: 'hold-stale'; why: string }
  | { kind: 'propose'; from: number; to: number; autoMerge: boolean }
  | { kind: 'close'; why: string }
  | { kind: 'none' };

export interface ActionInput {
  decision: Decision;
  /** The worker count in the config on the default branch. */
  count: number;
  /** An autoscale PR of this cluster may be open (true after a start: not known yet). */
  prMayBeOpen: boolean;
  /** Ask GitHub to merge scale-ups once their checks pass (`--auto-merge`). Scale-downs never merge themselves. */
  autoMerge: boolean;
}

export function chooseAction(input: ActionInput): CycleAction {
  const { decision, count } = input;
  if (decision.rule.kind === 'stale-snapshot') return { kind: 'hold-stale', why: decision.reason };
  if (decision.desired !== count) {
    const up = decision.desired > count;
    return { kind: 'propose', from: count, to: decision.desired, autoMerge: up && input.autoMerge };
  }
  return input.prMayBeOpen ? { kind: 'close', why: decision.reason } : { kind: 'none' };
}

/**
 * Whether a PR may be open after the cycle's action, from what syncAutoscalePr or
 * closeAutoscalePr answered (`failed` when it threw, `skipped` in a dry run). Closed (or none
 * found) is not; anything else after a proposal is, including a failed one, whose PR may have been
 * opened before the answer was lost.
 */
export function prMayBeOpenAfter(action: CycleAction, outcome: AutoscalePrAction | 'failed' | 'skipped', before: boolean): boolean {
  if (outcome === 'skipped') return before;
  if (action.kind === 'propose') return outcome !== 'closed';
  if (action.kind === 'close') return outcome === 'failed' ? before : false;
  return before;
}
