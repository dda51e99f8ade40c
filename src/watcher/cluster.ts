/**
 * What the watcher needs of the cluster config it reads from the default branch: the cluster's
 * identity (its nodes' names), the worker count and bounds, the resolved policy (the document's
 * settings over the --policy-file defaults) and the worker VM size (for a new worker's
 * allocatable when no worker is Ready to copy). Pure.
 */
import { type ClusterConfig, parseClusterConfig, VIRTUAL_MACHINE_KIND, WORKER_COMPONENT } from '../config/index.js';
import { UserError } from '../errors.js';
import {
  type Policy,
  type PrometheusSignal,
  resolvePolicy,
  resolvePrometheusSignal,
  resolveSchedules,
  type Schedule,
} from '../policy/index.js';
import type { PolicyDefaults } from './policy-file.js';

export interface WatchedCluster {
  /** The file, from the repository root. */
  file: string;
  /** Its text as read (the dry run edits it to show the diff). */
  text: string;
  config: ClusterConfig;
  name: string;
  prefix: string | undefined;
  component: typeof WORKER_COMPONENT;
  /** The worker count on the default branch. */
  count: number;
  min: number;
  max: number;
  policy: Policy;
  /** The Prometheus query whose value the workers share, when the entry (or the --policy-file) names one. */
  prometheus: PrometheusSignal | undefined;
  /** The windows that raise min for their span. */
  schedules: Schedule[];
  /** `infrastructure/virtual-machine` size of the worker machine; undefined when unknown. */
  vmSize: string | undefined;
}

/** LambdaStack's default worker size per provider, used when the config names none (provider "any" has no size). */
const DEFAULT_WORKER_SIZE: Readonly<Record<string, string>> = { aws: 't3.medium', azure: 'Standard_DS1_v2' };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The size of the machine the worker component names (`machine`, default `kubernetes-node-machine`). */
export function workerVmSize(config: ClusterConfig): string | undefined {
  const cluster = config.documents.find((doc) => doc.kind === config.kind)?.value;
  const spec = isRecord(cluster?.specification) ? cluster.specification : {};
  const components = isRecord(spec.components) ? spec.components : {};
  const worker = isRecord(components[WORKER_COMPONENT]) ? components[WORKER_COMPONENT] : {};
  const machine = typeof worker.machine === 'string' ? worker.machine : 'kubernetes-node-machine';
  const document = config.documents.find((doc) => doc.kind === VIRTUAL_MACHINE_KIND && doc.name === machine);
  const size = isRecord(document?.value.specification) ? document.value.specification.size : undefined;
  return typeof size === 'string' ? size : DEFAULT_WORKER_SIZE[config.provider];
}

/**
 * Reads the config text; throws a ConfigError for an invalid file, and a UserError for a cluster
 * without an autoscaling entry for its workers (there is nothing to watch).
 */
export function watchedCluster(file: string, text: string, defaults: PolicyDefaults = {}): WatchedCluster {
  const config = parseClusterConfig(file, text);
  const bounds = config.autoscaling[WORKER_COMPONENT];
  if (!bounds) {
    throw new UserError(
      `${file}: cluster ${config.name} is not autoscaled: add a configuration/autoscaling document with ${WORKER_COMPONENT} min and max`,
    );
  }
  return {
    file,
    text,
    config,
    name: config.name,
    prefix: config.prefix,
    component: WORKER_COMPONENT,
    count: config.counts[WORKER_COMPONENT] ?? 0,
    min: bounds.min,
    max: bounds.max,
    // The document's settings win over the defaults; both were validated where they were read.
    policy: resolvePolicy({ ...defaults, ...bounds }),
    prometheus: resolvePrometheusSignal({ ...defaults, ...bounds }),
    schedules: resolveSchedules(bounds),
    vmSize: workerVmSize(config),
  };
}
