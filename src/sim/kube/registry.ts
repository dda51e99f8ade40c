/**
 * The generic REST semantics every resource shares, as the API server's generic registry
 * implements them: server-set metadata on create (uid, creationTimestamp, generateName),
 * optimistic concurrency on update (a stale resourceVersion is a 409), no-op updates that do not
 * bump the resourceVersion, `/status` updates that change only status (PATCH is a read, a patch
 * and such an update: see patch.ts and the route table in server.ts),
 * graceful pod deletion, finalizers, delete propagation, list selectors and pagination.
 */
import { randomUUID } from 'node:crypto';
import { matchesRequirements } from '../../kube/label-selector.js';
import type { SimClock } from './clock.js';
import { dependentsOf, LABELS, labelIndexValue } from './indexes.js';
import { apiVersionOf, R, type ResourceInfo, storeKey } from './resources.js';
import {
  type FieldRequirement,
  type LabelMatcher,
  type LabelRequirement,
  labelQueryRequirements,
  parseFieldSelector,
} from './selectors.js';
import { checkShape } from './shapes.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  expired,
  forbidden,
  invalid,
  KubeError,
  notFound,
  staleConflict,
  successStatus,
} from './status.js';
import { type KeyRange, lowerBound, objectKey, type Store } from './store.js';
import { fieldValue, strategyFor } from './strategies.js';
import { clone, isRecord, type KubeObject, type Pod } from './types.js';

export interface WriteOptions {
  dryRun?: boolean;
}

