/**
 * OpenAPI schemas of the served kinds, generated from the type maps of @kubernetes/client-node's
 * models (every field with its type), plus the strategic-merge-patch extensions
 * (`x-kubernetes-patch-merge-key`/`-strategy`) of `listStrategy`. kubectl `apply` computes its
 * patches by walking these schemas (with only open objects it warns "unable to find api field"
 * and falls back to its compiled-in types), and `kubectl explain` prints them.
 *
 * Component names follow the API server's (`io.k8s.api.core.v1.PodSpec`); a type used by several
 * groups is named after the first group that reaches it. Descriptions are not reproduced.
 */
import * as models from '@kubernetes/client-node';
import { listStrategy } from './patch.js';

type Schema = Record<string, unknown>;

interface Attribute {
  name: string;
  baseName: string;
  type: string;
  format: string;
}

interface Model {
  getAttributeTypeMap(): Attribute[];
}

const META_TYPES = new Set([
  'ObjectMeta',
  'ListMeta',
  'LabelSelector',
  'LabelSelectorRequirement',
  'OwnerReference',
  'ManagedFieldsEntry',
  'Condition',
  'Status',
  'StatusDetails',
  'StatusCause',
  'DeleteOptions',
  'Preconditions',
]);

function modelOf(name: string): Model | undefined {
  const candidate = (models as unknown as Record<string, unknown>)[name];
  return candidate && typeof (candidate as Model).getAttributeTypeMap === 'function' ? (candidate as Model) : undefined;
}

/** "V1PodSpec" → "PodSpec", "CoreV1Event" → "Event". */
function shortName(className: string): string {
  return className.replace(/^(Core|Events|Policy|Apps)?V\d+((alpha|beta)\d+)?/, '');
}

export interface SchemaSet {
  /** Component name → schema, with `$ref`s to `#/components/schemas/`. */
  schemas: Record<string, Schema>;
  /** The component name of a client-node model class. */
  nameOf(className: string): string;
}

/**
 * Builds the schemas reachable from the given root models. `roots` pairs a model class with the
 * group/version its types are named after and, for served kinds, the group-version-kind.
 */
export function buildSchemas(
  roots: ReadonlyArray<{ className: string; group: string; version: string; gvk?: { group: string; version: string; kind: string } }>,
): SchemaSet {
  const names = new Map<string, string>();
  const schemas: Record<string, Schema> = {};
  const nameOf = (className: string, group: string, version: string): string => {
    let name = names.get(className);
    if (!name) {
      const short = shortName(className);
      name = META_TYPES.has(short) ? `io.k8s.apimachinery.pkg.apis.meta.v1.${short}` : `io.k8s.api.${group || 'core'}.${version}.${short}`;
      names.set(className, name);
    }
    return name;
  };
  const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

  const typeSchema = (type: string, format: string, owner: string, property: string, group: string, version: string): Schema => {
    const array = /^Array<(.+)>$/.exec(type);
    if (array) {
      const schema: Schema = { type: 'array', items: typeSchema(array[1] as string, format, owner, property, group, version) };
      const strategy = listStrategy([owner.endsWith('Status') ? 'status' : 'spec', property]);
      if (strategy.kind === 'merge') {
        schema['x-kubernetes-patch-merge-key'] = strategy.key;
        schema['x-kubernetes-patch-strategy'] = 'merge';
      } else if (strategy.kind === 'set') schema['x-kubernetes-patch-strategy'] = 'merge';
      return schema;
    }
    const map = /^\{ \[key: string\]: (.+); \}$/.exec(type);
    if (map) return { type: 'object', additionalProperties: typeSchema(map[1] as string, format, owner, property, group, version) };
    switch (type) {
      case 'string':
        return format ? { type: 'string', format } : { type: 'string' };
      case 'number':
        return format === 'int32' || format === 'int64' ? { type: 'integer', format } : { type: 'number', ...(format ? { format } : {}) };
      case 'boolean':
        return { type: 'boolean' };
      case 'Date':
      case 'V1MicroTime':
        return { type: 'string', format: 'date-time' };
      case 'IntOrString':
        return { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
      case 'any':
      case 'object':
        return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
    }
    if (modelOf(type)) {
      visit(type, group, version);
      return ref(nameOf(type, group, version));
    }
    return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
  };

  function visit(className: string, group: string, version: string, gvk?: { group: string; version: string; kind: string }): void {
    const name = nameOf(className, group, version);
    if (schemas[name]) {
      if (gvk) schemas[name]['x-kubernetes-group-version-kind'] = [gvk];
      return;
    }
    const model = modelOf(className);
    if (!model) throw new Error(`@kubernetes/client-node has no model ${className}: fix the roots of buildSchemas`);
    const schema: Schema = { type: 'object', properties: {} };
    schemas[name] = schema;
    const properties = schema.properties as Record<string, Schema>;
    for (const attribute of model.getAttributeTypeMap()) {
      properties[attribute.baseName] = typeSchema(attribute.type, attribute.format, className, attribute.baseName, group, version);
    }
    if (gvk) schema['x-kubernetes-group-version-kind'] = [gvk];
  }

  for (const root of roots) visit(root.className, root.group, root.version, root.gvk);
  return { schemas, nameOf: (className) => names.get(className) ?? nameOf(className, '', 'v1') };
}
