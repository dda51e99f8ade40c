/**
 * OpenAPI documents, as far as clients need them. kubectl 1.32 `create -f`/`apply` downloads the
 * `/openapi/v3` index and the document of the object's group version, and refuses to go on
 * without them; it leaves field validation to the server when the PATCH operation of the kind
 * carries `x-kubernetes-group-version-kind` and a `fieldValidation` query parameter (then it sends
 * `?fieldValidation=Strict`). The schemas name every kind with its group-version-kind and leave
 * the fields open: enough for clients to map kinds, not a full schema.
 */
import { createHash } from 'node:crypto';
import { buildSchemas } from './openapi-schemas.js';
import { GROUP_VERSIONS, RESOURCES, type ResourceInfo } from './resources.js';

type Doc = Record<string, unknown>;

const QUERY = (name: string, description: string, type = 'string'): Doc => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const PARAMS = {
  dryRun: QUERY('dryRun', 'When present, indicates that modifications should not be persisted. Valid values: All.'),
  fieldManager: QUERY('fieldManager', 'fieldManager is a name associated with the actor or entity that is making these changes.'),
  fieldValidation: QUERY(
    'fieldValidation',
    'fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields. Valid values: Ignore, Warn, Strict.',
  ),
  pretty: QUERY('pretty', "If 'true', then the output is pretty printed."),
  labelSelector: QUERY('labelSelector', 'A selector to restrict the list of returned objects by their labels.'),
  fieldSelector: QUERY('fieldSelector', 'A selector to restrict the list of returned objects by their fields.'),
  limit: QUERY('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  continue: QUERY('continue', 'The continue option should be set when retrieving more results from the server.'),
  resourceVersion: QUERY('resourceVersion', 'resourceVersion sets a constraint on what resource versions a request may be served from.'),
  watch: QUERY(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications.',
    'boolean',
  ),
  gracePeriodSeconds: QUERY('gracePeriodSeconds', 'The duration in seconds before the object should be deleted.', 'integer'),
  propagationPolicy: QUERY('propagationPolicy', 'Whether and how garbage collection will be performed: Orphan, Background or Foreground.'),
};

function schemaRef(definition: string): Doc {
  return { $ref: `#/components/schemas/${definition}` };
}

function okJson(definition: string): Doc {
  return { description: 'OK', content: { 'application/json': { schema: schemaRef(definition) } } };
}

function tag(info: ResourceInfo): string {
  const group = info.group === '' ? 'core' : info.group.split('.')[0];
  return `${group}_${info.version}`;
}

function opId(verb: string, info: ResourceInfo, kind: string, suffix = ''): string {
  const group = info.group === '' ? 'Core' : (info.group.split('.')[0] ?? '').replace(/^./, (c) => c.toUpperCase());
  const version = info.version.replace(/^./, (c) => c.toUpperCase());
  return `${verb}${group}${version}${info.namespaced ? 'Namespaced' : ''}${kind}${suffix}`;
}

function operation(
  info: ResourceInfo,
  action: string,
  verb: string,
  kind: { group: string; version: string; kind: string },
  definition: string,
  params: Doc[],
): Doc {
  const op: Doc = {
    tags: [tag(info)],
    operationId: opId(verb, info, kind.kind === info.kind ? info.kind : `${info.kind}${kind.kind}`),
    parameters: params,
    responses: { '200': okJson(definition), '401': { description: 'Unauthorized' } },
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': { group: kind.group, version: kind.version, kind: kind.kind },
  };
  if (['post', 'put', 'patch'].includes(action) || action === 'update') {
    const types =
      action === 'patch'
        ? ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json']
        : ['*/*'];
    op.requestBody = {
      content: Object.fromEntries(
        types.map((t) => [
          t,
          { schema: action === 'patch' ? schemaRef('io.k8s.apimachinery.pkg.apis.meta.v1.Patch') : schemaRef(definition) },
        ]),
      ),
      required: true,
    };
  }
  return op;
}

function pathsFor(info: ResourceInfo): Record<string, Doc> {
  const prefix = info.group ? `/apis/${info.group}/${info.version}` : `/api/${info.version}`;
  const collection = info.namespaced ? `${prefix}/namespaces/{namespace}/${info.resource}` : `${prefix}/${info.resource}`;
  const item = `${collection}/{name}`;
  const gvk = { group: info.group, version: info.version, kind: info.kind };
  const listDef = `${info.definition}List`;
  const write = [PARAMS.dryRun, PARAMS.fieldManager, PARAMS.fieldValidation];
  const listParams = [PARAMS.labelSelector, PARAMS.fieldSelector, PARAMS.limit, PARAMS.continue, PARAMS.resourceVersion, PARAMS.watch];
  const paths: Record<string, Doc> = {};
  const verbs = new Set(info.verbs);
  const collectionOps: Doc = {
    parameters: info.namespaced
      ? [{ name: 'namespace', in: 'path', required: true, schema: { type: 'string' } }, PARAMS.pretty]
      : [PARAMS.pretty],
  };
  if (verbs.has('list')) collectionOps.get = operation(info, 'list', 'list', gvk, listDef, listParams);
  if (verbs.has('create')) collectionOps.post = operation(info, 'post', 'create', gvk, info.definition, write);
  paths[collection] = collectionOps;
  const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' } };
  const itemOps: Doc = { parameters: [nameParam, ...(collectionOps.parameters as Doc[])] };
  if (verbs.has('get')) itemOps.get = operation(info, 'get', 'read', gvk, info.definition, []);
  if (verbs.has('update')) itemOps.put = operation(info, 'put', 'replace', gvk, info.definition, write);
  if (verbs.has('patch')) itemOps.patch = operation(info, 'patch', 'patch', gvk, info.definition, write);
  if (verbs.has('delete'))
    itemOps.delete = operation(info, 'delete', 'delete', gvk, 'io.k8s.apimachinery.pkg.apis.meta.v1.Status', [
      PARAMS.dryRun,
      PARAMS.gracePeriodSeconds,
      PARAMS.propagationPolicy,
    ]);
  paths[item] = itemOps;
  if (info.namespaced && verbs.has('list')) {
    paths[`${prefix}/${info.resource}`] = { parameters: [PARAMS.pretty], get: operation(info, 'list', 'list', gvk, listDef, listParams) };
  }
  for (const sub of info.subresources) {
    const subKind = { group: sub.group ?? info.group, version: sub.version ?? info.version, kind: sub.kind };
    const subDef = sub.kind === info.kind ? info.definition : definitionOf(subKind.group, subKind.version, sub.kind);
    const ops: Doc = { parameters: itemOps.parameters };
    if (sub.verbs.includes('get')) ops.get = operation(info, 'get', 'read', subKind, subDef, []);
    if (sub.verbs.includes('update')) ops.put = operation(info, 'put', 'replace', subKind, subDef, write);
    if (sub.verbs.includes('patch')) ops.patch = operation(info, 'patch', 'patch', subKind, subDef, write);
    if (sub.verbs.includes('create')) ops.post = operation(info, 'post', 'create', subKind, subDef, write);
    paths[`${item}/${sub.name}`] = ops;
  }
  return paths;
}

function definitionOf(group: string, version: string, kind: string): string {
  if (group === 'autoscaling') return `io.k8s.api.autoscaling.${version}.${kind}`;
  if (group === 'policy') return `io.k8s.api.policy.${version}.${kind}`;
  return `io.k8s.api.${group || 'core'}.${version}.${kind}`;
}

/** The client-node model class of each served kind (its list is `<class>List`). */
const MODEL_CLASSES: Record<string, string> = {
  Namespace: 'V1Namespace',
  Node: 'V1Node',
  Pod: 'V1Pod',
  Event: 'CoreV1Event',
  Service: 'V1Service',
  Deployment: 'V1Deployment',
  ReplicaSet: 'V1ReplicaSet',
  DaemonSet: 'V1DaemonSet',
  PodDisruptionBudget: 'V1PodDisruptionBudget',
  Eviction: 'V1Eviction',
  Scale: 'V1Scale',
};

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

/** metrics.k8s.io has no client-node models: its two kinds, written out. */
function metricsSchemas(): Record<string, Doc> {
  const usage = { type: 'object', additionalProperties: { type: 'string' } };
  const common = (kind: string, extra: Record<string, Doc>): Doc => ({
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: schemaRef(`${META}.ObjectMeta`),
      timestamp: { type: 'string', format: 'date-time' },
      window: { type: 'string' },
      ...extra,
    },
    'x-kubernetes-group-version-kind': [{ group: 'metrics.k8s.io', version: 'v1beta1', kind }],
  });
  const base = 'io.k8s.metrics.pkg.apis.metrics.v1beta1';
  const list = (item: string, kind: string): Doc => ({
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: schemaRef(`${META}.ListMeta`),
      items: { type: 'array', items: schemaRef(`${base}.${item}`) },
    },
    required: ['items'],
    'x-kubernetes-group-version-kind': [{ group: 'metrics.k8s.io', version: 'v1beta1', kind }],
  });
  return {
    [`${base}.NodeMetrics`]: common('NodeMetrics', { usage }),
    [`${base}.NodeMetricsList`]: list('NodeMetrics', 'NodeMetricsList'),
    [`${base}.PodMetrics`]: common('PodMetrics', {
      containers: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, usage } } },
    }),
    [`${base}.PodMetricsList`]: list('PodMetrics', 'PodMetricsList'),
  };
}

