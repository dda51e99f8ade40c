/**
 * URL paths to what they address, following the API server's layout:
 * `/api/v1[/watch][/namespaces/<ns>]/<resource>[/<name>[/<subresource>]]`, the same under
 * `/apis/<group>/<version>`, plus discovery, OpenAPI, version and health paths.
 */
import { findResource, GROUP_VERSIONS, type ResourceInfo } from './resources.js';

export type Route =
  | { kind: 'version' }
  | { kind: 'health' }
  | { kind: 'apiVersions' }
  | { kind: 'groupList' }
  | { kind: 'group'; group: string }
  | { kind: 'resourceList'; group: string; version: string }
  | { kind: 'openapiV3Index' }
  | { kind: 'openapiV3'; path: string }
  | { kind: 'openapiV2' }
  | { kind: 'resource'; info: ResourceInfo; namespace?: string; name?: string; subresource?: string; watchPath: boolean }
  /** Under a served group version but naming nothing: a Status 404. */
  | { kind: 'unknownResource'; group: string; version: string }
  /** Outside every served prefix: the plain-text 404 of the API server's mux. */
  | { kind: 'notFound' };

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

export function route(pathname: string): Route {
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
  if (first === 'version' && segments.length === 1) return { kind: 'version' };
  if ((first === 'healthz' || first === 'livez' || first === 'readyz') && segments.length <= 2) return { kind: 'health' };
  if (first === 'openapi') {
    if (second === 'v2' && segments.length === 2) return { kind: 'openapiV2' };
    if (second === 'v3' && segments.length === 2) return { kind: 'openapiV3Index' };
    if (second === 'v3') return { kind: 'openapiV3', path: segments.slice(2).join('/') };
    return { kind: 'notFound' };
  }
  let group: string;
  let version: string;
  let rest: string[];
  if (first === 'api') {
    if (segments.length === 1) return { kind: 'apiVersions' };
    if (second !== 'v1') return { kind: 'notFound' };
    group = '';
    version = 'v1';
    rest = segments.slice(2);
  } else if (first === 'apis') {
    if (segments.length === 1) return { kind: 'groupList' };
    if (segments.length === 2)
      return GROUP_VERSIONS.some((gv) => gv.group === second) ? { kind: 'group', group: second as string } : { kind: 'notFound' };
    if (!GROUP_VERSIONS.some((gv) => gv.group === second && gv.version === third)) return { kind: 'notFound' };
    group = second as string;
    version = third as string;
    rest = segments.slice(3);
  } else {
    return { kind: 'notFound' };
  }
  if (rest.length === 0) return { kind: 'resourceList', group, version };
  const unknown: Route = { kind: 'unknownResource', group, version };
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
  if (watchPath && subresource !== undefined) return unknown;
  return {
    kind: 'resource',
    info,
    ...(namespace !== undefined ? { namespace } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(subresource !== undefined ? { subresource } : {}),
    watchPath,
  };
}
