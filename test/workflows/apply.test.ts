import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { setComponentCount } from '../../src/config/edit.js';
import { type KubeSim, startKubeSim } from '../../src/sim/kube/index.js';
import type { WorkflowRun } from '../../src/workflow/index.js';
import { runBundledAction } from '../actions/runner.js';
import { type AnsibleWorld, ansibleWorld, clusterHosts } from '../infra/ansible-world.js';
import { AWS_TEST_ENV, backendOverrides, type StateServers, startStateServers, TEST_CREDENTIALS } from '../infra/servers.js';
import { git } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { copyFromRepository, errorsOf, onlyJob, REPO_ROOT, runRepositoryWorkflow, stepOutcomes } from './support.js';

// .github/workflows/apply.yml, run by the local runner for the pushes that merge changes of
// cluster-config/ to main, with every stage real: the local terraform module (terraform_data) with
// its state on s3rver and the lock table on dynalite, the null packer template, ansible over hosts
// of this machine (test/infra/ansible-world.ts: a stub kubeadm each, the new workers reached
// through a fake ssh that notes the address and key it was given), and the Kubernetes simulator,
// whose kubeconfig is the KUBECONFIG secret. The repository variables point the workflow at them,
// as README "Workflows" tells a user to for a local run.
//
// The tests are one cluster's history, in order: aws/demo-shop runs 3 workers (the state made by
// the terraform action, as a first provisioning leaves it); a push adds 2, a push removes them, and
// a push that would remove one more meets a PodDisruptionBudget that forbids every eviction.

const FILE = 'cluster-config/aws-demo.yml';
const STATE_KEY = 'clusters/demo-shop/terraform.tfstate';
const MASTER = 'demo-shop-kubernetes-master-vm-0';
const worker = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;
const workers = (from: number, to: number): string[] => Array.from({ length: to - from }, (_, i) => worker(from + i));

/** A made-up private key in an SSH key's shape (the fake ssh only notes its digest). */
const SSH_KEY = [
  '-----BEGIN OPENSSH PRIVATE KEY-----',
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACDapplyWorkflowTestKeyThatMustNeverBeShown00000000000000000',
  '-----END OPENSSH PRIVATE KEY-----',
  '',
].join('\n');

/**
 * The example cluster of this repository (aws/demo-shop: 3 t3.medium workers within [2, 10], its
 * state in S3) with `nodes` workers, edited as a scale pull request edits it (one line).
 */
async function shop(nodes: number): Promise<string> {
  return setComponentCount(FILE, await readFile(join(REPO_ROOT, FILE), 'utf8'), 'kubernetes_node', nodes).text;
}

let state: StateServers;
let kube: KubeSim;
let hosts: AnsibleWorld;
let work: string;
let bare: string;
let images: string;

/**
 * The cluster's inventory as the repository holds it (inventory/aws/demo-shop.yml): the master,
 * reached locally, and how to reach any worker (the fake ssh); each host's files go under its own
 * root, with its own kubeadm. The new workers come from terraform's output, not from this file.
 */
function inventory(): string {
  const root = join(hosts.dir, 'hosts', '{{ inventory_hostname }}');
  return YAML.stringify({
    all: {
      vars: { ansible_become: false, lsa_root: root, kubeadm_bin: join(root, 'kubeadm') },
      children: {
        kubernetes_master: { hosts: { [MASTER]: { ansible_connection: 'local' } } },
        kubernetes_node: {
          vars: { ansible_connection: 'ssh', ansible_ssh_executable: join(hosts.dir, 'ssh'), ansible_ssh_transfer_method: 'piped' },
        },
      },
    },
  });
}

/** The scale plan of the first provisioning (0 → 3), as the plan action outputs it. */
function provisioningPlan(): string {
  return JSON.stringify({
    clusters: [
      {
        file: FILE,
        name: 'shop',
        provider: 'aws',
        change: 'scaled',
        counts: { kubernetes_master: 1, kubernetes_node: 3 },
        components: [{ component: 'kubernetes_node', from: 0, to: 3, add: workers(0, 3), remove: [] }],
      },
    ],
  });
}

