/**
 * Discovery documents: `/version`, `/api`, `/api/v1`, `/apis`, `/apis/<group>` and
 * `/apis/<group>/<version>`, in the legacy (unaggregated) form. kubectl 1.32 asks for aggregated
 * discovery first and falls back to these when the answer is plain `application/json`, as it does
 * against any server that predates aggregated discovery.
 */
import { apiVersionOf, GROUP_VERSIONS, RESOURCES, type ResourceInfo } from './resources.js';

export const SERVER_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0' } as const;

export function versionInfo(gitVersion: string): Record<string, string> {
  const match = /^v(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: match?.[1] ?? SERVER_VERSION.major,
    minor: match?.[2] ?? SERVER_VERSION.minor,
    gitVersion,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2024-12-11T17:58:16Z',
    goVersion: 'go1.23.3',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupDoc(group: string): Record<string, unknown> {
  const versions = GROUP_VERSIONS.filter((gv) => gv.group === group).map((gv) => ({
    groupVersion: `${gv.group}/${gv.version}`,
    version: gv.version,
  }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(): Record<string, unknown> {
  const groups = [...new Set(GROUP_VERSIONS.filter((gv) => gv.group !== '').map((gv) => gv.group))];
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups.map(groupDoc) };
}

/** `/apis/<group>`, or undefined for a group not served. */
export function apiGroup(group: string): Record<string, unknown> | undefined {
  if (!GROUP_VERSIONS.some((gv) => gv.group === group && group !== '')) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(group) };
}

function resourceEntries(info: ResourceInfo): Array<Record<string, unknown>> {
  const main: Record<string, unknown> = {
    name: info.resource,
    singularName: info.singular,
    namespaced: info.namespaced,
    kind: info.kind,
    verbs: info.verbs,
  };
  if (info.shortNames) main.shortNames = info.shortNames;
  if (info.categories) main.categories = info.categories;
  const subs = info.subresources.map((sub) => ({
    name: `${info.resource}/${sub.name}`,
    singularName: '',
    namespaced: info.namespaced,
    ...(sub.group !== undefined ? { group: sub.group, version: sub.version } : {}),
    kind: sub.kind,
    verbs: sub.verbs,
  }));
  return [main, ...subs];
}

/** `/api/v1` or `/apis/<group>/<version>`, or undefined for a group version not served. */
export function apiResourceList(group: string, version: string): Record<string, unknown> | undefined {
  if (!GROUP_VERSIONS.some((gv) => gv.group === group && gv.version === version)) return undefined;
  const resources = RESOURCES.filter((r) => r.group === group && r.version === version)
    .flatMap(resourceEntries)
    .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  // The core group's list has no apiVersion; the named groups' lists do (as the API server writes them).
  return { kind: 'APIResourceList', ...(group ? { apiVersion: 'v1' } : {}), groupVersion: apiVersionOf({ group, version }), resources };
}
