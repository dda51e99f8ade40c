/**
 * The recording format, version 1: one JSON object per line, one line per watcher cycle, holding
 * what the decision engine reads of the cluster (src/policy/snapshot.ts) and of the config, so
 * that `replay` can run the real `decide` over it. Pure: encode a cycle, decode a line.
 *
 * Compact: pods are not listed one by one but counted by shape (everything the engine reads of a
 * pod but its name and node: requests, owner kind, phase, placement constraints, eviction
 * annotations, budgets) per node, so a node running 30 pods of 4 Deployments is 4 rows. Node
 * label and taint sets are listed once and referred to by position, and the
 * `kubernetes.io/hostname` label is left out when it is the node's name (it always is).
 *
 * Private: no annotation, environment or spec field is kept besides those; pod names and
 * PodDisruptionBudget names only when asked (`--record-pod-names`); otherwise budgets are numbered
 * and pods are named `pods/<row>-<i>` when read back. Times are kept as ages before the line's
 * `at`, so a line means the same wherever it is replayed.
 */
import { z } from 'zod';
import type { NodeSelectorTerm } from '../kube/node-affinity.js';
import type { Taint, Toleration } from '../kube/taints.js';
import type { BudgetView, ClusterSnapshot, NodeView, OwnerKind, PodView } from '../policy/snapshot.js';

export const RECORDING_VERSION = 1;

const HOSTNAME = 'kubernetes.io/hostname';

/** Node flags, one bit each. */
const READY = 1;
const CORDONED = 2;
const WORKER = 4;
const SCALE_DOWN_DISABLED = 8;

/**
 * A node: `[name, flags, index, labels, taints, cpu, memory, pods, cpuUsed, memoryUsed, age]`:
 * flags are READY|CORDONED|WORKER|SCALE_DOWN_DISABLED (1, 2, 4, 8); index is the VM index by the
 * naming rule or null; labels and taints are positions in `labelSets` and `taintSets`;
 * cpu/memory/pods its allocatable (millicores, bytes, pods); cpuUsed/memoryUsed from
 * metrics.k8s.io, null without a sample; age ms since it registered.
 */
export type NodeRow = [string, number, number | null, number, number, number, number, number, number | null, number | null, number];

/** Pods alike: `[node row, or -1 when not bound; shape; how many]`. */
export type PodRow = [number, number, number];

const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown'] as const;
const OWNER_KINDS = ['DaemonSet', 'ReplicaSet', 'StatefulSet', 'Job', 'ReplicationController', 'Node', 'other', 'none'] as const;

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
const count = z.number().int().nonnegative();
const amount = z.number().nonnegative();

/** A pod shape: the defaults (false, none, empty) are left out. */
const podShapeSchema = z.object({
  phase: z.enum(PHASES),
  cpu: amount,
  memory: amount,
  pods: amount,
  owner: z.enum(OWNER_KINDS),
  /** Marked Unschedulable, this many ms before `at` (0 when the time is unknown). */
  unschedulableFor: amount.optional(),
  nodeSelector: z.record(z.string(), z.string()).optional(),
  affinity: z.array(termSchema).optional(),
  tolerations: z.array(tolerationSchema).optional(),
  safeToEvict: z.boolean().optional(),
  doNotDisrupt: z.literal(true).optional(),
  mirror: z.literal(true).optional(),
  /** Positions in `budgets`. */
  budgets: z.array(count).optional(),
});

export type PodShape = z.infer<typeof podShapeSchema>;

const nodeRowSchema = z.tuple([
  z.string().min(1),
  z.number().int().min(0).max(15),
  count.nullable(),
  count,
  count,
  amount,
  amount,
  amount,
  amount.nullable(),
  amount.nullable(),
  amount,
]);

export const recordLineSchema = z.object({
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
  labelSets: z.array(z.record(z.string(), z.string())),
  taintSets: z.array(z.array(taintSchema)),
  nodes: z.array(nodeRowSchema),
  podShapes: z.array(podShapeSchema),
  pods: z.array(z.tuple([z.number().int().min(-1), count, z.number().int().positive()])),
  /** `status.disruptionsAllowed` of each PodDisruptionBudget. */
  budgets: z.array(z.number().int()),
  /** With `--record-pod-names` only: each pods row's pod keys (namespace/name), each budget's key. */
  names: z.object({ pods: z.array(z.array(z.string())), budgets: z.array(z.string()) }).optional(),
});

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
}

