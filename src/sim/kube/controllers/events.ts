/**
 * Events (`core/v1`), as `kubectl describe` and `kubectl get events` show them: repeated events for
 * the same object, reason and message are folded into one with a growing `count`, as the
 * client-go event recorder does, and old events expire as they do after the API server's TTL.
 */
import type { SimClock } from '../clock.js';
import { R, storeKey } from '../resources.js';
import type { Store } from '../store.js';
import { clone, type KubeObject } from '../types.js';
import type { EventInput } from './context.js';

const EVENT_TTL_MS = 60 * 60 * 1000;
const MAX_EVENTS = 5000;

export class EventRecorder {
  private readonly folded = new Map<string, { namespace: string; name: string }>();
  /** The fold of each event this recorder made (by "<namespace>/<name>"), so an expired one drops its own. */
  private readonly folds = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly store: Store,
    private readonly clock: SimClock,
  ) {}

  record(input: EventInput): void {
    const involved = input.involved;
    const namespace = involved.metadata.namespace ?? 'default';
    if (!this.store.get(storeKey(R.namespaces), undefined, namespace)) return;
    const key = `${involved.metadata.uid}\u0000${input.reason}\u0000${input.message}`;
    const now = this.clock.timestamp();
    const known = this.folded.get(key);
    const existing = known ? this.store.get(storeKey(R.events), known.namespace, known.name) : undefined;
    if (existing) {
      const next = clone(existing) as KubeObject & { count?: number };
      next.count = (next.count ?? 1) + 1;
      next.lastTimestamp = now;
      this.store.update(storeKey(R.events), next);
      return;
    }
    // Event names are the object's name and a hex timestamp, as the recorder makes them.
    const nanos = BigInt(Math.floor(this.clock.now())) * 1_000_000n + BigInt(this.seq++ % 1_000_000);
    const name = `${involved.metadata.name}.${nanos.toString(16)}`;
    const event: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace, uid: crypto.randomUUID(), resourceVersion: '', creationTimestamp: now },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason: input.reason,
      message: input.message,
      source: { component: input.component, ...(input.host ? { host: input.host } : {}) },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: input.type,
      eventTime: null,
      reportingComponent: input.component,
      reportingInstance: input.host ?? '',
    };
    this.store.create(storeKey(R.events), event);
    this.folded.set(key, { namespace, name });
    this.folds.set(`${namespace}/${name}`, key);
    this.expire();
  }

  /**
   * Drops the oldest events once there are a fifth more than MAX_EVENTS (in a batch: trimming
   * one per new event would cost a scan each time). The store keeps events in creation order.
   */
  private expire(): void {
    const key = storeKey(R.events);
    if (this.store.count(key) <= MAX_EVENTS * 1.2) return;
    const cutoff = this.clock.now() - EVENT_TTL_MS;
    let excess = this.store.count(key) - MAX_EVENTS;
    for (const event of [...this.store.values(key)]) {
      if (excess <= 0 && Date.parse(event.metadata.creationTimestamp) >= cutoff) break;
      this.store.remove(key, event.metadata.namespace, event.metadata.name);
      this.forget(`${event.metadata.namespace}/${event.metadata.name}`);
      excess--;
    }
    // Events deleted by others (a client, a namespace going) leave folds behind: swept when they pile up.
    if (this.folds.size > MAX_EVENTS * 2) {
      for (const name of [...this.folds.keys()]) {
        const [namespace = '', event = ''] = name.split('/');
        if (!this.store.get(key, namespace, event)) this.forget(name);
      }
    }
  }

  private forget(event: string): void {
    const fold = this.folds.get(event);
    if (fold === undefined) return;
    this.folds.delete(event);
    const ref = this.folded.get(fold);
    if (ref && `${ref.namespace}/${ref.name}` === event) this.folded.delete(fold);
  }
}
