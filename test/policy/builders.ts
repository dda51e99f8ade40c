// Builders for the decision engine's tests: nodes, pods and snapshots with readable defaults, so
// a test states only what its rule reads. A worker is 2 CPU / 8 GiB / 110 pods; a pod asks for
// 250m / 512 MiB; usage is what the pods request, unless a test says otherwise.
import { vmName } from '../../src/plan/naming.js';
import type { ClusterInput, DecisionInput, DecisionOutput, WorkerTemplate } from '../../src/policy/index.js';
import { DEFAULT_POLICY, decide, initialState, type Policy, type PolicyState } from '../../src/policy/index.js';
import type { BudgetView, Capacity, ClusterSnapshot, NodeView, PodView } from '../../src/policy/snapshot.js';

export const MiB = 2 ** 20;
export const GiB = 2 ** 30;
export const SECOND = 1000;
export const MINUTE = 60 * SECOND;

/** The start of every test's clock. */
export const T0 = Date.parse('2025-03-01T12:00:00Z');

export const WORKER_ALLOCATABLE: Capacity = { cpu: 2000, memory: 8 * GiB, pods: 110 };

/** The name of worker `index` in the demo cluster (`demo-shop-kubernetes-node-vm-<index>`). */
export const workerName = (index: number): string => vmName('demo', 'shop', 'kubernetes_node', index);

export function worker(index: number, overrides: Partial<NodeView> = {}): NodeView {
  const name = overrides.name ?? workerName(index);
  return {
    name,
    worker: true,
    index,
    ready: true,
    unschedulable: false,
    taints: [],
    labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' },
    allocatable: { ...WORKER_ALLOCATABLE },
    scaleDownDisabled: false,
    createdAt: T0 - 3600 * SECOND,
    ...overrides,
  };
}

export function master(index = 0): NodeView {
  return worker(index, {
    name: vmName('demo', 'shop', 'kubernetes_master', index),
    worker: false,
    index: undefined,
    taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
  });
}

export function pod(key: string, overrides: Partial<PodView> = {}): PodView {
  return {
    key,
    nodeName: undefined,
    phase: 'Running',
    requests: { cpu: 250, memory: 512 * MiB, pods: 1 },
    ownerKind: 'ReplicaSet',
    unschedulable: false,
    unschedulableSince: undefined,
    nodeSelector: undefined,
    requiredNodeAffinity: undefined,
    tolerations: [],
    safeToEvict: undefined,
    doNotDisrupt: false,
    mirror: false,
    budgets: [],
    ...overrides,
  };
}

/** A running pod on a node. */
export function running(key: string, node: string, overrides: Partial<PodView> = {}): PodView {
  return pod(key, { nodeName: node, ...overrides });
}

/** A pod the scheduler marked Unschedulable at `since`. */
export function unschedulable(key: string, overrides: Partial<PodView> = {}, since = T0 - MINUTE): PodView {
  return pod(key, { phase: 'Pending', unschedulable: true, unschedulableSince: since, ...overrides });
}

/** `count` pods of `requests` named `<prefix>-<i>`, made by `make`. */
export function many(count: number, make: (i: number) => PodView): PodView[] {
  return Array.from({ length: count }, (_, i) => make(i));
}

export interface SnapshotOptions {
  nodes: NodeView[];
  pods?: PodView[];
  budgets?: BudgetView[];
  /** Per-node usage; by default each node uses what its pods request; `'missing'` leaves metrics out. */
  usage?: Record<string, { cpu: number; memory: number }> | 'missing';
  /** When metrics-server took its samples; default `takenAt`. */
  usageAt?: number;
  takenAt?: number;
  stale?: boolean;
}

export function snapshot(options: SnapshotOptions): ClusterSnapshot {
  const pods = options.pods ?? [];
  const takenAt = options.takenAt ?? T0;
  let usage: ClusterSnapshot['usage'];
  if (options.usage !== 'missing') {
    const nodes = new Map<string, { cpu: number; memory: number }>();
    for (const node of options.nodes) {
      const given = options.usage?.[node.name];
      if (given) {
        nodes.set(node.name, given);
        continue;
      }
      if (options.usage !== undefined) continue;
      const used = { cpu: 0, memory: 0 };
      for (const p of pods) {
        if (p.nodeName !== node.name || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
        used.cpu += p.requests.cpu;
        used.memory += p.requests.memory;
      }
      nodes.set(node.name, used);
    }
    usage = { at: options.usageAt ?? takenAt, nodes };
  }
  return { takenAt, stale: options.stale ?? false, nodes: options.nodes, pods, budgets: options.budgets ?? [], usage };
}

/** Workers 0..count-1. */
export function workers(count: number, overrides: (index: number) => Partial<NodeView> = () => ({})): NodeView[] {
  return Array.from({ length: count }, (_, i) => worker(i, overrides(i)));
}

export const TEMPLATE: WorkerTemplate = {
  allocatable: { ...WORKER_ALLOCATABLE },
  labels: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' },
  taints: [],
};

export function cluster(count: number, overrides: Partial<ClusterInput> = {}): ClusterInput {
  return { count, min: 1, max: 10, template: TEMPLATE, ...overrides };
}

export function policy(overrides: Partial<Policy> = {}): Policy {
  return { ...DEFAULT_POLICY, ...overrides };
}

/** A state as a long-running watcher has it: it has seen the count before, nothing else. */
export function settled(count: number, overrides: Partial<PolicyState> = {}): PolicyState {
  return { ...initialState(), lastCount: count, ...overrides };
}

/** decide() with the defaults of these tests: policy defaults, a settled state, the time T0. */
export function decideWith(
  input: Partial<Omit<DecisionInput, 'cluster'>> & { snapshot: ClusterSnapshot; cluster: ClusterInput },
): DecisionOutput {
  return decide({
    policy: policy(),
    state: settled(input.cluster.count),
    now: input.snapshot.takenAt,
    ...input,
  });
}

/**
 * Runs decide() once a minute from `from` to `to` on the same snapshot (its clock moved along),
 * feeding the state back, and returns the last output.
 */
export function decideOver(
  input: { snapshot: ClusterSnapshot; cluster: ClusterInput; policy?: Policy; state?: PolicyState },
  from: number,
  to: number,
  step = MINUTE,
): DecisionOutput {
  let state = input.state ?? settled(input.cluster.count);
  let output: DecisionOutput | undefined;
  for (let now = from; now <= to; now += step) {
    const shifted = { ...input.snapshot, takenAt: now, usage: input.snapshot.usage && { ...input.snapshot.usage, at: now } };
    output = decide({ snapshot: shifted, cluster: input.cluster, policy: input.policy ?? policy(), state, now });
    state = output.state;
  }
  if (!output) throw new Error('decideOver: an empty time range');
  return output;
}
