/**
 * The API server's URL layout, and the route table the HTTP front answers through.
 *
 * `resolveTarget` reads a path as the API server's mux does:
 * `/api/v1[/watch][/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]`, the same under
 * `/apis/<group>/<version>`, plus discovery, OpenAPI, version and health paths. What it names is a
 * `Target` carrying a path in the notation routes are declared in (as the API reference writes
 * them; resource paths are relative to the group version and its optional
 * `namespaces/{namespace}/`), so the table in server.ts reads like the API:
 * `{ method: 'PATCH', path: '{resource}/{name}/{subresource*}', verb: 'patch', handle: … }`.
 * `{subresource*}` may be empty: one route serves an object and its status and scale subresources.
 *
 * Paths are never resolved: a `.` or `..` segment, plain or percent-encoded, is a segment like any
 * other (so `namespaces/../nodes` names nothing, a 404), and a name that could not be a path
 * segment (`..`, or with `/` or `%`) is refused with the API server's 400 before any handler runs.
 */
import { findResource, GROUP_VERSIONS, type ResourceInfo } from './resources.js';
import { badRequest, KubeError, methodNotAllowed } from './status.js';
import { pathSegmentProblems } from './strategies.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Paths outside the resource tree; `/healthz` stands for `/livez` and `/readyz` too, each with an optional check name. */
export type PathPattern =
  | '/version'
  | '/healthz'
  | '/api'
  | '/apis'
  | '/apis/{group}'
  | '/apis/{group}/{version}'
  | '/openapi/v2'
  | '/openapi/v3'
  | '/openapi/v3/{path+}';

/** What a resource path names; a watch is `watch/…` (by the `/watch/` path or `?watch=true` on a GET). */
export type ResourcePath =
  | '{resource}'
  | '{resource}/{name}'
  | '{resource}/{name}/{subresource}'
  | 'watch/{resource}'
  | 'watch/{resource}/{name}';

/** Route patterns for resources: the paths above, plus a named subresource and `{subresource*}` (none or any). */
export type ResourcePattern = ResourcePath | '{resource}/{name}/{subresource*}' | '{resource}/{name}/eviction';

/** The resource a path names, and the namespace, name and subresource in it. */
export interface ResourceTarget {
  info: ResourceInfo;
  namespace?: string;
  name?: string;
  subresource?: string;
}

export type Target =
  | { kind: 'path'; path: PathPattern; params: Readonly<Record<string, string>> }
  | { kind: 'resource'; path: ResourcePath; resource: ResourceTarget }
  /** Under a served group version but naming nothing: a Status 404. */
  | { kind: 'unknownResource'; group: string; version: string }
  /** Outside every served prefix: the plain-text 404 of the API server's mux. */
  | { kind: 'notFound' };

export interface PathRoute<C, R> {
  method: Method;
  path: PathPattern;
  handle(ctx: C, params: Readonly<Record<string, string>>): Promise<R>;
}

export interface ResourceRoute<C, R> {
  method: Method;
  path: ResourcePattern;
  /** The API verb the resource (or the subresource the path names) must list in discovery; otherwise 405. */
  verb: string;
  handle(ctx: C, target: ResourceTarget): Promise<R>;
}

export type KubeRoute<C, R> = PathRoute<C, R> | ResourceRoute<C, R>;

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

function pathTarget(path: PathPattern, params: Record<string, string> = {}): Target {
  return { kind: 'path', path, params };
}

/** A request target split as the API server's Go HTTP server splits it: the path as sent (never resolved) and the query. */
export interface RequestTarget {
  path: string;
  query: URLSearchParams;
}

/**
 * Splits a request target (`req.url`: origin form `/path?query`, or absolute form
 * `http://host/path?query`) without resolving it: WHATWG URL parsing would turn
 * `/api/v1/namespaces/default/pods/%2e%2e` into `/api/v1/namespaces/default`, a path the client
 * never asked for, where Go's server (and so the API server) keeps every segment. Undefined for a
 * target that is neither form (Go answers those with a plain 400).
 */
