// The storage servers of the infra tests, started on random ports and stopped by the test that
// started them: S3 (s3rver) with the terraform S3 backend's DynamoDB lock table (dynalite), both in
// this process, and Azure Blob (Azurite) as a child process.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { execa } from 'execa';
import { afterAll, beforeAll } from 'vitest';
import { clusterConfig } from '../support/config-text.js';
import { tempDir } from '../support/temp.js';

const require = createRequire(import.meta.url);

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
type Dynalite = (options: Record<string, unknown>) => Server;

/**
 * Made-up credentials: the clients (and terraform) sign every request, and the servers accept any
 * signature (s3rver's key id S3RVER, with allowMismatchedSignatures). The secret is distinctive so a
 * test can check it never reaches an output, a summary or the log.
 */
export const AWS_TEST_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'test-only-secret-7f3a9c',
  AWS_REGION: 'eu-west-1',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

export const TEST_CREDENTIALS = { accessKeyId: AWS_TEST_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY };

export interface StateServers {
  /** http://127.0.0.1:<port> of s3rver and of dynalite. */
  s3: string;
  dynamodb: string;
  bucket: string;
  table: string;
  close(): Promise<void>;
}

/** s3rver with one bucket and dynalite with terraform's lock table (hash key LockID), on random ports. */
export async function startStateServers(bucket = 'shop-tfstate', table = 'shop-tflock'): Promise<StateServers> {
  const S3rver = require('s3rver') as S3rverClass;
  const dynalite = require('dynalite') as Dynalite;
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    allowMismatchedSignatures: true,
    directory: await tempDir('s3rver-'),
    configureBuckets: [{ name: bucket }],
  });
  const { port: s3Port } = await s3.run();
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', resolve);
  });
  const dynamodb = `http://127.0.0.1:${(dynamo.address() as { port: number }).port}`;
  const client = new DynamoDBClient({ endpoint: dynamodb, region: AWS_TEST_ENV.AWS_REGION, credentials: TEST_CREDENTIALS });
  await client.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  client.destroy();
  return {
    s3: `http://127.0.0.1:${s3Port}`,
    dynamodb,
    bucket,
    table,
    async close() {
      await s3.close();
      dynamo.closeAllConnections();
      await new Promise<void>((resolve) => dynamo.close(() => resolve()));
    },
  };
}

/** Servers started before the tests of the enclosing describe and stopped after them: call it in the describe's body. */
export function useStateServers(): () => StateServers {
  let servers: StateServers | undefined;
  beforeAll(async () => {
    servers = await startStateServers();
  });
  afterAll(async () => {
    await servers?.close();
  });
  return () => {
    if (!servers) throw new Error('the state servers are not started: call useStateServers() in a describe body');
    return servers;
  };
}

/** The remote-state document for the servers: terraform's S3 backend settings for an S3-compatible store. */
export function remoteStateDocument(servers: StateServers, key: string): string[] {
  return [
    '---',
    'kind: configuration/remote-state',
    'name: default',
    'specification:',
    '  backend: s3',
    `  bucket: ${servers.bucket}`,
    `  key: ${key}`,
    `  region: ${AWS_TEST_ENV.AWS_REGION}`,
    `  dynamodb_table: ${servers.table}`,
    '  endpoints:',
    `    s3: ${servers.s3}`,
    `    dynamodb: ${servers.dynamodb}`,
    '  use_path_style: true',
    '  skip_credentials_validation: true',
    '  skip_requesting_account_id: true',
    '  skip_metadata_api_check: true',
    '  skip_region_validation: true',
  ];
}

/**
 * The backend settings that point a config's S3 remote state at the servers, as the
 * `backend-config` input of the terraform and packer actions takes them (the local demo passes
 * them from a repository variable): the servers' bucket and table, their endpoints, path-style
 * addressing, and no AWS account checks.
 */
export function backendOverrides(servers: StateServers): Record<string, unknown> {
  return {
    bucket: servers.bucket,
    dynamodb_table: servers.table,
    endpoints: { s3: servers.s3, dynamodb: servers.dynamodb },
    use_path_style: true,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
  };
}

/** A cluster config (aws, demo-shop) with `nodes` workers whose state is on the servers. */
export function clusterWithState(servers: StateServers, nodes: number, key = 'clusters/demo-shop/terraform.tfstate'): string {
  return clusterConfig({ nodes, extra: remoteStateDocument(servers, key) });
}

/** Holds terraform's state lock as another run would: the lock item, with the Info terraform writes. */
export async function holdStateLock(
  servers: StateServers,
  key: string,
  holder: { id: string; who: string; operation: string },
): Promise<void> {
  const client = new DynamoDBClient({ endpoint: servers.dynamodb, region: AWS_TEST_ENV.AWS_REGION, credentials: TEST_CREDENTIALS });
  const path = `${servers.bucket}/${key}`;
  const info = {
    ID: holder.id,
    Operation: holder.operation,
    Info: '',
    Who: holder.who,
    Version: '1.11.4',
    Created: '2026-12-02T09:00:00.123456789Z',
    Path: path,
  };
  await client.send(new PutItemCommand({ TableName: servers.table, Item: { LockID: { S: path }, Info: { S: JSON.stringify(info) } } }));
  client.destroy();
}

export interface Azurite {
  /** The connection string of Azurite's well-known development account. */
  connectionString: string;
  close(): Promise<void>;
}

/**
 * Azurite's blob service in memory on a random port, as a child process, with an account of a
 * random key made for the run (AZURITE_ACCOUNTS), so no key is written in this repository.
 */
export async function startAzurite(account = 'lsatest'): Promise<Azurite> {
  const key = randomBytes(64).toString('base64');
  const main = join(require.resolve('azurite/package.json'), '..', 'dist', 'src', 'blob', 'main.js');
  const child = execa(
    process.execPath,
    [main, '--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence', '--skipApiVersionCheck', '--disableTelemetry'],
    { cwd: await tempDir('azurite-'), reject: false, buffer: false, env: { AZURITE_ACCOUNTS: `${account}:${key}` } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 15 s: ${seen}`)), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${result.exitCode}) before listening: ${seen}`));
    });
  });
  return {
    connectionString: `DefaultEndpointsProtocol=http;AccountName=${account};AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/${account};`,
    async close() {
      child.kill('SIGTERM');
      await child;
    },
  };
}
