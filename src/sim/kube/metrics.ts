/**
 * metrics.k8s.io/v1beta1, as metrics-server serves it: NodeMetrics and PodMetrics with CPU in
 * nanocores and memory in Ki. Usage is a model, not a measurement: each running pod uses what its
 * workload declares (per pod, times a load factor the scenario can change over time), or by
 * default half of what it requests; a node uses the sum of its pods plus a system baseline
 * (kubelet, container runtime, OS).
 */
import { cpuMillis, memoryBytes } from '../../kube/quantity.js';
import { controllerRef } from './controllers/util.js';
import { R, storeKey } from './resources.js';
import type { Store } from './store.js';
import type { Container, KubeObject, Node, Pod, ReplicaSet } from './types.js';

export interface Usage {
  /** Millicores. */
  cpu: number;
  /** Bytes. */
  memory: number;
}

export interface WorkloadUsage {
  /** Per pod, absolute; unset: a share of the pod's requests. */
  cpu?: number;
  memory?: number;
  /** Multiplies the usage (a load change: ×2 at rush hour). */
  factor?: number;
}

/** The share of its requests a pod uses when its workload declares no usage. */
export const DEFAULT_USAGE_SHARE = 0.5;
/** What a container without requests uses by default. */
const IDLE_CONTAINER: Usage = { cpu: 2, memory: 16 * 2 ** 20 };
/** metrics-server's reporting window. */
const WINDOW = '20.035s';

/** A quantity that must parse (the API server validated it on the way in): the error names the field and shows valid forms. */
function requireQuantity(text: string, field: string, read: (text: string) => number | undefined): number {
  const value = read(text);
  if (value === undefined || value < 0) {
    throw new Error(`${field}: ${JSON.stringify(text)} is not a quantity: write e.g. 250m or 2 (CPU), 512Mi or 4Gi (memory)`);
  }
  return value;
}

/** CPU as metrics-server reports it: nanocores ("137505614n"). */
function formatNanoCpu(millis: number): string {
  return `${Math.round(millis * 1e6)}n`;
}

/** Memory as metrics-server reports it: whole kibibytes ("1534220Ki"). */
function formatKibibytes(bytes: number): string {
  return `${Math.round(bytes / 1024)}Ki`;
}

/** Requests by container object: a workload's pods share their template's containers, and stored objects never change. */
const requestsByContainer = new WeakMap<Container, Usage>();

function containerRequest(c: Container): Usage {
  let usage = requestsByContainer.get(c);
  if (!usage) {
    usage = {
      cpu: c.resources?.requests?.cpu !== undefined ? requireQuantity(c.resources.requests.cpu, 'cpu', cpuMillis) : 0,
      memory: c.resources?.requests?.memory !== undefined ? requireQuantity(c.resources.requests.memory, 'memory', memoryBytes) : 0,
    };
    requestsByContainer.set(c, usage);
  }
  return usage;
}

export class UsageModel {
  private readonly workloads = new Map<string, WorkloadUsage>();

  /** Sets (merges) the usage of a workload's pods: `kind` Deployment, DaemonSet, ReplicaSet or Pod. */
  set(namespace: string, workload: string, usage: WorkloadUsage, kind = 'Deployment'): void {
    const key = `${namespace}/${kind}/${workload}`;
    this.workloads.set(key, { ...(this.workloads.get(key) ?? {}), ...usage });
  }

  get(namespace: string, workload: string, kind = 'Deployment'): WorkloadUsage | undefined {
    return this.workloads.get(`${namespace}/${kind}/${workload}`);
  }

  /** The workload a pod belongs to: its Deployment (through its ReplicaSet), DaemonSet, ReplicaSet, or the pod itself. */
  workloadOf(store: Store, pod: Pod): { kind: string; name: string } {
    const ref = controllerRef(pod);
    if (!ref) return { kind: 'Pod', name: pod.metadata.name };
    if (ref.kind === 'ReplicaSet') {
      const rs = store.get<ReplicaSet>(storeKey(R.replicasets), pod.metadata.namespace, ref.name);
      const owner = rs ? controllerRef(rs) : undefined;
      if (owner?.kind === 'Deployment') return { kind: 'Deployment', name: owner.name };
    }
    return { kind: ref.kind, name: ref.name };
  }

