/**
 * The store's indexes, named after the field they index so that a list or watch with a field
 * selector on that field reads the index (`registry.ts`) instead of every object:
 * - pods by `spec.nodeName`: a node's pods (the kubelet, the pod GC, `kubectl drain`'s list);
 * - pods by label (`key=value`): label selectors of lists, watches and PodDisruptionBudgets;
 * - every object by the uids of its owner references: a controller's pods, a Deployment's
 *   ReplicaSets, the garbage collector's dependents;
 * - PodDisruptionBudgets by namespace: the budgets a pod's change can concern.
 */
import { R, RESOURCES, storeKey } from './resources.js';
import type { IndexDefinition, Store } from './store.js';
import type { KubeObject, Pod } from './types.js';

export const NODE_NAME = 'spec.nodeName';
export const LABELS = 'metadata.labels';
export const OWNER = 'metadata.ownerReferences.uid';
export const NAMESPACE = 'metadata.namespace';

const NONE: readonly string[] = [];

const byNodeName: IndexDefinition = {
  source: (object) => (object as Pod).spec,
  values: (object) => {
    const node = (object as Pod).spec?.nodeName;
    return node ? [node] : NONE;
  },
};

/** `key=value`: a label key cannot hold '=', so the pair is unambiguous. */
export function labelIndexValue(key: string, value: string): string {
  return `${key}=${value}`;
}

const byLabel: IndexDefinition = {
  source: (object) => object.metadata.labels,
  values: (object) => {
    const labels = object.metadata.labels;
    if (!labels) return NONE;
    return Object.entries(labels).map(([key, value]) => labelIndexValue(key, value));
  },
};

const byOwner: IndexDefinition = {
  source: (object) => object.metadata.ownerReferences,
  values: (object) => object.metadata.ownerReferences?.map((ref) => ref.uid) ?? NONE,
};

const byNamespace: IndexDefinition = {
  source: () => undefined,
  values: (object: KubeObject) => (object.metadata.namespace ? [object.metadata.namespace] : NONE),
};

/** Declares the simulator's indexes on a store (before anything is stored, or they are built from what is). */
export function installIndexes(store: Store): void {
  const pods = storeKey(R.pods);
  store.addIndex(pods, NODE_NAME, byNodeName);
  store.addIndex(pods, LABELS, byLabel);
  for (const info of RESOURCES) if (!info.aggregated) store.addIndex(storeKey(info), OWNER, byOwner);
  store.addIndex(storeKey(R.pdbs), NAMESPACE, byNamespace);
}

/** The objects of every resource whose owner references name `uid`. */
export function dependentsOf(store: Store, uid: string): Array<{ resource: string; object: KubeObject }> {
  const found: Array<{ resource: string; object: KubeObject }> = [];
  for (const info of RESOURCES) {
    if (info.aggregated) continue;
    const resource = storeKey(info);
    for (const object of store.indexed(resource, OWNER, uid)) found.push({ resource, object });
  }
  return found;
}