export interface CreateOptions extends WriteOptions {
  /**
   * The body was built by a controller from stored objects (whose JSON types were checked when they
   * were stored) and is not used after: it is stored without the request decoder's copy and shape
   * check, which a controller creating thousands of pods would otherwise pay for each.
   */
  built?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

/** Random name suffixes use the API server's alphabet: no vowels (no words), no look-alikes. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A generateName is cut to this many characters before the 5 random ones are added. */
const MAX_GENERATED_PREFIX = 58;

export function randomSuffix(length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += NAME_ALPHABET[Math.floor(Math.random() * NAME_ALPHABET.length)];
  return out;
}

/** A compiled selector pair: what list, watch and the controllers filter with. */
export interface Filter {
  labels: LabelMatcher | undefined;
  /** The label requirements `labels` checks: those of one value can be read from the label index. */
  labelRequirements: readonly LabelRequirement[];
  fields: FieldRequirement[];
}

export function compileFilter(info: ResourceInfo, labelSelector: string | undefined, fieldSelector: string | undefined): Filter {
  const fields = parseFieldSelector(fieldSelector ?? '');
  for (const f of fields) {
    if (!info.fields.includes(f.field)) {
      throw badRequest(`field label not supported: ${f.field} (${info.resource} can be selected by ${info.fields.join(', ')})`);
    }
  }
  const requirements = labelSelector ? labelQueryRequirements(labelSelector) : [];
  return {
    labels: labelSelector ? (labels) => matchesRequirements(requirements, labels) : undefined,
    labelRequirements: requirements,
    fields,
  };
}

/**
 * The keys a list or watch of `info` must look at, in etcd order. Where an index covers one of the
 * selector's requirements (a field selector on an indexed field, `metadata.name`, a label equal to
 * a value), only the keys under it, the smallest such set; otherwise the namespace's (or the
 * resource's) keys. Every key still has to pass the whole filter: this only narrows.
 */
function candidateKeys(store: Store, info: ResourceInfo, namespace: string | undefined, filter: Filter): KeyRange {
  const resource = storeKey(info);
  let scope = info.namespaced ? namespace : undefined;
  const sets: Array<ReadonlySet<string> | readonly string[]> = [];
  for (const f of filter.fields) {
    if (f.op !== '=') continue;
    if (f.field === 'metadata.namespace' && info.namespaced && scope === undefined) scope = f.value;
    else if (f.field === 'metadata.name' && (scope !== undefined || !info.namespaced)) sets.push([objectKey(scope, f.value)]);
    // An empty value selects objects without the field, which no index holds.
    else if (f.value !== '' && store.hasIndex(resource, f.field)) sets.push(store.indexedKeys(resource, f.field, f.value));
  }
  if (store.hasIndex(resource, LABELS)) {
    for (const r of filter.labelRequirements) {
      if (r.operator !== '=' && r.operator !== 'in') continue;
      const buckets = r.values.map((value) => store.indexedKeys(resource, LABELS, labelIndexValue(r.key, value)));
      sets.push(buckets.length === 1 ? (buckets[0] as ReadonlySet<string>) : new Set(buckets.flatMap((b) => [...b])));
    }
  }
  const size = (set: ReadonlySet<string> | readonly string[]): number => ('size' in set ? set.size : set.length);
  const smallest = sets.reduce<ReadonlySet<string> | readonly string[] | undefined>(
    (best, set) => (best === undefined || size(set) < size(best) ? set : best),
    undefined,
  );
  if (smallest === undefined) return store.keys(resource, scope);
  const prefix = scope !== undefined ? `${scope}/` : '';
  const keys = [...smallest].filter((key) => key.startsWith(prefix)).sort();
  return { keys, start: 0, end: keys.length };
}

/** The objects a list (without `limit`) or a watch's initial events give, in etcd order. */
export function listMatching(store: Store, info: ResourceInfo, namespace: string | undefined, filter: Filter): KubeObject[] {
  const { keys, start, end } = candidateKeys(store, info, namespace, filter);
  const resource = storeKey(info);
  const items: KubeObject[] = [];
  for (let i = start; i < end; i++) {
    const object = store.getByKey(resource, keys[i] as string);
    if (object && matchesFilter(object, filter)) items.push(object);
  }
  return items;
}

export function matchesFilter(object: KubeObject, filter: Filter): boolean {
  if (filter.labels && !filter.labels(object.metadata.labels)) return false;
  for (const f of filter.fields) {
    const equal = fieldValue(object, f.field) === f.value;
    if (equal !== (f.op === '=')) return false;
  }
  return true;
}

interface ContinueToken {
  v: string;
  rv: number;
  start: string;
}

function encodeContinue(rv: number, lastKey: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: `${lastKey}\u0000` })).toString('base64url');
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as ContinueToken;
    if (parsed.v !== 'meta.k8s.io/v1' || typeof parsed.rv !== 'number' || typeof parsed.start !== 'string') throw new Error('bad fields');
    return parsed;
  } catch {
    throw badRequest('continue key is not valid: pass back the `continue` value of the previous list response unchanged');
  }
}

function keyOf(object: KubeObject): string {
  return objectKey(object.metadata.namespace, object.metadata.name);
}

/** Everything in an object the API compares for a no-op update: all but the resourceVersion. */
function sameContent(a: KubeObject, b: KubeObject): boolean {
  const strip = (o: KubeObject): string => JSON.stringify({ ...o, metadata: { ...o.metadata, resourceVersion: '' } });
  return strip(a) === strip(b);
}

export class Registry {
  constructor(
    readonly store: Store,
    private readonly clock: SimClock,
  ) {}

  get<T extends KubeObject = KubeObject>(info: ResourceInfo, namespace: string | undefined, name: string): T {
    const object = this.store.get<T>(storeKey(info), info.namespaced ? namespace : undefined, name);
    if (!object) throw notFound(info.group, info.resource, name);
    return object;
  }

