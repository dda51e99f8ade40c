import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { TransientError, UserError } from '../../src/errors.js';
import { buildImage, imageIdOf, validateTemplate } from '../../src/infra/packer.js';
import { REPO_ROOT } from '../actions/runner.js';
import { tempDir } from '../support/temp.js';

// packer 1.6.6 (Debian's) has the amazon-ebs and azure-arm builders built in, and validating a
// template does not call the cloud, so all three templates are checked here, offline.

const PACKER_DIR = join(REPO_ROOT, 'infra', 'packer');
const HASH = '0123456789abcdef'.repeat(4);
const ENV = { CHECKPOINT_DISABLE: '1' };

const contract = (baseImage: string): Record<string, string> => ({
  content_hash: HASH,
  kubernetes_version: '1.20.12',
  base_image: baseImage,
});

describe('infra/packer templates', () => {
  it('are formatted as `packer fmt` formats them', async () => {
    const result = await execa('packer', ['fmt', '-check', '-diff', PACKER_DIR], { env: ENV, reject: false });
    expect(result.exitCode, String(result.stdout)).toBe(0);
  });

  it.each([
    ['aws.pkr.hcl', 'ubuntu/images/hvm-ssd/ubuntu-bionic-18.04-amd64-server-20210907'],
    ['azure.pkr.hcl', 'Canonical:UbuntuServer:18.04-LTS:18.04.202109130'],
    ['null.pkr.hcl', 'debian-12'],
  ])('%s validates with the variables the packer action passes', async (template, baseImage) => {
    await expect(
      validateTemplate({ template: join(PACKER_DIR, template), cwd: REPO_ROOT, variables: contract(baseImage) }),
    ).resolves.toBeUndefined();
  });

  it('the null template bakes the node playbook into a local image named by the hash, and says so in its manifest', async () => {
    const images = await tempDir('lsa-images-');
    const built = await buildImage(
      {
        template: join(PACKER_DIR, 'null.pkr.hcl'),
        cwd: REPO_ROOT,
        variables: { ...contract('debian-12'), images_dir: images },
        log: 'ignore',
      },
      await tempDir(),
    );

    expect(built).toEqual({
      imageId: 'local-0123456789abcdef',
      artifactId: 'Null',
      builderType: 'null',
      packerRunUuid: expect.any(String),
    });
    const { stdout } = await execa('find', [join(images, 'local-0123456789abcdef', 'root'), '-type', 'f'], {});
    expect(
      String(stdout)
        .split('\n')
        .map((path) => path.split('/root/')[1])
        .sort(),
    ).toEqual([
      'etc/ansible/facts.d/lambdastack_common.fact',
      'etc/ansible/facts.d/lambdastack_kubernetes_packages.fact',
      'etc/lambdastack/kubernetes-version',
      'etc/modules-load.d/kubernetes.conf',
      'etc/sysctl.d/99-kubernetes.conf',
    ]);
  }, 60_000);
});

describe('buildImage and validateTemplate refuse templates that break the contract', () => {
  async function template(body: string): Promise<string> {
    const dir = await tempDir('lsa-template-');
    await mkdir(join(dir, 'packer'));
    await writeFile(join(dir, 'packer', 't.pkr.hcl'), body);
    return join(dir, 'packer', 't.pkr.hcl');
  }
  const declared = ['content_hash', 'kubernetes_version', 'base_image', 'manifest_path']
    .map((name) => `variable "${name}" { type = string }`)
    .join('\n');
  const source = 'source "null" "node" { communicator = "none" }';

  it("a template that does not declare a variable the action passes: a UserError with packer's words", async () => {
    const path = await template(`variable "content_hash" { type = string }\n${source}\nbuild { sources = ["source.null.node"] }\n`);
    const error = await validateTemplate({ template: path, cwd: REPO_ROOT, variables: contract('x') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toMatch(
      /^packer validate refused .*t\.pkr\.hcl:\n[\s\S]*kubernetes_version[\s\S]*The template must declare the variables content_hash, kubernetes_version, base_image, manifest_path/,
    );
  });

  it('a template without the manifest post-processor: a UserError saying what to add', async () => {
    const path = await template(`${declared}\n${source}\nbuild { sources = ["source.null.node"] }\n`);
    await expect(buildImage({ template: path, cwd: REPO_ROOT, variables: contract('x'), log: 'ignore' }, await tempDir())).rejects.toThrow(
      /wrote no readable manifest at var.manifest_path: end the template's build with `post-processor "manifest" \{ output = var.manifest_path \}`/,
    );
  });

  it('a null template that names no image: a UserError saying to set custom_data.image_id', async () => {
    const path = await template(
      `${declared}\n${source}\nbuild {\n  sources = ["source.null.node"]\n  post-processor "manifest" { output = var.manifest_path }\n}\n`,
    );
    await expect(buildImage({ template: path, cwd: REPO_ROOT, variables: contract('x'), log: 'ignore' }, await tempDir())).rejects.toThrow(
      /gave no image id: its builder has no artifact id, so set `custom_data = \{ image_id = … \}` in the manifest post-processor$/,
    );
  });

  it("a build that fails: a TransientError (the cloud may have failed), its log on the step's output", async () => {
    const path = await template(
      `${declared}\n${source}\nbuild {\n  sources = ["source.null.node"]\n  provisioner "shell-local" { inline = ["exit 3"] }\n  post-processor "manifest" { output = var.manifest_path }\n}\n`,
    );
    const error = await buildImage({ template: path, cwd: REPO_ROOT, variables: contract('x'), log: 'ignore' }, await tempDir()).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toMatch(
      /^packer build of .*t\.pkr\.hcl failed \(exit 1\): the log above says why; nothing was recorded$/,
    );
  });
});

describe('imageIdOf: the id later steps use, from a manifest entry', () => {
  it.each([
    [{ artifact_id: 'eu-west-1:ami-0abc1234def567890' }, 'ami-0abc1234def567890'],
    [{ artifact_id: 'eu-west-1:ami-0abc1234def567890,us-east-1:ami-0fff' }, 'ami-0abc1234def567890'],
    [
      { artifact_id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/node' },
      '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/images/node',
    ],
    [{ artifact_id: 'Null', custom_data: { image_id: 'local-0123' } }, 'local-0123'],
    [{ artifact_id: '', custom_data: { image_id: '' } }, ''],
  ])('%j → %s', (build, id) => {
    expect(imageIdOf(build)).toBe(id);
  });
});
