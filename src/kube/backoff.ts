/**
 * Time and retry delays for the cluster reader. The clock and the timers are one injected
 * interface, so a test can hold every retry until it fires it and see the exact delays, instead of
 * sleeping and racing the CPU.
 */

/** An opaque handle of a scheduled callback. */
export type TimerHandle = unknown;

export interface Timer {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock. Timers are unref'd: a pending retry alone never keeps the process running. */
export const systemTimer: Timer = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** A promise that resolves after `ms` on `timer`. */
export function delay(timer: Timer, ms: number): Promise<void> {
  return new Promise((resolve) => {
    timer.setTimeout(resolve, ms);
  });
}

export interface BackoffPolicy {
  /** The first delay, before jitter. */
  initialMs: number;
  /** No delay is longer than this. */
  maxMs: number;
  /**
   * The share of each delay taken off at random (0: none, 1: anything down to 0), so that many
   * watchers that lost the same API server do not all come back at the same instant.
   */
  jitter: number;
  /** After this long without a failure, the next failure starts again from `initialMs`. */
  resetAfterMs: number;
}

/** As client-go's reflector: about a second at first, doubling, at most half a minute. */
export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1_000, maxMs: 30_000, jitter: 0.2, resetAfterMs: 60_000 };

/**
 * The delay before retry number `attempt` (0-based): `initialMs × 2^attempt`, capped at `maxMs`,
 * less up to `jitter` of it. `random` returns a number in [0, 1), as Math.random does.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  const exponential = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 52));
  return Math.round(exponential * (1 - policy.jitter * random()));
}
