import { retry } from '@octokit/plugin-retry';
import { type ThrottlingOptions, throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';

const GithubClient = Octokit.plugin(retry, throttling);
/** @octokit/rest with the retry and throttling plugins: the one client every GitHub call goes through. */
export type GithubClient = InstanceType<typeof GithubClient>;

/** A limiter group of the throttling plugin (how it spaces writes). */
export type WriteLimiter = NonNullable<Extract<ThrottlingOptions, { onRateLimit: unknown }>['write']>;

export interface GithubClientOptions {
  /** The token (a GitHub App installation token or GITHUB_TOKEN); never logged. */
  token: string | undefined;
  /** The API's base URL: https://api.github.com, GitHub Enterprise's, or a simulator's. */
  baseUrl?: string;
  userAgent?: string;
  /**
   * How many times a failed request (5xx, network) is retried, with the plugin's growing waits
   * (1, 4, 9 s…). Default 3; a watcher that retries on its next cycle anyway may want fewer.
   */
  retries?: number;
  /** How many times a primary rate limit is waited out before the call fails. Default 1. */
  rateLimitRetries?: number;
  /**
   * Replaces the plugin's spacing of writes (1 s apart; PRs and comments 3 s apart, as GitHub
   * advises). Tests against the simulator pass a limiter that runs jobs at once.
   */
  writeLimiter?: WriteLimiter;
  /** Told of each primary rate limit hit (seconds until the budget resets), to log it. */
  onRateLimit?: (retryAfterSeconds: number, retryCount: number) => void;
  log?: Partial<Record<'debug' | 'info' | 'warn' | 'error', (message: string) => void>>;
}

/**
 * Statuses never retried. The retry plugin's default list leaves out 405, 409 and 413, so it would
 * repeat a refused merge, a stale-sha update or an oversized request three times with back-off;
 * those are answers, not accidents.
 */
export const DO_NOT_RETRY = [400, 401, 403, 404, 405, 409, 410, 413, 422, 451];

const quiet = (): void => {};

/** The GitHub client as the watcher and the actions build it. */
export function createGithubClient(options: GithubClientOptions): GithubClient {
  const retries = options.rateLimitRetries ?? 1;
  return new GithubClient({
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    ...(options.token ? { auth: options.token } : {}),
    userAgent: options.userAgent ?? 'lambdastack-autoscaler',
    retry: { doNotRetry: DO_NOT_RETRY, ...(options.retries === undefined ? {} : { retries: options.retries }) },
    throttle: {
      onRateLimit: (after: number, _options: unknown, _octokit: unknown, retryCount: number) => {
        options.onRateLimit?.(after, retryCount);
        return retryCount < retries;
      },
      // A secondary limit means "slow down": waiting it out inside one call would hold a watcher cycle for minutes.
      onSecondaryRateLimit: () => false,
      ...(options.writeLimiter ? { write: options.writeLimiter, notifications: options.writeLimiter } : {}),
    },
    log: { debug: quiet, info: quiet, warn: quiet, error: quiet, ...options.log },
  });
}
