/**
 * The simulated cluster: storage, the registry, the controllers, simulated time and the usage
 * model, plus the state API tests and scenarios drive it with (add a node as a VM joining, remove
 * one as a VM destroyed, scale a deployment, change load, switch metrics off).
 *
 * Controllers run in one reconcile pass soon after any change (coalescing a burst of API writes)
 * and after every timer, passes after passes until nothing changes; a pass in which a controller
 * stopped at its batch limit (500 pods a sync) ends the turn, and the next batch runs on the next
 * turn of the event loop, so the server answers and stops during a scale of thousands of pods.
 * `settle()` runs the passes synchronously, every batch included, for tests that step time by hand.
 * Every change in the store is shown to every controller, which notes what it concerns; a pass
 * works through those notes only (see controllers/context.ts), so its cost follows the change, not
 * the size of the cluster.
 */
import { cpuMillis, memoryBytes } from '../../kube/quantity.js';
import { vmSize } from '../../kube/vm-sizes.js';
import { type ClockOptions, SimClock } from './clock.js';
import { DisruptionController } from './controllers/budgets.js';
import type { Controller, ControllerContext, EventInput, SimTiming } from './controllers/context.js';
import { EventRecorder } from './controllers/events.js';
import { GarbageCollector } from './controllers/gc.js';
import { Kubelets } from './controllers/kubelet.js';
import { Scheduler } from './controllers/scheduling.js';
import { DaemonSetController, deploymentController, replicaSetController } from './controllers/workloads.js';
import { installIndexes } from './indexes.js';
import { nodeMetrics, podMetrics, UsageModel, type WorkloadUsage } from './metrics.js';
import { addressIn, buildNode, NOT_READY_TAINT_KEY, type NodeRole, READY_CONDITION } from './nodes.js';
import { Registry } from './registry.js';
import { R, storeKey } from './resources.js';
import { Store } from './store.js';
import { type CniPlugin, coreDns, kubeDnsService, mirrorPods, systemDaemonSets } from './system.js';
import { clone, type Deployment, type KubeObject, type Node, type Pod, type Taint } from './types.js';

export interface NodeOptions {
  /** VM size (default: the cluster's worker size, or its control-plane size for that role). */
  size?: string;
  role?: NodeRole;
  labels?: Record<string, string>;
  taints?: Taint[];
  /** InternalIP address pool ("10.1.2.0/24"). */
  addressPool?: string;
}

export interface SimClusterOptions {
  clock?: SimClock | ClockOptions;
  /** Reported by `/version` and every kubelet (default v1.32.0). */
  kubernetesVersion?: string;
  provider?: string;
  /** Size of nodes added without one (default t3.medium). */
  workerSize?: string;
  controlPlaneSize?: string;
  /** Labels every worker gets (LambdaStack's `configuration/kubernetes-node` `node_labels`). */
  workerLabels?: Record<string, string>;
  /** Run kube-system workloads: control-plane mirror pods, kube-proxy, the CNI DaemonSet, CoreDNS (default true). */
  system?: boolean;
  cni?: CniPlugin;
  timing?: Partial<SimTiming>;
  /** Where errors of controllers running in the background go (default: stderr). */
  onError?: (error: Error) => void;
  /** Changes kept for watches that resume from a resourceVersion (default 50,000); older ones get 410 Expired. */
  watchHistory?: number;
}

export interface DeploymentInput {
  name: string;
  namespace?: string;
  replicas: number;
  image?: string;
  labels?: Record<string, string>;
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
  usage?: WorkloadUsage;
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, unknown>>;
  terminationGracePeriodSeconds?: number;
  priorityClassName?: string;
  /** Give each pod an emptyDir volume (kubectl drain then needs --delete-emptydir-data). */
  emptyDir?: boolean;
}

export interface PdbInput {
  name: string;
  namespace?: string;
  selector: Record<string, string>;
  minAvailable?: number | string;
  maxUnavailable?: number | string;
}

const MAX_PASSES = 100;

