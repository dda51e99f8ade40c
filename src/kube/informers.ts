/**
 * client-node informers (`ListWatch`: list once, then watch from the list's resourceVersion) with
 * what they leave to their owner:
 *
 * - **Restarts.** A ListWatch re-lists by itself after a 410 Expired and re-watches after a
 *   stream ends or times out, but after any other failure (a list or a watch refused, the API
 *   server unreachable) it reports `error` and stops. The supervisor restarts it, with exponential
 *   backoff and jitter on an injected timer, resuming from the last resourceVersion (the informer
 *   re-lists only when the API server says that version has expired).
 * - **Staleness.** `synced` is false until the first list has landed in the cache, while a re-list
 *   is under way, and from a failure until the restart succeeds.
 * - **Small caches.** Objects become cache entries (./cache-entries.ts) as they enter, from the
 *   list (paged, so no response holds the whole cluster) and from every watch event, so the cache
 *   never holds a full object.
 * - **Errors** in the tool's taxonomy (./api-errors.ts), raised where the verb is known.
 */
import {
  ADD,
  CONNECT,
  DELETE,
  ERROR,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  UPDATE,
  type V1ListMeta,
  Watch,
} from '@kubernetes/client-node';
import { TransientError, type UserError } from '../errors.js';
import { type ApiResource, kubeFailure, statusOf } from './api-errors.js';
import { type BackoffPolicy, backoffDelay, delay, type Timer, type TimerHandle } from './backoff.js';
import type { CacheEntry } from './cache-entries.js';
import type { EntryCache } from './snapshot.js';

/** A kind the informer watches: where it lives, how to list a page of it, and what to keep of it. */
export interface ResourceKind<K extends KubernetesObject, V> {
  target: ApiResource;
  /** The watch path for all namespaces (`/api/v1/pods`). */
  path: string;
  listPage(page: { limit: number; _continue?: string }): Promise<{ metadata?: V1ListMeta; items: K[] }>;
  toEntry(object: K): CacheEntry<V>;
}

export interface InformerListener {
  /** The cache is complete and being kept current (after the first list, a re-list or a restart). */
  synced(): void;
  /** The informer failed and stopped; it restarts after `retryInMs`. */
  failed(error: TransientError | UserError, retryInMs: number): void;
  /** An object was added, changed or removed (`removed`), with its cache entry when there is one. */
  changed(entry?: CacheEntry<unknown>, removed?: boolean): void;
}

export interface InformerOptions {
  timer: Timer;
  random: () => number;
  backoff: BackoffPolicy;
  /** Objects per list request (client-go's reflector pages by 500). */
  pageSize: number;
  listener: InformerListener;
}

export interface InformerStatus {
  resource: string;
  synced: boolean;
  /** The last failure, until a restart succeeds. */
  error: TransientError | UserError | undefined;
  /** Restarts so far (after failures; a re-list after 410 is not one). */
  restarts: number;
  /** When the next restart is due (milliseconds since the epoch), while one is pending. */
  retryAt: number | undefined;
}

type WatchCallback = Parameters<Watch['watch']>[2];
type WatchDone = Parameters<Watch['watch']>[3];

const OBJECT_EVENTS: ReadonlySet<string> = new Set(['ADDED', 'MODIFIED', 'DELETED']);

/** Failures the ListWatch handles itself and must see as they are: 410 (re-list) and its client-side timeout (re-watch). */
function handledByInformer(error: unknown): boolean {
  return statusOf(error) === 410 || (error instanceof Error && error.name === 'TimeoutError');
}

function abortedController(): AbortController {
  const controller = new AbortController();
  controller.abort();
  return controller;
}

/**
 * client-node's Watch, turning each object into a cache entry before the ListWatch sees it. It
 * also closes for good: once closed it opens no stream, and it aborts the ones open, because a
 * ListWatch stopped while listing or waiting to reconnect would otherwise start a watch anyway.
 */
class EntryWatch<K extends KubernetesObject, V> extends Watch {
  private readonly open = new Set<AbortController>();
  private closed = false;

  constructor(
    kubeConfig: KubeConfig,
    private readonly kind: ResourceKind<K, V>,
    private readonly onWatch: () => void,
  ) {
    super(kubeConfig);
  }

  override async watch(
    path: string,
    queryParams: Parameters<Watch['watch']>[1],
    callback: WatchCallback,
    done: WatchDone,
  ): Promise<AbortController> {
    if (this.closed) return abortedController();
    this.onWatch();
    let controller: AbortController | undefined;
    let finished = false;
    const finish = (error: unknown): void => {
      finished = true;
      if (controller) this.open.delete(controller);
      done(error && !handledByInformer(error) ? kubeFailure(error, 'watch', this.kind.target) : error);
    };
    const toEntry = (type: string, object: unknown, raw: unknown): void =>
      callback(type, OBJECT_EVENTS.has(type) ? this.kind.toEntry(object as K) : object, raw);
    try {
      controller = await super.watch(path, queryParams, toEntry, finish);
    } catch (error) {
      // Before its request, Watch throws (no current cluster, an auth plugin failing) instead of calling done.
      finish(error);
      return abortedController();
    }
    if (this.closed) controller.abort();
    else if (!finished) this.open.add(controller);
    return controller;
  }

  close(): void {
    this.closed = true;
    for (const controller of this.open) controller.abort();
    this.open.clear();
  }
}

