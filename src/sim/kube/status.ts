/**
 * `metav1.Status` error bodies, built the way the API server's `k8s.io/apimachinery/pkg/api/errors`
 * constructors build them, so clients classify them exactly as they would a real cluster's
 * (client-go's `IsNotFound`, kubectl's retry on 429, client-node's `ApiException.code`).
 */

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

export interface StatusBody {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Failure' | 'Success';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

/** An error the API answers with a Status body and its HTTP code. */
export class KubeError extends Error {
  readonly status: StatusBody;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'KubeError';
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }

  get code(): number {
    return this.status.code;
  }
}

/** A Success Status (what a DELETE of most resources returns). */
export function successStatus(details?: StatusDetails): Omit<StatusBody, 'code'> & { code?: number } {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', ...(details ? { details } : {}) };
}

/** "pods", "deployments.apps": how messages name a resource. */
export function qualified(group: string, resource: string): string {
  return group ? `${resource}.${group}` : resource;
}

function resourceDetails(group: string, resource: string, name?: string): StatusDetails {
  return { ...(name !== undefined ? { name } : {}), ...(group ? { group } : {}), kind: resource };
}

export function notFound(group: string, resource: string, name: string): KubeError {
  return new KubeError(404, 'NotFound', `${qualified(group, resource)} "${name}" not found`, resourceDetails(group, resource, name));
}

export function alreadyExists(group: string, resource: string, name: string): KubeError {
  return new KubeError(
    409,
    'AlreadyExists',
    `${qualified(group, resource)} "${name}" already exists`,
    resourceDetails(group, resource, name),
  );
}

export function conflict(group: string, resource: string, name: string, why: string): KubeError {
  return new KubeError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(group, resource)} "${name}": ${why}`,
    resourceDetails(group, resource, name),
  );
}

/** The 409 an update with a stale `metadata.resourceVersion` gets. */
export function staleConflict(group: string, resource: string, name: string): KubeError {
  return conflict(group, resource, name, 'the object has been modified; please apply your changes to the latest version and try again');
}

export function badRequest(message: string): KubeError {
  return new KubeError(400, 'BadRequest', message);
}

/** 422 with one cause per field, formatted as `field.ErrorList.ToAggregate()` is. */
export function invalid(
  group: string,
  kind: string,
  name: string,
  causes: Array<{ field: string; reason: string; message: string }>,
): KubeError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`;
  return new KubeError(422, 'Invalid', `${group ? `${kind}.${group}` : kind} "${name}" is invalid: ${summary}`, {
    name,
    ...(group ? { group } : {}),
    kind,
    causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
  });
}

/** A `field.Required` cause. */
export function required(field: string, detail = ''): { field: string; reason: string; message: string } {
  return { field, reason: 'FieldValueRequired', message: detail ? `Required value: ${detail}` : 'Required value' };
}

/** A `field.Invalid` cause; the value is shown JSON-quoted, as Go's `%q`/`%v` would show it. */
export function invalidValue(field: string, value: unknown, detail: string): { field: string; reason: string; message: string } {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
}

export function methodNotAllowed(group: string, resource: string): KubeError {
  return new KubeError(
    405,
    'MethodNotAllowed',
    'the server does not allow this method on the requested resource',
    resourceDetails(group, resource),
  );
}

/** The generic 404 for a path under a known group version that names no resource. */
export function pathNotFound(): KubeError {
  return new KubeError(404, 'NotFound', 'the server could not find the requested resource', {});
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): KubeError {
  return new KubeError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format (${contentType || 'no Content-Type'}) - accepted media types include: ${accepted.join(', ')}`,
  );
}

export function notAcceptable(accepted: readonly string[]): KubeError {
  return new KubeError(406, 'NotAcceptable', `only the following media types are accepted: ${accepted.join(', ')}`);
}

export function tooManyRequests(message: string, causes?: StatusCause[]): KubeError {
  return new KubeError(429, 'TooManyRequests', message, causes ? { causes } : {});
}

/** What clients see when an aggregated API (metrics-server) is down. */
export function serviceUnavailable(group: string, resource: string, verb: string): KubeError {
  return new KubeError(
    503,
    'ServiceUnavailable',
    `the server is currently unable to handle the request (${verb} ${qualified(group, resource)})`,
    {
      ...(group ? { group } : {}),
      kind: resource,
      causes: [{ reason: 'UnexpectedServerResponse', message: 'service unavailable' }],
    },
  );
}

export function expired(message: string): KubeError {
  return new KubeError(410, 'Expired', message);
}

export function internalError(message: string): KubeError {
  return new KubeError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] });
}

export function forbidden(group: string, resource: string, name: string, why: string): KubeError {
  return new KubeError(
    403,
    'Forbidden',
    `${qualified(group, resource)} "${name}" is forbidden: ${why}`,
    resourceDetails(group, resource, name),
  );
}
