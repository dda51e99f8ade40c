// Drift over time: a difference is drift once it has been seen without a break for longer than
// the provisioning timeout. Properties over generated sequences of observations, against a model
// that reads the whole history.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emptyDriftState, type NodeDifference, seedDrift, trackDrift } from '../../src/drift/index.js';

const MINUTE = 60_000;
const TIMEOUT = 15 * MINUTE;
const T0 = Date.parse('2026-03-01T12:00:00Z');

const missing = (name: string): NodeDifference => ({ kind: 'missing', name, why: 'absent' });
const extra = (name: string): NodeDifference => ({ kind: 'extra', name, why: 'unnamed' });

/** The universe of differences the observations draw from. */
const UNIVERSE: readonly NodeDifference[] = [missing('vm-0'), missing('vm-1'), extra('vm-5'), extra('hand-made'), extra('vm-1')];
const keyOf = (d: NodeDifference): string => `${d.kind} ${d.name}`;

/** Observations: increasing times (gaps of 0..10 minutes), each with a subset of the universe. */
const observationsArb = fc.array(fc.record({ gap: fc.integer({ min: 0, max: 10 * MINUTE }), seen: fc.subarray([...UNIVERSE]) }), {
  minLength: 1,
  maxLength: 60,
});

describe('drift tracking', () => {
  it('a node missing for exactly the timeout is not drift yet; a moment later it is, with the time it was first seen', () => {
    let state = emptyDriftState();
    const observe = (at: number, seen: NodeDifference[]) => {
      const next = trackDrift(state, seen, at, TIMEOUT);
      state = next.state;
      return next.report;
    };
    expect(observe(T0, [missing('vm-2')])).toEqual({ missing: [], extra: [], settling: [{ ...missing('vm-2'), since: T0 }] });
    expect(observe(T0 + TIMEOUT, [missing('vm-2')]).missing).toEqual([]);
    expect(observe(T0 + TIMEOUT + 1, [{ ...missing('vm-2'), why: 'not-ready' }]).missing).toEqual([
      { kind: 'missing', name: 'vm-2', why: 'not-ready', since: T0 },
    ]);
    // It came back for one cycle: the clock starts again.
    expect(observe(T0 + TIMEOUT + 2, [])).toEqual({ missing: [], extra: [], settling: [] });
    expect(observe(T0 + TIMEOUT + 3, [missing('vm-2')]).settling).toEqual([{ ...missing('vm-2'), since: T0 + TIMEOUT + 3 }]);
  });

  it('property: drift is exactly the differences seen in every observation for longer than the timeout, since the first of them', () => {
    fc.assert(
      fc.property(observationsArb, (observations) => {
        let state = emptyDriftState();
        let now = T0;
        const history: Array<{ at: number; keys: Set<string> }> = [];
        for (const { gap, seen } of observations) {
          now += gap;
          history.push({ at: now, keys: new Set(seen.map(keyOf)) });
          const { state: next, report } = trackDrift(state, seen, now, TIMEOUT);
          state = next;
          const all = [...report.missing, ...report.extra, ...report.settling];
          // Every difference seen now is reported once, and nothing else.
          expect(all.map(keyOf).sort()).toEqual(seen.map(keyOf).sort());
          for (const entry of all) {
            // The model: walk back through the history while the difference was seen.
            let first = history.length - 1;
            while (first > 0 && history[first - 1]?.keys.has(keyOf(entry))) first--;
            expect(entry.since).toBe(history[first]?.at);
            const drifting = now - entry.since > TIMEOUT;
            const list = entry.kind === 'missing' ? report.missing : report.extra;
            expect(list.includes(entry)).toBe(drifting);
            expect(report.settling.includes(entry)).toBe(!drifting);
          }
        }
      }),
    );
  });

  it('property: seeding with what an issue says keeps the earlier time of each difference still seen, and forgets the rest', () => {
    fc.assert(
      fc.property(
        fc.subarray([...UNIVERSE]),
        fc.subarray([...UNIVERSE]),
        fc.integer({ min: 0, max: 60 * MINUTE }),
        (issueSays, seenNow, age) => {
          const earlier = issueSays.map((d) => ({ kind: d.kind, name: d.name, since: T0 - age }));
          const { report } = trackDrift(seedDrift(emptyDriftState(), earlier), seenNow, T0, TIMEOUT);
          const all = [...report.missing, ...report.extra, ...report.settling];
          expect(all.map(keyOf).sort()).toEqual(seenNow.map(keyOf).sort());
          for (const entry of all) {
            const fromIssue = issueSays.some((d) => keyOf(d) === keyOf(entry));
            expect(entry.since).toBe(fromIssue ? T0 - age : T0);
          }
        },
      ),
    );
  });
});
