/**
 * The nodes a LambdaStack cluster config describes: `kubernetes_master` count control-plane nodes
 * and `kubernetes_node` count workers, named by the LambdaStack rule (`vmName`), sized by the
 * `infrastructure/virtual-machine` document their component's `machine` names (LambdaStack's
 * default size for the provider when the config has none), with the worker labels of
 * `configuration/kubernetes-node` and the CNI plugin of `configuration/kubernetes-master`.
 */
import { type ClusterConfig, MASTER_COMPONENT, VIRTUAL_MACHINE_KIND, WORKER_COMPONENT } from '../../config/index.js';
import { UserError } from '../../errors.js';
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

/** LambdaStack's defaults (`<provider>/defaults/infrastructure/virtual-machine.yml`) for the two Kubernetes machines. */
const DEFAULT_SIZES: Record<string, { master: string; node: string }> = {
  aws: { master: 't3.medium', node: 't3.medium' },
  azure: { master: 'Standard_DS2_v2', node: 'Standard_DS1_v2' },
  // Provider "any" runs on existing machines with no size; a 2 vCPU / 4 GiB host stands in.
  any: { master: 't3.medium', node: 't3.medium' },
};

function clusterComponents(config: ClusterConfig): Record<string, Record<string, unknown>> {
  const doc = config.documents.find((d) => d.kind === config.kind);
  const components = isRecord(doc?.value.specification) ? doc.value.specification.components : undefined;
  return isRecord(components) ? (components as Record<string, Record<string, unknown>>) : {};
}

function specificationOf(config: ClusterConfig, kind: string, name?: string): Record<string, unknown> | undefined {
  const doc = config.documents.find((d) => d.kind === kind && (name === undefined || d.name === name));
  return doc && isRecord(doc.value.specification) ? doc.value.specification : undefined;
}

function machineSize(config: ClusterConfig, component: string, fallbackMachine: string, fallbackSize: string): string {
  const machine = clusterComponents(config)[component]?.machine;
  const name = typeof machine === 'string' ? machine : fallbackMachine;
  const size = specificationOf(config, VIRTUAL_MACHINE_KIND, name)?.size;
  if (size === undefined) return fallbackSize;
  if (typeof size !== 'string')
    throw new UserError(`${config.file}: ${VIRTUAL_MACHINE_KIND} ${name}: specification.size must be a string such as t3.medium`);
  // Checked here so the error names the file and document, not just the size.
  if (!knownSize(size)) vmSize(size, `${config.file}: ${VIRTUAL_MACHINE_KIND} ${name}, specification.size`);
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
  const defaults = DEFAULT_SIZES[config.provider] ?? (DEFAULT_SIZES.any as { master: string; node: string });
  const controlPlaneSize = machineSize(config, MASTER_COMPONENT, 'kubernetes-master-machine', defaults.master);
  const workerSize = machineSize(config, WORKER_COMPONENT, 'kubernetes-node-machine', defaults.node);
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
    specificationOf(config, 'configuration/kubernetes-master') as { advanced?: { networking?: { plugin?: unknown } } } | undefined
  )?.advanced?.networking?.plugin;
  const cni: CniPlugin = plugin === 'calico' || plugin === 'canal' ? plugin : 'flannel';
  return {
    name: config.name,
    prefix: config.prefix,
    provider: config.provider,
    nodes,
    workerSize,
    controlPlaneSize,
    workerLabels: parseNodeLabels(specificationOf(config, 'configuration/kubernetes-node')?.node_labels),
    cni,
  };
}
