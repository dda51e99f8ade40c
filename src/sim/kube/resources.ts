/**
 * The resources the simulator serves, described once: discovery, OpenAPI, routing and the store
 * all read this table, so a resource is either fully there or not there at all.
 */

export interface SubresourceInfo {
  name: string;
  kind: string;
  /** Set when the subresource's kind lives in another group version (pods/eviction → policy/v1 Eviction). */
  group?: string;
  version?: string;
  verbs: string[];
}

export interface ResourceInfo {
  group: string;
  version: string;
  /** Plural, as in URLs. */
  resource: string;
  singular: string;
  kind: string;
  listKind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources: SubresourceInfo[];
  /** Field selector labels the list and watch accept (beyond these, the API answers 400). */
  fields: string[];
  /** The schema name in OpenAPI (`io.k8s.api.core.v1.Pod`). */
  definition: string;
  /** Served by an aggregated API (metrics-server) that can be switched off. */
  aggregated?: boolean;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const META_FIELDS = ['metadata.name', 'metadata.namespace'];

export const RESOURCES: readonly ResourceInfo[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    listKind: 'NamespaceList',
    namespaced: false,
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['ns'],
    subresources: [{ name: 'status', kind: 'Namespace', verbs: ['get', 'patch', 'update'] }],
    fields: ['metadata.name', 'status.phase'],
    definition: 'io.k8s.api.core.v1.Namespace',
  },
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    listKind: 'NodeList',
    namespaced: false,
    verbs: ALL_VERBS,
    shortNames: ['no'],
    subresources: [{ name: 'status', kind: 'Node', verbs: ['get', 'patch', 'update'] }],
    fields: ['metadata.name', 'spec.unschedulable'],
    definition: 'io.k8s.api.core.v1.Node',
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    listKind: 'PodList',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['po'],
    categories: ['all'],
    subresources: [
      { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
      { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
    ],
    fields: [
      ...META_FIELDS,
      'spec.nodeName',
      'spec.restartPolicy',
      'spec.schedulerName',
      'spec.serviceAccountName',
      'spec.hostNetwork',
      'status.phase',
      'status.podIP',
      'status.nominatedNodeName',
    ],
    definition: 'io.k8s.api.core.v1.Pod',
  },
  {
    group: '',
    version: 'v1',
    resource: 'events',
    singular: 'event',
    kind: 'Event',
    listKind: 'EventList',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['ev'],
    subresources: [],
    fields: [
      ...META_FIELDS,
      'involvedObject.kind',
      'involvedObject.namespace',
      'involvedObject.name',
      'involvedObject.uid',
      'involvedObject.apiVersion',
      'involvedObject.resourceVersion',
      'involvedObject.fieldPath',
      'reason',
      'reportingComponent',
      'source',
      'type',
    ],
    definition: 'io.k8s.api.core.v1.Event',
  },
  {
    group: '',
    version: 'v1',
    resource: 'services',
    singular: 'service',
    kind: 'Service',
    listKind: 'ServiceList',
    namespaced: true,
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
    shortNames: ['svc'],
    categories: ['all'],
    subresources: [{ name: 'status', kind: 'Service', verbs: ['get', 'patch', 'update'] }],
    fields: [...META_FIELDS, 'spec.clusterIP', 'spec.type'],
    definition: 'io.k8s.api.core.v1.Service',
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'deployments',
    singular: 'deployment',
    kind: 'Deployment',
    listKind: 'DeploymentList',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
      { name: 'status', kind: 'Deployment', verbs: ['get', 'patch', 'update'] },
    ],
    fields: META_FIELDS,
    definition: 'io.k8s.api.apps.v1.Deployment',
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'replicasets',
    singular: 'replicaset',
    kind: 'ReplicaSet',
    listKind: 'ReplicaSetList',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: [
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
      { name: 'status', kind: 'ReplicaSet', verbs: ['get', 'patch', 'update'] },
    ],
    fields: [...META_FIELDS, 'status.replicas'],
    definition: 'io.k8s.api.apps.v1.ReplicaSet',
  },
  {
    group: 'apps',
    version: 'v1',
    resource: 'daemonsets',
    singular: 'daemonset',
    kind: 'DaemonSet',
    listKind: 'DaemonSetList',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: [{ name: 'status', kind: 'DaemonSet', verbs: ['get', 'patch', 'update'] }],
    fields: META_FIELDS,
    definition: 'io.k8s.api.apps.v1.DaemonSet',
  },
  {
    group: 'policy',
    version: 'v1',
    resource: 'poddisruptionbudgets',
    singular: 'poddisruptionbudget',
    kind: 'PodDisruptionBudget',
    listKind: 'PodDisruptionBudgetList',
    namespaced: true,
    verbs: ALL_VERBS,
    shortNames: ['pdb'],
    subresources: [{ name: 'status', kind: 'PodDisruptionBudget', verbs: ['get', 'patch', 'update'] }],
    fields: META_FIELDS,
    definition: 'io.k8s.api.policy.v1.PodDisruptionBudget',
  },
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    resource: 'nodes',
    singular: '',
    kind: 'NodeMetrics',
    listKind: 'NodeMetricsList',
    namespaced: false,
    verbs: ['get', 'list'],
    subresources: [],
    fields: ['metadata.name'],
    definition: 'io.k8s.metrics.pkg.apis.metrics.v1beta1.NodeMetrics',
    aggregated: true,
  },
  {
    group: 'metrics.k8s.io',
    version: 'v1beta1',
    resource: 'pods',
    singular: '',
    kind: 'PodMetrics',
    listKind: 'PodMetricsList',
    namespaced: true,
    verbs: ['get', 'list'],
    subresources: [],
    fields: META_FIELDS,
    definition: 'io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics',
    aggregated: true,
  },
];

/** The group versions served, in discovery order (core first, as the API server lists them). */
export const GROUP_VERSIONS: ReadonlyArray<{ group: string; version: string }> = [
  { group: '', version: 'v1' },
  { group: 'apps', version: 'v1' },
  { group: 'policy', version: 'v1' },
  { group: 'metrics.k8s.io', version: 'v1beta1' },
];

export function apiVersionOf(info: Pick<ResourceInfo, 'group' | 'version'>): string {
  return info.group ? `${info.group}/${info.version}` : info.version;
}

/** The store key of a resource ("pods", "deployments.apps"): its group-qualified name. */
export function storeKey(info: Pick<ResourceInfo, 'group' | 'resource'>): string {
  return info.group ? `${info.resource}.${info.group}` : info.resource;
}

export function findResource(group: string, version: string, resource: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.resource === resource);
}

export function resourceOrThrow(group: string, resource: string): ResourceInfo {
  const info = RESOURCES.find((r) => r.group === group && r.resource === resource && !r.aggregated);
  if (!info) throw new Error(`no resource ${resource} in group ${JSON.stringify(group)}: see RESOURCES in src/sim/kube/resources.ts`);
  return info;
}

/** Shorthands for the resources controllers touch. */
export const R = {
  namespaces: resourceOrThrow('', 'namespaces'),
  nodes: resourceOrThrow('', 'nodes'),
  pods: resourceOrThrow('', 'pods'),
  events: resourceOrThrow('', 'events'),
  services: resourceOrThrow('', 'services'),
  deployments: resourceOrThrow('apps', 'deployments'),
  replicasets: resourceOrThrow('apps', 'replicasets'),
  daemonsets: resourceOrThrow('apps', 'daemonsets'),
  pdbs: resourceOrThrow('policy', 'poddisruptionbudgets'),
} as const;
