/**
 * Watch streams: one JSON event per line (`{"type":"ADDED","object":{...}}`), chunked, as the API
 * server writes them. Semantics that clients depend on:
 * - no resourceVersion (or "0"): the current objects as ADDED events first, then changes;
 * - a resourceVersion: every change after it (the informers' list-then-watch), or one ERROR
 *   event with a 410 Expired Status when the history no longer reaches back that far, after
 *   which client-go and client-node re-list;
 * - with selectors, an object that starts matching arrives as ADDED and one that stops matching
 *   as DELETED, so a filtered cache stays right;
 * - `timeoutSeconds` ends the stream; bookmarks are sent when asked for, and with
 *   `sendInitialEvents=true` one bookmark marks the end of the initial objects.
 */
import type { ServerResponse } from 'node:http';
import { type Filter, listMatching, matchesFilter } from './registry.js';
import { apiVersionOf, type ResourceInfo, storeKey } from './resources.js';
import { expired } from './status.js';
import type { EventType, Store, StoreEvent } from './store.js';
import type { KubeObject } from './types.js';

export type WatchEncoder = (type: EventType | 'BOOKMARK' | 'ERROR', object: unknown) => unknown;

export interface WatchOptions {
  store: Store;
  info: ResourceInfo;
  namespace: string | undefined;
  filter: Filter;
  resourceVersion: string | undefined;
  timeoutSeconds: number | undefined;
  allowBookmarks: boolean;
  sendInitialEvents: boolean | undefined;
  encode: WatchEncoder;
  /** Real milliseconds between bookmarks (when allowed). */
  bookmarkIntervalMs?: number;
}

/** Default stream lifetime when the client sets none: the API server picks 30–60 minutes. */
const DEFAULT_TIMEOUT_S = 1800;

/** Streams a watch into `res` until the client goes, the timeout passes, or `stop` is called; returns `stop`. */
export function serveWatch(res: ServerResponse, options: WatchOptions): () => void {
  const { store, info, namespace, filter, encode } = options;
  const key = storeKey(info);
  const inScope = (o: KubeObject): boolean => !info.namespaced || namespace === undefined || o.metadata.namespace === namespace;
  const matches = (o: KubeObject | undefined): boolean => o !== undefined && inScope(o) && matchesFilter(o, filter);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private', 'Transfer-Encoding': 'chunked' });
  res.flushHeaders();
  let open = true;
  const write = (type: EventType | 'BOOKMARK' | 'ERROR', object: unknown): void => {
    if (open) res.write(`${JSON.stringify({ type, object: encode(type, object) })}\n`);
  };

  const translate = (event: StoreEvent): void => {
    if (event.resource !== key) return;
    const was = event.type !== 'ADDED' && matches(event.previous);
    const is = event.type !== 'DELETED' && matches(event.object);
    if (event.type === 'DELETED') {
      if (was) write('DELETED', event.object);
    } else if (is && !was) write('ADDED', event.object);
    else if (is && was) write('MODIFIED', event.object);
    else if (!is && was) write('DELETED', event.object);
  };

  const bookmark = (annotations?: Record<string, string>): void => {
    write('BOOKMARK', {
      kind: info.kind,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion: String(store.revision), ...(annotations ? { annotations } : {}) },
    });
  };

  const rv = options.resourceVersion;
  const initial = options.sendInitialEvents ?? (rv === undefined || rv === '' || rv === '0');
  let unsubscribe: () => void = () => {};
  if (initial) {
    for (const object of listMatching(store, info, namespace, filter)) write('ADDED', object);
    if (options.sendInitialEvents && options.allowBookmarks) bookmark({ 'k8s.io/initial-events-end': 'true' });
    unsubscribe = store.subscribe(translate);
  } else {
    const from = Number(rv);
    const backlog = Number.isInteger(from) && from >= 0 ? store.since(from) : undefined;
    if (!backlog) {
      const why = Number.isInteger(from) ? `too old resource version: ${rv} (${store.oldestRevision})` : `invalid resource version: ${rv}`;
      write('ERROR', expired(why).status);
      open = false;
      res.end();
      return () => {};
    }
    for (const event of backlog) translate(event);
    unsubscribe = store.subscribe(translate);
  }

  let bookmarkTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    if (!open) return;
    open = false;
    unsubscribe();
    clearTimeout(deadline);
    clearTimeout(bookmarkTimer);
    res.end();
  };
  // A timeout longer than a timer can hold (about 24.8 days) would fire at once (Node's TimeoutOverflowWarning): it is that long instead.
  const deadline = setTimeout(stop, Math.min((options.timeoutSeconds ?? DEFAULT_TIMEOUT_S) * 1000, 2 ** 31 - 1));
  if (options.allowBookmarks) {
    const every = options.bookmarkIntervalMs ?? 15_000;
    const tick = (): void => {
      bookmark();
      bookmarkTimer = setTimeout(tick, every);
    };
    bookmarkTimer = setTimeout(tick, every);
  }
  res.on('close', stop);
  return stop;
}
