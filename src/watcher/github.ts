/**
 * The watcher's view of its GitHub client: every call counted (by method and status) and every
 * failure classified, and every request tied to an abort signal, so a shutdown can cut a cycle
 * short instead of waiting out a hung connection. One wrap around octokit's `request` hook,
 * outside the retry and throttling plugins: a call retried and then answered counts once, as
 * answered.
 */
import type { GithubClient } from '../github/client.js';
import { statusOf } from '../github/conditional-get.js';
import type { WatcherMetrics } from './metrics.js';

/** How a failed call failed, as the metrics label it. */
export function githubErrorKind(error: unknown): string {
  const status = statusOf(error);
  if (status === undefined) return 'network';
  const headers = (error as { response?: { headers?: Record<string, string | undefined> } }).response?.headers ?? {};
  if (status === 429 || (status === 403 && (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined))) {
    return 'rate-limit';
  }
  return status >= 500 ? 'server' : 'client';
}

export interface GithubCallCounter {
  /** Calls made so far (304s included: they are calls, free of rate limit). */
  calls(): number;
}

export function instrumentGithub(github: GithubClient, metrics: WatcherMetrics, signal: AbortSignal): GithubCallCounter {
  let calls = 0;
  github.hook.wrap('request', async (request, options) => {
    calls++;
    options.request = { ...options.request, signal };
    const method = String(options.method ?? 'GET');
    try {
      const response = await request(options);
      metrics.githubRequests.inc({ method, status: String(response.status) });
      return response;
    } catch (error) {
      const status = statusOf(error);
      metrics.githubRequests.inc({ method, status: status === undefined ? 'none' : String(status) });
      if (status !== 304) metrics.apiError('github', githubErrorKind(error));
      throw error;
    }
  });
  return { calls: () => calls };
}