  /**
   * A list, a page at a time with `limit`: the keys come in etcd order from the store (or an index),
   * a `continue` token is found in them by binary search, and only as many objects are read as it
   * takes to fill the page and know whether more follow.
   */
  list(info: ResourceInfo, namespace: string | undefined, options: ListOptions = {}): ListResult {
    const filter = compileFilter(info, options.labelSelector, options.fieldSelector);
    const { keys, start, end } = candidateKeys(this.store, info, namespace, filter);
    let rv = this.store.revision;
    let from = start;
    if (options.continue) {
      const token = decodeContinue(options.continue);
      if (token.rv < this.store.oldestRevision) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
      rv = token.rv;
      from = lowerBound(keys, token.start, start, end);
    }
    const limit = options.limit ?? 0;
    const resource = storeKey(info);
    const items: KubeObject[] = [];
    let at = from;
    let more = false;
    for (; at < end; at++) {
      const object = this.store.getByKey(resource, keys[at] as string);
      if (!object || !matchesFilter(object, filter)) continue;
      if (limit > 0 && items.length === limit) {
        more = true;
        break;
      }
      items.push(object);
    }
    const result: ListResult = { items, resourceVersion: String(rv) };
    if (more) {
      result.continue = encodeContinue(rv, keyOf(items[limit - 1] as KubeObject));
      // The API server reports the remaining count only when it knows it exactly: without selectors (then every key matches).
      if (!options.labelSelector && !options.fieldSelector) result.remainingItemCount = end - at;
    }
    return result;
  }

