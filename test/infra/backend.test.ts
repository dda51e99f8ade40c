import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig, type RemoteState } from '../../src/config/index.js';
import {
  backendBlock,
  backendConfig,
  lockDescription,
  overrideRemoteState,
  renderBackendFile,
  stateLocation,
} from '../../src/infra/backend.js';
import { tempDir } from '../support/temp.js';

const ROOT = resolve(import.meta.dirname, '..', '..');

async function exampleState(file: string): Promise<RemoteState> {
  const config = parseClusterConfig(file, await readFile(join(ROOT, file), 'utf8'));
  if (!config.remoteState) throw new Error(`${file} has no remote state`);
  return config.remoteState;
}

describe('the backend configuration rendered from configuration/remote-state', () => {
  it('renders the S3 example as terraform’s own settings, in a .tfbackend file', async () => {
    const state = await exampleState('cluster-config/aws-demo.yml');
    expect(renderBackendFile(backendConfig(state))).toBe(
      [
        '# Written by the terraform action from configuration/remote-state (backend "s3").',
        'bucket = "shop-lambdastack-tfstate"',
        'key = "clusters/demo-shop/terraform.tfstate"',
        'region = "eu-west-1"',
        'dynamodb_table = "shop-lambdastack-tflock"',
        'encrypt = true',
        '',
      ].join('\n'),
    );
    expect(backendBlock('s3')).toContain('terraform {\n  backend "s3" {}\n}\n');
    expect(stateLocation(state)).toBe('s3: shop-lambdastack-tfstate/clusters/demo-shop/terraform.tfstate');
    expect(lockDescription(state)).toBe('DynamoDB table shop-lambdastack-tflock');
  });

  it('renders the azurerm example (locking is the blob lease)', async () => {
    const state = await exampleState('cluster-config/azure-demo.yml');
    expect(renderBackendFile(backendConfig(state))).toBe(
      [
        '# Written by the terraform action from configuration/remote-state (backend "azurerm").',
        'resource_group_name = "analytics-tfstate-rg"',
        'storage_account_name = "analyticstfstate"',
        'container_name = "tfstate"',
        'key = "clusters/demo-analytics/terraform.tfstate"',
        '',
      ].join('\n'),
    );
    expect(lockDescription(state)).toBe('the lease of blob clusters/demo-analytics/terraform.tfstate');
  });

  it('renders nested settings, lists and numbers, and escapes template sequences so terraform reads them as text', () => {
    const rendered = renderBackendFile(
      backendConfig({
        backend: 's3',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a template sequence as literal text is the point
        bucket: 'b"${x}%{y}\\',
        key: 'k',
        region: 'r',
        dynamodb_table: 't',
        endpoints: { s3: 'http://127.0.0.1:9000', dynamodb: 'http://127.0.0.1:9001' },
        allowed_account_ids: ['123', '456'],
        max_retries: 5,
      }),
    );
    expect(rendered).toContain('bucket = "b\\"$${x}%%{y}\\\\"\n');
    expect(rendered).toContain('endpoints = { s3 = "http://127.0.0.1:9000", dynamodb = "http://127.0.0.1:9001" }\n');
    expect(rendered).toContain('allowed_account_ids = ["123", "456"]\n');
    expect(rendered).toContain('max_retries = 5\n');
  });

  it('leaves credentials out and names the environment variable terraform reads instead', () => {
    const config = backendConfig({
      backend: 'azurerm',
      storage_account_name: 'a',
      container_name: 'c',
      key: 'k',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment reference, as a config may hold one
      access_key: '${ARM_ACCESS_KEY}',
      sas_token: 'XXXXXXXXXX',
    });
    expect(config.omitted).toEqual([
      { setting: 'access_key', variable: 'ARM_ACCESS_KEY' },
      { setting: 'sas_token', variable: 'ARM_SAS_TOKEN' },
    ]);
    expect(renderBackendFile(config)).not.toMatch(/access_key|sas_token/);
    expect(
      backendConfig({ backend: 's3', bucket: 'b', key: 'k', region: 'r', dynamodb_table: 't', secret_key: 'XXXXXXXXXX' }).omitted,
    ).toEqual([{ setting: 'secret_key', variable: 'AWS_SECRET_ACCESS_KEY' }]);
  });

  it('refuses a setting name or value terraform could not take', () => {
    expect(() =>
      renderBackendFile(backendConfig({ backend: 's3', bucket: 'b', key: 'k', region: 'r', dynamodb_table: 't', 'bad key': 1 })),
    ).toThrow(/specification\.bad key is not a terraform backend setting name/);
    expect(() =>
      renderBackendFile(backendConfig({ backend: 's3', bucket: 'b', key: 'k', region: 'r', dynamodb_table: 't', endpoints: { s3: null } })),
    ).toThrow(/specification\.endpoints\.s3 must be a string, number, boolean, list or mapping/);
  });

  // terraform's azurerm backend cannot be pointed at Azurite (it talks to Azure Resource Manager and
  // the real blob endpoints), so the rendered file is checked by terraform itself only this far:
  // every argument is accepted, and init stops at authentication, since no Azure is reachable here.
  it('terraform accepts every argument of the rendered azurerm configuration (it stops at authentication, not at the file)', async () => {
    const dir = await tempDir('lsa-azurerm-');
    const config = backendConfig(await exampleState('cluster-config/azure-demo.yml'));
    await writeFile(join(dir, 'backend.tf'), backendBlock('azurerm'));
    await writeFile(join(dir, 'azurerm.tfbackend'), renderBackendFile(config));
    const env = { PATH: process.env.PATH, HOME: dir, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
    const init = await execa('terraform', ['init', '-input=false', '-no-color', '-backend-config=azurerm.tfbackend'], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
      timeout: 60_000,
    });
    const output = `${init.stdout}\n${init.stderr}`;
    expect(init.exitCode).not.toBe(0);
    expect(output).not.toMatch(/Unsupported argument|Invalid backend configuration|Missing required argument/);
    expect(output).toMatch(/authoriz|authenticat|credential|Azure CLI/i);

    // A misspelt setting is caught by terraform at the same point: the check above would see it.
    await writeFile(join(dir, 'azurerm.tfbackend'), `${renderBackendFile(config)}storage_acount_name = "x"\n`);
    const misspelt = await execa('terraform', ['init', '-input=false', '-no-color', '-backend-config=azurerm.tfbackend'], {
      cwd: dir,
      env,
      extendEnv: false,
      reject: false,
    });
    expect(misspelt.stderr).toContain('Unsupported argument');
  });
});

