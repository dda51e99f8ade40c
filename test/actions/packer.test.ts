import { appendFile, chmod, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { IMAGE_RECORD_SCHEMA } from '../../src/infra/image-record.js';
import { AWS_TEST_ENV, backendOverrides, remoteStateDocument, useStateServers } from '../infra/servers.js';
import { clusterLines, yaml } from '../support/config-text.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, REPO_ROOT, runBundledAction } from './runner.js';

// The bundled packer action, run as the runner runs it, with the null template: its bake runs the
// node playbook into images_dir/<image id>/ and appends a line to images_dir/bakes.log, so a test
// can tell a bake from a cache hit. The image records go to a directory store (the `store` input).

const STACK_FRAME = /(^|%0A|\n)\s+at /m;

interface Checkout {
  workspace: string;
  store: string;
  images: string;
  /** Directories put before PATH (stub packers). */
  path: string[];
}

/**
 * A checkout of infra/ and cluster-config/. With `quickBake`, its image.yml is a play without
 * tasks, so a bake costs ansible's start only (the tests that bake several times need no more).
 */
async function checkout(options: { quickBake?: boolean } = {}): Promise<Checkout> {
  const workspace = await tempDir('lsa-packer-ws-');
  await cp(join(REPO_ROOT, 'infra'), join(workspace, 'infra'), { recursive: true });
  if (options.quickBake) await writeFile(join(workspace, 'infra/ansible/image.yml'), '- hosts: all\n  gather_facts: false\n  tasks: []\n');
  await cp(join(REPO_ROOT, 'cluster-config'), join(workspace, 'cluster-config'), { recursive: true });
  return { workspace, store: join(workspace, 'store'), images: await tempDir('lsa-images-'), path: [] };
}

function packer(at: Checkout, inputs: Record<string, string> = {}, env: Record<string, string> = {}): Promise<ActionRun> {
  return runBundledAction('packer', {
    workspace: at.workspace,
    inputs: {
      config: 'cluster-config/aws-demo.yml',
      template: 'infra/packer/null.pkr.hcl',
      playbooks: 'infra/ansible',
      'base-image': 'debian-12',
      variables: `images_dir=${at.images}`,
      store: at.store,
      ...inputs,
    },
    env: { PATH: [...at.path, process.env.PATH].join(delimiter), HOME: at.workspace, RUNNER_TEMP: at.workspace, ...env },
  });
}

const bakes = async (at: Checkout): Promise<string[]> =>
  (await readFile(join(at.images, 'bakes.log'), 'utf8').catch(() => '')).split('\n').filter((line) => line !== '');

const messages = (run: ActionRun, command: string): string[] => run.commands.filter((c) => c.command === command).map((c) => c.message);

/** A `packer` first on PATH that notes each call in `calls` and then fails: what proves packer was not run. */
async function forbidPacker(at: Checkout): Promise<string> {
  const bin = await tempDir('lsa-bin-');
  const calls = join(bin, 'calls');
  await writeFile(join(bin, 'packer'), `#!/bin/sh\necho "$*" >> "${calls}"\nexit 1\n`);
  await chmod(join(bin, 'packer'), 0o755);
  at.path = [bin];
  return calls;
}

describe('the packer action with the image records beside the terraform state (s3rver with the lock table on dynalite)', () => {
  const servers = useStateServers();

  it('records the image beside the state, and the next run finds it there: a cache hit that runs no packer', async () => {
    const at = await checkout({ quickBake: true });
    const key = 'clusters/demo-shop/terraform.tfstate';
    // The example cluster, its remote state moved to the local servers.
    const example = await readFile(join(at.workspace, 'cluster-config', 'aws-demo.yml'), 'utf8');
    const withoutState = example.slice(0, example.lastIndexOf('\n---\n') + 1);
    await writeFile(
      join(at.workspace, 'cluster-config', 'aws-demo.yml'),
      `${withoutState}${remoteStateDocument(servers(), key).join('\n')}\n`,
    );
    const env = { ...AWS_TEST_ENV };
    const first = await packer(at, { store: '', config: 'cluster-config/aws-demo.yml' }, env);
    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    const hash = first.outputs.hash ?? '';
    expect(first.outputs.record).toBe(`s3://${servers().bucket}/${key}.lambdastack/images/${hash}.json`);
    expect(first.outputs['cache-hit']).toBe('false');

    const calls = await forbidPacker(at);
    const second = await packer(at, { store: '', config: 'cluster-config/aws-demo.yml' }, env);
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.outputs).toMatchObject({ 'cache-hit': 'true', 'image-id': first.outputs['image-id'], hash });
    expect(await readFile(calls, 'utf8').catch(() => '')).toBe('');
  });

  it('keeps the records beside the state of another store than the config names, given by backend-config (the local demo)', async () => {
    const at = await checkout({ quickBake: true });
    // The example config as it is: its state in an AWS bucket, pointed at the servers by the input.
    const inputs = { store: '', config: 'cluster-config/aws-demo.yml', 'backend-config': JSON.stringify(backendOverrides(servers())) };
    const run = await packer(at, inputs, { ...AWS_TEST_ENV });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.record).toBe(
      `s3://${servers().bucket}/clusters/demo-shop/terraform.tfstate.lambdastack/images/${run.outputs.hash}.json`,
    );

    const notJson = await packer(at, { ...inputs, 'backend-config': 'endpoint=http://x' }, { ...AWS_TEST_ENV });
    expect(notJson.exitCode).toBe(1);
    expect(messages(notJson, 'error')[0]).toMatch(
      /^input `backend-config` is not JSON \(.*\): give an object of backend settings, for example \{"endpoints"/,
    );
  });
});

