import { type ClusterConfig, clusterId, WORKER_COMPONENT } from '../config/index.js';
import { componentMachine } from '../config/machines.js';
import { UserError } from '../errors.js';

/**
 * The worker pool contract's variables (infra/terraform/README.md), rendered from a cluster config.
 * Every module under infra/terraform/ declares exactly these (test/infra/modules.test.ts reads
 * the .tf files and compares), so one rendering serves aws, azure and local.
 */

/** Every variable of the contract, in the order of the modules' variables.tf. */
export const WORKER_POOL_VARIABLES = [
  'cluster_name',
  'prefix',
  'worker_count',
  'worker_size',
  'image_id',
  'region',
  'resource_group_name',
  'subnet_ids',
  'security_group_ids',
  'admin_username',
  'ssh_key_name',
  'ssh_public_key',
  'tags',
] as const;

/** Every output of the contract. */
export const WORKER_POOL_OUTPUTS = ['workers', 'worker_names'] as const;

export type WorkerPoolVariable = (typeof WORKER_POOL_VARIABLES)[number];

/** Variables that come from the cluster config (and the image-id input) only. */
const FROM_CONFIG: readonly WorkerPoolVariable[] = ['cluster_name', 'prefix', 'worker_count', 'worker_size', 'image_id'];

/**
 * Variables a workflow may set (the action's `variables` input): what the cluster config does not
 * say, such as the subnets and key pair of a pool whose network LambdaStack made. The rest come
 * from the config alone, since the plan's destroy set is checked against the config's count and
 * names: a `worker_count` or `prefix` from elsewhere would make that check meaningless.
 */
export const SETTABLE_VARIABLES: readonly WorkerPoolVariable[] = WORKER_POOL_VARIABLES.filter((name) => !FROM_CONFIG.includes(name));

const LIST_VARIABLES = new Set<string>(['subnet_ids', 'security_group_ids']);

export type WorkerPoolVariables = Partial<Record<WorkerPoolVariable, unknown>>;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

function clusterSpecification(config: ClusterConfig): Record<string, unknown> {
  const spec = config.documents.find((d) => d.kind === config.kind)?.value.specification;
  return isRecord(spec) ? spec : {};
}

/** A string setting of the cluster document (`cloud.region`, `admin_user.name`), when it is one. */
function specString(config: ClusterConfig, section: string, key: string): string | undefined {
  const value = clusterSpecification(config)[section];
  const setting = isRecord(value) ? value[key] : undefined;
  return typeof setting === 'string' && setting !== '' ? setting : undefined;
}

/** Checks the `variables` input: contract variables a workflow may set, each of the right type. */
export function checkVariableOverrides(overrides: Record<string, unknown>, input = 'variables'): WorkerPoolVariables {
  const checked: WorkerPoolVariables = {};
  for (const [name, value] of Object.entries(overrides)) {
    if (!(SETTABLE_VARIABLES as readonly string[]).includes(name)) {
      throw new UserError(
        (FROM_CONFIG as readonly string[]).includes(name)
          ? `input \`${input}\`: ${name} comes from the cluster config (or the image-id input) and cannot be set here: change the config instead`
          : `input \`${input}\`: ${name} is not a variable of the worker pool contract: use one of ${SETTABLE_VARIABLES.join(', ')} (a custom module's own variables can be set as TF_VAR_<name> in the step's env)`,
      );
    }
    const variable = name as WorkerPoolVariable;
    if (LIST_VARIABLES.has(name)) {
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        throw new UserError(`input \`${input}\`: ${name} must be a list of strings, for example ["subnet-0abc"]`);
      }
    } else if (name === 'tags') {
      if (!isRecord(value) || !Object.values(value).every((item) => typeof item === 'string')) {
        throw new UserError(`input \`${input}\`: tags must be a mapping of strings, for example {"team": "platform"}`);
      }
    } else if (typeof value !== 'string') {
      throw new UserError(`input \`${input}\`: ${name} must be a string`);
    }
    // Outputs and summaries show the variables; a private key pasted in the wrong place must not go there.
    if (name === 'ssh_public_key' && typeof value === 'string' && value.includes('PRIVATE KEY')) {
      throw new UserError(
        `input \`${input}\`: ssh_public_key holds a private key: give the public key (the .pub file), and rotate the private key, which is now in this workflow's logs and history`,
      );
    }
    checked[variable] = value;
  }
  return checked;
}

/**
 * The variables for the worker pool of `config`: names and count from the cluster document, the
 * size from the `infrastructure/virtual-machine` document kubernetes_node's `machine` names, the
 * image from the packer step, and the settings a workflow gives (`overrides`, already checked).
 */
export function workerPoolVariables(config: ClusterConfig, imageId: string, overrides: WorkerPoolVariables = {}): WorkerPoolVariables {
  const count = config.counts[WORKER_COMPONENT];
  if (count === undefined) {
    throw new UserError(
      `${config.file}: the cluster ${clusterId(config)} has no ${WORKER_COMPONENT} component: the terraform action manages the worker pool only`,
    );
  }
  const variables: WorkerPoolVariables = {
    cluster_name: config.name,
    prefix: config.prefix ?? '',
    worker_count: count,
    worker_size: componentMachine(config, WORKER_COMPONENT).size,
    image_id: imageId,
  };
  const region = specString(config, 'cloud', 'region');
  if (region !== undefined) variables.region = region;
  const admin = specString(config, 'admin_user', 'name');
  if (admin !== undefined) variables.admin_username = admin;
  const tags = { 'lambdastack-config': config.file, 'managed-by': 'lambdastack-autoscaler' };
  return { ...variables, ...overrides, tags: { ...tags, ...(isRecord(overrides.tags) ? overrides.tags : {}) } };
}
