import { randomUUID } from 'node:crypto';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { type ObjectStore, type PutCondition, type StoredObject, WriteConflictError } from './object-store.js';
import { requireCondition, storeFailure } from './store-errors.js';

/**
 * The object store on S3, beside the terraform state, with conditional writes that hold on any
 * S3-compatible server.
 *
 * S3's own conditions (PutObject IfMatch / IfNoneMatch) are sent, and AWS enforces them, but
 * S3-compatible servers may ignore them (s3rver does: measured). So the S3 backend's DynamoDB lock
 * table, which every state this pipeline uses has (terraform locks the state in it), is the
 * arbiter: each object has an item there recording its current version, and a write first moves
 * that item from the version the writer read to a new one with a conditional PutItem. Of two
 * writers that read the same version only one can move it; the other gets WriteConflictError
 * before it writes anything. The version is also stored in the object's metadata, so a reader
 * gets it with the bytes.
 *
 * A writer that dies between claiming a version and writing the object leaves the item ahead of
 * the object. That is recognised, once the claim is older than `pendingTimeoutMs` (a write takes
 * milliseconds), by the object still being what the new writer read while the item names a version
 * no object ever had: the new writer takes the item over instead of being refused forever. Within
 * the timeout the claim is taken for a write in progress, and refused.
 *
 * The versions returned are opaque: `<version>/<S3 ETag>`, so that S3's own IfMatch can be sent too.
 */

/** The object metadata key of the version (sent as x-amz-meta-lambdastack-version). */
const VERSION_METADATA = 'lambdastack-version';
/** The lock table's item of `bucket/key`: beside terraform's own `bucket/key` and `bucket/key-md5` items. */
const itemId = (bucket: string, key: string): string => `${bucket}/${key}-lambdastack-version`;

export interface S3StoreOptions {
  bucket: string;
  /** The backend's `dynamodb_table`. */
  lockTable: string;
  /** Options for the S3 client: region, endpoint, forcePathStyle, credentials (default: the SDK's chain, from the environment). */
  s3: S3ClientConfig;
  /** Options for the DynamoDB client; region and credentials default to the S3 client's. */
  dynamodb?: DynamoDBClientConfig;
  /** How old a claim must be before it is taken for a dead writer's (default 2 minutes). */
  pendingTimeoutMs?: number;
  /** The clock (tests). */
  now?: () => number;
}

interface Claim {
  version: string;
  /** The version the claim replaced ('' when the object did not exist, or had no version). */
  replaces: string;
  started: number;
}

/** The object's current state as the arbiter sees it: its version, or absent. */
interface Current {
  exists: boolean;
  version: string;
  etag: string | undefined;
}

function splitVersion(token: string): { version: string; etag: string | undefined } {
  const slash = token.indexOf('/');
  if (slash < 0) return { version: token, etag: undefined };
  return { version: token.slice(0, slash), etag: token.slice(slash + 1) || undefined };
}

