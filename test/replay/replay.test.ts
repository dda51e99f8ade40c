// Replaying a recording under policies: the real decision engine at the recording's times, each
// policy in its own world. Deterministic, bounded, and it counts node-hours as it says.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRecording, recordedCycles as readCycles } from '../../src/record/reader.js';
import { MIN_RECORD_MAX_BYTES, SnapshotRecorder } from '../../src/record/recorder.js';
import { type ReplayPolicy, replay } from '../../src/replay/replay.js';
import { formatReplay } from '../../src/replay/report.js';
import { createLogger } from '../../src/watcher/log.js';
import { runTrace } from '../policy/world.js';
import { policyArb, recordStep, traceArb } from '../record/traces.js';
import { tempDir } from '../support/temp.js';
import { businessDay, DEFAULTS, MINUTE, PATIENT, policy, readLine, recordedCycles } from './support.js';

const SETTINGS = { applyDelayMs: 10 * MINUTE };

describe('replay', () => {
  it('runs a business day under two policies: two count curves, the PRs of each, and their node-hours', () => {
    const result = replay(recordedCycles(businessDay()), [DEFAULTS, PATIENT], SETTINGS);
    expect(result).toMatchObject({ cluster: 'shop', cycles: 480, intervalMs: MINUTE });
    const [a, b] = result.runs;
    const curve = (run: typeof a) => run?.points.map((p) => p.count);
    expect(curve(a)).not.toEqual(curve(b));
    // Both scale up for the morning's pods at once; the defaults take nodes away one at a time
    // ten minutes apart, the patient policy an hour after, three at once.
    expect(a?.prs.map((pr) => [pr.from, pr.to, pr.rule])).toEqual([
      [3, 2, 'unneeded-nodes'],
      [2, 5, 'pending-pods'],
      [5, 4, 'unneeded-nodes'],
      [4, 3, 'unneeded-nodes'],
      [3, 2, 'unneeded-nodes'],
    ]);
    expect(b?.prs.map((pr) => [pr.from, pr.to, pr.rule])).toEqual([
      [3, 5, 'pending-pods'],
      [5, 2, 'unneeded-nodes'],
    ]);
    expect(b?.nodeHours).toBeGreaterThan(a?.nodeHours ?? Number.POSITIVE_INFINITY);
    expect(a?.nodeHours).toBeCloseTo(23.8, 1);
    expect(b?.nodeHours).toBeCloseTo(26.1, 1);
  });

  it("replays the recorded answers of the Prometheus query with each policy's target; another query was never run", () => {
    // The watcher's query answered 200 requests per second, 800 from 13:00 to 15:00.
    const cycles = recordedCycles(businessDay()).map((cycle) => {
      const hour = new Date(cycle.at).getUTCHours();
      const value = hour >= 13 && hour < 15 ? 800 : 200;
      return {
        ...cycle,
        prometheus: { query: 'sum(rate(http_requests_total[2m]))', reading: { kind: 'sample' as const, value, at: cycle.at } },
      };
    });
    const withTarget = (label: string, targetPerNode: number, query = 'sum(rate(http_requests_total[2m]))') => ({
      ...policy(label),
      prometheus: { query, targetPerNode },
    });
    const result = replay(cycles, [withTarget('A', 200), withTarget('B', 100), withTarget('C', 100, 'up')], SETTINGS);
    const peak = (label: string) => Math.max(...(result.runs.find((run) => run.label === label)?.points.map((p) => p.count) ?? []));
    // 800 / 200 = 4 workers; 800 / 100 = 8; the other query's policy follows the pods alone (5 at most).
    expect([peak('A'), peak('B'), peak('C')]).toEqual([5, 8, 5]);
    expect(result.runs.find((run) => run.label === 'B')?.prs.some((pr) => pr.rule === 'prometheus-query')).toBe(true);
    expect(result.runs.map((run) => run.notes)).toEqual([
      [],
      [],
      [
        'its Prometheus query was not recorded in 480 of 480 cycles (the watcher ran "sum(rate(http_requests_total[2m]))"): those were replayed without the signal',
      ],
    ]);
  });

  it('replays time windows: a schedule raising min from 16:00 to 18:00 (lead 10m) holds six workers through the quiet evening', () => {
    const window = { name: 'evening-batch', start: '0 16 * * *', end: '0 18 * * *', timezone: 'UTC', min: 6, lead: 10 * MINUTE };
    const result = replay(recordedCycles(businessDay()), [DEFAULTS, { ...DEFAULTS, label: 'B', schedules: [window] }], SETTINGS);
    const [a, b] = result.runs;
    const countAt = (run: typeof a, time: string) => run?.points.find((p) => p.at === Date.parse(`2025-03-01T${time}:00Z`))?.count;
    expect([countAt(a, '15:50'), countAt(b, '15:50')]).toEqual([2, 6]);
    expect([countAt(a, '17:30'), countAt(b, '17:30')]).toEqual([2, 6]);
    expect(b?.prs.find((pr) => pr.rule === 'scheduled-min')).toMatchObject({ at: Date.parse('2025-03-01T15:50:00Z'), to: 6 });
    // After the window the usual scale-down rules bring it back down.
    expect(countAt(b, '19:59')).toBeLessThan(6);
    expect(b?.nodeHours).toBeGreaterThan(a?.nodeHours ?? Number.POSITIVE_INFINITY);
  });

  it('counts node-hours as Ready workers until the next cycle, the last for the usual interval', () => {
    const cycles = recordedCycles(businessDay()).slice(0, 90);
    const result = replay(cycles, [DEFAULTS], SETTINGS);
    const points = result.runs[0]?.points ?? [];
    let readyMs = 0;
    for (let i = 0; i < points.length; i++)
      readyMs += (points[i]?.ready ?? 0) * ((points[i + 1]?.at ?? (points[i]?.at ?? 0) + MINUTE) - (points[i]?.at ?? 0));
    expect(result.runs[0]?.nodeHours).toBeCloseTo(readyMs / 3_600_000, 9);
  });

  it('property: deterministic: the same recording and policies give the same replay and report', () => {
    fc.assert(
      fc.property(traceArb, policyArb, policyArb, (trace, first, second) => {
        const policies: ReplayPolicy[] = [
          {
            label: 'A',
            source: 'a.yml',
            policy: first,
            min: trace.min,
            max: trace.max,
            vmSize: 't3.medium',
            prometheus: undefined,
            schedules: [],
          },
          {
            label: 'B',
            source: 'b.yml',
            policy: second,
            min: trace.min,
            max: trace.max + 2,
            vmSize: 't3.medium',
            prometheus: undefined,
            schedules: [],
          },
        ];
        const lines = runTrace(trace).map((step) => JSON.stringify(recordStep(step)));
        const once = replay(
          lines.map((line) => readLine(JSON.parse(line))),
          policies,
          SETTINGS,
        );
        const again = replay(
          lines.map((line) => readLine(JSON.parse(line))),
          policies,
          SETTINGS,
        );
        expect(again).toEqual(once);
        expect(formatReplay(again)).toBe(formatReplay(once));
        // And within the bounds at every cycle.
        for (const run of once.runs) {
          const spec = policies.find((p) => p.label === run.label);
          for (const point of run.points) {
            expect(point.count).toBeGreaterThanOrEqual(spec?.min ?? 0);
            expect(point.count).toBeLessThanOrEqual(spec?.max ?? 0);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('reads the same from a recording rotated into two files as from the cycles themselves', async () => {
    const trace = businessDay();
    const path = join(await tempDir('replay-'), 'shop.jsonl');
    const recorder = new SnapshotRecorder(
      { path, maxBytes: MIN_RECORD_MAX_BYTES, podNames: false },
      createLogger({ level: 'error', write: () => {} }),
    );
    const steps = runTrace(trace);
    for (const step of steps) {
      await recorder.record(
        step.now,
        { cluster: 'shop', prefix: 'demo', count: step.count, min: 2, max: 10, vmSize: 't3.medium' },
        step.snapshot,
      );
    }
    const recording = await loadRecording(path);
    expect(recording.files).toEqual([`${path}.1`, path]);
    const kept = [...readCycles(recording)];
    const first = kept[0]?.at ?? 0;
    const inMemory = recordedCycles(trace).filter((cycle) => cycle.at >= first);
    expect(replay(kept, [DEFAULTS, PATIENT], SETTINGS)).toEqual(replay(inMemory, [DEFAULTS, PATIENT], SETTINGS));
    expect((await readFile(path, 'utf8')).length).toBeLessThanOrEqual(MIN_RECORD_MAX_BYTES);
  });
});
