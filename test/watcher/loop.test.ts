import { describe, expect, it } from 'vitest';
import { ConfigError, TransientError } from '../../src/errors.js';
import { loopBackoff, runLoop } from '../../src/watcher/loop.js';
import { ManualTimer } from '../kube/snapshot-support.js';

// The loop on a manual timer: every wait is a pending timer the test fires, so the delays are
// exact and nothing sleeps.

/** Lets the loop run up to its next wait (its cycle is a resolved promise or two away). */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Run {
  /** Asks for a cycle now, as the watcher does when a pod the scheduler cannot place appears. */
  wake: () => void;
  timer: ManualTimer;
  stop: AbortController;
  cycles: number;
  failures: Array<{ error: unknown; retryInMs: number }>;
  done: Promise<void>;
}

/** Runs the loop with cycles that fail as `outcomes` says (undefined: succeed), the last repeating. */
function loop(intervalMs: number, outcomes: Array<Error | undefined>, during?: (run: Run) => void): Run {
  const run = { timer: new ManualTimer(), stop: new AbortController(), cycles: 0, failures: [], wake: () => {} } as unknown as Run;
  run.done = runLoop({
    wake: (request) => {
      run.wake = request;
      return () => {
        run.wake = () => {};
      };
    },
    minGapMs: 1_000,
    intervalMs,
    timer: run.timer,
    random: () => 0.5,
    signal: run.stop.signal,
    cycle: async () => {
      const outcome = outcomes[Math.min(run.cycles, outcomes.length - 1)];
      run.cycles++;
      during?.(run);
      if (outcome) throw outcome;
    },
    onFailure: (error, retryInMs) => run.failures.push({ error, retryInMs }),
  });
  return run;
}

describe('the watcher loop', () => {
  it('waits the interval after a cycle', async () => {
    const run = loop(60_000, [undefined]);
    await turn();
    expect(run.cycles).toBe(1);
    expect(run.timer.delays).toEqual([60_000]);
    run.timer.fireNext();
    await turn();
    expect(run.cycles).toBe(2);
    run.stop.abort();
    await run.done;
  });

  it('backs off after temporary failures: 5 s doubling, capped, jittered; a success starts again from the interval', async () => {
    const transient = new TransientError('GitHub down');
    const run = loop(60_000, [transient, transient, transient, transient, transient, transient, undefined, transient]);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await turn();
      delays.push(...run.timer.delays);
      run.timer.fireNext();
    }
    // Jitter 20 %, random 0.5: each delay is 90 % of 5, 10, 20, 40, 80, 120 (the cap), 120 s.
    expect(delays).toEqual([4_500, 9_000, 18_000, 36_000, 72_000, 108_000, 60_000, 4_500]);
    expect(run.failures.map((f) => f.retryInMs)).toEqual([4_500, 9_000, 18_000, 36_000, 72_000, 108_000, 4_500]);
    run.stop.abort();
    await run.done;
  });

  it('retries a failure that will not pass by itself at the interval, and never stops for one', async () => {
    const run = loop(30_000, [new ConfigError([{ file: 'c.yml', line: 1, column: 1, message: 'bad' }]), new TypeError('a bug')]);
    for (let i = 0; i < 3; i++) {
      await turn();
      expect(run.timer.delays).toEqual([30_000]);
      run.timer.fireNext();
    }
    expect(run.failures.map((f) => (f.error as Error).name)).toEqual(['ConfigError', 'TypeError', 'TypeError']);
    run.stop.abort();
    await run.done;
  });

  it('ends at once when stopped during a wait', async () => {
    const run = loop(60_000, [undefined]);
    await turn();
    run.stop.abort();
    await run.done;
    expect(run.timer.delays).toEqual([]);
    expect(run.cycles).toBe(1);
  });

  it('a wake-up ends the wait: the next cycle starts 1 s after the last one began, not at the interval', async () => {
    const run = loop(60_000, [undefined]);
    await turn();
    expect(run.timer.delays).toEqual([60_000]);
    run.wake();
    expect(run.timer.delays).toEqual([1_000, 60_000]);
    run.timer.advance(1_000);
    await turn();
    expect(run.cycles).toBe(2);
    expect(run.timer.delays).toEqual([60_000]);
    run.stop.abort();
    await run.done;
  });

  it('a wake-up during a cycle makes the next one follow it (1 s after it began), once', async () => {
    const run = loop(60_000, [undefined], (r) => {
      if (r.cycles === 1) {
        r.timer.advance(300);
        r.wake();
        r.wake();
      }
    });
    await turn();
    expect(run.timer.delays).toEqual([700, 60_000]);
    run.timer.fireNext();
    await turn();
    expect(run.cycles).toBe(2);
    expect(run.timer.delays).toEqual([60_000]);
    run.stop.abort();
    await run.done;
  });

  it('a wake-up never cuts a backoff short: failures are not retried in a storm', async () => {
    const run = loop(60_000, [new TransientError('GitHub down')]);
    await turn();
    run.wake();
    expect(run.timer.delays).toEqual([4_500]);
    run.stop.abort();
    await run.done;
  });

  it('wakes at the next schedule edge when it comes before the interval, so a window is not an interval late', async () => {
    const timer = new ManualTimer();
    const stop = new AbortController();
    const start = timer.now();
    const edges = [start + 20_000, start + 170_000];
    const delays: number[] = [];
    const done = runLoop({
      intervalMs: 60_000,
      timer,
      random: () => 0.5,
      signal: stop.signal,
      cycle: async () => {},
      dueAt: () => edges.find((edge) => edge > timer.now()),
    });
    for (let i = 0; i < 5; i++) {
      await turn();
      delays.push(...timer.delays);
      timer.fireNext();
    }
    // The edge at 20 s; the interval twice; the edge at 170 s; no edge left: the interval.
    expect(delays).toEqual([20_000, 60_000, 60_000, 30_000, 60_000]);
    stop.abort();
    await done;
  });

  it('starts the next cycle at once when the edge passed during the cycle, and keeps a backoff after a failure', async () => {
    const timer = new ManualTimer();
    const stop = new AbortController();
    let cycles = 0;
    const done = runLoop({
      intervalMs: 60_000,
      timer,
      random: () => 0.5,
      signal: stop.signal,
      cycle: async () => {
        cycles++;
        timer.advance(2_000); // a slow cycle, past the edge
        if (cycles === 2) throw new TransientError('GitHub down');
      },
      dueAt: () => timer.now() - 1_000,
    });
    await turn();
    expect(timer.delays).toEqual([0]);
    timer.fireNext();
    await turn();
    expect(timer.delays).toEqual([4_500]);
    stop.abort();
    await done;
  });

  it('retries within 5 s at first (the interval, when shorter), and at least every two minutes (or the interval, when longer)', () => {
    expect(loopBackoff(60_000)).toMatchObject({ initialMs: 5_000, maxMs: 120_000 });
    expect(loopBackoff(1_000)).toMatchObject({ initialMs: 1_000, maxMs: 120_000 });
    expect(loopBackoff(600_000)).toMatchObject({ initialMs: 5_000, maxMs: 600_000 });
  });
});
