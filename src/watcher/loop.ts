/**
 * The watcher's loop: a cycle, a wait, again, until stopped. A cycle that fails for a temporary
 * reason (GitHub or the API server down, a rate limit) is retried sooner than the interval at
 * first and then ever later (exponential, capped, jittered, so many watchers that lost GitHub at
 * once do not come back at once); one that failed for a reason that will not pass by itself (an
 * invalid config, a missing grant, a bug) is retried at the interval, since a person may fix it
 * at any time. Nothing ends the loop but the stop signal: the process never crash-loops.
 */
import { TransientError } from '../errors.js';
import { type BackoffPolicy, backoffDelay, type Timer } from '../kube/backoff.js';

export interface LoopOptions {
  intervalMs: number;
  timer: Timer;
  random: () => number;
  /** Default: `loopBackoff(intervalMs)`. */
  backoff?: BackoffPolicy;
  /** Ends the loop: a wait ends at once; a cycle under way is left to finish. */
  signal: AbortSignal;
  cycle(): Promise<unknown>;
  /** Told of each failed cycle and how long until the next. */
  onFailure?(error: unknown, retryInMs: number): void;
  /**
   * Registers the callback that asks for a cycle now rather than at the interval (a pod the
   * scheduler cannot place appeared). A wait in progress ends, at the earliest `minGapMs` after
   * the last cycle began; a request during a cycle makes the next one follow it the same way.
   */
  wake?(request: () => void): () => void;
  /** The least time between the starts of two cycles a wake-up brings forward. Default 1 s. */
  minGapMs?: number;
  /**
   * The instant the next cycle is due, when sooner than the interval: a schedule window's edge,
   * asked after each cycle that did not fail, so the window's PR is not up to an interval late.
   */
  dueAt?(): number | undefined;
}

/**
 * The retry delays after temporary failures: from 5 s (or the interval, when shorter), doubling,
 * capped at the larger of the interval and two minutes, less up to 20 % at random.
 */
export function loopBackoff(intervalMs: number): BackoffPolicy {
  return { initialMs: Math.min(5_000, intervalMs), maxMs: Math.max(intervalMs, 120_000), jitter: 0.2, resetAfterMs: 0 };
}

/** Resolves after `ms` on `timer`, or at once when `signal` aborts. */
export function sleep(timer: Timer, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      timer.clearTimeout(handle);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const handle = timer.setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export async function runLoop(options: LoopOptions): Promise<void> {
  const backoff = options.backoff ?? loopBackoff(options.intervalMs);
  const minGapMs = options.minGapMs ?? 1_000;
  let transientFailures = 0;
  let woken = false;
  let endWait: (() => void) | undefined;
  const unsubscribe = options.wake?.(() => {
    woken = true;
    endWait?.();
  });
  try {
    while (!options.signal.aborted) {
      const started = options.timer.now();
      woken = false;
      let wait = options.intervalMs;
      let failed = false;
      try {
        await options.cycle();
        transientFailures = 0;
      } catch (error) {
        failed = true;
        if (error instanceof TransientError) wait = backoffDelay(backoff, transientFailures++, options.random);
        options.onFailure?.(error, wait);
      }
      // A failing cycle keeps its backoff: a wake-up must not turn retries into a storm.
      if (!failed) {
        const due = options.dueAt?.();
        if (due !== undefined) wait = Math.min(wait, Math.max(0, due - options.timer.now()));
        const waited = new AbortController();
        const abortWait = (): void => waited.abort();
        options.signal.addEventListener('abort', abortWait, { once: true });
        let gapTimer: ReturnType<Timer['setTimeout']> | undefined;
        endWait = (): void => {
          const gap = minGapMs - (options.timer.now() - started);
          if (gap <= 0) waited.abort();
          else gapTimer ??= options.timer.setTimeout(() => waited.abort(), gap);
        };
        if (woken) endWait();
        await sleep(options.timer, wait, waited.signal);
        endWait = undefined;
        if (gapTimer !== undefined) options.timer.clearTimeout(gapTimer);
        options.signal.removeEventListener('abort', abortWait);
      } else {
        await sleep(options.timer, wait, options.signal);
      }
    }
  } finally {
    unsubscribe?.();
  }
}
