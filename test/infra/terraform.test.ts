import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/config/index.js';
import { backendConfig } from '../../src/infra/backend.js';
import { PlanMismatchError, planChanges } from '../../src/infra/plan-changes.js';
import { parseLockError, prepareWorkingDirectory, StateLockedError, Terraform, TerraformError } from '../../src/infra/terraform.js';
import { workerPoolVariables } from '../../src/infra/tfvars.js';
import { tempDir } from '../support/temp.js';
import { AWS_TEST_ENV, clusterWithState, TEST_CREDENTIALS, useStateServers } from './servers.js';

const LOCAL_MODULE = resolve(import.meta.dirname, '..', '..', 'infra', 'terraform', 'local');
const node = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;

/** terraform's environment for these tests: the made-up AWS keys, and no CLI configuration file of this machine. */
const terraformEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...AWS_TEST_ENV });

// What terraform 1.11 printed for a lock held by another run (captured from the S3 backend with dynalite).
const LOCK_ERROR = `
Error: Error acquiring the state lock

Error message: operation error DynamoDB: PutItem, https response error
StatusCode: 400, RequestID:
KK0CRIAZVAZCT0HCATKW0MZ1FUZ6PK5IDXXSAQMFXRF9S4FKTUEI,
ConditionalCheckFailedException: The conditional request failed
Lock Info:
  ID:        11111111-2222-3333-4444-555555555555
  Path:      state/clusters/x/terraform.tfstate
  Operation: OperationTypeApply
  Who:       runner@gh-actions-42
  Version:   1.11.4
  Created:   2026-12-02 09:00:00.123456789 +0000 UTC
  Info:      


Terraform acquires a state lock to protect the state from being written
by multiple users at the same time. Please resolve the issue above and try
again. For most commands, you can disable locking with the "-lock=false"
flag, but this is not recommended.
`;

describe('parseLockError', () => {
  it('reads the holder from terraform’s "Error acquiring the state lock" diagnostic', () => {
    expect(parseLockError(LOCK_ERROR)).toEqual({
      id: '11111111-2222-3333-4444-555555555555',
      path: 'state/clusters/x/terraform.tfstate',
      operation: 'OperationTypeApply',
      who: 'runner@gh-actions-42',
      version: '1.11.4',
      created: '2026-12-02 09:00:00.123456789 +0000 UTC',
    });
  });

  it('reads it inside the frame terraform draws when colour is on', () => {
    const framed = LOCK_ERROR.split('\n')
      .map((line, i) => (i === 1 ? `╷\n│ ${line}` : `│ ${line}`))
      .join('\n');
    expect(parseLockError(`${framed}\n╵`)?.who).toBe('runner@gh-actions-42');
  });

  it('is undefined for other errors, and for a lock error that names no holder (a missing lock table)', () => {
    expect(parseLockError('Error: Unsupported argument')).toBeUndefined();
    expect(
      parseLockError('Error: Error acquiring the state lock\n\nError message: ResourceNotFoundException: Requested resource not found\n'),
    ).toBeUndefined();
  });
});