export class SimCluster {
  readonly clock: SimClock;
  readonly store: Store;
  readonly registry: Registry;
  readonly usage = new UsageModel();
  readonly kubernetesVersion: string;
  readonly timing: SimTiming;
  private readonly options: SimClusterOptions;
  private readonly events: EventRecorder;
  /** The scheduler, whose node loads tests compare with loads summed from scratch. */
  readonly scheduler: Scheduler;
  private readonly controllers: Controller[];
  private work = 0;
  private readonly context: ControllerContext;
  private bootstrapping = false;
  private scheduled = false;
  private reconciling = false;
  /** Set during a pass when a controller stopped at its batch limit with work left. */
  private unfinished = false;
  private closed = false;
  private metricsUp = true;
  private nodeCount = 0;
  private readonly unsubscribe: () => void;

  constructor(options: SimClusterOptions = {}) {
    this.options = options;
    this.store = new Store(options.watchHistory);
    installIndexes(this.store);
    this.clock = options.clock instanceof SimClock ? options.clock : new SimClock(options.clock);
    this.registry = new Registry(this.store, this.clock);
    this.events = new EventRecorder(this.store, this.clock);
    this.kubernetesVersion = options.kubernetesVersion ?? 'v1.32.0';
    this.timing = { podStartSeconds: 2, orphanPodSeconds: 40, nodeReadySeconds: 10, ...(options.timing ?? {}) };
    // Validate sizes up front: an unknown size is a configuration error, reported before anything runs.
    vmSize(options.workerSize ?? 't3.medium', 'worker size');
    vmSize(options.controlPlaneSize ?? options.workerSize ?? 't3.medium', 'control-plane size');
    const self = this;
    this.context = {
      store: this.store,
      registry: this.registry,
      clock: this.clock,
      timing: this.timing,
      get bootstrapping() {
        return self.bootstrapping;
      },
      recordEvent: (event: EventInput) => {
        // A cluster starts as one that has run a while: the Normal events of its build (created, scheduled) would have expired; its warnings are still current.
        if (!(self.bootstrapping && event.type === 'Normal')) this.events.record(event);
      },
      wake: () => this.requestReconcile(),
      more: () => {
        this.unfinished = true;
      },
      visit: (count = 1) => {
        this.work += count;
      },
    };
    this.scheduler = new Scheduler();
    // The order of a pass: cleanup first, then the workloads, which create pods, the scheduler, which binds them, the kubelets, which start them, and the budgets, which count them.
    this.controllers = [
      new GarbageCollector(this.store),
      deploymentController(),
      replicaSetController(this.store),
      new DaemonSetController(this.store),
      this.scheduler,
      new Kubelets(this.store),
      new DisruptionController(this.store),
    ];
    this.unsubscribe = this.store.subscribe((event) => {
      for (const controller of this.controllers) controller.observe(event);
      this.requestReconcile();
    });
    for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system'])
      this.registry.create(R.namespaces, undefined, { metadata: { name: ns } });
    // The API server's own service, as every cluster has it.
    this.registry.create(R.services, 'default', {
      metadata: { name: 'kubernetes', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }] },
    });
    if (options.system ?? true) {
      for (const ds of systemDaemonSets(this.kubernetesVersion, options.cni ?? 'flannel'))
        this.registry.create(R.daemonsets, 'kube-system', ds);
      this.registry.create(R.deployments, 'kube-system', coreDns());
      this.registry.create(R.services, 'kube-system', kubeDnsService());
    }
  }

  /** Whether metrics.k8s.io answers (false: 503, as when metrics-server is down). */
  get metricsAvailable(): boolean {
    return this.metricsUp;
  }

  setMetricsAvailable(available: boolean): void {
    this.metricsUp = available;
  }

  /**
   * Builds state that should already be running when the simulation starts: pods bound in here
   * start at once instead of after `podStartSeconds` (in one write, from bound to Running), and the
   * build leaves no Normal events (created, scheduled: they would have expired in a cluster that has
   * run a while), only its warnings (a pod that fits nowhere). Nor is the build in the watch
   * history: as against an API server whose watch cache starts after it, a watch resumes from a
   * list made after the build (an older resourceVersion gets 410 Expired, and clients list again).
   */
  bootstrap(build: () => void): void {
    this.bootstrapping = true;
    try {
      this.store.withoutHistory(() => {
        build();
        this.settle();
      });
    } finally {
      this.bootstrapping = false;
    }
  }

  /** A node registering, as when a new VM's kubelet joins; a control-plane node brings its mirror pods. */
  addNode(name: string, options: NodeOptions = {}): Node {
    const role = options.role ?? 'worker';
    const sizeName =
      options.size ??
      (role === 'control-plane' ? (this.options.controlPlaneSize ?? this.options.workerSize) : this.options.workerSize) ??
      't3.medium';
    const size = vmSize(sizeName, `node ${name}`);
    const index = this.nodeCount++;
    // A node joining a running cluster is NotReady until its network plugin starts; the initial ones are up already.
    const joining = !this.bootstrapping && this.timing.nodeReadySeconds > 0;
    const node = this.registry.create(
      R.nodes,
      undefined,
      buildNode(
        {
          name,
          role,
          size,
          index,
          address: addressIn(options.addressPool, index),
          labels: { ...(role === 'worker' ? (this.options.workerLabels ?? {}) : {}), ...(options.labels ?? {}) },
          ...(options.taints ? { taints: options.taints } : {}),
          kubeletVersion: this.kubernetesVersion,
          provider: this.options.provider ?? 'any',
          ready: !joining,
        },
        this.clock.timestamp(),
      ),
    ) as Node;
    if (joining) this.clock.after(this.timing.nodeReadySeconds, () => this.markReady(name, node.metadata.uid));
    if (role === 'control-plane' && (this.options.system ?? true)) {
      for (const pod of mirrorPods(node, this.kubernetesVersion)) this.registry.create(R.pods, 'kube-system', pod);
    }
    return node;
  }

  /** The kubelet reports Ready and the node lifecycle controller lifts the not-ready taint. */
  private markReady(name: string, uid: string): void {
    const node = this.store.get<Node>(storeKey(R.nodes), undefined, name);
    if (!node || node.metadata.uid !== uid || this.closed) return;
    const now = this.clock.timestamp();
    const next = clone(node);
    next.status.conditions = (next.status.conditions ?? []).map((c) =>
      c.type === 'Ready'
        ? {
            ...c,
            status: 'True',
            reason: READY_CONDITION.reason,
            message: READY_CONDITION.message,
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          }
        : c,
    );
    const taints = (next.spec.taints ?? []).filter((t) => t.key !== NOT_READY_TAINT_KEY);
    if (taints.length > 0) next.spec.taints = taints;
    else delete next.spec.taints;
    this.store.update(storeKey(R.nodes), next);
  }

  /** A VM destroyed: its Node object goes; its pods are deleted by the pod GC after the quarantine. */
  removeNode(name: string): void {
    this.registry.delete(R.nodes, undefined, name);
  }

  createNamespace(name: string): void {
    if (!this.store.get(storeKey(R.namespaces), undefined, name)) this.registry.create(R.namespaces, undefined, { metadata: { name } });
  }

  /** A Deployment with the given replicas, requests and (simulated) usage per pod. */
  createDeployment(input: DeploymentInput): Deployment {
    const namespace = input.namespace ?? 'default';
    this.createNamespace(namespace);
    const labels = input.labels ?? { app: input.name };
    const requests = Object.fromEntries(Object.entries(input.requests ?? {}).filter(([, v]) => v !== undefined));
    const limits = Object.fromEntries(Object.entries(input.limits ?? {}).filter(([, v]) => v !== undefined));
    const resources = { ...(Object.keys(requests).length > 0 ? { requests } : {}), ...(Object.keys(limits).length > 0 ? { limits } : {}) };
    const deployment = this.registry.create(R.deployments, namespace, {
      metadata: { name: input.name, namespace, labels },
      spec: {
        replicas: input.replicas,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: input.name,
                image: input.image ?? 'nginx:1.27',
                resources,
                ...(input.emptyDir ? { volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }] } : {}),
              },
            ],
            ...(input.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}),
            ...(input.nodeSelector ? { nodeSelector: input.nodeSelector } : {}),
            ...(input.tolerations ? { tolerations: input.tolerations } : {}),
            ...(input.terminationGracePeriodSeconds !== undefined
              ? { terminationGracePeriodSeconds: input.terminationGracePeriodSeconds }
              : {}),
            ...(input.priorityClassName ? { priorityClassName: input.priorityClassName } : {}),
          },
        },
      },
    }) as Deployment;
    if (input.usage) this.usage.set(namespace, input.name, input.usage);
    return deployment;
  }

  createPodDisruptionBudget(input: PdbInput): KubeObject {
    const namespace = input.namespace ?? 'default';
    this.createNamespace(namespace);
    return this.registry.create(R.pdbs, namespace, {
      metadata: { name: input.name, namespace },
      spec: {
        selector: { matchLabels: input.selector },
        ...(input.minAvailable !== undefined ? { minAvailable: input.minAvailable } : {}),
        ...(input.maxUnavailable !== undefined ? { maxUnavailable: input.maxUnavailable } : {}),
      },
    });
  }

  /** Sets a deployment's replicas, as `kubectl scale` (or an HPA) would. */
  scaleDeployment(name: string, replicas: number, namespace = 'default'): void {
    const d = this.registry.get<Deployment>(R.deployments, namespace, name);
    const next = clone(d);
    next.spec.replicas = replicas;
    this.registry.update(R.deployments, namespace, name, next);
  }

  /** Changes the simulated usage of a deployment's pods (absolute per pod, or a factor). */
  setUsage(deployment: string, usage: { cpu?: string | number; memory?: string | number; factor?: number }, namespace = 'default'): void {
    const next: WorkloadUsage = {};
    if (usage.cpu !== undefined) next.cpu = cpuMillis(usage.cpu) ?? 0;
    if (usage.memory !== undefined) next.memory = memoryBytes(usage.memory) ?? 0;
    if (usage.factor !== undefined) next.factor = usage.factor;
    this.usage.set(namespace, deployment, next);
  }

  nodes(): Node[] {
    return this.store.list<Node>(storeKey(R.nodes));
  }

  pods(namespace?: string): Pod[] {
    return this.store.list<Pod>(storeKey(R.pods), namespace);
  }

  nodeMetrics(): KubeObject[] {
    return nodeMetrics(this.store, this.usage, this.clock.timestamp());
  }

  podMetrics(namespace?: string): KubeObject[] {
    return podMetrics(this.store, this.usage, this.clock.timestamp(), namespace);
  }

  /** Moves simulated time and lets every controller catch up. */
  advance(seconds: number): void {
    this.clock.advance(seconds);
    this.settle();
  }

  /** Runs controllers until nothing changes (a big scale included: every batch runs now). */
  settle(): void {
    this.reconcile(false);
  }

  /**
   * Has every controller look at every object, as after a restart of the controller manager, and
   * settles. The controllers work from what changed; when they kept up, this changes nothing.
   */
  resync(): void {
    for (const controller of this.controllers) controller.resync(this.store);
    this.settle();
  }

  /** Objects the controllers have read so far (pods, nodes…): compared before and after a change, the work it cost. */
  get visited(): number {
    return this.work;
  }

  /**
   * Controller passes until nothing changes. Passes that only worked through batches (a scale of
   * thousands of pods, 500 a sync) do not count towards MAX_PASSES: each makes progress. With
   * `yieldBetweenBatches`, it returns true after the first pass that left work for the next, so
   * the caller can let the event loop run (requests, signals) before going on.
   */
  private reconcile(yieldBetweenBatches: boolean): boolean {
    if (this.reconciling || this.closed) return false;
    this.reconciling = true;
    try {
      for (let pass = 0; pass < MAX_PASSES; ) {
        const before = this.store.revision;
        this.unfinished = false;
        for (const controller of this.controllers) controller.run(this.context);
        if (this.unfinished) {
          if (yieldBetweenBatches) return true;
          continue;
        }
        if (this.store.revision === before) return false;
        pass++;
      }
      throw new Error(
        `the simulated controllers did not settle after ${MAX_PASSES} passes: a controller keeps rewriting an object (a bug in src/sim/kube/controllers)`,
      );
    } finally {
      // `scheduled` stays as it is: a background turn already queued still runs (and finds the work
      // done); clearing it here let a second one be queued beside it, two batches a turn from then on.
      this.reconciling = false;
    }
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const controller of this.controllers) controller.stop?.();
    this.clock.close();
  }

  private requestReconcile(): void {
    if (this.scheduled || this.reconciling || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        // One batch a turn of the event loop: requests and signals are answered between batches.
        if (this.reconcile(true)) this.requestReconcile();
      } catch (error) {
        // A controller bug must not take the API server down with it: report it and keep serving.
        (this.options.onError ?? ((e: Error) => console.error(`sim kube: ${e.stack ?? e.message}`)))(error as Error);
      }
    });
  }
}