/** Everything but the pod's name and node, as one string (pods of one workload share it). */
const shapeKeys = new WeakMap<PodView, string>();
function shapeKey(pod: PodView): string {
  let key = shapeKeys.get(pod);
  if (key === undefined) {
    key = JSON.stringify([
      pod.phase,
      pod.requests.cpu,
      pod.requests.memory,
      pod.requests.pods,
      pod.ownerKind,
      pod.unschedulable,
      pod.unschedulableSince ?? null,
      pod.nodeSelector ?? null,
      pod.requiredNodeAffinity ?? null,
      pod.tolerations,
      pod.safeToEvict ?? null,
      pod.doNotDisrupt,
      pod.mirror,
      pod.budgets,
    ]);
    // Snapshots reuse a pod's view while the pod is unchanged: a cycle computes keys for new pods only.
    if (Object.isFrozen(pod)) shapeKeys.set(pod, key);
  }
  return key;
}

function podShape(pod: PodView, at: number, budgetIndex: ReadonlyMap<string, number>): PodShape {
  const budgets = pod.budgets.map((key) => budgetIndex.get(key)).filter((i): i is number => i !== undefined);
  return {
    phase: pod.phase,
    cpu: pod.requests.cpu,
    memory: pod.requests.memory,
    pods: pod.requests.pods,
    owner: pod.ownerKind,
    ...(pod.unschedulable ? { unschedulableFor: Math.max(0, at - (pod.unschedulableSince ?? at)) } : {}),
    ...(pod.nodeSelector ? { nodeSelector: { ...pod.nodeSelector } } : {}),
    ...(pod.requiredNodeAffinity ? { affinity: pod.requiredNodeAffinity as PodShape['affinity'] } : {}),
    ...(pod.tolerations.length > 0 ? { tolerations: pod.tolerations as PodShape['tolerations'] } : {}),
    ...(pod.safeToEvict !== undefined ? { safeToEvict: pod.safeToEvict } : {}),
    ...(pod.doNotDisrupt ? { doNotDisrupt: true as const } : {}),
    ...(pod.mirror ? { mirror: true as const } : {}),
    ...(budgets.length > 0 ? { budgets } : {}),
  };
}

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
}

/** The line of one cycle. `podNames` keeps pod and budget keys. */
export function encodeCycle(input: { at: number; config: RecordedConfig; snapshot: ClusterSnapshot; podNames: boolean }): RecordLine {
  const { at, config, snapshot } = input;
  const labelSets = new Table<Record<string, string>>();
  const taintSets = new Table<Taint[]>();
  const nodeRow = new Map<string, number>();
  const nodes: NodeRow[] = snapshot.nodes.map((node, row) => {
    nodeRow.set(node.name, row);
    const labels = node.labels[HOSTNAME] === node.name ? withoutKey(node.labels, HOSTNAME) : node.labels;
    const used = snapshot.usage?.nodes.get(node.name);
    const flags =
      (node.ready ? READY : 0) |
      (node.unschedulable ? CORDONED : 0) |
      (node.worker ? WORKER : 0) |
      (node.scaleDownDisabled ? SCALE_DOWN_DISABLED : 0);
    return [
      node.name,
      flags,
      node.index ?? null,
      labelSets.position(JSON.stringify(labels), () => ({ ...labels })),
      taintSets.position(JSON.stringify(node.taints), () => node.taints.map((t) => ({ ...t }))),
      node.allocatable.cpu,
      node.allocatable.memory,
      node.allocatable.pods,
      // Exact: a rounded share could fall on the other side of a threshold.
      used ? used.cpu : null,
      used ? used.memory : null,
      Math.max(0, at - node.createdAt),
    ];
  });
  const budgetIndex = new Map(snapshot.budgets.map((budget, i) => [budget.key, i]));
  const shapes = new Table<PodShape>();
  const rows = new Map<string, { row: PodRow; names: string[] }>();
  for (const pod of snapshot.pods) {
    const node = pod.nodeName === undefined ? -1 : nodeRow.get(pod.nodeName);
    // A pod bound to a node the cache does not hold (yet): the engine skips it too.
    if (node === undefined) continue;
    const shape = shapes.position(shapeKey(pod), () => podShape(pod, at, budgetIndex));
    const key = `${node} ${shape}`;
    let entry = rows.get(key);
    if (!entry) {
      entry = { row: [node, shape, 0], names: [] };
      rows.set(key, entry);
    }
    entry.row[2]++;
    if (input.podNames) entry.names.push(pod.key);
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
    nodes,
    podShapes: shapes.values,
    pods: entries.map((e) => e.row),
    budgets: snapshot.budgets.map((b) => b.disruptionsAllowed),
    ...(input.podNames ? { names: { pods: entries.map((e) => e.names), budgets: snapshot.budgets.map((b) => b.key) } } : {}),
  };
}