describe('the terraform adapter with the local module, state on s3rver and the lock table on dynalite', { timeout: 60_000 }, () => {
  const state = useStateServers();
  let counter = 0;

  /** A working directory for a cluster of `nodes` workers with its own state key, initialised. */
  async function workingDirectory(nodes: number, options: { lockTimeout?: string } = {}) {
    const key = `clusters/adapter-${++counter}/terraform.tfstate`;
    const dir = await tempDir('lsa-tf-');
    const prepare = async (count: number) => {
      const config = parseClusterConfig('cluster-config/shop.yml', clusterWithState(state(), count, key));
      if (!config.remoteState) throw new Error('the test config has no remote state');
      return prepareWorkingDirectory(LOCAL_MODULE, dir, backendConfig(config.remoteState), workerPoolVariables(config, 'img-1'));
    };
    const files = await prepare(nodes);
    const terraform = new Terraform({ dir, env: terraformEnv(), state: `s3: ${state().bucket}/${key}`, ...options });
    const started = performance.now();
    await terraform.init(files.backendFile);
    return { key, dir, files, terraform, prepare, initMs: performance.now() - started };
  }

  it('plans to a file, reads the destroy set from show -json, and applies that file; timings in the log', async () => {
    const { dir, files, terraform, prepare, initMs } = await workingDirectory(3);
    const planFile = join(dir, 'up.tfplan');
    let started = performance.now();
    await terraform.plan(files.varFile, planFile);
    const planMs = performance.now() - started;
    const up = planChanges(await terraform.showPlan(planFile), { prefix: 'demo', cluster: 'shop', count: 3 });
    expect(up.create.map((w) => [w.name, w.address])).toEqual([
      [node(0), '127.0.0.1'],
      [node(1), '127.0.0.2'],
      [node(2), '127.0.0.3'],
    ]);
    started = performance.now();
    await terraform.apply(planFile);
    const applyMs = performance.now() - started;
    expect(((await terraform.outputs()).worker_names as string[]).length).toBe(3);

    await prepare(1);
    const downFile = join(dir, 'down.tfplan');
    await terraform.plan(files.varFile, downFile);
    const down = planChanges(await terraform.showPlan(downFile), { prefix: 'demo', cluster: 'shop', count: 1 });
    expect(down.destroy.map((w) => w.name)).toEqual([node(2), node(1)]);
    expect(down.resources).toEqual({ add: 0, change: 0, destroy: 2 });
    await terraform.apply(downFile);
    expect((await terraform.outputs()).worker_names).toEqual([node(0)]);
    console.log(
      `terraform with the local module and the s3rver backend: init ${initMs.toFixed(0)} ms, plan ${planMs.toFixed(0)} ms, apply ${applyMs.toFixed(0)} ms`,
    );

    // The first plan is stale now: terraform refuses it, and says what to do.
    await expect(terraform.apply(planFile)).rejects.toThrow(
      /the state changed after it was planned .*nothing was applied\. Re-run the workflow/s,
    );
  });

  it('fails naming the holder when another terraform process holds the lock, and waits for it with a lock timeout', async () => {
    const { key, dir, files, terraform } = await workingDirectory(1);
    // `terraform console` holds the state lock for as long as it runs: a second terraform process, as another job would be.
    const console = execa('terraform', ['console', '-no-color', `-var-file=${files.varFile}`], {
      cwd: dir,
      env: { ...terraformEnv(), CHECKPOINT_DISABLE: '1' },
      extendEnv: false,
      stdin: 'pipe',
      reject: false,
    });
    try {
      const client = new DynamoDBClient({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state().dynamodb, credentials: TEST_CREDENTIALS });
      for (let i = 0; i < 100; i++) {
        const { Item } = await client.send(
          new GetItemCommand({ TableName: state().table, Key: { LockID: { S: `${state().bucket}/${key}` } }, ConsistentRead: true }),
        );
        if (Item) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      client.destroy();

      const failure = terraform.plan(files.varFile, join(dir, 'p.tfplan'));
      await expect(failure).rejects.toBeInstanceOf(StateLockedError);
      const error = (await failure.catch((e: unknown) => e)) as StateLockedError;
      expect(error.lock.who).toMatch(new RegExp(`^${userInfo().username}@`));
      expect(error.message).toMatch(
        new RegExp(
          `^the terraform state s3: ${state().bucket}/${key} is locked by ${userInfo().username}@\\S+ \\(terraform invalid since .+, lock ID [0-9a-f-]{36}\\)`,
        ),
      );
      expect(error.message).toContain(`terraform force-unlock ${error.lock.id}`);

      // With a lock timeout, terraform waits for the holder to finish instead.
      const waiting = new Terraform({ dir, env: terraformEnv(), lockTimeout: '20s' }).plan(files.varFile, join(dir, 'p.tfplan'));
      setTimeout(() => console.stdin?.end(), 500);
      await waiting;
    } finally {
      console.stdin?.end();
      await console;
    }
  });

  it('reports terraform’s diagnostics for a failure that is neither a lock nor the network', async () => {
    const { files, terraform } = await workingDirectory(1);
    await expect(terraform.plan(join(files.dir, 'missing.tfvars.json'), join(files.dir, 'p.tfplan'))).rejects.toSatisfy(
      (error: unknown) =>
        error instanceof TerraformError && /^terraform plan failed \(exit 1\):\nError: Failed to read variables file/.test(error.message),
    );
  });

  it('refuses a module with a backend of its own, and names a missing terraform', async () => {
    const module = await tempDir('lsa-module-');
    await execa('cp', [join(LOCAL_MODULE, 'variables.tf'), module]);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(module, 'backend.tf'), 'terraform {\n  backend "local" {}\n}\n');
    const backend = backendConfig({ backend: 's3', bucket: 'b', key: 'k', region: 'r', dynamodb_table: 't' });
    await expect(prepareWorkingDirectory(module, await tempDir(), backend, {})).rejects.toThrow(
      /backend\.tf declares a backend: the terraform action sets the backend from configuration\/remote-state/,
    );
    await expect(new Terraform({ dir: module, binary: 'no-such-terraform' }).version()).rejects.toThrow(
      /^no-such-terraform is not installed on this runner: add hashicorp\/setup-terraform/,
    );
  });

  it('keeps the checks of planChanges on a real plan: a worker count the config does not have is refused', async () => {
    const { dir, files, terraform } = await workingDirectory(2);
    const planFile = join(dir, 'p.tfplan');
    await terraform.plan(files.varFile, planFile);
    expect(() => planChanges({}, { prefix: 'demo', cluster: 'shop', count: 2 })).toThrow(/is not a terraform plan/);
    const plan = await terraform.showPlan(planFile);
    expect(() => planChanges(plan, { prefix: 'demo', cluster: 'shop', count: 3 })).toThrow(PlanMismatchError);
    expect(() => planChanges(plan, { prefix: 'other', cluster: 'shop', count: 2 })).toThrow(
      /is named demo-shop-kubernetes-node-vm-0, but LambdaStack's rule names worker 0 other-shop-kubernetes-node-vm-0/,
    );
  });
});
