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
  let transientFailures = 0;
  while (!options.signal.aborted) {
    let wait = options.intervalMs;
    try {
      await options.cycle();
      transientFailures = 0;
    } catch (error) {
      if (error instanceof TransientError) wait = backoffDelay(backoff, transientFailures++, options.random);
      options.onFailure?.(error, wait);
    }
    await sleep(options.timer, wait, options.signal);
  }
}
