import { isTransientStatus, TransientError, UserError } from '../errors.js';
import type { PutCondition } from './object-store.js';

/**
 * A failed object store request in the error taxonomy: refused access and missing buckets,
 * containers or tables are the user's to fix (the message names the permission or the setting),
 * anything else (5xx, throttling, the network) is transient: a rerun may pass.
 */
export function storeFailure(what: string, error: unknown, status: number | undefined, code: string | undefined): Error {
  const detail = `${code ?? 'error'}${status === undefined ? '' : ` (HTTP ${status})`}: ${error instanceof Error ? error.message : String(error)}`;
  if (status === 401 || status === 403 || code === 'AccessDenied' || code === 'AuthorizationFailure' || code === 'AuthenticationFailed') {
    return new UserError(
      `${what} was refused, ${detail}: the job's credentials (OIDC role or secrets) need read and write access to the state bucket or container, and to the lock table on S3`,
      { cause: error },
    );
  }
  if (
    code === 'NoSuchBucket' ||
    code === 'ContainerNotFound' ||
    code === 'ResourceNotFoundException' ||
    code === 'AccountNotFound' ||
    code === 'InvalidResourceName'
  ) {
    return new UserError(
      `${what} failed, ${detail}: check configuration/remote-state (the bucket, container, account or lock table must exist, as terraform's backend needs them too)`,
      { cause: error },
    );
  }
  if (status === undefined || isTransientStatus(status)) return new TransientError(`${what} failed, ${detail}`, { cause: error });
  return new UserError(`${what} failed, ${detail}`, { cause: error });
}

/** The contract allows conditional writes only: an unconditional one is a bug in the caller. */
export function requireCondition(location: string, key: string, condition: PutCondition): void {
  if (condition.ifNoneMatch !== '*' && !condition.ifMatch) {
    throw new Error(`${location}/${key}: a write must name the version it replaces (ifMatch) or be a create (ifNoneMatch: '*')`);
  }
}
