/**
 * Conditional reads. GitHub answers a GET that carries the `ETag` of its last answer in
 * `If-None-Match` with 304 when nothing changed, and a 304 does not count against the rate limit:
 * that is what makes an idle watcher cycle free. Octokit reports a 304 as a RequestError, so the
 * "unchanged" answer is caught here and nowhere else.
 */

/** What a conditional read found: the resource is as it was, or its new content and ETag. */
export type ConditionalRead<T> = { unchanged: true } | { unchanged: false; data: T; etag: string | undefined };

/** The part of an octokit response a conditional read needs. */
export interface EtaggedResponse<T> {
  data: T;
  headers: { etag?: string | undefined };
}

/** The HTTP status of an octokit failure, or undefined (a network failure, or not an HTTP error). */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Runs `get` with `If-None-Match: etag` (when there is one). `get` passes the headers to an octokit
 * call, e.g. `(headers) => github.pulls.list({ ...params, headers })`, which keeps its typed answer.
 */
export async function getIfChanged<T>(
  etag: string | undefined,
  get: (headers: Record<string, string>) => Promise<EtaggedResponse<T>>,
): Promise<ConditionalRead<T>> {
  try {
    const response = await get(etag ? { 'if-none-match': etag } : {});
    return { unchanged: false, data: response.data, etag: response.headers.etag };
  } catch (error) {
    if (etag !== undefined && statusOf(error) === 304) return { unchanged: true };
    throw error;
  }
}

/**
 * The last answer of each read, by a key the caller chooses, so an unchanged resource is served
 * from memory after a 304. One per watcher process: it only saves calls, so losing it (a restart)
 * costs one full read per key.
 */
export class ResponseCache {
  private readonly entries = new Map<string, { etag: string; data: unknown }>();

  /** The resource's current content: from memory when GitHub says it is unchanged. */
  async read<T>(key: string, get: (headers: Record<string, string>) => Promise<EtaggedResponse<T>>): Promise<T> {
    const known = this.entries.get(key);
    const result = await getIfChanged(known?.etag, get);
    // The entry under a key is only ever written from the same call site, so it holds a T.
    if (result.unchanged) return (known as { data: T }).data;
    if (result.etag) this.entries.set(key, { etag: result.etag, data: result.data });
    else this.entries.delete(key);
    return result.data;
  }

  /** Forgets a key, so its next read is unconditional (after a write that changed it, say). */
  forget(key: string): void {
    this.entries.delete(key);
  }
}
