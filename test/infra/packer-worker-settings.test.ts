import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { readClusterFile, workerSettings } from '../../src/infra/worker-settings.js';
import { REPO_ROOT } from '../actions/runner.js';
import { clusterLines, yaml } from '../support/config-text.js';
import { tempDir } from '../support/temp.js';

const settingsOf = async (text: string) => {
  const path = join(await tempDir('lsa-settings-'), 'cluster.yml');
  await writeFile(path, text);
  return workerSettings(await readClusterFile(path, 'cluster-config/cluster.yml'));
};

const nodeDocument = (...spec: string[]): string[] => [
  '---',
  'kind: configuration/kubernetes-node',
  'name: default',
  'specification:',
  ...spec,
];

describe('workerSettings: what the worker image and the join take from the cluster config', () => {
  it('reads the example clusters: the release and labels of configuration/kubernetes-node, the admin user, no base image', async () => {
    for (const file of ['aws-demo.yml', 'azure-demo.yml']) {
      const settings = workerSettings(await readClusterFile(join(REPO_ROOT, 'cluster-config', file), `cluster-config/${file}`));
      expect(settings, file).toMatchObject({ kubernetesVersion: '1.20.12', nodeLabels: 'node-type=lambdastack' });
    }
  });

  it("takes the base image from the workers' machine document: an AMI name on AWS, a URN on Azure", async () => {
    const aws = await settingsOf(
      yaml(
        ...clusterLines(),
        ...nodeDocument('  version: 1.21.3'),
        '---',
        'kind: infrastructure/virtual-machine',
        'name: kubernetes-node-machine',
        'specification:',
        '  os_full_name: ubuntu/images/hvm-ssd/ubuntu-bionic-18.04-amd64-server-20210907',
      ),
    );
    expect(aws).toEqual({
      kubernetesVersion: '1.21.3',
      nodeLabels: undefined,
      baseImage: 'ubuntu/images/hvm-ssd/ubuntu-bionic-18.04-amd64-server-20210907',
      adminUser: undefined,
    });
    const azure = await settingsOf(
      yaml(
        ...clusterLines({ provider: 'azure' }),
        ...nodeDocument('  version: 1.20.12'),
        '---',
        'kind: infrastructure/virtual-machine',
        'name: kubernetes-node-machine',
        'specification:',
        '  storage_image_reference:',
        '    publisher: Canonical',
        '    offer: UbuntuServer',
        '    sku: 18.04-LTS',
        '    version: "18.04.202109130"',
      ),
    );
    expect(azure.baseImage).toBe('Canonical:UbuntuServer:18.04-LTS:18.04.202109130');
  });

  it('refuses a cluster without the configuration/kubernetes-node document, located at the component', async () => {
    const error = await settingsOf(yaml(...clusterLines())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      {
        file: 'cluster-config/cluster.yml',
        line: 10,
        column: 5,
        message:
          'no configuration/kubernetes-node document named "default" (the kubernetes_node configuration): add one with `specification.version` (for example 1.20.12), the Kubernetes release the worker image is built with',
      },
    ]);
  });

  it('looks for the document the component names in `configuration`', async () => {
    const lines = clusterLines();
    lines.push('      configuration: big-nodes');
    const error = await settingsOf(yaml(...lines, ...nodeDocument('  version: 1.20.12'))).catch((e: unknown) => e);
    expect((error as ConfigError).problems[0]?.message).toMatch(/^no configuration\/kubernetes-node document named "big-nodes"/);
    expect((error as ConfigError).problems[0]?.line).toBe(13);
  });

  it.each([
    [[], 'is missing'],
    [['  version: 1.20'], 'is 1.2'],
    [['  version: "1.20.12; rm -rf /"'], 'is "1.20.12; rm -rf /"'],
    [['  version: latest'], 'is "latest"'],
  ])('refuses a version that is not major.minor.patch: %j', async (spec, what) => {
    const error = await settingsOf(yaml(...clusterLines(), ...nodeDocument(...spec))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems[0]?.message).toBe(
      `configuration/kubernetes-node specification.version ${what}: write the Kubernetes release as major.minor.patch, for example \`version: 1.20.12\``,
    );
  });
});
