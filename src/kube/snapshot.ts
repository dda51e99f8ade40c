/**
 * The cluster snapshot (src/policy/snapshot.ts) built from the informers' caches: a pure function,
 * so tests feed it in-memory caches and the reader (./snapshot-reader.ts) feeds it live ones.
 *
 * Workers are told apart here, not in the caches, so that the caches do not depend on the rule:
 * by the LambdaStack naming rule (`<prefix>-<name>-kubernetes-node-vm-<i>`), or by a label selector.
 */
import { WORKER_COMPONENT } from '../config/schema.js';
import { UserError } from '../errors.js';
import { vmName } from '../plan/naming.js';
import type { BudgetView, ClusterSnapshot, NodeView, PodView, UsageView } from '../policy/snapshot.js';
import type { BudgetFacts, CacheEntry, NodeFacts, PodFacts } from './cache-entries.js';
import { Interner } from './intern.js';
import { type Labels, matchesRequirements, parseLabelSelector } from './label-selector.js';

/** What the snapshot reads of an informer: client-node's `ObjectCache.list()`. */
export interface EntryCache<V> {
  list(): ReadonlyArray<CacheEntry<V>>;
}

export interface SnapshotCaches {
  nodes: EntryCache<NodeFacts>;
  pods: EntryCache<PodFacts>;
  budgets: EntryCache<BudgetFacts>;
}

/** Which nodes are the cluster's workers. */
export interface WorkerRule {
  /** The cluster's `specification.name` and `prefix`: workers are named by the LambdaStack rule, which also gives their index. */
  cluster?: { name: string; prefix?: string | null | undefined };
  /** A label selector in the query syntax (`node-pool=workers`): when given, it alone decides which nodes are workers. */
  selector?: string;
}

export interface BuildOptions {
  /** The rule, or the matcher compiled from it (a reader compiles its rule once). */
  workers: WorkerRule | WorkerMatcher;
  /** When the snapshot is taken (milliseconds since the epoch). */
  takenAt: number;
  /** An informer is restarting or has not listed yet. */
  stale: boolean;
}

/** The rule compiled once: whether a node is a worker, and its VM index when its name follows the rule. */
export interface WorkerMatcher {
  isWorker(name: string, labels: Labels): boolean;
  indexOf(name: string): number | undefined;
}

const INDEX = /^(0|[1-9]\d*)$/;

/** Compiles a worker rule; a rule with neither part, or a selector that does not parse, is a UserError. */
export function workerMatcher(rule: WorkerRule): WorkerMatcher {
  if (!rule.cluster && rule.selector === undefined) {
    throw new UserError('no worker rule: give the cluster name (and prefix) for the LambdaStack naming rule, or a node label selector');
  }
  // The name of VM 0 less its index: the one place the naming rule lives is vmName.
  const stem = rule.cluster ? vmName(rule.cluster.prefix, rule.cluster.name, WORKER_COMPONENT, 0).slice(0, -1) : undefined;
  const indexOf = (name: string): number | undefined => {
    if (stem === undefined || !name.startsWith(stem)) return undefined;
    const digits = name.slice(stem.length);
    return INDEX.test(digits) ? Number(digits) : undefined;
  };
  if (rule.selector !== undefined) {
    const requirements = parseLabelSelector(rule.selector);
    return { isWorker: (_name, labels) => matchesRequirements(requirements, labels), indexOf };
  }
  return { isWorker: (name) => indexOf(name) !== undefined, indexOf };
}

function nodeView(facts: NodeFacts, workers: WorkerMatcher): NodeView {
  return {
    name: facts.name,
    worker: workers.isWorker(facts.name, facts.labels),
    index: workers.indexOf(facts.name),
    ready: facts.ready,
    unschedulable: facts.unschedulable,
    taints: facts.taints,
    labels: facts.labels,
    allocatable: facts.allocatable,
    scaleDownDisabled: facts.scaleDownDisabled,
    createdAt: facts.createdAt,
  };
}

const NO_BUDGETS: readonly string[] = Object.freeze([]);
const budgetLists = new Interner<string[]>();

/** A namespace's budgets: by one `matchLabels` pair each, and those without one (checked against every pod). */
interface NamespaceBudgets {
  byLabel: Map<string, Map<string, BudgetFacts[]>>;
  unanchored: BudgetFacts[];
  /** Answers so far, per label set. */
  found: Map<Labels, readonly string[]>;
}

