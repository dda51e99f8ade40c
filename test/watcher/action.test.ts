import { describe, expect, it } from 'vitest';
import type { Decision, Rule } from '../../src/policy/index.js';
import { type CycleAction, chooseAction, prMayBeOpenAfter } from '../../src/watcher/action.js';

// The pure core of a cycle: what to do on GitHub with a decision, and what is known afterwards
// about an open autoscale PR.

function decision(current: number, desired: number, rule: Rule = { kind: 'no-change' }): Decision {
  const direction = desired > current ? 'up' : desired < current ? 'down' : 'hold';
  return { current, desired, direction, rule, reason: `reason ${current} → ${desired}`, limitedBy: undefined, evidence: undefined };
}

const stale: Rule = { kind: 'stale-snapshot', why: 'informers-not-synced', takenAt: 0 };

describe('chooseAction', () => {
  it('proposes a count other than the config’s, with auto-merge only for a scale-up when asked', () => {
    const up = decision(3, 5, { kind: 'pending-pods', pods: 4, newNodes: 2, inFlight: 0 });
    expect(chooseAction({ decision: up, count: 3, prMayBeOpen: false, autoMerge: false })).toEqual({
      kind: 'propose',
      from: 3,
      to: 5,
      autoMerge: false,
    });
    expect(chooseAction({ decision: up, count: 3, prMayBeOpen: true, autoMerge: true })).toMatchObject({
      kind: 'propose',
      autoMerge: true,
    });
    const down = decision(3, 2, { kind: 'unneeded-nodes', nodes: ['n'], since: 0 });
    expect(chooseAction({ decision: down, count: 3, prMayBeOpen: false, autoMerge: true })).toEqual({
      kind: 'propose',
      from: 3,
      to: 2,
      autoMerge: false,
    });
  });

  it('closes a PR that may be open when the config already has the count, saying why; otherwise does nothing', () => {
    const hold = decision(3, 3);
    expect(chooseAction({ decision: hold, count: 3, prMayBeOpen: true, autoMerge: false })).toEqual({ kind: 'close', why: 'reason 3 → 3' });
    expect(chooseAction({ decision: hold, count: 3, prMayBeOpen: false, autoMerge: false })).toEqual({ kind: 'none' });
  });

  it('holds on a stale snapshot, whatever else is true: no PR is opened or closed', () => {
    for (const prMayBeOpen of [true, false]) {
      expect(chooseAction({ decision: decision(3, 3, stale), count: 3, prMayBeOpen, autoMerge: true })).toEqual({
        kind: 'hold-stale',
        why: 'reason 3 → 3',
      });
    }
  });
});

describe('prMayBeOpenAfter', () => {
  const propose: CycleAction = { kind: 'propose', from: 3, to: 5, autoMerge: false };
  const close: CycleAction = { kind: 'close', why: 'no change needed' };

  it('after a proposal a PR may be open, even when the call failed (it may have opened one), unless it was closed', () => {
    for (const outcome of ['opened', 'updated', 'unchanged', 'commented', 'stale', 'failed'] as const) {
      expect(prMayBeOpenAfter(propose, outcome, false)).toBe(true);
    }
    expect(prMayBeOpenAfter(propose, 'closed', true)).toBe(false);
  });

  it('after a close none is, unless the close failed; a dry run or no action changes nothing', () => {
    expect(prMayBeOpenAfter(close, 'closed', true)).toBe(false);
    expect(prMayBeOpenAfter(close, 'unchanged', true)).toBe(false);
    expect(prMayBeOpenAfter(close, 'failed', true)).toBe(true);
    expect(prMayBeOpenAfter(propose, 'skipped', false)).toBe(false);
    expect(prMayBeOpenAfter({ kind: 'none' }, 'unchanged', true)).toBe(true);
  });
});
