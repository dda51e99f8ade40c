/**
 * The recording format, version 1: one JSON object per line, one line per watcher cycle, holding
 * what the decision engine reads of the cluster (src/policy/snapshot.ts) and of the config, so
 * that `replay` can run the real `decide` over it. Pure: a cycle to a line (`encodeCycle`), a line
 * back to a cycle (`decodeLine`). How lines are written so that one repeats little of the line
 * before it is ./lines.ts.
 *
 * Compact: pods are not listed one by one but counted by shape (everything the engine reads of a
 * pod but its name and node: requests, owner kind, phase, placement constraints, eviction
 * annotations, budgets) on each node, so a node running 30 pods of 4 Deployments is 4 rows. Label,
 * taint, toleration, selector and affinity sets are listed once and referred to by position; the
 * `kubernetes.io/hostname` label is left out when it is the node's name, and a DaemonSet pod's
 * affinity to its own node is written `$node`, so its pods are one shape on every node. Measured
 * use is a section of its own: it is what changes every cycle.
 *
 * Private: no annotation, environment or other spec field is kept; pod and PodDisruptionBudget
 * names only when asked (`--record-pod-names`); otherwise budgets are numbered and pods are named
 * `pods/<row>-<i>` when read back.
 */
import { z } from 'zod';
import type { NodeSelectorTerm } from '../kube/node-affinity.js';
import type { Taint, Toleration } from '../kube/taints.js';
import type { MetricInput, MetricReading } from '../policy/metric-signal.js';
import type { BudgetView, ClusterSnapshot, NodeView, OwnerKind, PodView } from '../policy/snapshot.js';

export const RECORDING_VERSION = 1;

const HOSTNAME = 'kubernetes.io/hostname';

/** Node flags, one bit each. */
const READY = 1;
const CORDONED = 2;
const WORKER = 4;
const SCALE_DOWN_DISABLED = 8;

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
const OWNER_KINDS = ['DaemonSet', 'ReplicaSet', 'StatefulSet', 'Job', 'ReplicationController', 'Node', 'other', 'none'] as const;

const count = z.number().int().nonnegative();
const amount = z.number().nonnegative();
const time = z.number().int();
const taintSchema = z.object({ key: z.string().optional(), value: z.string().optional(), effect: z.string() });
const tolerationSchema = z.object({
  key: z.string().optional(),
  operator: z.string().optional(),
  value: z.string().optional(),
  effect: z.string().optional(),
});
const requirementSchema = z.object({ key: z.string(), operator: z.string(), values: z.array(z.string()).optional() });
const termSchema = z.object({
  matchExpressions: z.array(requirementSchema).optional(),
  matchFields: z.array(requirementSchema).optional(),
});

/**
 * A node: `[name, flags, index, labels, taints, cpu, memory, pods, createdAt]`: flags are
 * READY|CORDONED|WORKER|SCALE_DOWN_DISABLED (1, 2, 4, 8); index the VM index by the naming rule
 * or null; labels and taints positions in `labelSets` and `taintSets`; cpu, memory and pods its
 * allocatable (millicores, bytes, pods); createdAt when it registered (ms since the epoch).
 */
const nodeRowSchema = z.tuple([
  z.string().min(1),
  z.number().int().min(0).max(15),
  count.nullable(),
  count,
  count,
  amount,
  amount,
  amount,
  time,
]);

/** A pod shape. Left out when they are the default: the constraints, the annotations, `unschedulable`. */
const podShapeSchema = z.object({
  phase: z.enum(PHASES),
  cpu: amount,
  memory: amount,
  pods: amount,
  owner: z.enum(OWNER_KINDS),
  /** Marked Unschedulable by the scheduler; `since` when, if known (ms since the epoch). */
  unschedulable: z.literal(true).optional(),
  since: time.optional(),
  /** Positions in `selectorSets`, `affinitySets`, `tolerationSets` and `budgets`. */
  selector: count.optional(),
  affinity: count.optional(),
  tolerations: count.optional(),
  budgets: z.array(count).optional(),
  safeToEvict: z.boolean().optional(),
  doNotDisrupt: z.literal(true).optional(),
  mirror: z.literal(true).optional(),
});

