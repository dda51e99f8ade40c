/**
 * Failed Kubernetes API calls in the tool's error taxonomy (src/errors.ts). The watcher runs with
 * a read-only ClusterRole, so a refusal almost always means a rule is missing: the message names
 * the verb and the resource the role must grant, which is the fix.
 */
import { describeWithCauses, TransientError, UserError } from '../errors.js';

/** A resource as RBAC names it: its plural and its API group ("" for the core group). */
export interface ApiResource {
  resource: string;
  group: string;
}

/**
 * The HTTP status of a failed call: client-node's generated API throws ApiException with `code`,
 * its Watch an Error with `statusCode`; a network failure has neither.
 */
export function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}

function describeResource({ resource, group }: ApiResource): string {
  return group === '' ? resource : `${resource}.${group}`;
}

/**
 * `verb` on `resource` failed. 401 and 403 are refusals (the credentials, or a ClusterRole rule, must
 * change: retrying alone will not help); 404 means the API server does not serve the resource; anything
 * else (5xx, 429, a timeout, the network) is transient, with the failure as `cause`.
 */
export function kubeFailure(error: unknown, verb: string, target: ApiResource): TransientError | UserError {
  if (error instanceof TransientError || error instanceof UserError) return error;
  const status = statusOf(error);
  const name = describeResource(target);
  const grant = `the watcher's ClusterRole must grant "${verb}" on "${target.resource}" in apiGroup "${target.group}"`;
  if (status === 403) return new UserError(`cannot ${verb} ${name}: forbidden (403): ${grant}`, { cause: error });
  if (status === 401) {
    return new UserError(
      `cannot ${verb} ${name}: the API server refused the credentials (401): check the kubeconfig or the service account token (and that ${grant})`,
      { cause: error },
    );
  }
  if (status === 404) {
    return new UserError(
      `cannot ${verb} ${name}: the API server does not serve it (404): the API is not installed, or the cluster's Kubernetes predates it`,
      {
        cause: error,
      },
    );
  }
  // A network failure's message is often one word ("terminated", "fetch failed"); its causes say what happened.
  const said = error instanceof Error ? describeWithCauses(error) : String(error);
  return new TransientError(`cannot ${verb} ${name}${status !== undefined ? ` (HTTP ${status})` : ''}: ${said}`, { cause: error });
}