describe('backend settings layered over configuration/remote-state (the backend-config input)', () => {
  it('points the example S3 state at another store, keeping the rest of the document', async () => {
    const state = await exampleState('cluster-config/aws-demo.yml');
    const local = overrideRemoteState(
      state,
      { bucket: 'shop-tfstate', endpoints: { s3: 'http://127.0.0.1:4568', dynamodb: 'http://127.0.0.1:4567' }, use_path_style: true },
      'backend-config',
    );
    expect(local).toEqual({
      backend: 's3',
      bucket: 'shop-tfstate',
      key: 'clusters/demo-shop/terraform.tfstate',
      region: 'eu-west-1',
      dynamodb_table: 'shop-lambdastack-tflock',
      encrypt: true,
      endpoints: { s3: 'http://127.0.0.1:4568', dynamodb: 'http://127.0.0.1:4567' },
      use_path_style: true,
    });
    expect(overrideRemoteState(state, { encrypt: null, backend: 's3' }, 'backend-config')).not.toHaveProperty('encrypt');
  });

  it.each([
    [
      { backend: 'azurerm' },
      'input `backend-config`: backend "azurerm" differs from the config\'s s3: the backend comes from configuration/remote-state; override its settings only',
    ],
    [
      { secret_key: 'x' },
      "input `backend-config`: secret_key is a credential: set AWS_SECRET_ACCESS_KEY in the step's environment from a secret instead",
    ],
    [{ bucket: '' }, 'input `backend-config`: the remote state it makes is not valid: bucket must not be empty'],
    [{ key: null }, 'input `backend-config`: the remote state it makes is not valid: key '],
  ])('refuses %j, naming the input', async (overrides, message) => {
    const state = await exampleState('cluster-config/aws-demo.yml');
    expect(() => overrideRemoteState(state, overrides, 'backend-config')).toThrow(message);
  });

  it('refuses an Azure credential too, naming the variable terraform reads', async () => {
    const state = await exampleState('cluster-config/azure-demo.yml');
    expect(() => overrideRemoteState(state, { access_key: 'k' }, 'backend-config')).toThrow(
      "input `backend-config`: access_key is a credential: set ARM_ACCESS_KEY in the step's environment from a secret instead",
    );
  });
});