function schemasFor(resources: readonly ResourceInfo[]): Record<string, Doc> {
  const roots: Parameters<typeof buildSchemas>[0][number][] = [];
  for (const info of resources) {
    const model = MODEL_CLASSES[info.kind];
    if (!model) continue;
    roots.push({
      className: model,
      group: info.group,
      version: info.version,
      gvk: { group: info.group, version: info.version, kind: info.kind },
    });
    roots.push({
      className: `${model}List`,
      group: info.group,
      version: info.version,
      gvk: { group: info.group, version: info.version, kind: info.listKind },
    });
    for (const sub of info.subresources) {
      const subModel = MODEL_CLASSES[sub.kind];
      if (!subModel || sub.kind === info.kind) continue;
      const group = sub.group ?? info.group;
      const version = sub.version ?? info.version;
      roots.push({ className: subModel, group, version, gvk: { group, version, kind: sub.kind } });
    }
  }
  roots.push({ className: 'V1Status', group: '', version: 'v1', gvk: { group: '', version: 'v1', kind: 'Status' } });
  const { schemas } = buildSchemas(roots);
  schemas[`${META}.Patch`] = {
    type: 'object',
    description: 'Patch is provided to give a concrete name and type to the Kubernetes PATCH request body.',
  };
  return resources.some((r) => r.group === 'metrics.k8s.io') ? { ...schemas, ...metricsSchemas() } : schemas;
}

