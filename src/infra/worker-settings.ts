import { analyzeConfigFile, type ClusterConfig, type FileAnalysis, VIRTUAL_MACHINE_KIND, WORKER_COMPONENT } from '../config/index.js';
import { configErrorOf } from '../config/load.js';
import { offsetOf, type SourceDocument } from '../config/source.js';
import { ConfigError } from '../errors.js';

/** Where LambdaStack keeps the workers' Kubernetes settings (`specification.version`, `node_labels`). */
export const KUBERNETES_NODE_KIND = 'configuration/kubernetes-node';

/**
 * A Kubernetes release as LambdaStack pins it: `1.20.12`. Checked strictly because it names
 * packages (`kubelet=1.20.12-00`) and an image, and goes into packer and ansible arguments.
 */
const KUBERNETES_VERSION = /^\d+\.\d+\.\d+$/;

/** One cluster config as read from disk, with the parsed source for locating problems. */
export interface ClusterFile {
  config: ClusterConfig;
  analysis: FileAnalysis;
}

/** What a worker image and a worker's join are made from, as the cluster config says. */
export interface WorkerSettings {
  /** `specification.version` of the workers' configuration/kubernetes-node document. */
  kubernetesVersion: string;
  /** Its `node_labels`, when set. */
  nodeLabels: string | undefined;
  /** The OS image the workers' machine document names, when it names one (see baseImageOf). */
  baseImage: string | undefined;
  /** `specification.admin_user.name` of the cluster document: the SSH user of every VM. */
  adminUser: string | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads one cluster config file, or throws a ConfigError with every problem it has. */
export async function readClusterFile(path: string, displayName: string): Promise<ClusterFile> {
  const analysis = await analyzeConfigFile(path, displayName);
  if (!analysis.config) throw configErrorOf(analysis);
  return { config: analysis.config, analysis };
}

/** The value at `path` under a document's value, or undefined. */
function valueAt(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const key of path) {
    if (!isRecord(at)) return undefined;
    at = at[key];
  }
  return at;
}

/** The source document of `kind` named `name` (LambdaStack's default name is `default`). */
function documentOf(file: ClusterFile, kind: string, name: string): SourceDocument | undefined {
  return file.analysis.source?.documents.find(
    (doc) => valueAt(doc.value, ['kind']) === kind && (valueAt(doc.value, ['name']) ?? 'default') === name,
  );
}

/**
 * The settings of the workers: the component's `configuration` names its
 * configuration/kubernetes-node document, its `machine` its infrastructure/virtual-machine
 * document. A missing document or version is a ConfigError located at the component (or the
 * document), since the image cannot be built, nor a worker joined, without knowing the release.
 */
export function workerSettings(file: ClusterFile): WorkerSettings {
  const source = file.analysis.source;
  const clusterDoc = file.analysis.clusterSource;
  const fail = (doc: SourceDocument | undefined, path: readonly string[], message: string, options: { key?: boolean } = {}): never => {
    const offset = doc ? offsetOf(doc, path, options) : 0;
    const at = source ? source.locate(offset) : { line: 1, column: 1 };
    throw new ConfigError([{ file: file.config.file, ...at, message }]);
  };
  const componentPath = ['specification', 'components', WORKER_COMPONENT];
  const component = valueAt(clusterDoc?.value, componentPath);
  if (!isRecord(component)) {
    return fail(
      clusterDoc,
      ['specification', 'components'],
      `the cluster has no ${WORKER_COMPONENT} component: there are no workers to build an image for or to join`,
    );
  }
  const configurationName = typeof component.configuration === 'string' ? component.configuration : 'default';
  const nodeDoc = documentOf(file, KUBERNETES_NODE_KIND, configurationName);
  if (!nodeDoc) {
    // At the `configuration` that names the missing document, or at the component when it names none.
    const named = typeof component.configuration === 'string';
    return fail(
      clusterDoc,
      named ? [...componentPath, 'configuration'] : componentPath,
      `no ${KUBERNETES_NODE_KIND} document named ${JSON.stringify(configurationName)} (the ${WORKER_COMPONENT} configuration): ` +
        `add one with \`specification.version\` (for example 1.20.12), the Kubernetes release the worker image is built with`,
      { key: !named },
    );
  }
  const version = valueAt(nodeDoc.value, ['specification', 'version']);
  if (typeof version !== 'string' || !KUBERNETES_VERSION.test(version)) {
    const what = version === undefined ? 'is missing' : `is ${JSON.stringify(version)}`;
    return fail(
      nodeDoc,
      ['specification', 'version'],
      `${KUBERNETES_NODE_KIND} specification.version ${what}: write the Kubernetes release as major.minor.patch, for example \`version: 1.20.12\``,
    );
  }
  const labels = valueAt(nodeDoc.value, ['specification', 'node_labels']);
  const admin = valueAt(clusterDoc?.value, ['specification', 'admin_user', 'name']);
  return {
    kubernetesVersion: version,
    nodeLabels: typeof labels === 'string' && labels !== '' ? labels : undefined,
    baseImage: baseImageOf(file, component),
    adminUser: typeof admin === 'string' && admin !== '' ? admin : undefined,
  };
}

/**
 * The OS image of the workers' machine document, in the form each cloud's packer builder takes:
 * AWS `specification.os_full_name` (an AMI name), Azure `specification.storage_image_reference`
 * as `publisher:offer:sku:version` (an image URN). Undefined when the file does not say.
 */
function baseImageOf(file: ClusterFile, component: Record<string, unknown>): string | undefined {
  if (typeof component.machine !== 'string') return undefined;
  const machine = documentOf(file, VIRTUAL_MACHINE_KIND, component.machine)?.value;
  const name = valueAt(machine, ['specification', 'os_full_name']);
  if (typeof name === 'string' && name !== '') return name;
  const reference = valueAt(machine, ['specification', 'storage_image_reference']);
  if (!isRecord(reference)) return undefined;
  const parts = ['publisher', 'offer', 'sku', 'version'].map((key) => reference[key]);
  return parts.every((part) => typeof part === 'string' && part !== '') ? parts.join(':') : undefined;
}
