import { describe, expect, it } from 'vitest';
import { type Decision, decide, type PolicyState, resolveSchedules, type Schedule } from '../../src/policy/index.js';
import { cluster, decideWith, MINUTE, policy, settled, snapshot, workers } from './builders.js';

// The decision engine with a business-hours window (weekdays 08:00 to 18:00 in Warsaw, min 6,
// 15m lead) on a component of min 2: the window's min is a bound like the component's own, raised
// ahead of the window, and after the window the usual scale-down rules bring the count back.

const utc = (iso: string): number => Date.parse(`${iso}Z`);
// Monday 3 March 2025; Warsaw is UTC+1.
const LEAD_STARTS = utc('2025-03-03T06:45:00'); // 07:45 in Warsaw
const CLOSES = utc('2025-03-03T17:00:00'); // 18:00

const schedules: Schedule[] = resolveSchedules({
  min: 2,
  max: 10,
  schedules: [{ name: 'business-hours', start: '0 8 * * 1-5', end: '0 18 * * 1-5', timezone: 'Europe/Warsaw', min: 6, lead: '15m' }],
});
const scheduled = (count: number) => cluster(count, { min: 2, max: 10, schedules });
/** Idle Ready workers at `now`: every one of them unneeded. */
const idle = (count: number, now: number) => snapshot({ nodes: workers(count), takenAt: now });

describe('a window opening', () => {
  it('raises the count to its min when its lead begins, naming the window', () => {
    const before = decideWith({ snapshot: idle(3, LEAD_STARTS - 1000), cluster: scheduled(3) });
    expect(before.decision).toMatchObject({ desired: 3, direction: 'hold' });

    const { decision } = decideWith({ snapshot: idle(3, LEAD_STARTS), cluster: scheduled(3) });
    expect(decision).toMatchObject({
      current: 3,
      desired: 6,
      direction: 'up',
      rule: {
        kind: 'scheduled-min',
        min: 6,
        base: 2,
        window: { name: 'business-hours', open: false, opensAt: utc('2025-03-03T07:00:00'), closesAt: CLOSES },
      },
    });
    expect(decision.reason).toBe(
      'window business-hours (2025-03-03 08:00 to 18:00 Europe/Warsaw) raises min to 6, 15m before it opens: 3 → 6',
    );
  });

  it('raises it straight to the window min, past scale_up_max_step, and from a stale snapshot too, as a bound does', () => {
    const stale = { ...idle(3, LEAD_STARTS), stale: true };
    const { decision } = decideWith({ snapshot: stale, cluster: scheduled(3), policy: policy({ scaleUpMaxStep: 1 }) });
    expect(decision).toMatchObject({ desired: 6, rule: { kind: 'scheduled-min' }, limitedBy: undefined });
  });

  it('leaves a count already above the window min to the other rules', () => {
    const { decision } = decideWith({ snapshot: idle(8, LEAD_STARTS), cluster: scheduled(8) });
    expect(decision.rule.kind).not.toBe('scheduled-min');
    expect(decision.desired).toBeGreaterThanOrEqual(6);
  });
});

describe('while a window is open', () => {
  it('keeps its min: idle workers are not removed below it, and the evidence says which window holds them', () => {
    const now = utc('2025-03-03T12:00:00');
    const { decision } = decideWith({
      snapshot: idle(6, now),
      cluster: scheduled(6),
      state: settled(6, { unneeded: [{ node: 'demo-shop-kubernetes-node-vm-5', since: now - 60 * MINUTE }] }),
    });
    expect(decision).toMatchObject({ desired: 6, direction: 'hold', rule: { kind: 'no-change' } });
    expect(decision.evidence?.bounds).toEqual({ min: 6, max: 10 });
    expect(decision.evidence?.scaleDown.gates).toEqual([{ kind: 'at-min', min: 6 }]);
    expect(decision.evidence?.schedule).toMatchObject({ min: 6, base: 2, by: { name: 'business-hours', open: true } });
    expect(decision.reason).toBe('no change needed: stays at 6 (no scale-down: at min 6)');
  });
});

describe('a window closing', () => {
  /** Decides once a minute from `from` to `to` on idle workers, the count following each decision at once. */
  function run(count: number, from: number, to: number): Array<{ at: number; decision: Decision }> {
    let state: PolicyState = settled(count);
    const changes: Array<{ at: number; decision: Decision }> = [];
    for (let now = from; now <= to; now += MINUTE) {
      const output = decide({ snapshot: idle(count, now), state, policy: policy(), cluster: scheduled(count), now });
      state = output.state;
      if (output.decision.direction !== 'hold') {
        changes.push({ at: now, decision: output.decision });
        count = output.decision.desired;
      }
    }
    return changes;
  }

  it('does not drop the count: the usual rules remove one idle worker at a time, each after the unneeded time', () => {
    const changes = run(6, CLOSES - 30 * MINUTE, CLOSES + 45 * MINUTE);
    expect(changes.map(({ at, decision }) => [(at - CLOSES) / MINUTE, decision.current, decision.desired, decision.rule.kind])).toEqual([
      // Unneeded from the close, removable 10 minutes later; the next one's clock restarts after the change.
      [10, 6, 5, 'unneeded-nodes'],
      [21, 5, 4, 'unneeded-nodes'],
      [32, 4, 3, 'unneeded-nodes'],
      [43, 3, 2, 'unneeded-nodes'],
    ]);
  });
});