/** The OpenAPI v3 document path of a group version: "api/v1", "apis/apps/v1". */
function v3Path(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

export interface OpenApiDocs {
  /** `/openapi/v3`. */
  index: Doc;
  /** By path without the leading `/openapi/v3/` ("apis/apps/v1"). */
  groupVersions: Map<string, Doc>;
  /** `/openapi/v2`, as JSON. */
  v2: Doc;
}

/** Builds every document once: they depend only on the resource table and the server version. */
export function buildOpenApi(gitVersion: string): OpenApiDocs {
  const groupVersions = new Map<string, Doc>();
  const index: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of GROUP_VERSIONS) {
    const resources = RESOURCES.filter((r) => r.group === group && r.version === version);
    const paths = Object.assign({}, ...resources.map(pathsFor)) as Record<string, Doc>;
    const doc: Doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: gitVersion },
      paths,
      components: { schemas: schemasFor(resources) },
    };
    const path = v3Path(group, version);
    groupVersions.set(path, doc);
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    index[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
  }
  return { index: { paths: index }, groupVersions, v2: buildV2(gitVersion) };
}

/** Swagger 2.0: the same operations, with `definitions` in place of `components.schemas`. */
function buildV2(gitVersion: string): Doc {
  const paths: Record<string, Doc> = {};
  for (const info of RESOURCES) {
    for (const [path, ops] of Object.entries(pathsFor(info))) {
      const converted: Doc = {};
      for (const [method, op] of Object.entries(ops)) {
        if (method === 'parameters') {
          converted.parameters = (op as Doc[]).map(v2Param);
          continue;
        }
        const { requestBody: _, responses, parameters, ...rest } = op as Doc;
        converted[method] = {
          ...rest,
          consumes: ['*/*'],
          produces: ['application/json', 'application/yaml'],
          schemes: ['https'],
          parameters: (parameters as Doc[]).map(v2Param),
          responses: Object.fromEntries(
            Object.entries(responses as Record<string, Doc>).map(([code, response]) => {
              const content = response.content as Record<string, { schema: Doc }> | undefined;
              const schema = content?.['application/json']?.schema;
              return [
                code,
                {
                  description: response.description,
                  ...(schema ? { schema: { $ref: String(schema.$ref).replace('components/schemas', 'definitions') } } : {}),
                },
              ];
            }),
          ),
        };
      }
      paths[path] = converted;
    }
  }
  // Swagger 2.0 has no anyOf: int-or-string is written as the API server writes it there.
  const v2Schema = (_key: string, value: unknown): unknown =>
    value && typeof value === 'object' && (value as Doc)['x-kubernetes-int-or-string']
      ? { type: 'string', format: 'int-or-string' }
      : value;
  const definitions = JSON.parse(
    JSON.stringify(schemasFor(RESOURCES), v2Schema).replaceAll('#/components/schemas/', '#/definitions/'),
  ) as Doc;
  return { swagger: '2.0', info: { title: 'Kubernetes', version: gitVersion }, paths, definitions };
}

function v2Param(param: Doc): Doc {
  const { schema, ...rest } = param;
  return { ...rest, ...((schema as Doc | undefined) ?? {}) };
}