export type PodShape = z.infer<typeof podShapeSchema>;

/** What the Prometheus signal's query answered (src/policy/metric-signal.ts MetricReading); `at` in ms since the epoch. */
const readingSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('sample'), value: z.number(), at: time }),
  z.object({ kind: z.literal('empty') }),
  z.object({ kind: z.literal('several-series'), series: count, labels: z.array(z.string()) }),
  z.object({
    kind: z.literal('failed'),
    reason: z.enum(['no-url', 'unreachable', 'timeout', 'http-status', 'query-error', 'not-instant', 'invalid-response']),
    error: z.string(),
  }),
]);

/** The parts of a line that the next line may say are `same` (see ./lines.ts). */
export const sectionSchemas = {
  labelSets: z.array(z.record(z.string(), z.string())),
  taintSets: z.array(z.array(taintSchema)),
  tolerationSets: z.array(z.array(tolerationSchema)),
  selectorSets: z.array(z.record(z.string(), z.string())),
  affinitySets: z.array(z.array(termSchema)),
  nodes: z.array(nodeRowSchema),
  /** Each node's measured use, `[cpu, memory]` in millicores and bytes, by the position in `nodes`; null without a sample. */
  usage: z.array(z.tuple([amount, amount]).nullable()),
  podShapes: z.array(podShapeSchema),
  /** Pods alike: `[node position, or -1 when not bound; shape position; how many]`. */
  pods: z.array(z.tuple([z.number().int().min(-1), count, z.number().int().positive()])),
  /** `status.disruptionsAllowed` of each PodDisruptionBudget. */
  budgets: z.array(z.number().int()),
  /** The Prometheus signal's query and what it answered this cycle; null when the entry names none. */
  prometheus: z.object({ query: z.string(), reading: readingSchema }).nullable(),
  /** With `--record-pod-names` only: each pods row's pod keys (namespace/name), each budget's key. */
  names: z.object({ pods: z.array(z.array(z.string())), budgets: z.array(z.string()) }).optional(),
};

export type SectionName = keyof typeof sectionSchemas;
export const SECTION_NAMES = Object.keys(sectionSchemas) as SectionName[];

export const headerSchema = z.object({
  v: z.literal(RECORDING_VERSION),
  /** When the cycle decided: ISO 8601 in UTC. */
  at: z.iso.datetime(),
  /** The cluster document's `specification.name` and `prefix`. */
  cluster: z.string().min(1),
  prefix: z.string().nullable(),
  /** The config's worker count and bounds on the default branch then, and the worker VM size. */
  count,
  min: count,
  max: count,
  vmSize: z.string().nullable(),
  /** The snapshot was built from caches that may miss changes (no decision is made from it). */
  stale: z.boolean(),
  /** How long before `at` the snapshot was taken, and the metrics samples (null: no metrics). */
  snapshotAge: amount,
  usageAge: amount.nullable(),
});

export const recordLineSchema = headerSchema.extend(sectionSchemas);

export type RecordLine = z.infer<typeof recordLineSchema>;

/** What a cycle records besides the snapshot: the config it decided with. */
export interface RecordedConfig {
  cluster: string;
  prefix: string | null | undefined;
  count: number;
  min: number;
  max: number;
  vmSize: string | undefined;
}

/** One cycle read back: the config then, and the snapshot as the engine saw it (names aside). */
export interface RecordedCycle extends Omit<RecordedConfig, 'prefix' | 'vmSize'> {
  at: number;
  prefix: string | null;
  vmSize: string | undefined;
  snapshot: ClusterSnapshot;
  /** The Prometheus query the config named then, and its answer. */
  prometheus: { query: string; reading: MetricReading } | undefined;
}

/** Stands for the pod's own node in a required node affinity (no node name has a `$`). */
const OWN_NODE = '$node';