/** The state of the 3 workers the cluster runs today, made by the terraform action itself. */
async function provision(): Promise<void> {
  const inputs = {
    config: FILE,
    module: 'local',
    'image-id': 'local-first-image',
    'scale-plan': provisioningPlan(),
    'backend-config': JSON.stringify(backendOverrides(state)),
    'working-directory': join(await tempDir('lsa-wf-provision-'), 'terraform'),
  };
  const env = { PATH: process.env.PATH ?? '', HOME: work, RUNNER_TEMP: await tempDir('lsa-wf-provision-temp-'), ...AWS_TEST_ENV };
  for (const mode of ['plan', 'apply']) {
    const run = await runBundledAction('terraform', { workspace: work, inputs: { ...inputs, mode }, env });
    if (run.exitCode !== 0) throw new Error(`provisioning (terraform ${mode}) failed:\n${run.stdout}${run.stderr}`);
  }
}

/** main's config becomes `nodes` workers, and is pushed: the merge apply.yml runs on. */
async function pushCount(nodes: number): Promise<void> {
  await writeFile(join(work, FILE), await shop(nodes));
  await git(work, ['commit', '-qam', `shop: ${nodes} workers`]);
  await git(work, ['push', '-q', 'origin', 'main']);
}

/** apply.yml on the push to main just made. */
function applyPush(vars: Record<string, string> = {}): Promise<WorkflowRun> {
  return runRepositoryWorkflow('apply.yml', 'push', {
    workspace: bare,
    actor: 'carol',
    vars: {
      TERRAFORM_MODULE: 'local',
      STATE_BACKEND_CONFIG: JSON.stringify(backendOverrides(state)),
      PACKER_TEMPLATE: 'infra/packer/null.pkr.hcl',
      // The example config leaves the workers' OS image to LambdaStack's defaults: the null template only writes it down.
      PACKER_BASE_IMAGE: 'ubuntu-20.04',
      PACKER_VARIABLES: `images_dir=${images}`,
      ANSIBLE_RETRY_DELAY: '0',
      ...vars,
    },
    secrets: {
      KUBECONFIG: kube.kubeConfigYaml,
      SSH_PRIVATE_KEY_AWS_DEMO_SHOP: SSH_KEY,
      AWS_ACCESS_KEY_ID: AWS_TEST_ENV.AWS_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY,
    },
  });
}

async function stateObject(key: string): Promise<string | undefined> {
  const s3 = new S3Client({ region: AWS_TEST_ENV.AWS_REGION, endpoint: state.s3, forcePathStyle: true, credentials: TEST_CREDENTIALS });
  try {
    const read = await s3.send(new GetObjectCommand({ Bucket: state.bucket, Key: key }));
    return await read.Body?.transformToString();
  } catch {
    return undefined;
  } finally {
    s3.destroy();
  }
}

interface StateWorker {
  name: string;
  image_id: string;
}

/** The workers in the terraform state on s3rver, by index. */
async function stateWorkers(): Promise<StateWorker[]> {
  const tfstate = JSON.parse((await stateObject(STATE_KEY)) ?? '{"resources": []}') as {
    resources: Array<{ type: string; name: string; instances: Array<{ attributes: { input: { value: StateWorker } } }> }>;
  };
  const pool = tfstate.resources.find((resource) => resource.type === 'terraform_data' && resource.name === 'worker');
  return (pool?.instances ?? []).map((instance) => instance.attributes.input.value);
}

const nodeNames = (): string[] => kube.cluster.nodes().map((node) => node.metadata.name);
/** The web pods on a node, as `default/<name>`, sorted (as the drain names them). */
const webPodsOn = (node: string): string[] =>
  kube.cluster
    .pods('default')
    .filter((pod) => pod.metadata.labels?.app === 'web' && pod.spec.nodeName === node)
    .map((pod) => `default/${pod.metadata.name}`)
    .sort();

/** A worker whose kubeadm joined it registers with the API server, as its kubelet would (the stub kubeadm has no kubelet). */
async function registerJoinedWorkers(names: readonly string[]): Promise<void> {
  for (const name of names) {
    if ((await hosts.kubeadmCalls(name)).some((call) => call.startsWith('join '))) kube.cluster.addNode(name);
  }
  kube.cluster.advance(30);
}

