/**
 * `startKubeSim`: an in-memory Kubernetes API server on 127.0.0.1 that kubectl and
 * @kubernetes/client-node drive unchanged. The cluster comes from a LambdaStack cluster config
 * (nodes named and sized as LambdaStack makes them) and/or a scenario (workloads, PDBs, load
 * over time); `cluster` is the state API for tests.
 */
import type { AddressInfo } from 'node:net';
import { type ClusterConfig, MASTER_COMPONENT, readConfigs, WORKER_COMPONENT, WorkingTreeSource } from '../../config/index.js';
import { ConfigError, UserError } from '../../errors.js';
import { vmName } from '../../plan/naming.js';
import { SimCluster, type SimClusterOptions } from './cluster.js';
import { checkKubeconfigPath, kubeconfigYaml, writeKubeconfig } from './kubeconfig.js';
import { applyWorkloads, loadScenarioFile, type ParsedScenario, parseScenario, type Scenario, scheduleTimeline } from './scenario.js';
import { createKubeServer } from './server.js';
import { type Topology, topologyFromConfig } from './topology.js';

export { nodeResources, VM_SIZES, vmSize } from '../../kube/vm-sizes.js';
export { SimClock } from './clock.js';
export { type DeploymentInput, type NodeOptions, type PdbInput, SimCluster, type SimClusterOptions } from './cluster.js';
export { parseScenario, type Scenario, scenarioSchema } from './scenario.js';
export { MAX_REPLICAS } from './strategies.js';
export { type Topology, topologyFromConfig } from './topology.js';

export interface KubeSimOptions {
  /** A LambdaStack cluster config: a file path or a loaded config. Overrides the scenario's `cluster.config`. */
  config?: string | ClusterConfig;
  /** A scenario: a YAML/JSON file path or a value. */
  scenario?: string | Scenario;
  /** 0 (default): any free port. */
  port?: number;
  /** Simulated seconds per real second (default 1; 0 stops the clock: only `cluster.advance()` moves it). */
  timeScale?: number;
  /** Simulated epoch milliseconds at start (default: the real time now), e.g. a Monday morning for a schedule. */
  start?: number;
  /**
   * Also write the kubeconfig to this file (mode 0600, atomically). Its folder must exist, and a
   * file that is there already is refused unless `overwriteKubeconfig` (the CLI's `--force`).
   */
  kubeconfigPath?: string;
  /** Replace a file at `kubeconfigPath` (default false: refuse it, so no kubeconfig is lost). */
  overwriteKubeconfig?: boolean;
  /** One line per request (method, path, status, time): for debugging a client. */
  log?: (line: string) => void;
  /** Cluster settings beyond the config and scenario (timing, system workloads, sizes). */
  cluster?: Omit<SimClusterOptions, 'clock'>;
  /** Real milliseconds between watch bookmarks (default 15 s). */
  bookmarkIntervalMs?: number;
}

export interface KubeSim {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  kubeconfigPath?: string;
  kubeConfigYaml: string;
  cluster: SimCluster;
  /** The name the next worker VM would get by the LambdaStack naming rule (for `cluster.addNode`). */
  nextWorkerName(): string;
  close(): Promise<void>;
}

/** Without a config or inline nodes: one control-plane node and two t3.medium workers of a cluster named "sim". */
const DEFAULT_TOPOLOGY: Topology = {
  name: 'sim',
  prefix: undefined,
  provider: 'aws',
  nodes: [
    { name: vmName(undefined, 'sim', MASTER_COMPONENT, 0), role: 'control-plane', size: 't3.medium' },
    { name: vmName(undefined, 'sim', WORKER_COMPONENT, 0), role: 'worker', size: 't3.medium' },
    { name: vmName(undefined, 'sim', WORKER_COMPONENT, 1), role: 'worker', size: 't3.medium' },
  ],
  workerSize: 't3.medium',
  controlPlaneSize: 't3.medium',
  workerLabels: {},
  cni: 'flannel',
};

