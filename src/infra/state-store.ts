import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { BlobServiceClient, ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import type { RemoteState } from '../config/index.js';
import { UserError } from '../errors.js';
import { AzureBlobStore } from './azure-store.js';
import type { ObjectStore, StoredObject } from './object-store.js';
import { S3ObjectStore } from './s3-store.js';

/**
 * The object store beside a cluster's terraform state (design.md: the same bucket or container),
 * made from the `configuration/remote-state` document and, for credentials, the environment only:
 * the same variables terraform's backend reads (AWS_* or an OIDC role; ARM_*), set from Actions
 * secrets or by an OIDC login step, never from the config.
 */

export type ClosableStore = ObjectStore & { destroy?(): void };

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Blob endpoints of the Azure clouds, by the azurerm backend's `environment` setting. */
const AZURE_BLOB_SUFFIX: Record<string, string> = {
  public: 'core.windows.net',
  usgovernment: 'core.usgovcloudapi.net',
  china: 'core.chinacloudapi.cn',
};

/** Asks GitHub for an OIDC token of `audience` (core.getIDToken in an action). */
export type IdTokenSource = (audience: string) => Promise<string>;

function s3Store(state: Extract<RemoteState, { backend: 's3' }>): S3ObjectStore {
  const endpoints = isRecord(state.endpoints) ? state.endpoints : {};
  // The settings terraform's S3 backend reads for the same thing, old spellings included.
  const s3Endpoint = text(endpoints.s3) ?? text(state.endpoint);
  const dynamodbEndpoint = text(endpoints.dynamodb) ?? text(state.dynamodb_endpoint);
  const pathStyle = state.use_path_style === true || state.force_path_style === true;
  return new S3ObjectStore({
    bucket: state.bucket,
    lockTable: state.dynamodb_table,
    s3: {
      region: state.region,
      ...(s3Endpoint ? { endpoint: s3Endpoint } : {}),
      forcePathStyle: pathStyle,
      ...(state.skip_s3_checksum === true ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
    },
    dynamodb: dynamodbEndpoint ? { endpoint: dynamodbEndpoint } : {},
  });
}

function azureContainer(
  state: Extract<RemoteState, { backend: 'azurerm' }>,
  env: NodeJS.ProcessEnv,
  idToken?: IdTokenSource,
): ContainerClient {
  const account = state.storage_account_name;
  const container = state.container_name;
  // The Azure SDKs' own variable; it also points the store at Azurite or another endpoint.
  if (env.AZURE_STORAGE_CONNECTION_STRING)
    return BlobServiceClient.fromConnectionString(env.AZURE_STORAGE_CONNECTION_STRING).getContainerClient(container);
  const environment = (text(state.environment) ?? 'public').toLowerCase();
  const suffix = AZURE_BLOB_SUFFIX[environment];
  if (!suffix) {
    throw new UserError(
      `configuration/remote-state: environment ${environment} is not an Azure cloud this action knows: use ${Object.keys(AZURE_BLOB_SUFFIX).join(', ')}`,
    );
  }
  const url = `https://${account}.blob.${suffix}/${encodeURIComponent(container)}`;
  if (env.ARM_ACCESS_KEY) return new ContainerClient(url, new StorageSharedKeyCredential(account, env.ARM_ACCESS_KEY));
  if (env.ARM_SAS_TOKEN) return new ContainerClient(`${url}?${env.ARM_SAS_TOKEN.replace(/^\?/, '')}`);
  const { ARM_TENANT_ID: tenant, ARM_CLIENT_ID: client } = env;
  if (env.ARM_USE_OIDC === 'true' && tenant && client) {
    const assertion = async (): Promise<string> => {
      if (env.ARM_OIDC_TOKEN) return env.ARM_OIDC_TOKEN;
      if (!idToken) throw new UserError('ARM_USE_OIDC is set but there is no OIDC token: give the job `permissions: id-token: write`');
      return idToken('api://AzureADTokenExchange');
    };
    return new ContainerClient(url, new ClientAssertionCredential(tenant, client, assertion));
  }
  if (env.ARM_CLIENT_SECRET && tenant && client)
    return new ContainerClient(url, new ClientSecretCredential(tenant, client, env.ARM_CLIENT_SECRET));
  throw new UserError(
    `no credentials for the state container ${account}/${container}: set ARM_ACCESS_KEY or ARM_SAS_TOKEN from an Actions secret, or ARM_USE_OIDC=true with ARM_CLIENT_ID and ARM_TENANT_ID (and \`permissions: id-token: write\`), or ARM_CLIENT_SECRET with them, as for terraform's azurerm backend`,
  );
}

/** The store in the state's bucket or container. */
export function objectStoreFor(state: RemoteState, env: NodeJS.ProcessEnv = process.env, idToken?: IdTokenSource): ClosableStore {
  if (state.backend === 's3') return s3Store(state);
  return new AzureBlobStore(azureContainer(state, env, idToken), state.storage_account_name);
}

/**
 * Where the apply records what it applied: beside the state object, under its key, so every
 * cluster's records sit next to its state and one bucket can hold many clusters.
 */
export function recordKeys(stateKey: string): { config: string; summary: string } {
  const base = `${stateKey}.lambdastack`;
  return { config: `${base}/applied-config.yml`, summary: `${base}/plan-summary.json` };
}

export interface RecordWrite {
  key: string;
  /** The version written, or the one kept when the bytes were already there. */
  version: string;
  written: boolean;
}

/**
 * Writes `body` at `key` on condition that the object is still `read` (the version read before the
 * apply; undefined when there was none). Bytes already there are not written again, so a rerun
 * after a later failure changes nothing.
 */
export async function writeRecord(store: ObjectStore, key: string, body: string, read: StoredObject | undefined): Promise<RecordWrite> {
  const bytes = new TextEncoder().encode(body);
  if (read && Buffer.from(read.body).equals(Buffer.from(bytes))) return { key, version: read.etag, written: false };
  const version = await store.put(key, bytes, read ? { ifMatch: read.etag } : { ifNoneMatch: '*' });
  return { key, version, written: true };
}
