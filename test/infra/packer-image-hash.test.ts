import { appendFile, cp, mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ImageInputs, imageHash } from '../../src/infra/image-hash.js';
import { REPO_ROOT } from '../actions/runner.js';
import { tempDir } from '../support/temp.js';

/** A checkout with the repository's infra/ in it. */
async function checkout(): Promise<string> {
  const dir = await tempDir('lsa-hash-');
  await cp(join(REPO_ROOT, 'infra'), join(dir, 'infra'), { recursive: true });
  return dir;
}

const inputs = (workspace: string, change: Partial<ImageInputs> = {}): ImageInputs => ({
  workspace,
  template: 'infra/packer/null.pkr.hcl',
  playbooks: ['infra/ansible'],
  kubernetesVersion: '1.20.12',
  baseImage: 'debian-12',
  variables: { region: 'eu-west-1' },
  ...change,
});

describe('imageHash: the content hash of a worker image', () => {
  it('is the same for the same inputs in another checkout (paths are relative to the workspace)', async () => {
    const a = await imageHash(inputs(await checkout()));
    const b = await imageHash(inputs(await checkout()));

    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.hash).toBe(a.hash);
    expect(a.files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['infra/packer/null.pkr.hcl', 'infra/ansible/site.yml', 'infra/ansible/image.yml']),
    );
    expect(a.description.split('\n').slice(0, 4)).toEqual([
      'lambdastack-autoscaler worker image v1',
      'kubernetes-version "1.20.12"',
      'base-image "debian-12"',
      'template "infra/packer/null.pkr.hcl"',
    ]);
  });

  it('changes with the template, any playbook file, the Kubernetes version, the base image and the provider settings', async () => {
    const dir = await checkout();
    const base = (await imageHash(inputs(dir))).hash;
    const hashes = new Set([base]);

    hashes.add((await imageHash(inputs(dir, { kubernetesVersion: '1.21.0' }))).hash);
    hashes.add((await imageHash(inputs(dir, { baseImage: 'debian-11' }))).hash);
    hashes.add((await imageHash(inputs(dir, { template: 'infra/packer/aws.pkr.hcl' }))).hash);
    hashes.add((await imageHash(inputs(dir, { variables: { region: 'us-east-1' } }))).hash);
    hashes.add((await imageHash(inputs(dir, { variables: { region: 'eu-west-1', instance_type: 't3.large' } }))).hash);
    await appendFile(join(dir, 'infra/ansible/roles/node_join/tasks/main.yml'), '# a comment\n');
    hashes.add((await imageHash(inputs(dir))).hash);
    await writeFile(join(dir, 'infra/ansible/roles/common/files.txt'), 'new file\n');
    hashes.add((await imageHash(inputs(dir))).hash);
    await rename(join(dir, 'infra/ansible/roles/common/files.txt'), join(dir, 'infra/ansible/roles/common/moved.txt'));
    hashes.add((await imageHash(inputs(dir))).hash);
    await appendFile(join(dir, 'infra/packer/null.pkr.hcl'), '\n');
    hashes.add((await imageHash(inputs(dir))).hash);

    expect(hashes.size).toBe(10);
  });

  it('ignores what is never part of an image: byte-code caches, .retry files, files outside the inputs', async () => {
    const dir = await checkout();
    const base = (await imageHash(inputs(dir))).hash;

    await mkdir(join(dir, 'infra/ansible/callback_plugins/__pycache__'));
    await writeFile(join(dir, 'infra/ansible/callback_plugins/__pycache__/lambdastack_json.cpython-311.pyc'), 'bytes');
    await writeFile(join(dir, 'infra/ansible/site.retry'), 'w3\n');
    await writeFile(join(dir, 'infra/packer/other.pkr.hcl'), '# another template\n');
    await writeFile(join(dir, 'README.md'), 'docs\n');

    expect((await imageHash(inputs(dir))).hash).toBe(base);
  });

  it('hashes a symbolic link as its target path, without following it', async () => {
    const dir = await checkout();
    await writeFile(join(dir, 'outside.txt'), 'one');
    await symlink('../../outside.txt', join(dir, 'infra/ansible/link'));
    const first = await imageHash(inputs(dir));
    expect(first.files.map((file) => file.path)).toContain('infra/ansible/link');

    await writeFile(join(dir, 'outside.txt'), 'two');
    expect((await imageHash(inputs(dir))).hash).toBe(first.hash);
    await rm(join(dir, 'infra/ansible/link'));
    await symlink('../../other.txt', join(dir, 'infra/ansible/link'));
    expect((await imageHash(inputs(dir))).hash).not.toBe(first.hash);
  });

  it('names the provider settings, but shows their values only as hashes (the description is logged)', async () => {
    const hashed = await imageHash(inputs(await checkout(), { variables: { subnet_id: 'subnet-private-0123' } }));
    expect(hashed.description).toMatch(/\nvariable "subnet_id" [0-9a-f]{64}$/);
    expect(hashed.description).not.toContain('subnet-private-0123');
  });

  it('cannot be forged through a line break in a value', async () => {
    const dir = await checkout();
    const plain = await imageHash(inputs(dir, { baseImage: 'a' }));
    const forged = await imageHash(inputs(dir, { baseImage: 'a"\nkubernetes-version "1.20.12' }));
    expect(forged.hash).not.toBe(plain.hash);
    expect(forged.description.split('\n')).toHaveLength(plain.description.split('\n').length);
  });
});
