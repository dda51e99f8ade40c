import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { AWS_TEST_ENV, backendOverrides, clusterWithState, holdStateLock, TEST_CREDENTIALS, useStateServers } from '../infra/servers.js';
import { clusterConfig } from '../support/config-text.js';
import { git, ISOLATED_GIT_ENV } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, runBundledAction } from './runner.js';

const STACK_FRAME = /(^|%0A|\n)\s+at /m;
const CONFIG = 'cluster-config/shop.yml';
const node = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;

/** The scale plan JSON the plan action outputs, for the one cluster of these tests. */
function scalePlanJson(from: number, to: number): string {
  const names = (a: number, b: number): string[] => Array.from({ length: b - a }, (_, i) => node(a + i));
  const component = {
    component: 'kubernetes_node',
    from,
    to,
    add: to > from ? names(from, to) : [],
    remove: to < from ? names(to, from).reverse() : [],
  };
  return JSON.stringify({
    clusters: [
      {
        file: CONFIG,
        name: 'shop',
        provider: 'aws',
        change: 'scaled',
        counts: { kubernetes_master: 1, kubernetes_node: to },
        components: from === to ? [] : [component],
      },
    ],
  });
}

const errors = (run: ActionRun): string[] => run.commands.filter((c) => c.command === 'error').map((c) => c.message);

