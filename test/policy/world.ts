// A small simulated cluster for the property tests: workers join and leave as the config count
// (changed by merged decisions) says, apps scale their replicas over time, a first-fit scheduler
// places pods, metrics-server and the informers fail now and then. Each step the world shows a
// snapshot, the engine decides, and the decision becomes a PR that merges after a lag.
//
// Also here: what a decision leaves behind once it is applied (`applyDecision`), for the
// idempotence property.
import type { ClusterInput, Decision, DecisionOutput, Policy, PolicyState, WorkerTemplate } from '../../src/policy/index.js';
import { decide, initialState } from '../../src/policy/index.js';
import type { Capacity, ClusterSnapshot, NodeView, PodView } from '../../src/policy/snapshot.js';
import { pod, T0, worker, workerName } from './builders.js';

export { T0 };

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** Pod shapes the apps are made of: real Deployments come in few sizes. */
export const SHAPES: readonly Capacity[] = [
  { cpu: 250, memory: 512 * MiB, pods: 1 },
  { cpu: 500, memory: GiB, pods: 1 },
  { cpu: 1000, memory: 2 * GiB, pods: 1 },
  { cpu: 1500, memory: GiB, pods: 1 },
  { cpu: 100, memory: 3 * GiB, pods: 1 },
];

export const WORLD_TEMPLATE: WorkerTemplate = {
  allocatable: { cpu: 2000, memory: 8 * GiB, pods: 30 },
  labels: { 'kubernetes.io/os': 'linux' },
  taints: [],
};

const DAEMON: Capacity = { cpu: 100, memory: 128 * MiB, pods: 1 };

export interface App {
  shape: number;
  /** Replicas at each step (the last value repeats). */
  replicas: readonly number[];
  /** A nodeSelector no worker has: its pods never fit anywhere. */
  impossible?: boolean;
  /** Annotated safe-to-evict "false". */
  pinned?: boolean;
  /** A PodDisruptionBudget allowing this many disruptions. */
  budget?: number;
}

export interface Trace {
  min: number;
  max: number;
  initialCount: number;
  policy: Policy;
  stepMs: number;
  apps: readonly App[];
  /** Used share of what pods request, at each step. */
  usageFactor: readonly number[];
  /** Steps at which metrics-server is down, its metrics are old, or the informers restart. */
  metricsDown: ReadonlySet<number>;
  metricsOld: ReadonlySet<number>;
  /** Steps at which metrics-server has no sample for the highest Ready worker. */
  metricsGap: ReadonlySet<number>;
  stale: ReadonlySet<number>;
  /** Steps a PR waits before it merges; steps a new node takes to become Ready (Infinity: never). */
  mergeLag: number;
  provisionLag: number;
  steps: number;
}

export interface Step {
  now: number;
  /** The config count when the snapshot was taken. */
  count: number;
  snapshot: ClusterSnapshot;
  stateBefore: PolicyState;
  cluster: ClusterInput;
  output: DecisionOutput;
}

const at = <T>(values: readonly T[], step: number): T => values[Math.min(step, values.length - 1)] as T;

/** Runs a trace: one decision a step, the state fed back, decisions merged after the lag. */
export function runTrace(trace: Trace): Step[] {
  let count = trace.initialCount;
  /** When each worker (by index) became or becomes Ready. */
  let readyAt: number[] = Array.from({ length: count }, () => T0 - 3_600_000);
  let pr: { desired: number; mergeAt: number } | undefined;
  let state = initialState();
  const pendingSince = new Map<string, number>();
  const steps: Step[] = [];
  for (let step = 0; step < trace.steps; step++) {
    const now = T0 + step * trace.stepMs;
    if (pr && now >= pr.mergeAt) {
      count = pr.desired;
      pr = undefined;
      const joinAt = Number.isFinite(trace.provisionLag) ? now + trace.provisionLag * trace.stepMs : Number.POSITIVE_INFINITY;
      readyAt = Array.from({ length: count }, (_, i) => readyAt[i] ?? joinAt);
    }
    const snapshot = worldSnapshot(trace, step, now, readyAt, pendingSince);
    const cluster: ClusterInput = { count, min: trace.min, max: trace.max, template: WORLD_TEMPLATE };
    const output = decide({ snapshot, state, policy: trace.policy, cluster, now });
    steps.push({ now, count, snapshot, stateBefore: state, cluster, output });
    state = output.state;
    const desired = output.decision.desired;
    if (desired === count) pr = undefined;
    else pr = { desired, mergeAt: pr?.mergeAt ?? now + trace.mergeLag * trace.stepMs };
  }
  return steps;
}

