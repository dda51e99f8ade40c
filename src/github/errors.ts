import { isTransientStatus, TransientError, UserError } from '../errors.js';

/** What an octokit failure carries: an HTTP status (RequestError), or none (the network). */
interface HttpFailure {
  status?: unknown;
  message?: unknown;
}

/**
 * Turns a failed GitHub call into the tool's taxonomy: a server error, a rate limit or a network
 * failure is "retry later"; 401, 403 and 404 are refusals naming the likely fix; the rest are
 * refusals quoting GitHub. `what` says what was being done ("read cluster-config at main").
 */
export function githubFailure(error: unknown, what: string): Error {
  const failure = (error ?? {}) as HttpFailure;
  const status = typeof failure.status === 'number' ? failure.status : undefined;
  const said = typeof failure.message === 'string' ? failure.message : String(error);
  if (status === undefined || isTransientStatus(status)) {
    return new TransientError(`GitHub: cannot ${what}${status ? ` (HTTP ${status})` : ''}: ${said}`, { cause: error });
  }
  if (status === 401)
    return new UserError(`GitHub: cannot ${what}: the token was refused (401): check that it is set and not expired`, { cause: error });
  if (status === 403) {
    return new UserError(`GitHub: cannot ${what}: forbidden (403: ${said}): give the token the permission this needs`, { cause: error });
  }
  if (status === 404) {
    return new UserError(
      `GitHub: cannot ${what}: not found (404): check the repository name, the ref, and that the token can see the repository`,
      {
        cause: error,
      },
    );
  }
  return new UserError(`GitHub: cannot ${what} (HTTP ${status}): ${said}`, { cause: error });
}
