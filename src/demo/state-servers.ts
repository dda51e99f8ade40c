/**
 * The remote state of the demo's cluster: s3rver (an S3 server) with the state bucket, and
 * dynalite (a DynamoDB server) with terraform's lock table, both in this process on random ports
 * of 127.0.0.1, as the infra tests run them (test/infra/servers.ts). They are npm packages of the
 * repository's development dependencies: the demo runs from a checkout, as `npm start`.
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { UserError } from '../errors.js';

const require = createRequire(import.meta.url);

/**
 * Made-up credentials: terraform and the SDKs sign every request, and the servers accept any
 * signature (s3rver's key id S3RVER, with allowMismatchedSignatures). Not a secret of anything.
 */
export const DEMO_AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'demo-only-secret',
  AWS_REGION: 'eu-west-1',
  AWS_EC2_METADATA_DISABLED: 'true',
} as const;

/**
 * vars.STATE_BACKEND_CONFIG of the demo: the settings the terraform and packer actions layer over
 * the config's S3 remote state (same bucket, table and key) so that terraform's S3 backend and the
 * record store talk to these servers instead of AWS.
 */
export function localBackendConfig(endpoints: { s3: string; dynamodb: string }): string {
  return JSON.stringify({
    endpoints,
    use_path_style: true,
    skip_credentials_validation: true,
    skip_requesting_account_id: true,
    skip_metadata_api_check: true,
    skip_region_validation: true,
  });
}

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;
type Dynalite = (options: Record<string, unknown>) => Server;

export interface StateServers {
  /** http://127.0.0.1:<port> of s3rver and of dynalite. */
  s3: string;
  dynamodb: string;
  bucket: string;
  table: string;
  region: string;
  /** An object of the bucket as text, or undefined when there is none. */
  read(key: string): Promise<string | undefined>;
  /** The keys of the bucket under `prefix`, sorted. */
  keys(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

function devDependency<T>(name: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    throw new UserError(
      `the demo needs the npm package ${name} (a development dependency): run it from a checkout of lambdastack-autoscaler after \`npm ci\` (npm run setup)`,
      { cause: error },
    );
  }
}

/** s3rver with `bucket` (its files under `directory`) and dynalite with the lock table `table` (hash key LockID). */
export async function startStateServers(options: {
  directory: string;
  bucket: string;
  table: string;
  region: string;
}): Promise<StateServers> {
  const S3rver = devDependency<S3rverClass>('s3rver');
  const dynalite = devDependency<Dynalite>('dynalite');
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    allowMismatchedSignatures: true,
    directory: options.directory,
    configureBuckets: [{ name: options.bucket }],
  });
  const { port: s3Port } = await s3.run();
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const close = async (): Promise<void> => {
    await s3.close();
    dynamo.closeAllConnections();
    if (dynamo.listening) await new Promise<void>((resolve) => dynamo.close(() => resolve()));
  };
  try {
    await new Promise<void>((resolve, reject) => {
      dynamo.once('error', reject);
      dynamo.listen(0, '127.0.0.1', resolve);
    });
    const dynamodb = `http://127.0.0.1:${(dynamo.address() as { port: number }).port}`;
    const credentials = { accessKeyId: DEMO_AWS_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: DEMO_AWS_ENV.AWS_SECRET_ACCESS_KEY };
    const tables = new DynamoDBClient({ endpoint: dynamodb, region: options.region, credentials });
    try {
      await tables.send(
        new CreateTableCommand({
          TableName: options.table,
          AttributeDefinitions: [{ AttributeName: 'LockID', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'LockID', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } finally {
      tables.destroy();
    }
    const s3Url = `http://127.0.0.1:${s3Port}`;
    const client = (): S3Client => new S3Client({ region: options.region, endpoint: s3Url, forcePathStyle: true, credentials });
    const read = async (key: string): Promise<string | undefined> => {
      const reader = client();
      try {
        const object = await reader.send(new GetObjectCommand({ Bucket: options.bucket, Key: key }));
        return await object.Body?.transformToString();
      } catch (error) {
        if (error instanceof NoSuchKey) return undefined;
        throw error;
      } finally {
        reader.destroy();
      }
    };
    const keys = async (prefix: string): Promise<string[]> => {
      const lister = client();
      try {
        const listed = await lister.send(new ListObjectsV2Command({ Bucket: options.bucket, Prefix: prefix }));
        return (listed.Contents ?? []).flatMap((object) => (object.Key ? [object.Key] : [])).sort();
      } finally {
        lister.destroy();
      }
    };
    return { s3: s3Url, dynamodb, bucket: options.bucket, table: options.table, region: options.region, read, keys, close };
  } catch (error) {
    await close();
    throw error;
  }
}
