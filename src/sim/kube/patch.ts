/**
 * The three PATCH formats the API server accepts from clients like kubectl and client-node:
 * JSON Patch (RFC 6902), JSON Merge Patch (RFC 7386) and Kubernetes' strategic merge patch.
 * `applyPatch` is the one entry: every PATCH (of an object, its status or its Scale) goes through
 * it, and none of these functions changes its arguments, so a refused patch leaves nothing behind.
 *
 * JSON Patch runs on fast-json-patch, which compares `test` values deeply (key order does not
 * matter, as RFC 6902 requires). Before each operation a guard resolves its pointers the way RFC
 * 6901 reads them, where the library is lenient: array indexes are `0` or digits without a leading
 * zero, `~` escapes only `~0` and `~1`, a path names own members only (never `toString` or
 * `constructor` that every object inherits), and `move` cannot move a value into itself.
 *
 * A key or path segment `__proto__` would reach an object's prototype in JavaScript (Go, the API
 * server's language, has none), so every format refuses it, as the API server refuses an invalid
 * patch: 422 for a JSON Patch path (as a path that does not apply), 400 for a key in a merge patch or
 * in a JSON Patch value (as strict decoding refuses an unknown field). `constructor` and `prototype`
 * are ordinary keys: the merges read own members only, so they never reach a prototype either.
 *
 * Strategic merge patch needs each list's merge strategy, which the API server reads from the Go
 * struct tags (`patchStrategy:"merge" patchMergeKey:"name"`). The simulator has no Go types, so
 * `listStrategy` encodes those tags for the fields of the core and apps kinds by field name:
 * lists with a merge key merge element by element, `finalizers` merge as a set, every other list
 * is replaced whole (as a list without a patch strategy is).
 */
import fastJsonPatch, { type Operation } from 'fast-json-patch';
import { badRequest, KubeError, unsupportedMediaType } from './status.js';
import { clone, isRecord } from './types.js';

type Json = unknown;

/** The PATCH media types, in the order the API server lists them in a 415. */
export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

/**
 * A PATCH body applied to (a copy of) the current representation, by its Content-Type. Merge
 * patches must be JSON objects; JSON patches arrays of operations.
 */
export function applyPatch(contentType: string | undefined, current: Json, body: Json): Json {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  switch (type) {
    case 'application/json-patch+json':
      return jsonPatch(current, body);
    case 'application/merge-patch+json':
      if (!isRecord(body)) throw badRequest('a merge patch must be a JSON object, e.g. {"spec":{"unschedulable":true}}');
      return mergePatch(current, body);
    case 'application/strategic-merge-patch+json':
      if (!isRecord(body)) throw badRequest('a strategic merge patch must be a JSON object, e.g. {"spec":{"unschedulable":true}}');
      return strategicMergePatch(current, body);
    default:
      throw unsupportedMediaType(contentType ?? '', PATCH_TYPES);
  }
}

const PROTOTYPE_KEY = '__proto__';
const PROTOTYPE_REASON = '"__proto__" names the prototype of a JavaScript object, not a field';

/** A field path for messages: `metadata.labels`, `spec.containers[0]`. */
function fieldPath(at: readonly (string | number)[]): string {
  if (at.length === 0) return 'the top level';
  return at.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');
}

/** Refuses (400) a `__proto__` key anywhere in a patch document, directives such as `$setElementOrder/__proto__` included. */
function refusePrototypeKeys(value: Json, what: string, at: (string | number)[] = []): void {
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      refusePrototypeKeys(item, what, [...at, i]);
    });
  } else if (isRecord(value)) {
    for (const [key, child] of Object.entries(value)) {
      if (key === PROTOTYPE_KEY || key.endsWith(`/${PROTOTYPE_KEY}`)) {
        throw badRequest(`${what} key ${JSON.stringify(key)} at ${fieldPath(at)} is refused: ${PROTOTYPE_REASON}`);
      }
      refusePrototypeKeys(child, what, [...at, key]);
    }
  }
}

/** `object[key]` when it is the object's own member, else undefined: merges never read what a prototype provides. */
function own(object: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

/** RFC 7386: objects merge recursively, `null` deletes a key, anything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  refusePrototypeKeys(patch, 'merge patch');
  return merge(target, patch);
}

function merge(target: Json, patch: Json): Json {
  if (!isRecord(patch)) return patch;
  const result: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = merge(own(result, key), value);
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
export function strategicMergePatch(target: Json, patch: Json): Json {
  refusePrototypeKeys(patch, 'strategic merge patch');
  return strategicMerge(target, patch, []);
}

function strategicMerge(target: Json, patch: Json, path: readonly string[]): Json {
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
      const current = own(result, field);
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (value === null) {
      delete result[key];
      continue;
    }
    const childPath = [...path, key];
    if (Array.isArray(value)) {
      result[key] = patchList(own(result, key), value, childPath);
    } else if (isRecord(value)) {
      const merged = strategicMerge(own(result, key), value, childPath);
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
    const list = own(result, field);
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
    if (at >= 0) out[at] = strategicMerge(out[at], item, path);
    else out.push(strategicMerge(undefined, item, path));
  }
  return out;
}

function orderList(list: unknown[], order: unknown[], strategy: ListStrategy): unknown[] {
  const id = (item: unknown): unknown => (strategy.kind === 'merge' && isRecord(item) ? item[strategy.key] : item);
  const position = new Map(order.map((o, i) => [isRecord(o) && strategy.kind === 'merge' ? o[strategy.key] : o, i]));
  return [...list].sort((a, b) => (position.get(id(a)) ?? Number.MAX_SAFE_INTEGER) - (position.get(id(b)) ?? Number.MAX_SAFE_INTEGER));
}

const JSON_PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'];

/** 422, as the API server answers a JSON patch that does not apply to the object. */
function unprocessable(message: string): KubeError {
  return new KubeError(422, 'Invalid', message);
}

/** The message evanphx/json-patch (the API server's library) gives for a pointer that does not resolve. */
function missingPath(op: Operation, pointer: string, why = 'missing value'): KubeError {
  return unprocessable(`${op.op} operation does not apply: doc is missing path: ${pointer}: ${why}`);
}

/** RFC 6901: "" is the whole document, otherwise "/"-separated tokens in which `~1` is "/" and `~0` is "~". */
function pointerTokens(pointer: string, op: Operation, index: number): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw badRequest(`JSON patch path ${JSON.stringify(pointer)} (operation ${index}) must start with "/"`);
  const tokens = pointer.slice(1).split('/');
  for (const [i, token] of tokens.entries()) {
    if (/~(?![01])/.test(token)) throw missingPath(op, pointer, `"~" must be followed by 0 or 1 (write "~0" for "~" and "~1" for "/")`);
    const name = token.replaceAll('~1', '/').replaceAll('~0', '~');
    if (name === PROTOTYPE_KEY || (name === 'prototype' && tokens[i - 1] === 'constructor')) {
      throw unprocessable(`JSON patch path ${JSON.stringify(pointer)} (operation ${index}) is refused: ${PROTOTYPE_REASON}`);
    }
    tokens[i] = name;
  }
  return tokens;
}