describe('the packer action (its committed bundle, run as the runner runs it)', () => {
  it('bakes on the first run, then a second run is a cache hit that runs no packer at all', async () => {
    const at = await checkout();

    const first = await packer(at);

    expect(first.exitCode, first.stdout + first.stderr).toBe(0);
    const hash = first.outputs.hash ?? '';
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(first.outputs).toEqual({
      'image-id': `local-${hash.slice(0, 16)}`,
      'cache-hit': 'false',
      hash,
      record: `file://${at.store}/images/${hash}.json`,
    });
    expect(await bakes(at)).toEqual([`local-${hash.slice(0, 16)} ${hash} 1.20.12 debian-12`]);
    expect(await readdir(join(at.images, `local-${hash.slice(0, 16)}`, 'root', 'etc', 'ansible', 'facts.d'))).toEqual([
      'lambdastack_common.fact',
      'lambdastack_kubernetes_packages.fact',
    ]);
    const record = JSON.parse(await readFile(join(at.store, 'images', `${hash}.json`), 'utf8'));
    expect(record).toMatchObject({
      schema: IMAGE_RECORD_SCHEMA,
      hash,
      imageId: `local-${hash.slice(0, 16)}`,
      artifactId: 'Null',
      builder: 'null',
      template: 'infra/packer/null.pkr.hcl',
      kubernetesVersion: '1.20.12',
      baseImage: 'debian-12',
    });
    expect(record.files.map((file: { path: string }) => file.path)).toEqual(
      expect.arrayContaining(['infra/ansible/site.yml', 'infra/packer/null.pkr.hcl']),
    );
    expect(first.summary).toContain('<h2>Worker image: aws/demo-shop</h2>');
    expect(first.summary).toMatch(/🔨 baked image <code>local-[0-9a-f]{16}<\/code> in \d+\.\d s and recorded it/);
    expect(first.summary).toContain(`<tr><td>Content hash (sha256)</td><td><code>${hash}</code></td></tr>`);

    const calls = await forbidPacker(at);
    const second = await packer(at);

    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.outputs).toEqual({ ...first.outputs, 'cache-hit': 'true' });
    expect(await readFile(calls, 'utf8').catch(() => 'not run')).toBe('not run');
    expect(await bakes(at)).toHaveLength(1);
    expect(second.summary).toContain(`♻️ cache hit: image <code>local-${hash.slice(0, 16)}</code>, baked ${record.builtAt}; nothing built`);
  }, 120_000);

  it('bakes again when a node playbook, the Kubernetes version or the base image changes', async () => {
    const at = await checkout({ quickBake: true });
    const first = await packer(at);
    await appendFile(join(at.workspace, 'infra/ansible/roles/node_join/tasks/main.yml'), '# changed\n');
    const playbook = await packer(at);
    const base = await packer(at, { 'base-image': 'debian-13' });
    const config = join(at.workspace, 'cluster-config/aws-demo.yml');
    await writeFile(config, (await readFile(config, 'utf8')).replace('version: 1.20.12', 'version: 1.21.14'));
    const version = await packer(at);

    const runs = [first, playbook, base, version];
    expect(runs.map((run) => run.exitCode)).toEqual([0, 0, 0, 0]);
    expect(runs.map((run) => run.outputs['cache-hit'])).toEqual(['false', 'false', 'false', 'false']);
    expect(new Set(runs.map((run) => run.outputs.hash)).size).toBe(4);
    expect(new Set(runs.map((run) => run.outputs['image-id'])).size).toBe(4);
    expect((await bakes(at)).map((line) => line.split(' ').slice(2).join(' '))).toEqual([
      '1.20.12 debian-12',
      '1.20.12 debian-12',
      '1.20.12 debian-13',
      '1.21.14 debian-12',
    ]);
  }, 120_000);

  it('uses the image another run recorded first for the same hash, and says its own is unused', async () => {
    const at = await checkout({ quickBake: true });
    // A packer that, while this run bakes, lets "another run" record the same hash first.
    const real = String((await execa('sh', ['-c', 'command -v packer'])).stdout).trim();
    const bin = await tempDir('lsa-bin-');
    const other = (hash: string): string =>
      JSON.stringify({
        schema: IMAGE_RECORD_SCHEMA,
        hash,
        imageId: 'local-other-writer',
        artifactId: 'Null',
        builder: 'null',
        template: 'infra/packer/null.pkr.hcl',
        kubernetesVersion: '1.20.12',
        baseImage: 'debian-12',
        files: [],
        packerRunUuid: 'other',
        builtAt: '2026-12-01T00:00:00.000Z',
        builtBy: {},
      });
    await writeFile(
      join(bin, 'packer'),
      [
        '#!/bin/sh',
        'if [ "$1" = build ]; then',
        '  for arg in "$@"; do case "$arg" in content_hash=*) hash=$(echo "$arg" | cut -d= -f2) ;; esac; done',
        `  mkdir -p "${at.store}/images"`,
        `  printf '%s' '${other('HASH')}' | sed "s/HASH/$hash/" > "${at.store}/images/$hash.json"`,
        'fi',
        `exec "${real}" "$@"`,
      ].join('\n'),
    );
    await chmod(join(bin, 'packer'), 0o755);
    at.path = [bin];

    const run = await packer(at);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const hash = run.outputs.hash ?? '';
    expect(run.outputs['image-id']).toBe('local-other-writer');
    expect(run.outputs['cache-hit']).toBe('false');
    expect(messages(run, 'warning')).toEqual([
      `another run recorded image local-other-writer for these inputs while this one baked local-${hash.slice(0, 16)}: using local-other-writer; local-${hash.slice(0, 16)} is unused and can be deleted`,
    ]);
    expect(run.summary).toContain(`⚠️ baked <code>local-${hash.slice(0, 16)}</code>`);
    expect(JSON.parse(await readFile(join(at.store, 'images', `${hash}.json`), 'utf8')).imageId).toBe('local-other-writer');
  }, 120_000);

  it('two runs at once over the same inputs end with one record, and both output its image', async () => {
    const at = await checkout({ quickBake: true });
    const runs = await Promise.all([packer(at), packer(at)]);

    expect(runs.map((run) => run.exitCode)).toEqual([0, 0]);
    expect(runs[0]?.outputs['image-id']).toBe(runs[1]?.outputs['image-id']);
    expect(await readdir(join(at.store, 'images'))).toEqual([`${runs[0]?.outputs.hash}.json`]);
  }, 120_000);

  it("refuses a config without the workers' Kubernetes version, annotated at its line, running no packer", async () => {
    const at = await checkout();
    const calls = await forbidPacker(at);
    await writeFile(join(at.workspace, 'cluster-config/bare.yml'), yaml(...clusterLines()));

    const run = await packer(at, { config: 'cluster-config/bare.yml' });

    expect(run.exitCode).toBe(1);
    const [annotation] = run.commands.filter((command) => command.command === 'error');
    expect(annotation?.properties).toEqual({ title: 'Invalid cluster config', file: 'cluster-config/bare.yml', line: '10', col: '5' });
    expect(annotation?.message).toMatch(
      /^no configuration\/kubernetes-node document named "default" \(the kubernetes_node configuration\): add one with `specification.version`/,
    );
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    expect(await readFile(calls, 'utf8').catch(() => 'not run')).toBe('not run');
    expect(run.outputs).toEqual({});
  });

  it('refuses bad inputs with a message that names the input and the fix', async () => {
    const at = await checkout();
    await writeFile(
      join(at.workspace, 'cluster-config/any.yml'),
      yaml(...clusterLines({ provider: 'any' }), '---', 'kind: configuration/kubernetes-node', 'specification:', '  version: 1.20.12'),
    );
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ config: '' }, /^input `config` is empty: set it to the cluster's config file/],
      [{ config: 'cluster-config' }, /^input `config`: cluster-config is a directory: name the one cluster config file/],
      [{ template: 'infra/packer/gcp.pkr.hcl' }, /^input `template`: infra\/packer\/gcp.pkr.hcl does not exist/],
      [{ playbooks: 'infra/ansible\n../elsewhere' }, /^input `playbooks`: \.\.\/elsewhere is outside the repository checkout/],
      [{ variables: 'region eu-west-1' }, /^input `variables`: "region eu-west-1" is not `name=value`: write one packer variable a line/],
      [
        { variables: 'content_hash=abc' },
        /^input `variables`: content_hash is set by the action from the cluster config and its other inputs/,
      ],
      [{ 'base-image': '' }, /^input `base-image` is empty and cluster-config\/aws-demo.yml does not name the workers' OS image/],
      [{ config: 'cluster-config/any.yml', template: '' }, /^cluster-config\/any.yml is for provider `any`: set input `template`/],
      [
        { config: 'cluster-config/any.yml', store: '' },
        /^cluster-config\/any.yml has no configuration\/remote-state document: the image record lives beside the terraform state/,
      ],
      [{ variables: 'nope=1' }, /^packer validate refused infra\/packer\/null.pkr.hcl:\n[\s\S]*"nope" variable was passed/],
    ];
    for (const [inputs, message] of cases) {
      const run = await packer(at, inputs);
      expect(run.exitCode, JSON.stringify(inputs)).toBe(1);
      expect(messages(run, 'error'), JSON.stringify(inputs)).toEqual([expect.stringMatching(message)]);
      expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    }
    expect(await bakes(at)).toEqual([]);
  }, 60_000);

  it('records nothing when the build fails, and says to re-run', async () => {
    const at = await checkout({ quickBake: true });
    await mkdir(join(at.images, 'bakes.log'));
    const run = await packer(at);

    expect(run.exitCode).toBe(1);
    expect(messages(run, 'error')).toEqual([
      'packer build of infra/packer/null.pkr.hcl failed (exit 1): the log above says why; nothing was recorded (a temporary failure: re-run the job)',
    ]);
    expect(await readdir(at.store).catch(() => [])).toEqual([]);
  }, 60_000);
});
