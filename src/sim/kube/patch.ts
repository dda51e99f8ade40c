/**
 * The three PATCH formats the API server accepts from clients like kubectl and client-node:
 * JSON Patch (RFC 6902), JSON Merge Patch (RFC 7386) and Kubernetes' strategic merge patch.
 *
 * Strategic merge patch needs each list's merge strategy, which the API server reads from the Go
 * struct tags (`patchStrategy:"merge" patchMergeKey:"name"`). The simulator has no Go types, so
 * `listStrategy` encodes those tags for the fields of the core and apps kinds by field name:
 * lists with a merge key merge element by element, `finalizers` merge as a set, every other list
 * is replaced whole (as a list without a patch strategy is).
 */
import { badRequest, KubeError } from './status.js';
import { isRecord } from './types.js';

type Json = unknown;

/** RFC 7386: objects merge recursively, `null` deletes a key, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isRecord(patch)) return patch;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

type ListStrategy = { kind: 'replace' } | { kind: 'merge'; key: string } | { kind: 'set' };

/** The patch strategy of the list at `path` (object keys only), from the Kubernetes API types' struct tags. */
export function listStrategy(path: readonly string[]): ListStrategy {
  const field = path[path.length - 1] ?? '';
  const parent = path[path.length - 2] ?? '';
  switch (field) {
    case 'containers':
    case 'initContainers':
    case 'ephemeralContainers':
    case 'volumes':
    case 'env':
    case 'imagePullSecrets':
    case 'resourceClaims':
      return { kind: 'merge', key: 'name' };
    case 'ports':
      // Container ports merge by containerPort; Service ports (not simulated) by port.
      return { kind: 'merge', key: 'containerPort' };
    case 'volumeMounts':
      return { kind: 'merge', key: 'mountPath' };
    case 'volumeDevices':
      return { kind: 'merge', key: 'devicePath' };
    case 'conditions':
      return { kind: 'merge', key: 'type' };
    case 'addresses':
      return parent === 'status' ? { kind: 'merge', key: 'type' } : { kind: 'replace' };
    case 'ownerReferences':
      return { kind: 'merge', key: 'uid' };
    case 'hostAliases':
    case 'podIPs':
    case 'hostIPs':
      return { kind: 'merge', key: 'ip' };
    case 'topologySpreadConstraints':
      return { kind: 'merge', key: 'topologyKey' };
    case 'finalizers':
      return { kind: 'set' };
    default:
      return { kind: 'replace' };
  }
}

const DIRECTIVE_PATCH = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';

/** Applies a strategic merge patch (two-way, as `kubectl patch`, `cordon` and `scale` send them). */
export function strategicMergePatch(target: Json, patch: Json, path: readonly string[] = []): Json {
  if (!isRecord(patch)) return patch;
  const directive = patch[DIRECTIVE_PATCH];
  if (directive === 'replace') {
    const { [DIRECTIVE_PATCH]: _, ...rest } = patch;
    return rest;
  }
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'merge') throw badRequest(`unknown patch type: ${JSON.stringify(directive)} in map`);
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  const retain = patch[RETAIN_KEYS];
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE_PATCH || key === RETAIN_KEYS || key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) {
      const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const childPath = [...path, key];
    if (Array.isArray(value)) {
      result[key] = patchList(result[key], value, childPath);
    } else if (isRecord(value)) {
      const merged = strategicMergePatch(result[key], value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  if (Array.isArray(retain)) {
    for (const key of Object.keys(result)) if (!retain.includes(key)) delete result[key];
  }
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER) || !Array.isArray(order)) continue;
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const list = result[field];
    if (Array.isArray(list)) result[field] = orderList(list, order, listStrategy([...path, field]));
  }
  return result;
}

function patchList(target: unknown, patch: unknown[], path: readonly string[]): unknown[] {
  const current = Array.isArray(target) ? target : [];
  const strategy = listStrategy(path);
  // A list-level `{"$patch": "replace"}` element replaces the whole list with the other elements.
  if (patch.some((item) => isRecord(item) && item[DIRECTIVE_PATCH] === 'replace')) {
    return patch.filter((item) => !(isRecord(item) && item[DIRECTIVE_PATCH] === 'replace'));
  }
  if (strategy.kind === 'replace') return patch;
  if (strategy.kind === 'set') {
    const out = [...current];
    for (const item of patch) if (!out.some((v) => v === item)) out.push(item);
    return out;
  }
  const key = strategy.key;
  const out: unknown[] = [...current];
  for (const item of patch) {
    if (!isRecord(item)) {
      out.push(item);
      continue;
    }
    const id = item[key];
    if (id === undefined) {
      throw badRequest(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
    }
    const at = out.findIndex((existing) => isRecord(existing) && existing[key] === id);
    if (item[DIRECTIVE_PATCH] === 'delete') {
      if (at >= 0) out.splice(at, 1);
      continue;
    }
    if (at >= 0) out[at] = strategicMergePatch(out[at], item, path);
    else out.push(strategicMergePatch(undefined, item, path));
  }
  return out;
}

function orderList(list: unknown[], order: unknown[], strategy: ListStrategy): unknown[] {
  const id = (item: unknown): unknown => (strategy.kind === 'merge' && isRecord(item) ? item[strategy.key] : item);
  const position = new Map(order.map((o, i) => [isRecord(o) && strategy.kind === 'merge' ? o[strategy.key] : o, i]));
  return [...list].sort((a, b) => (position.get(id(a)) ?? Number.MAX_SAFE_INTEGER) - (position.get(id(b)) ?? Number.MAX_SAFE_INTEGER));
}

interface JsonPatchOp {
  op: string;
  path: string;
  value?: unknown;
  from?: string;
}

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`JSON patch path ${JSON.stringify(path)} must start with "/"`);
  return path
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function unprocessable(message: string): KubeError {
  return new KubeError(422, 'Invalid', message);
}