// An array index is 0 or digits without a leading zero (RFC 6901 section 4).
const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/**
 * Resolves a pointer in the document as RFC 6901 reads it. With `insert`, the last token names a
 * place to add at (a new member, an index up to the array's length, or `-` for its end);
 * otherwise it must name an existing value, an own member of an object.
 */
function resolve(doc: Json, tokens: readonly string[], pointer: string, op: Operation, insert: boolean): void {
  let node = doc;
  for (const [i, token] of tokens.entries()) {
    const last = i === tokens.length - 1;
    if (Array.isArray(node)) {
      if (last && insert && token === '-') return;
      if (!ARRAY_INDEX.test(token)) throw missingPath(op, pointer, `invalid array index ${JSON.stringify(token)}`);
      const at = Number(token);
      if (at > node.length || (at === node.length && !(last && insert))) throw missingPath(op, pointer, 'index out of range');
      node = node[at];
    } else if (isRecord(node)) {
      if (last && insert) return;
      if (!Object.hasOwn(node, token)) throw missingPath(op, pointer);
      node = node[token];
    } else {
      throw missingPath(op, pointer);
    }
  }
}

/** Checks one operation against the document as it is before the operation runs. */
function checkOperation(doc: Json, op: Operation, index: number): void {
  const tokens = pointerTokens(op.path, op, index);
  resolve(doc, tokens, op.path, op, op.op === 'add' || op.op === 'move' || op.op === 'copy');
  if (op.op === 'move' || op.op === 'copy') {
    if (typeof op.from !== 'string') throw badRequest(`JSON patch operation ${index} (${op.op}) needs "from"`);
    resolve(doc, pointerTokens(op.from, op, index), op.from, op, false);
    if (op.op === 'move' && op.path.startsWith(`${op.from}/`)) {
      throw unprocessable(`move operation (${index}) cannot move ${op.from} into itself (to ${op.path})`);
    }
  }
}

/** A fast-json-patch error as the API server would answer it. */
function patchFailure(error: unknown, op: Operation, index: number): unknown {
  if (!(error instanceof fastJsonPatch.JsonPatchError)) return error;
  switch (error.name) {
    case 'TEST_OPERATION_FAILED':
      return unprocessable(`testing value ${op.path} failed: test failed`);
    case 'OPERATION_NOT_AN_OBJECT':
    case 'OPERATION_OP_INVALID':
    case 'OPERATION_PATH_INVALID':
    case 'OPERATION_FROM_REQUIRED':
    case 'OPERATION_VALUE_REQUIRED':
    case 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED':
      return badRequest(`invalid JSON patch operation ${index} ${JSON.stringify(op)}: ${error.message.split('\n')[0]}`);
    default:
      return missingPath(op, op.path);
  }
}

/**
 * RFC 6902 on a copy of `target`, operation by operation: a failing `test` or a path that does not
 * resolve is a 422 as on the API server, a malformed operation a 400.
 */
export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops))
    throw badRequest('a JSON patch must be a JSON array of operations, e.g. [{"op":"replace","path":"/spec/unschedulable","value":true}]');
  // Copies: operations insert their values by reference, and the caller's objects must not change.
  const operations = clone(ops) as unknown[];
  let doc = clone(target);
  for (const [index, raw] of operations.entries()) {
    if (!isRecord(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw badRequest(`invalid JSON patch operation ${JSON.stringify(raw)}: each needs "op" and "path"`);
    }
    if (!JSON_PATCH_OPS.includes(raw.op)) {
      throw badRequest(`Unexpected kind: ${raw.op} (JSON patch operations are ${JSON_PATCH_OPS.join(', ')})`);
    }
    refusePrototypeKeys(raw.value, `JSON patch value (operation ${index})`);
    const op = raw as unknown as Operation;
    checkOperation(doc, op, index);
    try {
      doc = fastJsonPatch.applyOperation(doc, op, true, true, true, index).newDocument;
    } catch (error) {
      throw patchFailure(error, op, index);
    }
  }
  return doc;
}