/** The one cluster of a config file, read by the same reader as every command. */
async function loadConfig(path: string): Promise<ClusterConfig> {
  const result = await readConfigs(await WorkingTreeSource.open([path], process.cwd()));
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  const [config, ...more] = result.configs;
  if (!config)
    throw new UserError(`${path}: no lambdastack-cluster or epiphany-cluster document: give a cluster config (see cluster-config/)`);
  if (more.length > 0) throw new UserError(`${path} holds ${result.configs.length} clusters: give the one file to simulate`);
  return config;
}

export async function startKubeSim(options: KubeSimOptions = {}): Promise<KubeSim> {
  // Refused before anything starts; the write itself (it needs the port) checks again.
  if (options.kubeconfigPath) await checkKubeconfigPath(options.kubeconfigPath, options.overwriteKubeconfig ?? false);
  const scenario: ParsedScenario =
    typeof options.scenario === 'string' ? await loadScenarioFile(options.scenario) : parseScenario(options.scenario ?? {}, 'scenario');
  const configSource = options.config ?? scenario.cluster?.config;
  const config = typeof configSource === 'string' ? await loadConfig(configSource) : configSource;
  const inline = scenario.cluster?.nodes ?? [];
  const topology: Topology = config
    ? topologyFromConfig(config)
    : inline.length > 0
      ? { ...DEFAULT_TOPOLOGY, nodes: [] }
      : DEFAULT_TOPOLOGY;

  const cluster = new SimCluster({
    provider: topology.provider,
    workerSize: topology.workerSize,
    controlPlaneSize: topology.controlPlaneSize,
    workerLabels: topology.workerLabels,
    cni: topology.cni,
    ...(scenario.cluster?.system !== undefined ? { system: scenario.cluster.system } : {}),
    ...(scenario.cluster?.kubernetesVersion ? { kubernetesVersion: scenario.cluster.kubernetesVersion } : {}),
    ...(options.cluster ?? {}),
    timing: { ...(scenario.timing ?? {}), ...(options.cluster?.timing ?? {}) },
    clock: { timeScale: options.timeScale ?? 1, ...(options.start !== undefined ? { start: options.start } : {}) },
  });
  let workerIndex = topology.nodes.filter((n) => n.role === 'worker').length;
  const nextWorkerName = (): string => {
    const names = new Set(cluster.nodes().map((n) => n.metadata.name));
    let name = vmName(topology.prefix, topology.name, WORKER_COMPONENT, workerIndex);
    while (names.has(name)) name = vmName(topology.prefix, topology.name, WORKER_COMPONENT, ++workerIndex);
    return name;
  };
  try {
    cluster.bootstrap(() => {
      for (const node of topology.nodes) {
        cluster.addNode(node.name, { role: node.role, size: node.size, ...(node.addressPool ? { addressPool: node.addressPool } : {}) });
      }
      for (const node of inline) {
        cluster.addNode(node.name, {
          role: node.role,
          ...(node.size ? { size: node.size } : {}),
          ...(node.labels ? { labels: node.labels } : {}),
          ...(node.taints ? { taints: node.taints } : {}),
        });
      }
      applyWorkloads(cluster, scenario);
    });
  } catch (error) {
    cluster.close();
    throw error;
  }
  const cancelTimeline = scheduleTimeline(cluster, scenario, nextWorkerName, (error) =>
    options.log?.(`scenario timeline: ${error.message}`),
  );

  const { server, endWatches } = createKubeServer({
    cluster,
    ...(options.log ? { log: options.log } : {}),
    ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      cluster.close();
      reject(
        error.code === 'EADDRINUSE'
          ? new UserError(`port ${options.port} on 127.0.0.1 is in use: pick another with --port, or 0 for any free port`)
          : error,
      );
    });
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const kubeConfigYaml = kubeconfigYaml(url, topology.name);
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      cancelTimeline();
      endWatches();
      cluster.close();
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };
  if (options.kubeconfigPath) {
    try {
      await writeKubeconfig(options.kubeconfigPath, kubeConfigYaml, options.overwriteKubeconfig ?? false);
    } catch (error) {
      await close();
      throw error;
    }
  }
  return {
    url,
    ...(options.kubeconfigPath ? { kubeconfigPath: options.kubeconfigPath } : {}),
    kubeConfigYaml,
    cluster,
    nextWorkerName,
    close,
  };
}