  create(info: ResourceInfo, namespace: string | undefined, input: unknown, options: CreateOptions = {}): KubeObject {
    const object = this.decode(info, input, options.built ?? false);
    const meta = object.metadata;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    this.settleNamespace(info, meta, namespace);
    if (info.namespaced) this.requireLiveNamespace(info, meta.namespace as string, meta.name || meta.generateName || '');
    const strategy = strategyFor(info);
    if (!meta.name && meta.generateName) {
      // The prefix is cut to 58 characters so the name fits 63 (names.SimpleNameGenerator); a collision is retried.
      const prefix = meta.generateName.slice(0, MAX_GENERATED_PREFIX);
      for (let i = 0; i < 8; i++) {
        meta.name = `${prefix}${randomSuffix()}`;
        if (!this.store.get(storeKey(info), meta.namespace, meta.name)) break;
      }
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = this.clock.timestamp();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    delete meta.managedFields;
    if (strategy.generation) meta.generation = 1;
    else delete meta.generation;
    strategy.prepareForCreate(object, this.store);
    const causes = strategy.validate(object);
    if (causes.length > 0) throw invalid(info.group, info.kind, meta.name, causes);
    if (this.store.get(storeKey(info), meta.namespace, meta.name)) throw alreadyExists(info.group, info.resource, meta.name);
    if (options.dryRun) return { ...object, metadata: { ...object.metadata, resourceVersion: '' } };
    return this.store.create(storeKey(info), object);
  }

  /** PUT of the main resource or of `/status`. */
  update(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    input: unknown,
    options: WriteOptions & { subresource?: 'status' } = {},
  ): KubeObject {
    const old = this.get(info, namespace, name);
    const next = this.decode(info, input);
    if (next.metadata.name && next.metadata.name !== name) {
      throw badRequest(`the name of the object (${next.metadata.name}) does not match the name on the URL (${name})`);
    }
    next.metadata.name = name;
    this.settleNamespace(info, next.metadata, namespace);
    if (next.metadata.resourceVersion && next.metadata.resourceVersion !== old.metadata.resourceVersion) {
      throw staleConflict(info.group, info.resource, name);
    }
    if (next.metadata.uid && next.metadata.uid !== old.metadata.uid) {
      throw conflict(
        info.group,
        info.resource,
        name,
        `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    const strategy = strategyFor(info);
    let updated: KubeObject;
    if (options.subresource === 'status') {
      // Status writes change status only; labels, annotations, finalizers and owners stay (ResetObjectMetaForStatus).
      updated = { ...clone(old), status: next.status };
    } else {
      updated = next;
      for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation'] as const) {
        if (old.metadata[key] === undefined) delete updated.metadata[key];
        else updated.metadata[key] = old.metadata[key] as never;
      }
      if (strategy.hasStatus) {
        if (old.status === undefined) delete updated.status;
        else updated.status = clone(old.status);
      }
      if (strategy.generation && JSON.stringify(updated.spec) !== JSON.stringify(old.spec)) {
        updated.metadata.generation = (old.metadata.generation ?? 1) + 1;
      }
      // A deleting object may lose finalizers but never gain new ones.
      if (old.metadata.deletionTimestamp) {
        const added = (updated.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw forbidden(
            info.group,
            info.resource,
            name,
            `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          );
        }
      }
    }
    updated.metadata.resourceVersion = old.metadata.resourceVersion;
    const causes = strategy.validate(updated, old);
    if (causes.length > 0) throw invalid(info.group, info.kind, name, causes);
    if (sameContent(updated, old) || options.dryRun) return options.dryRun ? updated : old;
    // The last finalizer gone from a deleting object (other than a pod, whose kubelet finishes it): the object goes.
    if (info !== R.pods && updated.metadata.deletionTimestamp && (updated.metadata.finalizers ?? []).length === 0) {
      return this.store.remove(storeKey(info), updated.metadata.namespace, name) as KubeObject;
    }
    return this.store.update(storeKey(info), updated);
  }

  delete(
    info: ResourceInfo,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): { object: KubeObject; body: unknown } {
    const old = this.get(info, namespace, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== old.metadata.uid) {
      throw conflict(
        info.group,
        info.resource,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(
        info.group,
        info.resource,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`,
      );
    }
    const done = (object: KubeObject, deleted: boolean): { object: KubeObject; body: unknown } => {
      // Pods answer with the object; the other kinds with a Success Status once the object is gone.
      if (info === R.pods || !deleted) return { object, body: object };
      return {
        object,
        body: successStatus({ name, ...(info.group ? { group: info.group } : {}), kind: info.resource, uid: old.metadata.uid }),
      };
    };
    if (options.dryRun) return done(old, true);
    if (options.propagationPolicy === 'Orphan') this.orphanDependents(old.metadata.uid);
    const now = this.clock.now();
    if (info === R.pods) return done(...this.deletePod(old as Pod, options.gracePeriodSeconds, now));
    if (info === R.namespaces) return done(this.deleteNamespace(old), false);
    const finalizers = [...(old.metadata.finalizers ?? [])];
    if (options.propagationPolicy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (finalizers.length > 0) {
      if (old.metadata.deletionTimestamp && sameFinalizers(old, finalizers)) return done(old, false);
      const marked = clone(old);
      marked.metadata.finalizers = finalizers;
      marked.metadata.deletionTimestamp ??= this.clock.timestamp(now);
      marked.metadata.deletionGracePeriodSeconds ??= 0;
      return done(this.store.update(storeKey(info), marked), false);
    }
    return done(this.store.remove(storeKey(info), old.metadata.namespace, name) as KubeObject, true);
  }

  /**
   * Graceful pod deletion: the pod gets `deletionTimestamp` = now + grace period and stays
   * (Terminating) until its kubelet finishes it; a pod that never ran, or a grace period of 0,
   * goes at once. A second delete can only shorten the grace period.
   */
  private deletePod(pod: Pod, requested: number | undefined, now: number): [KubeObject, boolean] {
    let grace = requested ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    const phase = pod.status?.phase;
    if (!pod.spec.nodeName || phase === 'Succeeded' || phase === 'Failed') grace = 0;
    grace = Math.max(0, Math.floor(grace));
    if (pod.metadata.deletionTimestamp && (pod.metadata.deletionGracePeriodSeconds ?? 0) <= grace) return [pod, false];
    if (grace === 0 && (pod.metadata.finalizers ?? []).length === 0) {
      return [this.store.remove(storeKey(R.pods), pod.metadata.namespace, pod.metadata.name) as KubeObject, true];
    }
    const marked = clone(pod);
    marked.metadata.deletionTimestamp = this.clock.timestamp(now + grace * 1000);
    marked.metadata.deletionGracePeriodSeconds = grace;
    return [this.store.update(storeKey(R.pods), marked), false];
  }

  /**
   * A namespace is not removed at once: it turns Terminating, the namespace controller deletes
   * what is in it, and then the namespace goes. The system namespaces cannot be deleted.
   */
  private deleteNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name;
    if (['default', 'kube-system', 'kube-public'].includes(name)) {
      throw forbidden('', 'namespaces', name, 'this namespace may not be deleted');
    }
    if (ns.metadata.deletionTimestamp) return ns;
    const marked = clone(ns);
    marked.metadata.deletionTimestamp = this.clock.timestamp();
    marked.status = { ...(isRecord(marked.status) ? marked.status : {}), phase: 'Terminating' };
    return this.store.update(storeKey(R.namespaces), marked);
  }

  /** Removes owner references to `uid` from every object (delete with propagationPolicy Orphan). */
  orphanDependents(uid: string): void {
    for (const { resource, object } of dependentsOf(this.store, uid)) {
      const next = clone(object);
      next.metadata.ownerReferences = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.store.update(resource, next);
    }
  }

  /** Checks a request body is an object of this resource's kind and returns a private copy with its type set. */
  private decode(info: ResourceInfo, input: unknown, built = false): KubeObject {
    if (!isRecord(input))
      throw badRequest(`the request body must be a JSON object (a ${info.kind}), got ${Array.isArray(input) ? 'an array' : typeof input}`);
    const apiVersion = apiVersionOf(info);
    if (input.apiVersion !== undefined && input.apiVersion !== apiVersion) {
      throw badRequest(`the API version in the data (${String(input.apiVersion)}) does not match the expected API version (${apiVersion})`);
    }
    if (input.kind !== undefined && input.kind !== info.kind) {
      throw badRequest(`the kind in the data (${String(input.kind)}) does not match the expected kind (${info.kind}) for ${info.resource}`);
    }
    const object = (built ? { ...input } : clone(input)) as KubeObject;
    // Wrong JSON types are the decoder's 400, before any code reads the fields.
    if (!built) checkShape(info.kind, object, apiVersion);
    object.apiVersion = apiVersion;
    object.kind = info.kind;
    object.metadata = { ...(object.metadata ?? {}) } as KubeObject['metadata'];
    object.metadata.name ??= '';
    // Reorder so apiVersion and kind come first, as the API server writes objects.
    const { apiVersion: a, kind: k, metadata: m, ...rest } = object;
    return { apiVersion: a, kind: k, metadata: m, ...rest };
  }

  private settleNamespace(info: ResourceInfo, meta: KubeObject['metadata'], namespace: string | undefined): void {
    if (!info.namespaced) {
      delete meta.namespace;
      return;
    }
    const ns = namespace ?? 'default';
    if (meta.namespace && meta.namespace !== ns) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta.namespace = ns;
  }

  private requireLiveNamespace(info: ResourceInfo, namespace: string, name: string): void {
    const ns = this.store.get(storeKey(R.namespaces), undefined, namespace);
    if (!ns) throw notFound('', 'namespaces', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new KubeError(
        403,
        'Forbidden',
        `${info.resource}${info.group ? `.${info.group}` : ''} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name,
          ...(info.group ? { group: info.group } : {}),
          kind: info.resource,
          causes: [{ reason: 'NamespaceTerminating', message: `namespace ${namespace} is being terminated`, field: 'metadata.namespace' }],
        },
      );
    }
  }
}

function sameFinalizers(object: KubeObject, finalizers: string[]): boolean {
  return JSON.stringify([...(object.metadata.finalizers ?? [])].sort()) === JSON.stringify([...finalizers].sort());
}
