/**
 * GitHub's primary rate limit: a budget per token (or per client address without one) that refills
 * an hour after the window opened. Every response carries the `x-ratelimit-*` headers, so clients
 * such as @octokit/plugin-throttling can be tested against the real header protocol.
 */

export const WINDOW_SECONDS = 3600;
/** GitHub's budget for unauthenticated requests. */
export const ANONYMOUS_LIMIT = 60;

export interface RateLimitStatus {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds when the window refills. */
  reset: number;
  resource: 'core';
}

interface Window {
  start: number;
  used: number;
}

export class RateLimiter {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limitPerToken: number,
    private readonly clock: () => Date,
  ) {}

  private window(key: string): Window {
    const now = Math.floor(this.clock().getTime() / 1000);
    let window = this.windows.get(key);
    if (!window || now >= window.start + WINDOW_SECONDS) {
      window = { start: now, used: 0 };
      this.windows.set(key, window);
    }
    return window;
  }

  private limitFor(key: string): number {
    return key.startsWith('anonymous:') ? ANONYMOUS_LIMIT : this.limitPerToken;
  }

  /** The current status without spending anything (`GET /rate_limit`, 304 answers). */
  peek(key: string): RateLimitStatus {
    const window = this.window(key);
    const limit = this.limitFor(key);
    return {
      limit,
      used: window.used,
      remaining: Math.max(0, limit - window.used),
      reset: window.start + WINDOW_SECONDS,
      resource: 'core',
    };
  }

  /** Spends one request; undefined when the budget is used up (the request is then refused with 403). */
  spend(key: string): RateLimitStatus | undefined {
    const window = this.window(key);
    if (window.used >= this.limitFor(key)) return undefined;
    window.used++;
    return this.peek(key);
  }

  /** Gives back a request that turned out to be free (a conditional request answered 304). */
  refund(key: string): void {
    const window = this.window(key);
    if (window.used > 0) window.used--;
  }
}

export function rateLimitHeaders(status: RateLimitStatus): Record<string, string> {
  return {
    'x-ratelimit-limit': String(status.limit),
    'x-ratelimit-remaining': String(status.remaining),
    'x-ratelimit-reset': String(status.reset),
    'x-ratelimit-used': String(status.used),
    'x-ratelimit-resource': status.resource,
  };
}