/** The cluster at one step: Ready workers, the apps' pods placed first-fit, usage as the factor says. */
function worldSnapshot(
  trace: Trace,
  step: number,
  now: number,
  readyAt: readonly number[],
  pendingSince: Map<string, number>,
): ClusterSnapshot {
  const nodes: NodeView[] = readyAt.map((ready, index) =>
    worldWorker(index, WORLD_TEMPLATE, { ready: ready <= now, createdAt: Math.min(ready, now) }),
  );
  const free = nodes.map((node) => ({ ...node.allocatable }));
  const pods: PodView[] = [];
  const take = (i: number, r: Capacity): void => {
    const f = free[i] as Capacity;
    f.cpu -= r.cpu;
    f.memory -= r.memory;
    f.pods -= r.pods;
  };
  nodes.forEach((node, i) => {
    if (!node.ready) return;
    pods.push(worldPod(`kube-system/agent-${i}`, DAEMON, { nodeName: node.name, ownerKind: 'DaemonSet' }));
    take(i, DAEMON);
  });
  const budgets = trace.apps.flatMap((app, a) =>
    app.budget === undefined ? [] : [{ key: `app-${a}/pdb`, disruptionsAllowed: app.budget }],
  );
  trace.apps.forEach((app, a) => {
    const requests = SHAPES[app.shape] as Capacity;
    for (let r = 0; r < at(app.replicas, step); r++) {
      const key = `app-${a}/pod-${r}`;
      const extra: Partial<PodView> = {
        ...(app.impossible ? { nodeSelector: { 'example.com/gpu': 'true' } } : {}),
        ...(app.pinned ? { safeToEvict: false } : {}),
        ...(app.budget === undefined ? {} : { budgets: [`app-${a}/pdb`] }),
      };
      const i = app.impossible
        ? -1
        : nodes.findIndex((node, n) => {
            const f = free[n] as Capacity;
            return node.ready && requests.cpu <= f.cpu && requests.memory <= f.memory && requests.pods <= f.pods;
          });
      if (i >= 0) {
        take(i, requests);
        pendingSince.delete(key);
        pods.push(worldPod(key, requests, { nodeName: (nodes[i] as NodeView).name, ...extra }));
      } else {
        const since = pendingSince.get(key) ?? now;
        pendingSince.set(key, since);
        pods.push(worldPod(key, requests, { phase: 'Pending', unschedulable: true, unschedulableSince: since, ...extra }));
      }
    }
  });
  const factor = at(trace.usageFactor, step);
  const usage = new Map<string, { cpu: number; memory: number }>();
  for (const node of nodes) {
    if (!node.ready) continue;
    const used = { cpu: 0, memory: 0 };
    for (const pod of pods) {
      if (pod.nodeName !== node.name) continue;
      used.cpu += pod.requests.cpu * factor;
      used.memory += pod.requests.memory * factor;
    }
    usage.set(node.name, used);
  }
  if (trace.metricsGap.has(step)) usage.delete(nodes.filter((node) => node.ready).at(-1)?.name ?? '');
  return {
    takenAt: now,
    stale: trace.stale.has(step),
    nodes,
    pods,
    budgets,
    usage: trace.metricsDown.has(step) ? undefined : { at: trace.metricsOld.has(step) ? now - 10 * 60_000 : now, nodes: usage },
  };
}

/** Worker `index` made from a template: its allocatable, labels (and hostname) and taints. */
function worldWorker(index: number, template: WorkerTemplate, overrides: Partial<NodeView>): NodeView {
  return worker(index, {
    taints: [...template.taints],
    labels: { ...template.labels, 'kubernetes.io/hostname': workerName(index) },
    allocatable: { ...template.allocatable },
    ...overrides,
  });
}

/** A pod of the world: the builders' pod with its requests. */
export function worldPod(key: string, requests: Capacity, overrides: Partial<PodView> = {}): PodView {
  return pod(key, { requests: { ...requests }, ...overrides });
}

