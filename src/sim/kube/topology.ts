/**
 * The nodes a LambdaStack cluster config describes: `kubernetes_master` count control-plane nodes
 * and `kubernetes_node` count workers, named by the LambdaStack rule (`vmName`), sized by the
 * `infrastructure/virtual-machine` document their component's `machine` names (LambdaStack's
 * default size for the provider when the config has none), with the worker labels of
 * `configuration/kubernetes-node` and the CNI plugin of `configuration/kubernetes-master`.
 */
import { type ClusterConfig, MASTER_COMPONENT, VIRTUAL_MACHINE_KIND, WORKER_COMPONENT } from '../../config/index.js';
import { clusterComponents, componentMachine, documentSpecification } from '../../config/machines.js';
import { knownSize, vmSize } from '../../kube/vm-sizes.js';
import { vmName } from '../../plan/naming.js';
import type { NodeRole } from './nodes.js';
import type { CniPlugin } from './system.js';
import { isRecord } from './types.js';

export interface TopologyNode {
  name: string;
  role: NodeRole;
  size: string;
  addressPool?: string;
}

export interface Topology {
  /** `specification.name`; also the kubeconfig's cluster and context name. */
  name: string;
  prefix: string | undefined;
  provider: string;
  nodes: TopologyNode[];
  workerSize: string;
  controlPlaneSize: string;
  workerLabels: Record<string, string>;
  cni: CniPlugin;
}

function machineSize(config: ClusterConfig, component: typeof MASTER_COMPONENT | typeof WORKER_COMPONENT): string {
  const { machine, size, from } = componentMachine(config, component);
  // Checked here so the error names the file and document, not just the size.
  if (from === 'config' && !knownSize(size)) vmSize(size, `${config.file}: ${VIRTUAL_MACHINE_KIND} ${machine}, specification.size`);
  return size;
}

function addressPools(config: ClusterConfig, component: string): string[] {
  const subnets = clusterComponents(config)[component]?.subnets;
  if (!Array.isArray(subnets)) return [];
  return subnets
    .map((s) => (isRecord(s) && typeof s.address_pool === 'string' ? s.address_pool : undefined))
    .filter((p): p is string => p !== undefined);
}

/** `node_labels: "node-type=lambdastack,tier=web"` → labels. */
function parseNodeLabels(text: unknown): Record<string, string> {
  if (typeof text !== 'string' || text.trim() === '') return {};
  const labels: Record<string, string> = {};
  for (const pair of text.split(',')) {
    const [key, value = ''] = pair.split('=').map((s) => s.trim());
    if (key) labels[key] = value;
  }
  return labels;
}

export function topologyFromConfig(config: ClusterConfig): Topology {
  const controlPlaneSize = machineSize(config, MASTER_COMPONENT);
  const workerSize = machineSize(config, WORKER_COMPONENT);
  const nodes: TopologyNode[] = [];
  const add = (component: string, role: NodeRole, size: string): void => {
    const pools = addressPools(config, component);
    for (let i = 0; i < (config.counts[component] ?? 0); i++) {
      const pool = pools.length > 0 ? pools[i % pools.length] : undefined;
      nodes.push({ name: vmName(config.prefix, config.name, component, i), role, size, ...(pool ? { addressPool: pool } : {}) });
    }
  };
  add(MASTER_COMPONENT, 'control-plane', controlPlaneSize);
  add(WORKER_COMPONENT, 'worker', workerSize);
  const plugin = (
    documentSpecification(config, 'configuration/kubernetes-master') as { advanced?: { networking?: { plugin?: unknown } } } | undefined
  )?.advanced?.networking?.plugin;
  const cni: CniPlugin = plugin === 'calico' || plugin === 'canal' ? plugin : 'flannel';
  return {
    name: config.name,
    prefix: config.prefix,
    provider: config.provider,
    nodes,
    workerSize,
    controlPlaneSize,
    workerLabels: parseNodeLabels(documentSpecification(config, 'configuration/kubernetes-node')?.node_labels),
    cni,
  };
}