function mapNodeNames(terms: readonly NodeSelectorTerm[], map: (value: string) => string): NodeSelectorTerm[] {
  return terms.map((term) =>
    term.matchFields
      ? {
          ...term,
          matchFields: term.matchFields.map((field) =>
            field.key === 'metadata.name' && field.values ? { ...field, values: field.values.map(map) } : field,
          ),
        }
      : term,
  );
}

/** The pod's required node affinity with its own node's name written as OWN_NODE. */
function ownNodeAffinity(pod: PodView): readonly NodeSelectorTerm[] | undefined {
  const terms = pod.requiredNodeAffinity;
  if (!terms || pod.nodeName === undefined) return terms;
  const node = pod.nodeName;
  return mapNodeNames(terms, (value) => (value === node ? OWN_NODE : value));
}

/** Everything a shape holds, as one string. */
function shapeKey(pod: PodView): string {
  return JSON.stringify([
    pod.phase,
    pod.requests,
    pod.ownerKind,
    pod.unschedulable,
    pod.unschedulableSince ?? null,
    pod.nodeSelector ?? null,
    ownNodeAffinity(pod) ?? null,
    pod.tolerations,
    pod.safeToEvict ?? null,
    pod.doNotDisrupt,
    pod.mirror,
    pod.budgets,
  ]);
}

/**
 * A number per distinct shape, for the life of the process. Snapshots reuse a pod's (frozen) view
 * while the pod is unchanged, so a cycle works out the shape of new pods only, and 150,000 pods
 * are grouped by number rather than by a long string. Forgotten and started again past a bound,
 * so a cluster whose workloads keep changing does not grow it without end.
 */
class ShapeIds {
  private static readonly LIMIT = 200_000;
  private ids = new Map<string, number>();
  private generation = 0;
  private readonly known = new WeakMap<PodView, { generation: number; id: number }>();

  of(pod: PodView): number {
    const known = this.known.get(pod);
    if (known?.generation === this.generation) return known.id;
    if (this.ids.size >= ShapeIds.LIMIT) {
      this.ids = new Map();
      this.generation++;
    }
    const key = shapeKey(pod);
    let id = this.ids.get(key);
    if (id === undefined) {
      id = this.ids.size;
      this.ids.set(key, id);
    }
    if (Object.isFrozen(pod)) this.known.set(pod, { generation: this.generation, id });
    return id;
  }
}

const shapeIds = new ShapeIds();

/** Pods rows are grouped by node and shape under one number: (node + 1) · 2²¹ + shape. */
const ROW_SHAPES = 2 ** 21;

/** Positions of distinct values, by a key of each. */
class Table<T> {
  readonly values: T[] = [];
  private readonly index = new Map<string, number>();
  position(key: string, make: () => T): number {
    let at = this.index.get(key);
    if (at === undefined) {
      at = this.values.length;
      this.values.push(make());
      this.index.set(key, at);
    }
    return at;
  }
  /** The position of a value whose own JSON is its key. */
  of(value: T & object, copy: (value: T) => T = (v) => v): number {
    return this.position(json(value), () => copy(value));
  }
}

/**
 * JSON of a part of a snapshot, worked out once per object: snapshots share the objects of
 * unchanged nodes and pods from cycle to cycle, and never change one in place (the reader
 * replaces what changed).
 */
const jsonOf = new WeakMap<object, string>();
function json(value: object): string {
  let text = jsonOf.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    jsonOf.set(value, text);
  }
  return text;
}

/** A node's labels without the hostname when it is the node's name, once per labels object. */
const ownLabels = new WeakMap<object, { name: string; labels: Record<string, string> }>();
function labelsOf(node: NodeView): Record<string, string> {
  const known = ownLabels.get(node.labels);
  if (known?.name === node.name) return known.labels;
  const labels = node.labels[HOSTNAME] === node.name ? withoutKey(node.labels, HOSTNAME) : { ...node.labels };
  ownLabels.set(node.labels, { name: node.name, labels });
  return labels;
}

function withoutKey(labels: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== key) copy[k] = v;
  return copy;
}

