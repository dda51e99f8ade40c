// A cluster of any size for timing the decision engine: `nodes` workers of 8 CPU / 32 GiB with
// `podsPerNode` pods each (one DaemonSet pod, the rest from Deployments behind
// PodDisruptionBudgets), a master, fresh metrics, and the two highest workers nearly empty, so a
// decision walks every path: indexing, utilisation, a scale-down with its drain simulation.
// With `pending`, that many pods are Unschedulable too (and the scale-up path runs instead).
//
// Only types are imported, so the file also runs under Node's type stripping (a benchmark can
// import it next to dist/policy/index.js).
import type { BudgetView, ClusterSnapshot, NodeView, PodView } from '../../src/policy/snapshot.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export interface SyntheticOptions {
  /** Unschedulable pods to add (default 0). */
  pending?: number;
  /** The snapshot's time (default 2025-03-01T12:00:00Z). */
  takenAt?: number;
}

/** The name of worker `index` (the LambdaStack rule for prefix demo, cluster shop). */
const workerName = (index: number): string => `demo-shop-kubernetes-node-vm-${index}`;

/** Pods per Deployment: each has a budget allowing three disruptions. */
const DEPLOYMENT_SIZE = 50;

export function syntheticSnapshot(nodes: number, podsPerNode: number, options: SyntheticOptions = {}): ClusterSnapshot {
  const takenAt = options.takenAt ?? Date.parse('2025-03-01T12:00:00Z');
  const nodeViews: NodeView[] = [
    {
      name: 'demo-shop-kubernetes-master-vm-0',
      worker: false,
      index: undefined,
      ready: true,
      unschedulable: false,
      taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }],
      labels: { 'kubernetes.io/hostname': 'demo-shop-kubernetes-master-vm-0' },
      allocatable: { cpu: 1930, memory: 3 * GiB, pods: 110 },
      scaleDownDisabled: false,
      createdAt: takenAt - 86_400_000,
    },
  ];
  const pods: PodView[] = [];
  const usage = new Map<string, { cpu: number; memory: number }>();
  const tolerations = [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  ];
  let serial = 0;
  for (let index = 0; index < nodes; index++) {
    const name = workerName(index);
    nodeViews.push({
      name,
      worker: true,
      index,
      ready: true,
      unschedulable: false,
      taints: [],
      labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', 'node.kubernetes.io/instance-type': 'm5.2xlarge' },
      allocatable: { cpu: 7910, memory: Math.round(31.6 * GiB), pods: 110 },
      scaleDownDisabled: false,
      createdAt: takenAt - 86_400_000,
    });
    // The two highest workers hold only their DaemonSet pod and two more: a scale-down candidate.
    const count = index >= nodes - 2 ? Math.min(3, podsPerNode) : podsPerNode;
    let cpu = 0;
    let memory = 0;
    for (let i = 0; i < count; i++) {
      const daemon = i === 0;
      const requests = daemon
        ? { cpu: 100, memory: 128 * MiB, pods: 1 }
        : { cpu: 150 + (serial % 4) * 25, memory: (384 + (serial % 3) * 128) * MiB, pods: 1 };
      const deployment = Math.floor(serial / DEPLOYMENT_SIZE);
      pods.push({
        key: daemon ? `kube-system/node-exporter-${index}` : `team-${deployment % 40}/app-${deployment}-${serial}`,
        nodeName: name,
        phase: 'Running',
        requests,
        ownerKind: daemon ? 'DaemonSet' : 'ReplicaSet',
        unschedulable: false,
        unschedulableSince: undefined,
        nodeSelector: daemon ? undefined : { 'kubernetes.io/os': 'linux' },
        requiredNodeAffinity: daemon ? [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [name] }] }] : undefined,
        tolerations,
        safeToEvict: undefined,
        doNotDisrupt: false,
        mirror: false,
        budgets: daemon ? [] : [`team-${deployment % 40}/app-${deployment}`],
      });
      if (!daemon) serial++;
      cpu += requests.cpu * 0.6;
      memory += requests.memory * 0.7;
    }
    usage.set(name, { cpu: Math.round(cpu), memory: Math.round(memory) });
  }
  for (let i = 0; i < (options.pending ?? 0); i++) {
    pods.push({
      key: `team-burst/burst-${i}`,
      nodeName: undefined,
      phase: 'Pending',
      requests: { cpu: 1000, memory: 2 * GiB, pods: 1 },
      ownerKind: 'ReplicaSet',
      unschedulable: true,
      unschedulableSince: takenAt - 30_000,
      nodeSelector: undefined,
      requiredNodeAffinity: undefined,
      tolerations,
      safeToEvict: undefined,
      doNotDisrupt: false,
      mirror: false,
      budgets: [],
    });
  }
  const budgets: BudgetView[] = [];
  for (let d = 0; d * DEPLOYMENT_SIZE < serial; d++) budgets.push({ key: `team-${d % 40}/app-${d}`, disruptionsAllowed: 3 });
  return { takenAt, stale: false, nodes: nodeViews, pods, budgets, usage: { at: takenAt, nodes: usage } };
}