/**
 * The budgets that select a pod. Only the pod's namespace is searched, and in it only the budgets
 * whose anchor label the pod carries (plus the few without one); and pods of one workload share
 * one label object (./intern.ts), so each distinct label set is matched once. Matching every pod
 * against every budget of its namespace cost ~0.5 s at 150,000 pods and 4,700 budgets.
 */
function budgetFinder(budgets: ReadonlyArray<CacheEntry<BudgetFacts>>): (pod: PodFacts) => readonly string[] {
  const byNamespace = new Map<string, NamespaceBudgets>();
  for (const { view } of budgets) {
    let namespace = byNamespace.get(view.namespace);
    if (!namespace) {
      namespace = { byLabel: new Map(), unanchored: [], found: new Map() };
      byNamespace.set(view.namespace, namespace);
    }
    if (!view.anchor) {
      namespace.unanchored.push(view);
      continue;
    }
    const [key, value] = view.anchor;
    let values = namespace.byLabel.get(key);
    if (!values) {
      values = new Map();
      namespace.byLabel.set(key, values);
    }
    const anchored = values.get(value);
    if (anchored) anchored.push(view);
    else values.set(value, [view]);
  }
  const matching = (namespace: NamespaceBudgets, labels: Labels): readonly string[] => {
    const keys: string[] = [];
    for (const budget of namespace.unanchored) if (budget.selects(labels)) keys.push(budget.key);
    for (const [key, value] of Object.entries(labels)) {
      for (const budget of namespace.byLabel.get(key)?.get(value) ?? []) if (budget.selects(labels)) keys.push(budget.key);
    }
    // Shared between builds too, so that a pod whose budgets did not change keeps its view (podView).
    return keys.length === 0 ? NO_BUDGETS : budgetLists.intern(keys.sort());
  };
  return (pod) => {
    const namespace = byNamespace.get(pod.namespace);
    if (!namespace) return NO_BUDGETS;
    let keys = namespace.found.get(pod.labels);
    if (!keys) {
      keys = matching(namespace, pod.labels);
      namespace.found.set(pod.labels, keys);
    }
    return keys;
  };
}

/**
 * The view each cached pod got in the last snapshot. A pod's view depends only on its cached facts
 * (replaced whenever the pod changes) and its budget list, so while both are the same the view is
 * reused: a cycle allocates views for the pods that changed, not 150,000 new ones for the GC.
 * Views are frozen, since snapshots share them.
 */
const lastViews = new WeakMap<PodFacts, PodView>();

function podView(facts: PodFacts, budgets: readonly string[]): PodView {
  const last = lastViews.get(facts);
  if (last?.budgets === budgets) return last;
  const view = newPodView(facts, budgets);
  lastViews.set(facts, view);
  return view;
}

function newPodView(facts: PodFacts, budgets: readonly string[]): PodView {
  return Object.freeze({
    key: facts.key,
    nodeName: facts.nodeName,
    phase: facts.phase,
    requests: facts.requests,
    ownerKind: facts.ownerKind,
    unschedulable: facts.unschedulable,
    unschedulableSince: facts.unschedulableSince,
    nodeSelector: facts.nodeSelector,
    requiredNodeAffinity: facts.requiredNodeAffinity,
    tolerations: facts.tolerations,
    safeToEvict: facts.safeToEvict,
    doNotDisrupt: facts.doNotDisrupt,
    mirror: facts.mirror,
    budgets,
  });
}

const byName = (a: NodeView, b: NodeView): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The snapshot of what the caches hold now. Nodes come sorted by name, a pod's budgets by key; pods and budgets in the caches' order. */
export function buildSnapshot(caches: SnapshotCaches, usage: UsageView | undefined, options: BuildOptions): ClusterSnapshot {
  const workers = 'isWorker' in options.workers ? options.workers : workerMatcher(options.workers);
  const nodes = caches.nodes.list().map((entry) => nodeView(entry.view, workers));
  nodes.sort(byName);
  const budgetEntries = caches.budgets.list();
  const budgetsOf = budgetFinder(budgetEntries);
  const pods = caches.pods.list().map(({ view }) => podView(view, budgetsOf(view)));
  const budgets = budgetEntries.map(({ view }): BudgetView => ({ key: view.key, disruptionsAllowed: view.disruptionsAllowed }));
  return { takenAt: options.takenAt, stale: options.stale, nodes, pods, budgets, usage };
}