const statusOf = (error: unknown): number | undefined => (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const codeOf = (error: unknown): string | undefined =>
  (error as { name?: string; Code?: string }).Code ?? (error as { name?: string }).name;

export class S3ObjectStore implements ObjectStore {
  readonly location: string;
  private readonly s3: S3Client;
  private readonly dynamodb: DynamoDBClient;
  private readonly pendingTimeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: S3StoreOptions) {
    this.location = `s3://${options.bucket}`;
    this.s3 = new S3Client(options.s3);
    const { region, credentials } = options.s3;
    this.dynamodb = new DynamoDBClient({
      ...(region === undefined ? {} : { region }),
      ...(credentials === undefined ? {} : { credentials }),
      ...options.dynamodb,
    });
    this.pendingTimeoutMs = options.pendingTimeoutMs ?? 120_000;
    this.now = options.now ?? Date.now;
  }

  /** Closes the clients' connections. */
  destroy(): void {
    this.s3.destroy();
    this.dynamodb.destroy();
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.options.bucket, Key: key }));
      const body = object.Body ? await object.Body.transformToByteArray() : new Uint8Array();
      return { body, etag: `${object.Metadata?.[VERSION_METADATA] ?? ''}/${object.ETag ?? ''}` };
    } catch (error) {
      if (codeOf(error) === 'NoSuchKey' || statusOf(error) === 404) return undefined;
      throw storeFailure(`reading ${this.location}/${key}`, error, statusOf(error), codeOf(error));
    }
  }

  async put(key: string, body: Uint8Array | string, condition: PutCondition): Promise<string> {
    requireCondition(this.location, key, condition);
    const expected = condition.ifMatch === undefined ? undefined : splitVersion(condition.ifMatch);
    const version = randomUUID();
    const previous = await this.claim(key, condition, expected?.version ?? '', version);
    let etag: string | undefined;
    try {
      const written = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.options.bucket,
          Key: key,
          Body: typeof body === 'string' ? new TextEncoder().encode(body) : body,
          Metadata: { [VERSION_METADATA]: version },
          // AWS enforces these itself; a server that ignores them still has the claim above.
          ...(condition.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
          ...(expected?.etag ? { IfMatch: expected.etag } : {}),
        }),
      );
      etag = written.ETag;
    } catch (error) {
      await this.release(key, version, previous);
      const status = statusOf(error);
      if (status === 412 || status === 409 || codeOf(error) === 'PreconditionFailed')
        throw new WriteConflictError(this.location, key, condition);
      throw storeFailure(`writing ${this.location}/${key}`, error, status, codeOf(error));
    }
    return `${version}/${etag ?? ''}`;
  }

  /**
   * Moves the object's version item from what the writer read to `version`, or throws
   * WriteConflictError. Returns the item it replaced, so a failed write can put it back.
   */
  private async claim(key: string, condition: PutCondition, expected: string, version: string): Promise<Claim | undefined> {
    const claim: Claim = { version, replaces: expected, started: this.now() };
    // An object without a version (created, or written by something other than this store) has no item yet.
    const creating = condition.ifNoneMatch === '*' || expected === '';
    try {
      await this.putClaim(key, claim, creating ? undefined : expected);
      return creating ? undefined : { version: expected, replaces: '', started: 0 };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    const held = await this.readClaim(key);
    if (held && (await this.abandoned(key, held, condition, expected))) {
      try {
        await this.putClaim(key, claim, held.version);
        return held;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    }
    throw new WriteConflictError(this.location, key, condition);
  }

  /**
   * Whether a claim that blocks this writer was left by a writer that never wrote the object: it is
   * old, the object does not have its version, and the object is still what this writer read.
   */
  private async abandoned(key: string, held: Claim, condition: PutCondition, expected: string): Promise<boolean> {
    if (this.now() - held.started < this.pendingTimeoutMs) return false;
    const current = await this.current(key);
    if (current.exists && current.version === held.version) return false;
    if (condition.ifNoneMatch === '*') return !current.exists;
    const { etag } = splitVersion(condition.ifMatch ?? '');
    return current.exists && current.version === expected && (etag === undefined || current.etag === etag);
  }

  private async current(key: string): Promise<Current> {
    try {
      const head = await this.s3.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: key }));
      return { exists: true, version: head.Metadata?.[VERSION_METADATA] ?? '', etag: head.ETag };
    } catch (error) {
      if (codeOf(error) === 'NotFound' || codeOf(error) === 'NoSuchKey' || statusOf(error) === 404) {
        return { exists: false, version: '', etag: undefined };
      }
      throw storeFailure(`reading ${this.location}/${key}`, error, statusOf(error), codeOf(error));
    }
  }

  private async putClaim(key: string, claim: Claim, expected: string | undefined): Promise<void> {
    const command = new PutItemCommand({
      TableName: this.options.lockTable,
      Item: {
        LockID: { S: itemId(this.options.bucket, key) },
        Version: { S: claim.version },
        Replaces: { S: claim.replaces },
        Started: { N: String(claim.started) },
      },
      ...(expected === undefined
        ? { ConditionExpression: 'attribute_not_exists(LockID)' }
        : { ConditionExpression: 'Version = :expected', ExpressionAttributeValues: { ':expected': { S: expected } } }),
    });
    try {
      await this.dynamodb.send(command);
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw error;
      throw storeFailure(
        `recording the version of ${this.location}/${key} in the lock table ${this.options.lockTable}`,
        error,
        statusOf(error),
        codeOf(error),
      );
    }
  }

  private async readClaim(key: string): Promise<Claim | undefined> {
    try {
      const { Item } = await this.dynamodb.send(
        new GetItemCommand({
          TableName: this.options.lockTable,
          Key: { LockID: { S: itemId(this.options.bucket, key) } },
          ConsistentRead: true,
        }),
      );
      if (!Item) return undefined;
      return { version: Item.Version?.S ?? '', replaces: Item.Replaces?.S ?? '', started: Number(Item.Started?.N ?? 0) };
    } catch (error) {
      throw storeFailure(
        `reading the version of ${this.location}/${key} in the lock table ${this.options.lockTable}`,
        error,
        statusOf(error),
        codeOf(error),
      );
    }
  }

  /** After a failed write: puts back the claim this writer replaced, unless someone has moved it since. Best effort. */
  private async release(key: string, version: string, previous: Claim | undefined): Promise<void> {
    const Key = { LockID: { S: itemId(this.options.bucket, key) } };
    const mine = { ConditionExpression: 'Version = :mine', ExpressionAttributeValues: { ':mine': { S: version } } };
    try {
      if (previous) await this.putClaim(key, previous, version);
      else await this.dynamodb.send(new DeleteItemCommand({ TableName: this.options.lockTable, Key, ...mine }));
    } catch {
      // Left as it is, the claim is taken over once it is old (see `abandoned`).
    }
  }
}