/** The line of one cycle. `podNames` keeps pod and budget keys. */
export function encodeCycle(input: {
  at: number;
  config: RecordedConfig;
  snapshot: ClusterSnapshot;
  /** The Prometheus signal's query and reading, when the config names one. */
  metric?: MetricInput | undefined;
  podNames: boolean;
}): RecordLine {
  const { at, config, snapshot } = input;
  const labelSets = new Table<Record<string, string>>();
  const taintSets = new Table<Taint[]>();
  const tolerationSets = new Table<Toleration[]>();
  const selectorSets = new Table<Record<string, string>>();
  const affinitySets = new Table<NodeSelectorTerm[]>();
  const nodeRow = new Map<string, number>();
  const nodes: RecordLine['nodes'] = [];
  const usage: RecordLine['usage'] = [];
  for (const [row, node] of snapshot.nodes.entries()) {
    nodeRow.set(node.name, row);
    const flags =
      (node.ready ? READY : 0) |
      (node.unschedulable ? CORDONED : 0) |
      (node.worker ? WORKER : 0) |
      (node.scaleDownDisabled ? SCALE_DOWN_DISABLED : 0);
    nodes.push([
      node.name,
      flags,
      node.index ?? null,
      labelSets.of(labelsOf(node), (labels) => ({ ...labels })),
      taintSets.of(node.taints as Taint[], (taints) => taints.map((t) => ({ ...t }))),
      node.allocatable.cpu,
      node.allocatable.memory,
      node.allocatable.pods,
      node.createdAt,
    ]);
    // Exact: a rounded share could fall on the other side of a threshold.
    const used = snapshot.usage?.nodes.get(node.name);
    usage.push(used ? [used.cpu, used.memory] : null);
  }
  const budgetIndex = new Map(snapshot.budgets.map((budget, i) => [budget.key, i]));
  const shape = (pod: PodView): PodShape => {
    const budgets = pod.budgets.map((key) => budgetIndex.get(key)).filter((i): i is number => i !== undefined);
    const affinity = ownNodeAffinity(pod);
    return {
      phase: pod.phase,
      cpu: pod.requests.cpu,
      memory: pod.requests.memory,
      pods: pod.requests.pods,
      owner: pod.ownerKind,
      ...(pod.unschedulable ? { unschedulable: true as const } : {}),
      ...(pod.unschedulable && pod.unschedulableSince !== undefined ? { since: pod.unschedulableSince } : {}),
      ...(pod.nodeSelector ? { selector: selectorSets.of(pod.nodeSelector, (selector) => ({ ...selector })) } : {}),
      ...(affinity ? { affinity: affinitySets.of(affinity as NodeSelectorTerm[]) } : {}),
      ...(pod.tolerations.length > 0 ? { tolerations: tolerationSets.of(pod.tolerations as Toleration[]) } : {}),
      ...(budgets.length > 0 ? { budgets } : {}),
      ...(pod.safeToEvict !== undefined ? { safeToEvict: pod.safeToEvict } : {}),
      ...(pod.doNotDisrupt ? { doNotDisrupt: true as const } : {}),
      ...(pod.mirror ? { mirror: true as const } : {}),
    };
  };
  const shapes: PodShape[] = [];
  /** The line's shape position of each shape id seen this cycle. */
  const position = new Map<number, number>();
  const rows = new Map<number, { row: [number, number, number]; names: string[] | undefined }>();
  for (const pod of snapshot.pods) {
    const node = pod.nodeName === undefined ? -1 : nodeRow.get(pod.nodeName);
    // A pod bound to a node the cache does not hold (yet): the engine skips it too.
    if (node === undefined) continue;
    const id = shapeIds.of(pod);
    let at = position.get(id);
    if (at === undefined) {
      at = shapes.length;
      shapes.push(shape(pod));
      position.set(id, at);
    }
    const key = (node + 1) * ROW_SHAPES + at;
    let entry = rows.get(key);
    if (!entry) {
      entry = { row: [node, at, 0], names: input.podNames ? [] : undefined };
      rows.set(key, entry);
    }
    entry.row[2]++;
    entry.names?.push(pod.key);
  }
  const entries = [...rows.values()];
  return {
    v: RECORDING_VERSION,
    at: new Date(at).toISOString(),
    cluster: config.cluster,
    prefix: config.prefix ?? null,
    count: config.count,
    min: config.min,
    max: config.max,
    vmSize: config.vmSize ?? null,
    stale: snapshot.stale,
    snapshotAge: Math.max(0, at - snapshot.takenAt),
    usageAge: snapshot.usage ? Math.max(0, at - snapshot.usage.at) : null,
    labelSets: labelSets.values,
    taintSets: taintSets.values,
    tolerationSets: tolerationSets.values,
    selectorSets: selectorSets.values,
    // The kube types are read-only views of the same plain objects.
    affinitySets: affinitySets.values as RecordLine['affinitySets'],
    nodes,
    usage,
    podShapes: shapes,
    pods: entries.map((e) => e.row),
    budgets: snapshot.budgets.map((b) => b.disruptionsAllowed),
    prometheus: input.metric ? { query: input.metric.signal.query, reading: input.metric.reading } : null,
    ...(input.podNames ? { names: { pods: entries.map((e) => e.names ?? []), budgets: snapshot.budgets.map((b) => b.key) } } : {}),
  };
}