// Each run of the bundle is a node process and a few terraform commands (~1 s); some tests run eight.
describe('the terraform action (its committed bundle, run as the runner runs it): the local module, state on s3rver with the lock table on dynalite', {
  timeout: 90_000,
}, () => {
  const state = useStateServers();
  let counter = 0;

  /** A checkout holding the cluster config, a runner temp directory, and a state key of its own. */
  async function cluster(nodes: number): Promise<{ workspace: string; key: string; setNodes(n: number): Promise<void> }> {
    const workspace = await tempDir('lsa-tf-workspace-');
    const key = `clusters/demo-shop-${++counter}/terraform.tfstate`;
    const setNodes = async (n: number): Promise<void> => {
      await mkdir(join(workspace, 'cluster-config'), { recursive: true });
      await writeFile(join(workspace, CONFIG), clusterWithState(state(), n, key));
    };
    await setNodes(nodes);
    return { workspace, key, setNodes };
  }

  const terraform = (workspace: string, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> =>
    runBundledAction('terraform', {
      workspace,
      inputs: {
        config: CONFIG,
        module: 'local',
        'working-directory': join(workspace, '..', `${workspace.split('/').pop()}-tf`),
        ...inputs,
      },
      env: { PATH: process.env.PATH ?? '', HOME: workspace, RUNNER_TEMP: workspace, ...AWS_TEST_ENV, ...env },
    });

  const s3 = (): S3Client =>
    new S3Client({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state().s3, forcePathStyle: true, credentials: TEST_CREDENTIALS });

  async function object(key: string): Promise<string | undefined> {
    const client = s3();
    try {
      const read = await client.send(new GetObjectCommand({ Bucket: state().bucket, Key: key }));
      return await read.Body?.transformToString();
    } catch {
      return undefined;
    } finally {
      client.destroy();
    }
  }

  /** The worker names in the terraform state stored on s3rver. */
  async function stateWorkers(key: string): Promise<string[]> {
    const state = JSON.parse((await object(key)) ?? '{"resources":[]}') as {
      resources: { type: string; name: string; instances: { attributes: { input: { value: { name: string } } } }[] }[];
    };
    const workers = state.resources.find((r) => r.type === 'terraform_data' && r.name === 'worker');
    return (workers?.instances ?? []).map((i) => i.attributes.input.value.name);
  }

  it('plans once, outputs the destroy and create sets, applies exactly that plan, and records the applied config beside the state', async () => {
    const { workspace, key, setNodes } = await cluster(3);

    const plan = await terraform(workspace, { mode: 'plan', 'image-id': 'img-1', 'scale-plan': scalePlanJson(0, 3) });
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    expect(plan.outputs['has-changes']).toBe('true');
    expect(JSON.parse(plan.outputs.destroy ?? '')).toEqual([]);
    expect(JSON.parse(plan.outputs.create ?? '')).toEqual([
      { name: node(0), index: 0, address: '127.0.0.1' },
      { name: node(1), index: 1, address: '127.0.0.2' },
      { name: node(2), index: 2, address: '127.0.0.3' },
    ]);
    expect(plan.outputs['create-nodes']).toBe([node(0), node(1), node(2)].join('\n'));
    expect(JSON.parse(plan.outputs.resources ?? '')).toEqual({ add: 3, change: 0, destroy: 0 });
    expect(plan.summary).toContain('terraform plan: aws/demo-shop');
    expect(plan.summary).toContain(`<td><code>${node(0)}</code></td><td>create</td><td>0</td><td><code>127.0.0.1</code></td>`);
    expect(plan.summary).toContain(`s3: ${state().bucket}/${key}`);
    expect(plan.summary).toContain(`DynamoDB table ${state().table}`);
    expect(await stateWorkers(key)).toEqual([]);

    const apply = await terraform(workspace, { mode: 'apply', 'image-id': 'img-1', 'scale-plan': scalePlanJson(0, 3) });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    expect(JSON.parse(apply.outputs.create ?? '')).toHaveLength(3);
    expect(JSON.parse(apply.outputs.workers ?? '')).toEqual([
      { name: node(0), index: 0, address: '127.0.0.1' },
      { name: node(1), index: 1, address: '127.0.0.2' },
      { name: node(2), index: 2, address: '127.0.0.3' },
    ]);
    expect(await stateWorkers(key)).toEqual([node(0), node(1), node(2)]);
    expect(await object(`${key}.lambdastack/applied-config.yml`)).toBe(clusterWithState(state(), 3, key));
    const summary = JSON.parse((await object(`${key}.lambdastack/plan-summary.json`)) ?? '{}');
    expect(summary).toMatchObject({
      cluster: 'aws/demo-shop',
      file: CONFIG,
      workers: { before: 0, after: 3 },
      destroyed: [],
      imageId: 'img-1',
    });
    const records = JSON.parse(apply.outputs.records ?? '');
    expect(records.map((r: { key: string; written: boolean }) => [r.key, r.written])).toEqual([
      [`${key}.lambdastack/applied-config.yml`, true],
      [`${key}.lambdastack/plan-summary.json`, true],
    ]);
    expect(apply.summary).toContain('Recorded beside the state');

    // Scale down 3 → 1: the destroy set is the plan's, highest index first, for the drain step.
    await setNodes(1);
    const down = await terraform(workspace, { mode: 'plan', 'scale-plan': scalePlanJson(3, 1) });
    expect(down.exitCode, down.stdout + down.stderr).toBe(0);
    expect(JSON.parse(down.outputs.destroy ?? '')).toEqual([node(2), node(1)]);
    expect(down.outputs['destroy-nodes']).toBe(`${node(2)}\n${node(1)}`);
    expect(JSON.parse(down.outputs.create ?? '')).toEqual([]);
    expect(down.summary).toContain(
      `<td><code>${node(2)}</code></td><td>destroy (drained first)</td><td>2</td><td><code>127.0.0.3</code></td>`,
    );
    expect(down.summary).toContain('the scale plan input (kubernetes_node 3 → 1)');
    expect(await stateWorkers(key)).toHaveLength(3);

    const downApply = await terraform(workspace, { mode: 'apply', 'scale-plan': scalePlanJson(3, 1) });
    expect(downApply.exitCode, downApply.stdout + downApply.stderr).toBe(0);
    expect(await stateWorkers(key)).toEqual([node(0)]);
    expect(JSON.parse((await object(`${key}.lambdastack/plan-summary.json`)) ?? '{}')).toMatchObject({
      workers: { before: 3, after: 1 },
      destroyed: [node(2), node(1)],
    });

    // A rerun converges: no changes, the same config is not written again.
    const again = await terraform(workspace, { mode: 'plan', 'scale-plan': scalePlanJson(3, 1) });
    expect(again.outputs['has-changes']).toBe('false');
    expect(again.outputs['destroy-nodes']).toBe('');
    const againApply = await terraform(workspace, { mode: 'apply', 'scale-plan': scalePlanJson(3, 1) });
    expect(againApply.exitCode, againApply.stdout + againApply.stderr).toBe(0);
    expect(JSON.parse(againApply.outputs.records ?? '')[0]).toMatchObject({ key: `${key}.lambdastack/applied-config.yml`, written: false });
  });

  it('fails a plan whose destroy set the scale plan does not remove, before anything is drained or destroyed', async () => {
    const { workspace, key, setNodes } = await cluster(3);
    expect((await terraform(workspace, { mode: 'plan', 'image-id': 'img-1' })).exitCode).toBe(0);
    expect((await terraform(workspace, { mode: 'apply', 'image-id': 'img-1' })).exitCode).toBe(0);
    await setNodes(1);

    // The diff says 2 → 1 (one node), but the state holds 3: terraform would destroy two.
    const plan = await terraform(workspace, { mode: 'plan', 'scale-plan': scalePlanJson(2, 1) });

    expect(plan.exitCode).toBe(1);
    const [message] = errors(plan);
    expect(message).toContain('the saved terraform plan does not match the cluster config, so nothing was drained, destroyed or applied');
    expect(message).toContain(`the plan destroys ${node(2)}, which the scale plan input (kubernetes_node 2 → 1) does not remove`);
    expect(plan.outputs.destroy).toBeUndefined();
    expect(plan.summary).toContain('❌ The saved plan does not match the cluster config');
    expect(plan.stdout + plan.stderr).not.toMatch(STACK_FRAME);

    // The apply step checks the same saved file again, so it refuses it as well.
    const apply = await terraform(workspace, { mode: 'apply', 'scale-plan': scalePlanJson(2, 1) });
    expect(apply.exitCode).toBe(1);
    expect(errors(apply)[0]).toContain('nothing was drained, destroyed or applied');
    expect(await stateWorkers(key)).toEqual([node(0), node(1), node(2)]);
  });

  it('plans and applies against another store than the config names, given by backend-config (how the local demo runs apply.yml)', async () => {
    const workspace = await tempDir('lsa-tf-workspace-');
    const key = `clusters/demo-shop-${++counter}/terraform.tfstate`;
    // The state document of a real cluster: an AWS bucket and table, no endpoints.
    const production = ['---', 'kind: configuration/remote-state', 'specification:', '  backend: s3', '  bucket: shop-production-tfstate'];
    const config = clusterConfig({
      nodes: 2,
      extra: [...production, `  key: ${key}`, '  region: eu-west-1', '  dynamodb_table: shop-production-tflock', '  encrypt: true'],
    });
    await mkdir(join(workspace, 'cluster-config'), { recursive: true });
    await writeFile(join(workspace, CONFIG), config);
    const inputs = { 'image-id': 'img-1', 'scale-plan': scalePlanJson(0, 2), 'backend-config': JSON.stringify(backendOverrides(state())) };

    const plan = await terraform(workspace, { mode: 'plan', ...inputs });
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    expect(plan.summary).toContain(`s3: ${state().bucket}/${key}`);
    const apply = await terraform(workspace, { mode: 'apply', ...inputs });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);

    expect(await stateWorkers(key)).toEqual([node(0), node(1)]);
    expect(await object(`${key}.lambdastack/applied-config.yml`)).toBe(config);

    const credential = await terraform(workspace, { mode: 'plan', ...inputs, 'backend-config': '{"secret_key": "x"}' });
    expect(credential.exitCode).toBe(1);
    expect(errors(credential)).toEqual([
      "input `backend-config`: secret_key is a credential: set AWS_SECRET_ACCESS_KEY in the step's environment from a secret instead",
    ]);
  });

  it('fails clearly naming the holder of a held state lock, never force-unlocks, and applies nothing', async () => {
    const { workspace, key, setNodes } = await cluster(2);
    expect((await terraform(workspace, { mode: 'plan', 'image-id': 'img-1' })).exitCode).toBe(0);
    expect((await terraform(workspace, { mode: 'apply', 'image-id': 'img-1' })).exitCode).toBe(0);
    await setNodes(1);
    expect((await terraform(workspace, { mode: 'plan' })).exitCode).toBe(0);
    const holder = { id: '5d0c1f8e-0000-4000-8000-00000000beef', who: 'runner@fv-az123-456', operation: 'OperationTypeApply' };
    await holdStateLock(state(), key, holder);

    const apply = await terraform(workspace, { mode: 'apply' });

    expect(apply.exitCode).toBe(1);
    const [message] = errors(apply);
    expect(message).toMatch(
      new RegExp(
        `^the terraform state s3: ${state().bucket}/${key} is locked by runner@fv-az123-456 \\(terraform apply since 2026-12-02 09:00:00\\.123456789 \\+0000 UTC, lock ID ${holder.id}\\): another terraform run holds it, and this action never force-unlocks\\.`,
      ),
    );
    expect(message).toContain(`terraform force-unlock ${holder.id}`);
    expect(message).toContain('(a temporary failure: re-run the job)');
    expect(apply.summary).toContain('🔒 The state is locked by another run: nothing was applied, and the lock was left alone.');
    expect(apply.summary).toContain('<tr><td>Who</td><td>runner@fv-az123-456</td></tr>');
    expect(await stateWorkers(key)).toEqual([node(0), node(1)]);
    // The lock is still there: released by its holder or a person, never by this action.
    const client = new DynamoDBClient({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state().dynamodb, credentials: TEST_CREDENTIALS });
    const { Item } = await client.send(
      new GetItemCommand({ TableName: state().table, Key: { LockID: { S: `${state().bucket}/${key}` } } }),
    );
    client.destroy();
    expect(JSON.parse(Item?.Info?.S ?? '{}').ID).toBe(holder.id);
  });

  it('checks the plan against the config diff from `base` (a git ref) when no scale plan JSON is given', async () => {
    const { workspace, key, setNodes } = await cluster(3);
    await git(workspace, ['init', '--quiet', '--initial-branch=main']);
    await git(workspace, ['add', '.']);
    await git(workspace, ['commit', '--quiet', '-m', 'shop: 3 workers']);
    const gitEnv = { ...ISOLATED_GIT_ENV };
    expect((await terraform(workspace, { mode: 'plan', 'image-id': 'img-1', base: 'main' }, gitEnv)).exitCode).toBe(1);
    expect((await terraform(workspace, { mode: 'plan', 'image-id': 'img-1' }, gitEnv)).exitCode).toBe(0);
    expect((await terraform(workspace, { mode: 'apply', 'image-id': 'img-1' }, gitEnv)).exitCode).toBe(0);
    await setNodes(2);
    await git(workspace, ['commit', '--quiet', '-am', 'shop: 2 workers']);

    const plan = await terraform(workspace, { mode: 'plan', base: 'HEAD~1' }, gitEnv);
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    expect(JSON.parse(plan.outputs.destroy ?? '')).toEqual([node(2)]);
    expect(plan.summary).toContain('the config diff from HEAD~1 (kubernetes_node 3 → 2)');

    // Against HEAD itself the diff changes nothing, so a plan that destroys a node is refused.
    const wrong = await terraform(workspace, { mode: 'plan', base: 'HEAD' }, gitEnv);
    expect(wrong.exitCode).toBe(1);
    expect(errors(wrong)[0]).toContain(
      `the plan destroys ${node(2)}, which the config diff from HEAD (no change to kubernetes_node) does not remove`,
    );
    expect(await stateWorkers(key)).toHaveLength(3);
  });

  it('says so when the apply went through but another writer got to the record beside the state first; a rerun records it', async () => {
    const { workspace, key } = await cluster(1);
    expect((await terraform(workspace, { mode: 'plan', 'image-id': 'img-1' })).exitCode).toBe(0);
    // Another run is writing the applied config right now: its claim on the version is in the lock table.
    const client = new DynamoDBClient({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state().dynamodb, credentials: TEST_CREDENTIALS });
    const claim = { LockID: { S: `${state().bucket}/${key}.lambdastack/applied-config.yml-lambdastack-version` } };
    await client.send(
      new PutItemCommand({
        TableName: state().table,
        Item: { ...claim, Version: { S: 'other-run' }, Replaces: { S: '' }, Started: { N: String(Date.now()) } },
      }),
    );

    const apply = await terraform(workspace, { mode: 'apply', 'image-id': 'img-1' });

    expect(apply.exitCode).toBe(1);
    expect(errors(apply)[0]).toMatch(
      new RegExp(
        `^terraform applied the plan, but recording it beside the state in s3://${state().bucket} failed: re-run the workflow: it plans no change and records again: s3://${state().bucket}/${key}\\.lambdastack/applied-config\\.yml was written by someone else since it was read \\(it exists already\\): nothing was overwritten`,
      ),
    );
    expect(await stateWorkers(key)).toEqual([node(0)]);
    expect(JSON.parse(apply.outputs.create ?? '')).toEqual([{ name: node(0), index: 0, address: '127.0.0.1' }]);
    expect(await object(`${key}.lambdastack/applied-config.yml`)).toBeUndefined();

    // The other run finished (its claim gone, as after its write); the rerun plans nothing and records.
    await client.send(new DeleteItemCommand({ TableName: state().table, Key: claim }));
    client.destroy();
    expect((await terraform(workspace, { mode: 'plan' })).outputs['has-changes']).toBe('false');
    const rerun = await terraform(workspace, { mode: 'apply' });
    expect(rerun.exitCode, rerun.stdout + rerun.stderr).toBe(0);
    expect(await object(`${key}.lambdastack/applied-config.yml`)).toBe(clusterWithState(state(), 1, key));
  });

  it('refuses a plan that creates workers without an image-id, before anything is applied', async () => {
    const { workspace } = await cluster(2);
    const plan = await terraform(workspace, { mode: 'plan' });
    expect(plan.exitCode).toBe(1);
    expect(errors(plan)).toEqual([
      `the plan creates ${node(0)}, ${node(1)} but input \`image-id\` is empty: pass the packer action's image id`,
    ]);
  });

  it('refuses bad inputs with messages that name the input and the fix, and no stack', async () => {
    const { workspace } = await cluster(1);
    const cases: [Record<string, string>, RegExp][] = [
      [{ mode: 'destroy' }, /^input `mode` is "destroy": use `plan` .* or `apply`/],
      [
        { mode: 'apply', 'plan-file': 'nowhere.tfplan' },
        /^plan-file .*nowhere\.tfplan does not exist: run this action with mode: plan first/,
      ],
      [{ mode: 'plan', config: 'cluster-config/missing.yml' }, /^input `config`: cluster-config\/missing\.yml does not exist/],
      [{ mode: 'plan', module: 'gcp' }, /^input `module`: gcp does not exist/],
      [
        { mode: 'plan', 'scale-plan': '{"clusters": [{}]}' },
        /^input `scale-plan` is not a scale plan: give the `plan` output of the plan action/,
      ],
      [{ mode: 'plan', 'scale-plan': 'not json' }, /^input `scale-plan` is not JSON/],
      [{ mode: 'plan', variables: '{"worker_count": 9}' }, /^input `variables`: worker_count comes from the cluster config/],
      [
        { mode: 'plan', variables: '{"subnet": "x"}' },
        /^input `variables`: subnet is not a variable of the worker pool contract: use one of region, /,
      ],
      [{ mode: 'plan', 'lock-timeout': 'forever' }, /^input `lock-timeout` is "forever": write a duration such as 0s, 30s or 5m$/],
    ];
    for (const [inputs, message] of cases) {
      const run = await terraform(workspace, inputs);
      expect(run.exitCode, JSON.stringify(inputs)).toBe(1);
      expect(errors(run), JSON.stringify(inputs)).toEqual([expect.stringMatching(message)]);
      expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('refuses a config without a remote-state document: the pipeline never plans against a local state', async () => {
    const workspace = await tempDir('lsa-tf-workspace-');
    await mkdir(join(workspace, 'cluster-config'));
    await writeFile(join(workspace, CONFIG), clusterConfig({ nodes: 1 }));
    const run = await terraform(workspace, { mode: 'plan' });
    expect(run.exitCode).toBe(1);
    expect(errors(run)).toEqual([expect.stringMatching(/^cluster-config\/shop\.yml has no configuration\/remote-state document: add one/)]);
  });

  it('keeps credentials out of outputs, the summary and the log', async () => {
    const { workspace } = await cluster(1);
    const plan = await terraform(workspace, { mode: 'plan', 'image-id': 'img-1' }, { AWS_SESSION_TOKEN: 'session-token-not-real-123' });
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    const apply = await terraform(workspace, { mode: 'apply', 'image-id': 'img-1' }, { AWS_SESSION_TOKEN: 'session-token-not-real-123' });
    expect(apply.exitCode, apply.stdout + apply.stderr).toBe(0);
    for (const run of [plan, apply]) {
      // The runner reads `::add-mask::<value>` and hides the value everywhere after; it is the one place a secret may appear.
      expect(run.stdout).toContain(`::add-mask::${AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY}\n`);
      expect(run.stdout).toContain('::add-mask::session-token-not-real-123\n');
      const log = run.stdout
        .split('\n')
        .filter((line) => !line.startsWith('::add-mask::'))
        .join('\n');
      const everything = JSON.stringify(run.outputs) + run.summary + log + run.stderr;
      expect(everything).not.toContain(AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY);
      expect(everything).not.toContain('session-token-not-real-123');
    }
  });
});
