/**
 * The demo's Kubernetes cluster: the kube simulator started from the example cluster's config (its
 * master and workers, named by the LambdaStack rule), with one workload whose replicas the
 * scenario raises and lowers through the API, as `kubectl scale` (or an HPA) would.
 *
 * Time is simulated and stopped (timeScale 0): the scenario moves it (`advance`), so the watcher's
 * windows pass when the story says so, whatever the machine's speed. While a workflow runs in other
 * processes, which wait on the cluster in real time (the drain waits for evicted pods to go), time
 * runs at RUNNING_TIME_SCALE (`withRunningClock`).
 */
import { join } from 'node:path';
import type { ClusterConfig } from '../config/index.js';
import { UserError } from '../errors.js';
import { type KubeSim, startKubeSim } from '../sim/kube/index.js';
import type { Node, Pod } from '../sim/kube/types.js';
import type { Processes } from './processes.js';
import { nodeList } from './workflows/describe.js';

/** The workload: each pod asks for most of half a t3.medium worker, so three workers run three and a fourth pod waits. */
export const WORKLOAD = {
  name: 'storefront',
  namespace: 'default',
  cpu: '1000m',
  memory: '1Gi',
  /** Kubernetes' default, written out: the story waits for it when load falls. */
  terminationGracePeriodSeconds: 30,
} as const;

/** Simulated seconds per real second while a workflow runs: a pod's 30 s grace period takes 1.5 s. */
export const RUNNING_TIME_SCALE = 20;
const TICK_MS = 50;
const RUNNING_SINCE_SECONDS = 600;

export interface PodCounts {
  running: number;
  pending: number;
  /** Pending pods the scheduler found no node for. */
  unschedulable: number;
}

export interface DemoCluster {
  sim: KubeSim;
  kubeconfig: string;
  /** The nodes, control plane first, then the workers by name. */
  nodes(): Node[];
  workers(): string[];
  workloadPods(): Pod[];
  workloadCounts(): PodCounts;
  /** The workload as the story tells it: pods running (and where), pending, Unschedulable. */
  describeWorkload(): string;
  /** The workers registered, and how many are Ready. */
  describeWorkers(): string;
  /** `kubectl scale` of the workload, through the API as a person (or an HPA) would; returns the command, and the controllers and scheduler have acted on it. */
  scaleWorkload(replicas: number, processes: Processes): Promise<string>;
  /** Moves simulated time on by `seconds`, running what falls due. */
  advance(seconds: number): void;
  /** Runs `body` with simulated time running at RUNNING_TIME_SCALE. */
  withRunningClock<T>(body: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const isReady = (node: Node): boolean => (node.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

const isUnschedulable = (pod: Pod): boolean =>
  (pod.status?.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable');

export async function startDemoCluster(options: { demoDir: string; config: ClusterConfig; replicas: number }): Promise<DemoCluster> {
  const kubeconfig = join(options.demoDir, 'kubeconfig');
  const sim = await startKubeSim({
    config: options.config,
    timeScale: 0,
    kubeconfigPath: kubeconfig,
    scenario: {
      workloads: [
        {
          name: WORKLOAD.name,
          namespace: WORKLOAD.namespace,
          replicas: options.replicas,
          requests: { cpu: WORKLOAD.cpu, memory: WORKLOAD.memory },
          terminationGracePeriodSeconds: WORKLOAD.terminationGracePeriodSeconds,
        },
      ],
    },
  });
  // A cluster that has run a while: what happens next is later than its start (a ReplicaSet scaled
  // down removes its newest pods first, and the newest must be the ones added by the story).
  sim.cluster.advance(RUNNING_SINCE_SECONDS);
  const workerMark = '-kubernetes-node-vm-';
  const nodes = (): Node[] =>
    sim.cluster
      .nodes()
      .slice()
      .sort((a, b) => {
        const worker = (n: Node): number => (n.metadata.name.includes(workerMark) ? 1 : 0);
        return worker(a) - worker(b) || a.metadata.name.localeCompare(b.metadata.name, 'en', { numeric: true });
      });
  const workloadPods = (): Pod[] =>
    sim.cluster.pods(WORKLOAD.namespace).filter((pod) => pod.metadata.labels?.app === WORKLOAD.name && !pod.metadata.deletionTimestamp);
  const workerNodes = (): Node[] => nodes().filter((n) => n.metadata.name.includes(workerMark));
  const workloadCounts = (): PodCounts => {
    const pods = workloadPods();
    return {
      running: pods.filter((p) => p.status?.phase === 'Running').length,
      pending: pods.filter((p) => p.status?.phase === 'Pending').length,
      unschedulable: pods.filter(isUnschedulable).length,
    };
  };
  return {
    sim,
    kubeconfig,
    nodes,
    workers: () => workerNodes().map((n) => n.metadata.name),
    workloadPods,
    workloadCounts,
    describeWorkload: () => {
      const counts = workloadCounts();
      const placed = [...new Set(workloadPods().flatMap((pod) => (pod.spec.nodeName ? [pod.spec.nodeName] : [])))].sort();
      return `${WORKLOAD.name} (${WORKLOAD.cpu} CPU a pod): ${counts.running} running on ${nodeList(placed) || 'no node'}, ${counts.pending} pending (${counts.unschedulable} Unschedulable)`;
    },
    describeWorkers: () => {
      const workers = workerNodes();
      return `workers registered: ${nodeList(workers.map((n) => n.metadata.name))} (${workers.filter(isReady).length} Ready)`;
    },
    scaleWorkload: async (replicas, processes) => {
      const args = ['scale', `deployment/${WORKLOAD.name}`, `--replicas=${replicas}`];
      const result = await processes.run('kubectl', ['--kubeconfig', kubeconfig, ...args], {
        cwd: options.demoDir,
        env: { PATH: process.env.PATH ?? '', HOME: options.demoDir },
      });
      if (result.exitCode !== 0) throw new UserError(`kubectl ${args.join(' ')} failed: ${result.stderr.trim()}`);
      // The controllers and the scheduler act on the change now, not on the next turn of the event loop.
      sim.cluster.settle();
      return `kubectl ${args.join(' ')}`;
    },
    advance: (seconds) => sim.cluster.advance(seconds),
    withRunningClock: async (body) => {
      const tick = setInterval(() => sim.cluster.advance((RUNNING_TIME_SCALE * TICK_MS) / 1000), TICK_MS);
      try {
        return await body();
      } finally {
        clearInterval(tick);
      }
    },
    close: () => sim.close(),
  };
}