export function splitRequestTarget(raw: string): RequestTarget | undefined {
  let rest = raw;
  if (!rest.startsWith('/')) {
    const absolute = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(rest);
    if (!absolute || !URL.canParse(rest)) return undefined;
    rest = rest.slice(absolute[0].length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  const at = rest.indexOf('?');
  return at < 0
    ? { path: rest, query: new URLSearchParams() }
    : { path: rest.slice(0, at), query: new URLSearchParams(rest.slice(at + 1)) };
}

/** What a request's path names. `watch` says the request asks to watch (a GET with `?watch=true` or `1`). */
export function resolveTarget(pathname: string, watch = false): Target {
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
  } catch {
    return { kind: 'notFound' };
  }
  const [first, second, third] = segments;
  if (first === 'version' && segments.length === 1) return pathTarget('/version');
  if ((first === 'healthz' || first === 'livez' || first === 'readyz') && segments.length <= 2) return pathTarget('/healthz');
  if (first === 'openapi') {
    if (second === 'v2' && segments.length === 2) return pathTarget('/openapi/v2');
    if (second === 'v3' && segments.length === 2) return pathTarget('/openapi/v3');
    if (second === 'v3') return pathTarget('/openapi/v3/{path+}', { path: segments.slice(2).join('/') });
    return { kind: 'notFound' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (first === 'api') {
    if (segments.length === 1) return pathTarget('/api');
    if (second !== 'v1') return { kind: 'notFound' };
    group = '';
    version = 'v1';
    rest = segments.slice(2);
  } else if (first === 'apis') {
    if (segments.length === 1) return pathTarget('/apis');
    if (segments.length === 2)
      return GROUP_VERSIONS.some((gv) => gv.group === second)
        ? pathTarget('/apis/{group}', { group: second as string })
        : { kind: 'notFound' };
    if (!GROUP_VERSIONS.some((gv) => gv.group === second && gv.version === third)) return { kind: 'notFound' };
    group = second as string;
    version = third as string;
    rest = segments.slice(3);
  } else {
    return { kind: 'notFound' };
  }
  if (rest.length === 0) return pathTarget('/apis/{group}/{version}', { group, version });
  const unknown: Target = { kind: 'unknownResource', group, version };
  let watchPath = false;
  if (rest[0] === 'watch') {
    watchPath = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !(rest.length === 3 && NAMESPACE_SUBRESOURCES.has(rest[2] as string))) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length === 0 || rest.length > 3) return unknown;
  const [resource, name, subresource] = rest as [string, string | undefined, string | undefined];
  const info = findResource(group, version, resource);
  if (!info) return unknown;
  if (info.namespaced === false && namespace !== undefined) return unknown;
  if (info.namespaced && namespace === undefined && name !== undefined) return unknown;
  if (subresource !== undefined && !info.subresources.some((s) => s.name === subresource)) return unknown;
  const target: ResourceTarget = {
    info,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
  };
  let path: ResourcePath;
  if (subresource !== undefined) {
    // Watches are of objects, never of a subresource.
    if (watchPath) return unknown;
    path = '{resource}/{name}/{subresource}';
  } else if (name !== undefined) path = watchPath || watch ? 'watch/{resource}/{name}' : '{resource}/{name}';
  else path = watchPath || watch ? 'watch/{resource}' : '{resource}';
  return { kind: 'resource', path, resource: target };
}

function resourcePatternMatches(pattern: ResourcePattern, path: ResourcePath, target: ResourceTarget): boolean {
  if (pattern === path) return true;
  if (pattern === '{resource}/{name}/{subresource*}') return path === '{resource}/{name}' || path === '{resource}/{name}/{subresource}';
  if (pattern === '{resource}/{name}/eviction') return path === '{resource}/{name}/{subresource}' && target.subresource === 'eviction';
  return false;
}

/**
 * The call that answers a request, from the first route whose method and path match. A path that
 * routes serve under other methods, or a verb the resource does not allow, is a 405 Status; a path
 * no route serves is undefined (the caller answers 404). HEAD is served as GET outside the resource tree.
 */
export function findRoute<C, R>(routes: readonly KubeRoute<C, R>[], method: string, target: Target): ((ctx: C) => Promise<R>) | undefined {
  if (target.kind === 'path') {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const served = routes.filter((r): r is PathRoute<C, R> => r.path === target.path);
    const route = served.find((r) => r.method === wanted);
    if (route) return (ctx) => route.handle(ctx, target.params);
    if (served.length > 0) throw new KubeError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
    return undefined;
  }
  if (target.kind !== 'resource') return undefined;
  const { info, subresource } = target.resource;
  const served = routes.filter(
    (r): r is ResourceRoute<C, R> => 'verb' in r && resourcePatternMatches(r.path, target.path, target.resource),
  );
  const route = served.find((r) => r.method === method);
  if (!route) {
    if (served.length > 0) throw methodNotAllowed(info.group, info.resource);
    return undefined;
  }
  const verbs = subresource === undefined ? info.verbs : (info.subresources.find((s) => s.name === subresource)?.verbs ?? []);
  if (!verbs.includes(route.verb)) throw methodNotAllowed(info.group, info.resource);
  const name = target.resource.name;
  if (name !== undefined) {
    // The storage's key function refuses such a name (registry.NamespaceKeyFunc / NoNamespaceKeyFunc).
    const problems = pathSegmentProblems(name);
    if (problems.length > 0) throw badRequest(`Name parameter invalid: ${JSON.stringify(name)}: ${problems.join(';')}`);
  }
  return (ctx) => route.handle(ctx, target.resource);
}
