import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BlobServiceClient } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureBlobStore } from '../../src/infra/azure-store.js';
import { type ObjectStore, WriteConflictError } from '../../src/infra/object-store.js';
import { S3ObjectStore } from '../../src/infra/s3-store.js';
import { objectStoreFor, recordKeys, writeRecord } from '../../src/infra/state-store.js';
import { AWS_TEST_ENV, type Azurite, startAzurite, TEST_CREDENTIALS, useStateServers } from './servers.js';

const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : new TextDecoder().decode(bytes));

/** The contract's conflict behaviour, the same on every store: run against each below. */
function conflictContract(name: string, open: () => ObjectStore, fresh: () => string): void {
  describe(`${name}: the ObjectStore contract`, () => {
    it('creates, reads back with a version, and replaces only the version read', async () => {
      const store = open();
      const key = fresh();
      expect(await store.get(key)).toBeUndefined();
      const v1 = await store.put(key, 'one', { ifNoneMatch: '*' });
      const read = await store.get(key);
      expect(text(read?.body)).toBe('one');
      expect(read?.etag).toBe(v1);
      const v2 = await store.put(key, 'two', { ifMatch: v1 });
      expect(v2).not.toBe(v1);
      expect(text((await store.get(key))?.body)).toBe('two');
    });

    it('detects a concurrent write: of two writers that read the same version, the second is refused and nothing is overwritten', async () => {
      const key = fresh();
      const first = open();
      const second = open();
      const v1 = await first.put(key, 'base', { ifNoneMatch: '*' });
      const [readA, readB] = [await first.get(key), await second.get(key)];
      expect(readA?.etag).toBe(v1);
      expect(readB?.etag).toBe(v1);
      await first.put(key, 'A', { ifMatch: readA?.etag as string });
      const lost = second.put(key, 'B', { ifMatch: readB?.etag as string });
      await expect(lost).rejects.toBeInstanceOf(WriteConflictError);
      await expect(lost).rejects.toThrow(/was written by someone else since it was read .*nothing was overwritten/);
      expect(text((await first.get(key))?.body)).toBe('A');
    });

    it('detects a concurrent create: only one of two creates of the same key wins', async () => {
      const key = fresh();
      const results = await Promise.allSettled([open().put(key, 'A', { ifNoneMatch: '*' }), open().put(key, 'B', { ifNoneMatch: '*' })]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const [rejected] = results.filter((r) => r.status === 'rejected');
      expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(WriteConflictError);
      expect((rejected as PromiseRejectedResult).reason.message).toMatch(/it exists already/);
      const winner = results.findIndex((r) => r.status === 'fulfilled') === 0 ? 'A' : 'B';
      expect(text((await open().get(key))?.body)).toBe(winner);
    });

    it('detects concurrent writes in a race of five writers: exactly one wins', async () => {
      const key = fresh();
      const store = open();
      const v1 = await store.put(key, 'base', { ifNoneMatch: '*' });
      const results = await Promise.allSettled([0, 1, 2, 3, 4].map((i) => open().put(key, `w${i}`, { ifMatch: v1 })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(WriteConflictError);
    });

    it('refuses to write a version that is not the current one, and refuses an unconditional write', async () => {
      const key = fresh();
      const store = open();
      const v1 = await store.put(key, 'one', { ifNoneMatch: '*' });
      await store.put(key, 'two', { ifMatch: v1 });
      await expect(store.put(key, 'three', { ifMatch: v1 })).rejects.toBeInstanceOf(WriteConflictError);
      await expect(store.put(key, 'again', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(WriteConflictError);
      await expect(store.put(key, 'blind', {})).rejects.toThrow(/a write must name the version it replaces/);
      expect(text((await store.get(key))?.body)).toBe('two');
    });

    it('writeRecord: writes under the version read before, skips bytes already there, and detects a writer in between', async () => {
      const store = open();
      const key = fresh();
      const first = await writeRecord(store, key, 'config v1', undefined);
      expect(first.written).toBe(true);
      const read = await store.get(key);
      expect(await writeRecord(store, key, 'config v1', read)).toEqual({ key, version: read?.etag, written: false });
      await writeRecord(store, key, 'config v2', read);
      await expect(writeRecord(store, key, 'config v3', read)).rejects.toBeInstanceOf(WriteConflictError);
    });
  });
}

describe('the S3 object store on s3rver, with the DynamoDB lock table on dynalite as the arbiter', () => {
  const state = useStateServers();
  let counter = 0;
  const opened: S3ObjectStore[] = [];
  const open = (options: Partial<ConstructorParameters<typeof S3ObjectStore>[0]> = {}): S3ObjectStore => {
    const store = new S3ObjectStore({
      bucket: state().bucket,
      lockTable: state().table,
      s3: { region: AWS_TEST_ENV.AWS_REGION, endpoint: state().s3, forcePathStyle: true, credentials: TEST_CREDENTIALS },
      dynamodb: { endpoint: state().dynamodb },
      ...options,
    });
    opened.push(store);
    return store;
  };
  const s3 = (): S3Client =>
    new S3Client({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state().s3, forcePathStyle: true, credentials: TEST_CREDENTIALS });
  const dynamo = (): DynamoDBClient =>
    new DynamoDBClient({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state().dynamodb, credentials: TEST_CREDENTIALS });

  afterAll(() => {
    for (const store of opened) store.destroy();
  });

  conflictContract(
    'S3',
    () => open(),
    () => `clusters/c${++counter}/terraform.tfstate.lambdastack/applied-config.yml`,
  );

  it("s3rver ignores S3's own conditions (why the lock table arbitrates): a PutObject with a wrong If-Match or If-None-Match succeeds", async () => {
    const client = s3();
    const key = `measure/${++counter}`;
    await client.send(new PutObjectCommand({ Bucket: state().bucket, Key: key, Body: 'one' }));
    await client.send(
      new PutObjectCommand({ Bucket: state().bucket, Key: key, Body: 'two', IfMatch: '"0123456789abcdef0123456789abcdef"' }),
    );
    await client.send(new PutObjectCommand({ Bucket: state().bucket, Key: key, Body: 'three', IfNoneMatch: '*' }));
    const read = await client.send(new GetObjectCommand({ Bucket: state().bucket, Key: key }));
    expect(await read.Body?.transformToString()).toBe('three');
    client.destroy();
  });

  it('keeps its version items beside terraform’s in the lock table, under <bucket>/<key>-lambdastack-version', async () => {
    const key = `clusters/c${++counter}/x`;
    const version = await open().put(key, 'x', { ifNoneMatch: '*' });
    const client = dynamo();
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: state().table,
        Key: { LockID: { S: `${state().bucket}/${key}-lambdastack-version` } },
        ConsistentRead: true,
      }),
    );
    client.destroy();
    expect(version.startsWith(`${Item?.Version?.S}/`)).toBe(true);
  });

  /** The version item a writer leaves when it dies after claiming `version` and before writing the object. */
  async function deadClaim(key: string, version: string, replaces: string, started: number): Promise<void> {
    const client = dynamo();
    const Item = {
      LockID: { S: `${state().bucket}/${key}-lambdastack-version` },
      Version: { S: version },
      Replaces: { S: replaces },
      Started: { N: String(started) },
    };
    await client.send(new PutItemCommand({ TableName: state().table, Item }));
    client.destroy();
  }

  it('takes over the claim of a writer that died between the lock table and S3, once the claim is old; refuses it while it is recent', async () => {
    let now = 1_000_000;
    const clock = { now: () => now, pendingTimeoutMs: 60_000 };
    const key = `clusters/c${++counter}/x`;
    const v1 = await open(clock).put(key, 'base', { ifNoneMatch: '*' });
    // A writer claims the next version in the table and dies before it writes the object.
    await deadClaim(key, 'dead-writer', v1.split('/')[0] as string, now);
    const read = await open(clock).get(key);
    expect(read?.etag).toBe(v1);
    now += 10_000;
    await expect(open(clock).put(key, 'next', { ifMatch: v1 })).rejects.toBeInstanceOf(WriteConflictError);
    now += 60_000;
    const v2 = await open(clock).put(key, 'next', { ifMatch: v1 });
    expect(text((await open(clock).get(key))?.body)).toBe('next');
    expect((await open(clock).get(key))?.etag).toBe(v2);

    // The same for a create: the claim of a dead creator blocks only until it is old.
    const created = `clusters/c${++counter}/y`;
    await deadClaim(created, 'dead-creator', '', now);
    await expect(open(clock).put(created, 'mine', { ifNoneMatch: '*' })).rejects.toBeInstanceOf(WriteConflictError);
    now += 61_000;
    await open(clock).put(created, 'mine', { ifNoneMatch: '*' });
    expect(text((await open(clock).get(created))?.body)).toBe('mine');
  });

  it('never takes over a claim that reached S3: an old but completed write is a conflict, not a dead writer', async () => {
    let now = 1_000_000;
    const clock = { now: () => now, pendingTimeoutMs: 60_000 };
    const key = `clusters/c${++counter}/x`;
    const v1 = await open(clock).put(key, 'base', { ifNoneMatch: '*' });
    await open(clock).put(key, 'newer', { ifMatch: v1 });
    now += 3_600_000;
    await expect(open(clock).put(key, 'stale', { ifMatch: v1 })).rejects.toBeInstanceOf(WriteConflictError);
    expect(text((await open(clock).get(key))?.body)).toBe('newer');
  });

  it('replaces an object written without a version (by hand) only on the version read', async () => {
    const key = `clusters/c${++counter}/x`;
    const client = s3();
    await client.send(new PutObjectCommand({ Bucket: state().bucket, Key: key, Body: 'by hand' }));
    client.destroy();
    const read = await open().get(key);
    expect(read?.etag).toMatch(/^\/"[0-9a-f]+"$/);
    await open().put(key, 'ours', { ifMatch: read?.etag as string });
    await expect(open().put(key, 'late', { ifMatch: read?.etag as string })).rejects.toBeInstanceOf(WriteConflictError);
  });

  it('puts the claim back when the S3 write fails, so the next writer is not blocked', async () => {
    const key = `clusters/c${++counter}/x`;
    const v1 = await open().put(key, 'base', { ifNoneMatch: '*' });
    const broken = open({ bucket: 'no-such-bucket' });
    // The claim is taken in the lock table under the broken store's bucket name, then S3 fails.
    await expect(broken.put(key, 'x', { ifNoneMatch: '*' })).rejects.toThrow(/NoSuchBucket.*check configuration\/remote-state/s);
    const client = dynamo();
    const { Item } = await client.send(
      new GetItemCommand({
        TableName: state().table,
        Key: { LockID: { S: `no-such-bucket/${key}-lambdastack-version` } },
        ConsistentRead: true,
      }),
    );
    expect(Item).toBeUndefined();
    await client.send(
      new DeleteItemCommand({ TableName: state().table, Key: { LockID: { S: `no-such-bucket/${key}-lambdastack-version` } } }),
    );
    client.destroy();
    await open().put(key, 'next', { ifMatch: v1 });
  });

  it('is made from a remote-state document with the credentials of the environment (objectStoreFor)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, AWS_TEST_ENV);
    try {
      const store = objectStoreFor({
        backend: 's3',
        bucket: state().bucket,
        key: 'clusters/shop/terraform.tfstate',
        region: AWS_TEST_ENV.AWS_REGION,
        dynamodb_table: state().table,
        endpoints: { s3: state().s3, dynamodb: state().dynamodb },
        use_path_style: true,
      });
      expect(store.location).toBe(`s3://${state().bucket}`);
      const { config } = recordKeys('clusters/shop/terraform.tfstate');
      expect(config).toBe('clusters/shop/terraform.tfstate.lambdastack/applied-config.yml');
      const version = await store.put(config, 'kind: lambdastack-cluster\n', { ifNoneMatch: '*' });
      expect((await store.get(config))?.etag).toBe(version);
      store.destroy?.();
    } finally {
      process.env = saved;
    }
  });
});

describe('the Azure Blob object store on Azurite (ETag conditions enforced by the service)', () => {
  let azurite: Azurite;
  let counter = 0;
  const container = 'tfstate';
  const open = (): AzureBlobStore =>
    new AzureBlobStore(BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container), 'lsatest');

  beforeAll(async () => {
    azurite = await startAzurite();
    await BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).create();
  });
  afterAll(async () => {
    await azurite?.close();
  });

  conflictContract(
    'Azure Blob',
    () => open(),
    () => `clusters/c${++counter}/terraform.tfstate.lambdastack/applied-config.yml`,
  );

  it('names the missing container and the setting to check', async () => {
    const store = new AzureBlobStore(
      BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('missing'),
      'lsatest',
    );
    await expect(store.put('x', 'y', { ifNoneMatch: '*' })).rejects.toThrow(/ContainerNotFound.*check configuration\/remote-state/s);
  });

  it('is made from a remote-state document, with AZURE_STORAGE_CONNECTION_STRING pointing it at Azurite (objectStoreFor)', async () => {
    const store = objectStoreFor(
      { backend: 'azurerm', storage_account_name: 'lsatest', container_name: container, key: 'clusters/shop/terraform.tfstate' },
      { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
    );
    expect(store.location).toBe('azure://lsatest/tfstate');
    const version = await store.put('clusters/shop/terraform.tfstate.lambdastack/plan-summary.json', '{}', { ifNoneMatch: '*' });
    expect((await store.get('clusters/shop/terraform.tfstate.lambdastack/plan-summary.json'))?.etag).toBe(version);
  });

  it('refuses to start without credentials, naming the variables terraform reads', () => {
    expect(() => objectStoreFor({ backend: 'azurerm', storage_account_name: 'acct', container_name: 'tfstate', key: 'k' }, {})).toThrow(
      /no credentials for the state container acct\/tfstate: set ARM_ACCESS_KEY or ARM_SAS_TOKEN .*ARM_USE_OIDC=true/,
    );
  });
});