const outOf = (what: string, at: number, list: string, length: number): string => `${what}: ${at} is not a position in ${list} (${length})`;

function decodeNodes(line: RecordLine): NodeView[] | string {
  const nodes: NodeView[] = [];
  for (const [i, [name, flags, index, labelsAt, taintsAt, cpu, memory, pods, createdAt]] of line.nodes.entries()) {
    const labels = line.labelSets[labelsAt];
    const taints = line.taintSets[taintsAt];
    if (!labels) return outOf(`nodes[${i}] labels`, labelsAt, 'labelSets', line.labelSets.length);
    if (!taints) return outOf(`nodes[${i}] taints`, taintsAt, 'taintSets', line.taintSets.length);
    nodes.push({
      name,
      worker: (flags & WORKER) !== 0,
      index: index ?? undefined,
      ready: (flags & READY) !== 0,
      unschedulable: (flags & CORDONED) !== 0,
      taints: taints as Taint[],
      labels: Object.hasOwn(labels, HOSTNAME) ? labels : { ...labels, [HOSTNAME]: name },
      allocatable: { cpu, memory, pods },
      scaleDownDisabled: (flags & SCALE_DOWN_DISABLED) !== 0,
      createdAt,
    });
  }
  return nodes;
}

function decodePods(line: RecordLine, nodes: readonly NodeView[], budgetKeys: readonly string[]): PodView[] | string {
  if (line.names && line.names.pods.length !== line.pods.length)
    return `names.pods has ${line.names.pods.length} rows for ${line.pods.length} pods rows`;
  const pods: PodView[] = [];
  for (const [r, [nodeAt, shapeAt, howMany]] of line.pods.entries()) {
    const shape = line.podShapes[shapeAt];
    if (!shape) return outOf(`pods[${r}] shape`, shapeAt, 'podShapes', line.podShapes.length);
    const node = nodeAt === -1 ? undefined : nodes[nodeAt];
    if (nodeAt !== -1 && !node) return outOf(`pods[${r}] node`, nodeAt, 'nodes', nodes.length);
    const names = line.names?.pods[r];
    if (names && names.length !== howMany) return `names.pods[${r}] has ${names.length} keys for ${howMany} pods`;
    const selector = shape.selector === undefined ? undefined : line.selectorSets[shape.selector];
    const affinity = shape.affinity === undefined ? undefined : line.affinitySets[shape.affinity];
    const tolerations = shape.tolerations === undefined ? [] : line.tolerationSets[shape.tolerations];
    if (shape.selector !== undefined && !selector)
      return outOf(`podShapes[${shapeAt}] selector`, shape.selector, 'selectorSets', line.selectorSets.length);
    if (shape.affinity !== undefined && !affinity)
      return outOf(`podShapes[${shapeAt}] affinity`, shape.affinity, 'affinitySets', line.affinitySets.length);
    if (!tolerations)
      return outOf(`podShapes[${shapeAt}] tolerations`, shape.tolerations ?? 0, 'tolerationSets', line.tolerationSets.length);
    const budgets: string[] = [];
    for (const b of shape.budgets ?? []) {
      const key = budgetKeys[b];
      if (key === undefined) return outOf(`podShapes[${shapeAt}] budget`, b, 'budgets', budgetKeys.length);
      budgets.push(key);
    }
    const terms = affinity as NodeSelectorTerm[] | undefined;
    const base: Omit<PodView, 'key'> = {
      nodeName: node?.name,
      phase: shape.phase,
      requests: { cpu: shape.cpu, memory: shape.memory, pods: shape.pods },
      ownerKind: shape.owner as OwnerKind,
      unschedulable: shape.unschedulable === true,
      unschedulableSince: shape.since,
      nodeSelector: selector,
      requiredNodeAffinity: terms && node ? mapNodeNames(terms, (v) => (v === OWN_NODE ? node.name : v)) : terms,
      tolerations: tolerations as Toleration[],
      safeToEvict: shape.safeToEvict,
      doNotDisrupt: shape.doNotDisrupt ?? false,
      mirror: shape.mirror ?? false,
      budgets,
    };
    for (let i = 0; i < howMany; i++) pods.push({ key: names?.[i] ?? `pods/${r}-${i}`, ...base });
  }
  return pods;
}