beforeAll(async () => {
  state = await startStateServers();
  hosts = await ansibleWorld(await tempDir('lsa-wf-hosts-'), clusterHosts(3, 2));
  images = await tempDir('lsa-wf-images-');

  bare = join(await tempDir('lsa-wf-bare-'), 'cluster-config.git');
  await git(await tempDir(), ['init', '-q', '--bare', '-b', 'main', bare]);
  work = await tempDir('lsa-wf-work-');
  await git(work, ['clone', '-q', bare, '.']);
  await copyFromRepository(work, ['infra/ansible', 'infra/packer']);
  await mkdir(join(work, 'cluster-config'));
  await writeFile(join(work, FILE), await shop(3));
  await mkdir(join(work, 'inventory', 'aws'), { recursive: true });
  await writeFile(join(work, 'inventory', 'aws', 'demo-shop.yml'), inventory());
  await git(work, ['add', '-A']);
  await git(work, ['commit', '-qm', 'The shop cluster, its inventory, and the packer and ansible files']);
  await git(work, ['push', '-q', 'origin', 'main']);
  await provision();

  // 100 simulated seconds a real second: an evicted pod's 30 s grace period takes 0.3 s.
  kube = await startKubeSim({
    config: join(work, FILE),
    timeScale: 100,
    scenario: { workloads: [{ name: 'web', replicas: 6, requests: { cpu: '100m' } }] },
  });
}, 60_000);

afterAll(async () => {
  await kube?.close();
  await state?.close();
});