function withoutKey(labels: Readonly<Record<string, string>>, key: string): Record<string, string> {
  const copy: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) if (k !== key) copy[k] = v;
  return copy;
}

/**
 * A line's cycle, or what is wrong with it (a reference out of range, say: the schema cannot see
 * those). The line has passed `recordLineSchema`.
 */
export function decodeLine(line: RecordLine): RecordedCycle | string {
  const at = Date.parse(line.at);
  const nodes: NodeView[] = [];
  const usage = new Map<string, { cpu: number; memory: number }>();
  for (const [i, row] of line.nodes.entries()) {
    const [name, flags, index, labelsAt, taintsAt, cpu, memory, pods, cpuUsed, memoryUsed, age] = row;
    const labels = line.labelSets[labelsAt];
    const taints = line.taintSets[taintsAt];
    if (!labels) return `nodes[${i}]: label set ${labelsAt} is not in labelSets (${line.labelSets.length})`;
    if (!taints) return `nodes[${i}]: taint set ${taintsAt} is not in taintSets (${line.taintSets.length})`;
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
      createdAt: at - age,
    });
    if (cpuUsed !== null && memoryUsed !== null) usage.set(name, { cpu: cpuUsed, memory: memoryUsed });
  }
  const budgetKeys = line.names?.budgets ?? line.budgets.map((_, i) => `budget-${i}`);
  if (budgetKeys.length !== line.budgets.length) return `names.budgets has ${budgetKeys.length} keys for ${line.budgets.length} budgets`;
  const budgets: BudgetView[] = line.budgets.map((disruptionsAllowed, i) => ({ key: budgetKeys[i] as string, disruptionsAllowed }));
  if (line.names && line.names.pods.length !== line.pods.length)
    return `names.pods has ${line.names.pods.length} rows for ${line.pods.length} pods rows`;
  const pods: PodView[] = [];
  for (const [r, [nodeAt, shapeAt, howMany]] of line.pods.entries()) {
    const shape = line.podShapes[shapeAt];
    if (!shape) return `pods[${r}]: shape ${shapeAt} is not in podShapes (${line.podShapes.length})`;
    const node = nodeAt === -1 ? undefined : nodes[nodeAt];
    if (nodeAt !== -1 && !node) return `pods[${r}]: node ${nodeAt} is not in nodes (${nodes.length})`;
    const names = line.names?.pods[r];
    if (names && names.length !== howMany) return `names.pods[${r}] has ${names.length} keys for ${howMany} pods`;
    for (const b of shape.budgets ?? []) if (!budgets[b]) return `podShapes[${shapeAt}]: budget ${b} is not in budgets (${budgets.length})`;
    const base = {
      nodeName: node?.name,
      phase: shape.phase,
      requests: { cpu: shape.cpu, memory: shape.memory, pods: shape.pods },
      ownerKind: shape.owner as OwnerKind,
      unschedulable: shape.unschedulableFor !== undefined,
      unschedulableSince: shape.unschedulableFor === undefined ? undefined : at - shape.unschedulableFor,
      nodeSelector: shape.nodeSelector,
      requiredNodeAffinity: shape.affinity as readonly NodeSelectorTerm[] | undefined,
      tolerations: (shape.tolerations ?? []) as Toleration[],
      safeToEvict: shape.safeToEvict,
      doNotDisrupt: shape.doNotDisrupt ?? false,
      mirror: shape.mirror ?? false,
      budgets: (shape.budgets ?? []).map((b) => (budgets[b] as BudgetView).key),
    };
    for (let i = 0; i < howMany; i++) pods.push({ key: names?.[i] ?? `pods/${r}-${i}`, ...base });
  }
  return {
    at,
    cluster: line.cluster,
    prefix: line.prefix,
    count: line.count,
    min: line.min,
    max: line.max,
    vmSize: line.vmSize ?? undefined,
    snapshot: {
      takenAt: at - line.snapshotAge,
      stale: line.stale,
      nodes,
      pods,
      budgets,
      usage: line.usageAge === null ? undefined : { at: at - line.usageAge, nodes: usage },
    },
  };
}