function parentOf(root: unknown, parts: string[], op: JsonPatchOp): { container: unknown; last: string } {
  let node = root;
  for (const part of parts.slice(0, -1)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isRecord(node)) node = node[part];
    else node = undefined;
    if (node === undefined) throw unprocessable(`${op.op} operation does not apply: doc is missing path: ${op.path}: missing value`);
  }
  return { container: node, last: parts[parts.length - 1] ?? '' };
}

function getAt(root: unknown, path: string, op: JsonPatchOp): unknown {
  let node = root;
  for (const part of pointer(path)) {
    if (Array.isArray(node)) node = node[Number(part)];
    else if (isRecord(node)) node = Object.hasOwn(node, part) ? node[part] : undefined;
    else node = undefined;
    if (node === undefined) throw unprocessable(`${op.op} operation does not apply: doc is missing path: ${path}: missing value`);
  }
  return node;
}

function arrayIndex(container: unknown[], last: string, allowEnd: boolean, op: JsonPatchOp): number {
  if (last === '-' && allowEnd) return container.length;
  const index = Number(last);
  if (!/^\d+$/.test(last) || index > container.length || (!allowEnd && index === container.length)) {
    throw unprocessable(`${op.op} operation does not apply: doc is missing path: ${op.path}: invalid index`);
  }
  return index;
}

function addAt(root: unknown, path: string, value: unknown, op: JsonPatchOp): unknown {
  const parts = pointer(path);
  if (parts.length === 0) return value;
  const { container, last } = parentOf(root, parts, op);
  if (Array.isArray(container)) container.splice(arrayIndex(container, last, true, op), 0, value);
  else if (isRecord(container)) container[last] = value;
  else throw unprocessable(`${op.op} operation does not apply: doc is missing path: ${path}: missing value`);
  return root;
}

function removeAt(root: unknown, path: string, op: JsonPatchOp): unknown {
  const parts = pointer(path);
  const { container, last } = parentOf(root, parts, op);
  if (Array.isArray(container)) container.splice(arrayIndex(container, last, false, op), 1);
  else if (isRecord(container) && Object.hasOwn(container, last)) delete container[last];
  else throw unprocessable(`${op.op} operation does not apply: doc is missing path: ${path}: missing value`);
  return root;
}

/** RFC 6902 on a copy of `target`; a failing `test` or a missing path is a 422 as on the API server. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw badRequest('a JSON patch must be a JSON array of operations, e.g. [{"op":"replace","path":"/spec/unschedulable","value":true}]');
  let doc = structuredClone(target);
  for (const raw of ops) {
    if (!isRecord(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest(`invalid JSON patch operation ${JSON.stringify(raw)}: each needs "op" and "path"`);
    }
    const op = raw as unknown as JsonPatchOp;
    switch (op.op) {
      case 'add':
        doc = addAt(doc, op.path, structuredClone(op.value), op);
        break;
      case 'remove':
        doc = removeAt(doc, op.path, op);
        break;
      case 'replace':
        getAt(doc, op.path, op);
        doc =
          pointer(op.path).length === 0
            ? structuredClone(op.value)
            : addAt(removeAt(doc, op.path, op), op.path, structuredClone(op.value), op);
        break;
      case 'move': {
        const value = getAt(doc, op.from ?? '', op);
        doc = addAt(removeAt(doc, op.from ?? '', op), op.path, value, op);
        break;
      }
      case 'copy':
        doc = addAt(doc, op.path, structuredClone(getAt(doc, op.from ?? '', op)), op);
        break;
      case 'test':
        if (JSON.stringify(getAt(doc, op.path, op)) !== JSON.stringify(op.value)) {
          throw unprocessable(`testing value ${op.path} failed: test failed`);
        }
        break;
      default:
        throw badRequest(`Unexpected kind: ${op.op} (JSON patch operations are add, remove, replace, move, copy, test)`);
    }
  }
  return doc;
}