/**
 * The cluster once a decision is merged and applied: for a scale-up, every node the count asks
 * for is Ready (with its DaemonSet pods) and the pods packed onto new nodes run there, the ones
 * that fit existing nodes run on them; for a scale-down, the removed nodes are gone and their pods
 * run where the evidence moved them, taking their share of the node's measured use along.
 */
export function applyDecision(snapshot: ClusterSnapshot, decision: Decision, template: WorkerTemplate): ClusterSnapshot {
  const evidence = decision.evidence;
  if (!evidence || decision.direction === 'hold') return snapshot;
  const usage = new Map(snapshot.usage?.nodes ?? []);
  if (decision.direction === 'up') {
    const joining = [
      ...evidence.workers.missing,
      ...Array.from({ length: decision.desired - decision.current }, (_, i) => decision.current + i),
    ];
    const existing = snapshot.nodes.filter((node) => !(node.worker && node.index !== undefined && joining.includes(node.index)));
    const added = joining.map((index) => worldWorker(index, template, { createdAt: snapshot.takenAt }));
    const daemons = added.map((node) =>
      worldPod(`kube-system/agent-${node.index}`, evidence.pending.overhead, { nodeName: node.name, ownerKind: 'DaemonSet' }),
    );
    const placement = new Map<string, string>();
    evidence.pending.newNodes.forEach((bin, b) => {
      const node = added[b];
      if (node) for (const key of bin.pods) placement.set(key, node.name);
    });
    for (const p of evidence.pending.pods) if (p.outcome.kind === 'fits-existing-node') placement.set(p.pod, p.outcome.node);
    const pods = snapshot.pods.map((pod) => {
      const to = placement.get(pod.key);
      return to === undefined
        ? pod
        : { ...pod, nodeName: to, phase: 'Running' as const, unschedulable: false, unschedulableSince: undefined };
    });
    for (const node of added) {
      const used = { cpu: 0, memory: 0 };
      for (const pod of [...pods, ...daemons]) {
        if (pod.nodeName !== node.name) continue;
        used.cpu += pod.requests.cpu;
        used.memory += pod.requests.memory;
      }
      usage.set(node.name, used);
    }
    return {
      ...snapshot,
      nodes: [...existing, ...added],
      pods: [...pods, ...daemons],
      usage: snapshot.usage && { ...snapshot.usage, nodes: usage },
    };
  }
  const removed = new Set(decision.rule.kind === 'unneeded-nodes' ? decision.rule.nodes : []);
  const moves = new Map(evidence.scaleDown.moves.map((m) => [m.pod, m.to]));
  const requestedOn = new Map<string, { cpu: number; memory: number }>();
  for (const pod of snapshot.pods) {
    if (!pod.nodeName || !removed.has(pod.nodeName)) continue;
    const r = requestedOn.get(pod.nodeName) ?? { cpu: 0, memory: 0 };
    r.cpu += pod.requests.cpu;
    r.memory += pod.requests.memory;
    requestedOn.set(pod.nodeName, r);
  }
  const pods: PodView[] = [];
  for (const pod of snapshot.pods) {
    if (!pod.nodeName || !removed.has(pod.nodeName)) {
      pods.push(pod);
      continue;
    }
    const to = moves.get(pod.key);
    if (to === undefined) continue; // a DaemonSet or finished pod goes with its node
    const from = pod.nodeName;
    const sourceUse = snapshot.usage?.nodes.get(from);
    const sourceRequests = requestedOn.get(from);
    const target = usage.get(to);
    if (sourceUse && sourceRequests && target) {
      usage.set(to, {
        cpu: target.cpu + (sourceRequests.cpu > 0 ? (sourceUse.cpu * pod.requests.cpu) / sourceRequests.cpu : 0),
        memory: target.memory + (sourceRequests.memory > 0 ? (sourceUse.memory * pod.requests.memory) / sourceRequests.memory : 0),
      });
    }
    pods.push({ ...pod, nodeName: to });
  }
  for (const node of removed) usage.delete(node);
  return {
    ...snapshot,
    nodes: snapshot.nodes.filter((node) => !removed.has(node.name)),
    pods,
    usage: snapshot.usage && { ...snapshot.usage, nodes: usage },
  };
}
