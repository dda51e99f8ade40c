import type { ContainerClient } from '@azure/storage-blob';
import { type ObjectStore, type PutCondition, type StoredObject, WriteConflictError } from './object-store.js';
import { requireCondition, storeFailure } from './store-errors.js';

/**
 * The object store on Azure Blob Storage, beside the terraform state (the azurerm backend's
 * container). Blob Storage enforces ETag conditions on every write, Azurite included (tested), so
 * the conditions go straight to the service: `If-Match: <etag>` to replace the version read,
 * `If-None-Match: *` to create. A lost condition is 412 ConditionNotMet (or 409 BlobAlreadyExists
 * for a create), and becomes WriteConflictError.
 */

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

const statusOf = (error: unknown): number | undefined => (error as RestErrorLike).statusCode;
const codeOf = (error: unknown): string | undefined => (error as RestErrorLike).details?.errorCode ?? (error as RestErrorLike).code;

async function readAll(stream: NodeJS.ReadableStream | undefined): Promise<Uint8Array> {
  if (!stream) return new Uint8Array();
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return new Uint8Array(Buffer.concat(chunks));
}

export class AzureBlobStore implements ObjectStore {
  readonly location: string;

  /** `container` is the state's container; `account` names it in messages. */
  constructor(
    private readonly container: ContainerClient,
    account: string,
  ) {
    this.location = `azure://${account}/${container.containerName}`;
  }

  async get(key: string): Promise<StoredObject | undefined> {
    try {
      const blob = await this.container.getBlockBlobClient(key).download();
      return { body: await readAll(blob.readableStreamBody), etag: blob.etag ?? '' };
    } catch (error) {
      if (statusOf(error) === 404 && codeOf(error) !== 'ContainerNotFound') return undefined;
      throw storeFailure(`reading ${this.location}/${key}`, error, statusOf(error), codeOf(error));
    }
  }

  async put(key: string, body: Uint8Array | string, condition: PutCondition): Promise<string> {
    requireCondition(this.location, key, condition);
    const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body;
    const conditions = condition.ifNoneMatch === '*' ? { ifNoneMatch: '*' } : { ifMatch: condition.ifMatch };
    try {
      const written = await this.container.getBlockBlobClient(key).upload(bytes, bytes.byteLength, { conditions });
      return written.etag ?? '';
    } catch (error) {
      const status = statusOf(error);
      if (status === 412 || (status === 409 && codeOf(error) === 'BlobAlreadyExists'))
        throw new WriteConflictError(this.location, key, condition);
      throw storeFailure(`writing ${this.location}/${key}`, error, status, codeOf(error));
    }
  }
}
