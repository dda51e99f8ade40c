import { TransientError } from '../errors.js';

/**
 * Where the apply pipeline keeps what it records beside the terraform state: the applied cluster
 * config, the plan summary, the packer image manifest. The same bucket or container as the state
 * (design.md, phase 2), one interface for S3 and Azure Blob, so the actions do not care which.
 *
 * Every write is conditional, so a concurrent writer is detected, never overwritten: a put names
 * the version it replaces (`ifMatch`), or says the object must not exist yet (`ifNoneMatch: '*'`).
 */

/** An object as read: its bytes and the opaque version a conditional write names. */
export interface StoredObject {
  body: Uint8Array;
  etag: string;
}

export interface PutCondition {
  /** Replace only this version. */
  ifMatch?: string;
  /** `'*'`: create only; the object must not exist. */
  ifNoneMatch?: '*';
}

export interface ObjectStore {
  /** A description for messages: `s3://bucket/prefix`, `azure://account/container/prefix`. */
  readonly location: string;
  /** The object, or undefined when there is none. */
  get(key: string): Promise<StoredObject | undefined>;
  /** Writes under the condition and returns the new version; throws WriteConflictError when the condition does not hold. */
  put(key: string, body: Uint8Array | string, condition: PutCondition): Promise<string>;
}

/**
 * A conditional write lost: someone else wrote the object since it was read (or created it first).
 * Transient in the taxonomy: the run stops, and a rerun reads the new version and decides again.
 */
export class WriteConflictError extends TransientError {
  constructor(
    readonly location: string,
    readonly key: string,
    readonly condition: PutCondition,
  ) {
    super(
      `${location}/${key} was written by someone else since it was read (${condition.ifNoneMatch ? 'it exists already' : `it is no longer version ${condition.ifMatch}`}): nothing was overwritten; read it again and decide`,
    );
    this.name = 'WriteConflictError';
  }
}