describe('apply.yml (push to main), run with the local runner: terraform on s3rver, packer, the drain on the Kubernetes simulator, ansible', () => {
  it('adds nodes: plan → packer → terraform plan → apply → ansible on the new workers only; the state on s3rver holds them', async () => {
    await pushCount(5);

    const run = await applyPush();

    expect(run.conclusion, run.log.join('\n')).toBe('success');
    expect(run.jobs.map((job) => `${job.id}: ${job.result}`)).toEqual(['plan: success', 'apply: success']);
    const plan = onlyJob(run, 'plan');
    expect(plan.outputs['has-changes']).toBe('true');
    const apply = onlyJob(run, 'apply');
    expect(apply.name).toBe('Apply aws/demo-shop');
    expect(apply.concurrency).toEqual({ group: 'apply-aws/demo-shop', cancelInProgress: false });
    expect(stepOutcomes(apply)).toEqual([
      'Run actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: success',
      "Check the cluster's ansible inventory (before anything changes): success",
      'Run hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e: success',
      'AWS credentials from the OIDC role: skipped',
      'Cloud credentials for the later steps (Azure OIDC, or repository secrets): success',
      'Worker image (packer, only when nodes are added; reused when already baked): success',
      'Terraform plan against the remote state: success',
      'Drain the nodes the saved plan destroys: skipped',
      'Terraform apply of the saved plan, and the applied config recorded beside the state: success',
      'Join the created nodes (ansible, those hosts and the node-join plays only): success',
    ]);

    // packer baked one image (the null template runs the node playbook into images/<id>/root)…
    const image = apply.steps[5]?.outputs ?? {};
    expect(image['cache-hit']).toBe('false');
    expect(image['image-id']).toMatch(/^local-[0-9a-f]{16}$/);
    expect((await readFile(join(images, 'bakes.log'), 'utf8')).split('\n')[0]).toMatch(new RegExp(`^${image['image-id']} `));
    // …which the new workers, and only they, boot; the state on s3rver has all five.
    expect(await stateWorkers()).toEqual(
      [
        ...workers(0, 3).map((name) => ({ name, image_id: 'local-first-image' })),
        ...workers(3, 5).map((name) => ({ name, image_id: image['image-id'] })),
      ].map((expected) => expect.objectContaining(expected)),
    );
    expect(await stateObject(`${STATE_KEY}.lambdastack/applied-config.yml`)).toBe(await shop(5));
    expect(JSON.parse(apply.steps[8]?.outputs.create ?? '')).toEqual([
      { name: worker(3), index: 3, address: '127.0.0.4' },
      { name: worker(4), index: 4, address: '127.0.0.5' },
    ]);

    // ansible joined the two new workers through the master, at the addresses terraform gave them, with the cluster's key.
    expect(await hosts.kubeadmCalls(MASTER)).toEqual(['token create --ttl 15m --print-join-command']);
    for (const name of workers(3, 5)) expect(await hosts.files(name)).toContain('etc/kubernetes/kubelet.conf');
    for (const name of workers(0, 3)) expect(await hosts.files(name)).toEqual([]);
    const ssh = await hosts.sshCalls();
    expect([...new Set(ssh.map((call) => call.address))].sort()).toEqual(['127.0.0.4', '127.0.0.5']);
    const digest = createHash('sha256').update(SSH_KEY).digest('hex');
    expect(ssh.every((call) => call.keyMode === '600' && call.keySha256 === digest)).toBe(true);
    expect(run.log.join('\n')).not.toContain('applyWorkflowTestKey');
    expect(run.log.join('\n')).not.toContain(AWS_TEST_ENV.AWS_SECRET_ACCESS_KEY);
  }, 120_000);

  it('removes nodes: the drain empties and deletes exactly the nodes the saved plan destroys, then the apply removes them from the state', async () => {
    await registerJoinedWorkers(workers(3, 5));
    // More web pods than the three old workers had: the new ones land on the empty new workers.
    kube.cluster.scaleDeployment('web', 12);
    kube.cluster.advance(30);
    expect(workers(3, 5).map((name) => webPodsOn(name).length > 0)).toEqual([true, true]);
    await pushCount(3);

    const run = await applyPush();

    expect(run.conclusion, run.log.join('\n')).toBe('success');
    const apply = onlyJob(run, 'apply');
    expect(stepOutcomes(apply)).toEqual([
      'Run actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: success',
      "Check the cluster's ansible inventory (before anything changes): skipped",
      'Run hashicorp/setup-terraform@dfe3c3f87815947d99a8997f908cb6525fc44e9e: success',
      'AWS credentials from the OIDC role: skipped',
      'Cloud credentials for the later steps (Azure OIDC, or repository secrets): success',
      'Worker image (packer, only when nodes are added; reused when already baked): skipped',
      'Terraform plan against the remote state: success',
      'Drain the nodes the saved plan destroys: success',
      'Terraform apply of the saved plan, and the applied config recorded beside the state: success',
      'Join the created nodes (ansible, those hosts and the node-join plays only): skipped',
    ]);
    expect(apply.steps[6]?.outputs['destroy-nodes']).toBe(`${worker(4)}\n${worker(3)}`);
    expect(JSON.parse(apply.steps[7]?.outputs.drained ?? '')).toEqual([worker(4), worker(3)]);

    expect(nodeNames()).toEqual([MASTER, ...workers(0, 3)]);
    kube.cluster.advance(60);
    expect(workers(0, 3).flatMap(webPodsOn)).toHaveLength(12);
    expect((await stateWorkers()).map((entry) => entry.name)).toEqual(workers(0, 3));
    expect(await stateObject(`${STATE_KEY}.lambdastack/applied-config.yml`)).toBe(await shop(3));
  }, 120_000);

  it('stops at a blocked drain: the apply never runs, the state is unchanged, the node cordoned and still registered', async () => {
    // Every web pod must stay: no eviction is allowed anywhere.
    kube.cluster.createPodDisruptionBudget({ name: 'web', selector: { app: 'web' }, minAvailable: 12 });
    kube.cluster.advance(1);
    const stuck = webPodsOn(worker(2));
    expect(stuck.length).toBeGreaterThan(0);
    const before = await stateObject(STATE_KEY);
    await pushCount(2);

    const run = await applyPush({ DRAIN_TIMEOUT: '2' });

    expect(run.conclusion).toBe('failure');
    const apply = onlyJob(run, 'apply');
    expect(stepOutcomes(apply).slice(6)).toEqual([
      'Terraform plan against the remote state: success',
      'Drain the nodes the saved plan destroys: failure',
      'Terraform apply of the saved plan, and the applied config recorded beside the state: skipped',
      'Join the created nodes (ansible, those hosts and the node-join plays only): skipped',
    ]);
    expect(errorsOf(run)).toEqual([
      `pods left: ${stuck.join(', ')}; blocked by PodDisruptionBudget default/web`,
      expect.stringMatching(
        new RegExp(
          `^drain failed: ${worker(2)} still had pods after 2 s\\. No Node was deleted and the nodes stay cordoned, so the plan must not be applied`,
        ),
      ),
    ]);
    expect(await stateObject(STATE_KEY)).toBe(before);
    expect(await stateObject(`${STATE_KEY}.lambdastack/applied-config.yml`)).toBe(await shop(3));
    expect(nodeNames()).toContain(worker(2));
    expect(kube.cluster.nodes().find((node) => node.metadata.name === worker(2))?.spec.unschedulable).toBe(true);
  }, 120_000);
});
