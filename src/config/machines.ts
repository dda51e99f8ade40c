import { UserError } from '../errors.js';
import type { ClusterConfig } from './model.js';
import { MASTER_COMPONENT, VIRTUAL_MACHINE_KIND, WORKER_COMPONENT } from './schema.js';

/**
 * The machines a cluster config gives its components: LambdaStack names an
 * `infrastructure/virtual-machine` document from each component's `machine`, and that document's
 * `specification.size` is the VM size. Read by the kube simulator (node sizes) and by the terraform
 * action (the `worker_size` variable), so both size a worker the same.
 */

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** LambdaStack's defaults (`<provider>/defaults/infrastructure/virtual-machine.yml`) for the two Kubernetes machines. */
const DEFAULT_SIZES: Record<string, { [MASTER_COMPONENT]: string; [WORKER_COMPONENT]: string }> = {
  aws: { [MASTER_COMPONENT]: 't3.medium', [WORKER_COMPONENT]: 't3.medium' },
  azure: { [MASTER_COMPONENT]: 'Standard_DS2_v2', [WORKER_COMPONENT]: 'Standard_DS1_v2' },
  // Provider "any" runs on existing machines with no size; a 2 vCPU / 4 GiB host stands in.
  any: { [MASTER_COMPONENT]: 't3.medium', [WORKER_COMPONENT]: 't3.medium' },
};

/** `specification.components` of the cluster document: component name → its settings as written. */
export function clusterComponents(config: ClusterConfig): Record<string, Record<string, unknown>> {
  const doc = config.documents.find((d) => d.kind === config.kind);
  const components = isRecord(doc?.value.specification) ? doc.value.specification.components : undefined;
  return isRecord(components) ? (components as Record<string, Record<string, unknown>>) : {};
}

/** The `specification` of the first document of `kind` (and `name`, when given). */
export function documentSpecification(config: ClusterConfig, kind: string, name?: string): Record<string, unknown> | undefined {
  const doc = config.documents.find((d) => d.kind === kind && (name === undefined || d.name === name));
  return doc && isRecord(doc.value.specification) ? doc.value.specification : undefined;
}

export interface ComponentMachine {
  /** The virtual-machine document's name: the component's `machine`, or LambdaStack's default `<component with - for _>-machine`. */
  machine: string;
  /** Its `specification.size`, or LambdaStack's default size for the provider when the config has none. */
  size: string;
  /** Whether the size was written in the config or is the provider's default. */
  from: 'config' | 'default';
}

/** The machine and VM size of `kubernetes_master` or `kubernetes_node`. */
export function componentMachine(config: ClusterConfig, component: typeof MASTER_COMPONENT | typeof WORKER_COMPONENT): ComponentMachine {
  const found = machineOf(config, component);
  if (found) return found;
  const defaults = DEFAULT_SIZES[config.provider] ?? (DEFAULT_SIZES.any as (typeof DEFAULT_SIZES)[string]);
  return { machine: machineName(config, component), size: defaults[component], from: 'default' };
}

/**
 * The machine and VM size of any component, when the config writes its size. Only the two
 * Kubernetes machines have a default this tool knows (componentMachine); for the others
 * (load_balancer, repository…) a size the config does not write is undefined, never guessed.
 */
export function machineOf(config: ClusterConfig, component: string): ComponentMachine | undefined {
  const machine = machineName(config, component);
  const size = documentSpecification(config, VIRTUAL_MACHINE_KIND, machine)?.size;
  if (size === undefined) return undefined;
  if (typeof size !== 'string' || size === '') {
    throw new UserError(
      `${config.file}: ${VIRTUAL_MACHINE_KIND} ${machine}: specification.size must be a VM size such as t3.medium or Standard_DS1_v2`,
    );
  }
  return { machine, size, from: 'config' };
}

/** The `infrastructure/virtual-machine` document a component names: its `machine`, or LambdaStack's default name. */
function machineName(config: ClusterConfig, component: string): string {
  const written = clusterComponents(config)[component]?.machine;
  return typeof written === 'string' ? written : `${component.replaceAll('_', '-')}-machine`;
}

/** `specification.cloud.region` of the cluster document (an AWS region, an Azure location), when written. */
export function cloudRegion(config: ClusterConfig): string | undefined {
  const doc = config.documents.find((d) => d.kind === config.kind);
  const cloud = isRecord(doc?.value.specification) ? doc.value.specification.cloud : undefined;
  const region = isRecord(cloud) ? cloud.region : undefined;
  return typeof region === 'string' && region.trim() !== '' ? region.trim() : undefined;
}