/** The sections a part of the decoded cycle comes from: while they are the very same objects, the part is too. */
const NODE_SECTIONS: readonly SectionName[] = ['nodes', 'labelSets', 'taintSets'];
const POD_SECTIONS: readonly SectionName[] = ['pods', 'podShapes', 'tolerationSets', 'selectorSets', 'affinitySets', 'names'];

/**
 * A line's cycle, or what is wrong with it (a position out of range, say: the schema cannot see
 * those). The line has passed `recordLineSchema`. Given the line before and its cycle, the node
 * and pod views of sections the two lines share (./lines.ts makes them the same objects) are
 * taken over rather than made again: a replay of a quiet week decodes little.
 */
export function decodeLine(line: RecordLine, previous?: { line: RecordLine; cycle: RecordedCycle }): RecordedCycle | string {
  const at = Date.parse(line.at);
  const same = (sections: readonly SectionName[]): boolean => previous !== undefined && sections.every((s) => line[s] === previous.line[s]);
  const nodes = same(NODE_SECTIONS) && previous ? previous.cycle.snapshot.nodes : decodeNodes(line);
  if (typeof nodes === 'string') return nodes;
  if (line.usage.length !== nodes.length) return `usage has ${line.usage.length} entries for ${nodes.length} nodes`;
  const budgetKeys = line.names?.budgets ?? line.budgets.map((_, i) => `budget-${i}`);
  if (budgetKeys.length !== line.budgets.length) return `names.budgets has ${budgetKeys.length} keys for ${line.budgets.length} budgets`;
  const podsReused =
    previous && nodes === previous.cycle.snapshot.nodes && same(POD_SECTIONS) && line.budgets.length === previous.line.budgets.length;
  const pods = podsReused ? previous.cycle.snapshot.pods : decodePods(line, nodes, budgetKeys);
  if (typeof pods === 'string') return pods;
  const budgets: BudgetView[] = line.budgets.map((disruptionsAllowed, i) => ({ key: budgetKeys[i] as string, disruptionsAllowed }));
  const used = new Map<string, { cpu: number; memory: number }>();
  line.usage.forEach((u, i) => {
    if (u) used.set((nodes[i] as NodeView).name, { cpu: u[0], memory: u[1] });
  });
  return {
    at,
    cluster: line.cluster,
    prefix: line.prefix,
    count: line.count,
    min: line.min,
    max: line.max,
    vmSize: line.vmSize ?? undefined,
    prometheus: line.prometheus ?? undefined,
    snapshot: {
      takenAt: at - line.snapshotAge,
      stale: line.stale,
      nodes,
      pods,
      budgets,
      usage: line.usageAge === null ? undefined : { at: at - line.usageAge, nodes: used },
    },
  };
}