  /**
   * Per-container usage of a running pod. `workloads` remembers, for one read of many pods, the
   * workload of each controller (thousands of pods share a few).
   */
  containerUsage(store: Store, pod: Pod, workloads?: Map<string, { kind: string; name: string }>): Array<{ name: string; usage: Usage }> {
    const ref = workloads ? controllerRef(pod) : undefined;
    let workload = ref ? workloads?.get(ref.uid) : undefined;
    if (!workload) {
      workload = this.workloadOf(store, pod);
      if (ref) workloads?.set(ref.uid, workload);
    }
    const declared = this.get(pod.metadata.namespace ?? '', workload.name, workload.kind);
    const factor = declared?.factor ?? 1;
    const containers = pod.spec.containers ?? [];
    const requests = containers.map(containerRequest);
    const total = requests.reduce((sum, r) => ({ cpu: sum.cpu + r.cpu, memory: sum.memory + r.memory }), { cpu: 0, memory: 0 });
    return containers.map((c, i) => {
      const req = requests[i] as Usage;
      // A declared per-pod figure is split among containers by their share of the requests (evenly when none request).
      const share = (part: number, whole: number): number => (whole > 0 ? part / whole : 1 / containers.length);
      const cpu =
        declared?.cpu !== undefined
          ? declared.cpu * share(req.cpu, total.cpu)
          : req.cpu > 0
            ? req.cpu * DEFAULT_USAGE_SHARE
            : IDLE_CONTAINER.cpu;
      const memory =
        declared?.memory !== undefined
          ? declared.memory * share(req.memory, total.memory)
          : req.memory > 0
            ? req.memory * DEFAULT_USAGE_SHARE
            : IDLE_CONTAINER.memory;
      return { name: c.name, usage: { cpu: cpu * factor, memory: memory * factor } };
    });
  }
}

function isRunning(pod: Pod): boolean {
  return pod.status?.phase === 'Running' && Boolean(pod.spec.nodeName);
}

/** What a node's system daemons use on top of its pods: 50m + 2% of its CPUs, 300Mi + 5% of its memory. */
function baseline(node: Node): Usage {
  const cpu = requireQuantity(node.status?.capacity?.cpu ?? '0', 'capacity.cpu', cpuMillis);
  const memory = requireQuantity(node.status?.capacity?.memory ?? '0', 'capacity.memory', memoryBytes);
  return { cpu: 50 + cpu * 0.02, memory: 300 * 2 ** 20 + memory * 0.05 };
}

function meta(object: KubeObject, timestamp: string): Record<string, unknown> {
  return {
    name: object.metadata.name,
    ...(object.metadata.namespace ? { namespace: object.metadata.namespace } : {}),
    creationTimestamp: timestamp,
    ...(object.metadata.labels ? { labels: object.metadata.labels } : {}),
  };
}

export function nodeMetrics(store: Store, model: UsageModel, timestamp: string): KubeObject[] {
  const perNode = new Map<string, Usage>();
  const workloads = new Map<string, { kind: string; name: string }>();
  // Sums need no order: the pods as stored, not sorted.
  for (const pod of store.values<Pod>(storeKey(R.pods))) {
    if (!isRunning(pod)) continue;
    const sum = perNode.get(pod.spec.nodeName as string) ?? { cpu: 0, memory: 0 };
    for (const c of model.containerUsage(store, pod, workloads)) {
      sum.cpu += c.usage.cpu;
      sum.memory += c.usage.memory;
    }
    perNode.set(pod.spec.nodeName as string, sum);
  }
  return store
    .list<Node>(storeKey(R.nodes))
    .filter((node) => (node.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True'))
    .map((node) => {
      const pods = perNode.get(node.metadata.name) ?? { cpu: 0, memory: 0 };
      const base = baseline(node);
      return {
        metadata: meta(node, timestamp),
        timestamp,
        window: WINDOW,
        usage: { cpu: formatNanoCpu(pods.cpu + base.cpu), memory: formatKibibytes(pods.memory + base.memory) },
      } as unknown as KubeObject;
    });
}

export function podMetrics(store: Store, model: UsageModel, timestamp: string, namespace?: string): KubeObject[] {
  const workloads = new Map<string, { kind: string; name: string }>();
  return store
    .list<Pod>(storeKey(R.pods), namespace)
    .filter(isRunning)
    .map(
      (pod) =>
        ({
          metadata: meta(pod, timestamp),
          timestamp,
          window: WINDOW,
          containers: model
            .containerUsage(store, pod, workloads)
            .map((c) => ({ name: c.name, usage: { cpu: formatNanoCpu(c.usage.cpu), memory: formatKibibytes(c.usage.memory) } })),
        }) as unknown as KubeObject,
    );
}