/** One supervised informer over one kind; its `list()` is the cache the snapshot reads. */
export class SupervisedInformer<K extends KubernetesObject, V> implements EntryCache<V> {
  private readonly informer: ListWatch<CacheEntry<V>>;
  private readonly watch: EntryWatch<K, V>;
  /** Entries per namespace: list() reads namespace by namespace (see list). */
  private readonly namespaces = new Map<string, number>();
  private started = false;
  private stopped = false;
  private down = false;
  private reportedSynced = false;
  private failures = 0;
  private failuresSeen = 0;
  private upSince: number | undefined;
  private error: TransientError | UserError | undefined;
  private restarts = 0;
  private retry: { handle: TimerHandle; at: number } | undefined;

  constructor(
    kubeConfig: KubeConfig,
    private readonly kind: ResourceKind<K, V>,
    private readonly options: InformerOptions,
  ) {
    this.watch = new EntryWatch(kubeConfig, kind, () => this.checkSynced());
    this.informer = new ListWatch<CacheEntry<V>>(kind.path, this.watch, () => this.listAll(), false, undefined, undefined, {
      delayFn: (ms) => delay(options.timer, ms),
    });
    this.informer.on(ADD, (entry) => this.count(entry, 1));
    this.informer.on(UPDATE, (entry) => options.listener.changed(entry));
    this.informer.on(DELETE, (entry) => this.count(entry, -1));
    // CONNECT comes before every (re-)list and re-watch; a re-list empties the resourceVersion first.
    this.informer.on(CONNECT, () => this.checkSynced());
    this.informer.on(ERROR, (error) => this.failed(error));
  }

  get resource(): string {
    return this.kind.target.resource;
  }

  /** The cache is complete and current: listed, watching, and not failed since. */
  get synced(): boolean {
    return this.started && !this.stopped && !this.down && this.informer.latestResourceVersion() !== '';
  }

  status(): InformerStatus {
    return { resource: this.resource, synced: this.synced, error: this.error, restarts: this.restarts, retryAt: this.retry?.at };
  }

  /** Lists, then watches; resolves once watching, or once the first attempt has failed (a restart is then scheduled). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.attempt();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) this.options.timer.clearTimeout(this.retry.handle);
    this.retry = undefined;
    this.watch.close();
    await this.informer.stop();
  }

  /**
   * Every cached entry. client-node's `list()` without a namespace gathers all namespaces with
   * `push(...values)`, which overflows the call stack past about 128,000 objects in one namespace;
   * reading one namespace at a time copies with `Array.from` instead.
   */
  list(): ReadonlyArray<CacheEntry<V>> {
    const all: CacheEntry<V>[] = [];
    for (const namespace of this.namespaces.keys()) {
      // A cluster-scoped kind keeps everything under '', which client-node reads only without a namespace.
      const entries = namespace === '' ? this.informer.list() : this.informer.list(namespace);
      for (const entry of entries) all.push(entry);
    }
    return all;
  }

  private count(entry: CacheEntry<V>, delta: number): void {
    const namespace = entry.metadata.namespace ?? '';
    const count = (this.namespaces.get(namespace) ?? 0) + delta;
    if (count > 0) this.namespaces.set(namespace, count);
    else this.namespaces.delete(namespace);
    this.options.listener.changed(entry, delta < 0);
  }

  /** The informer's list function: all pages, as cache entries, with the list's resourceVersion. */
  private async listAll(): Promise<KubernetesListObject<CacheEntry<V>>> {
    const items: CacheEntry<V>[] = [];
    let resourceVersion: string | undefined;
    let next: string | undefined;
    do {
      if (this.stopped) throw new TransientError(`stopped while listing ${this.resource}`);
      let page: { metadata?: V1ListMeta; items: K[] };
      try {
        page = await this.kind.listPage({ limit: this.options.pageSize, ...(next ? { _continue: next } : {}) });
      } catch (error) {
        // A continue token that expired (410) needs a fresh list too: the restart gives one after its backoff.
        throw kubeFailure(error, 'list', this.kind.target);
      }
      for (const item of page.items) items.push(this.kind.toEntry(item));
      resourceVersion = page.metadata?.resourceVersion;
      next = page.metadata?._continue || undefined;
    } while (next);
    return { metadata: resourceVersion !== undefined ? { resourceVersion } : {}, items };
  }

  private async attempt(): Promise<void> {
    const failuresBefore = this.failuresSeen;
    try {
      await this.informer.start();
    } catch (error) {
      this.failed(error);
    }
    if (this.stopped || this.failuresSeen !== failuresBefore) return;
    this.down = false;
    this.error = undefined;
    this.upSince = this.options.timer.now();
    this.checkSynced();
  }

  private failed(error: unknown): void {
    if (this.stopped) return;
    this.failuresSeen++;
    this.down = true;
    this.error = kubeFailure(error, 'watch', this.kind.target);
    this.checkSynced();
    if (this.retry) return;
    const now = this.options.timer.now();
    // A failure after a long healthy stretch is a new incident: start again from the shortest delay.
    if (this.upSince !== undefined && now - this.upSince >= this.options.backoff.resetAfterMs) this.failures = 0;
    this.upSince = undefined;
    const wait = backoffDelay(this.options.backoff, this.failures++, this.options.random);
    const handle = this.options.timer.setTimeout(() => {
      this.retry = undefined;
      this.restarts++;
      void this.attempt();
    }, wait);
    this.retry = { handle, at: now + wait };
    this.options.listener.failed(this.error, wait);
  }

  /** Tells the listener when the cache becomes synced, once per time. */
  private checkSynced(): void {
    const synced = this.synced;
    if (synced && !this.reportedSynced) this.options.listener.synced();
    this.reportedSynced = synced;
  }
}
