import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/config/index.js';
import { checkVariableOverrides, workerPoolVariables } from '../../src/infra/tfvars.js';
import { clusterConfig } from '../support/config-text.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const example = async (file: string) => parseClusterConfig(file, await readFile(join(ROOT, file), 'utf8'));

describe('the worker pool variables rendered from a cluster config', () => {
  it('takes names, count, size, region and admin user from the aws example, and the image from the input', async () => {
    expect(workerPoolVariables(await example('cluster-config/aws-demo.yml'), 'ami-0abc')).toEqual({
      cluster_name: 'shop',
      prefix: 'demo',
      worker_count: 3,
      worker_size: 't3.medium',
      image_id: 'ami-0abc',
      region: 'eu-west-1',
      admin_username: 'ubuntu',
      tags: { 'lambdastack-config': 'cluster-config/aws-demo.yml', 'managed-by': 'lambdastack-autoscaler' },
    });
  });

  it('takes the size of the virtual-machine document kubernetes_node’s machine names (azure example)', async () => {
    const variables = workerPoolVariables(await example('cluster-config/azure-demo.yml'), '');
    const text = await readFile(join(ROOT, 'cluster-config/azure-demo.yml'), 'utf8');
    const size = /name: kubernetes-node-machine\nspecification:\n {2}size: (\S+)/.exec(text)?.[1];
    expect(size).toBeDefined();
    expect(variables).toMatchObject({ cluster_name: 'analytics', worker_size: size, image_id: '' });
  });

  it('uses LambdaStack’s default size when the config has no machine document, and an empty prefix when there is none', () => {
    const config = parseClusterConfig('c.yml', clusterConfig({ prefix: null, nodes: 2 }));
    expect(workerPoolVariables(config, 'x')).toMatchObject({ prefix: '', worker_count: 2, worker_size: 't3.medium' });
  });

  it('merges the settings a workflow gives, tags included, and refuses ones the config owns', () => {
    const config = parseClusterConfig('c.yml', clusterConfig({}));
    const overrides = checkVariableOverrides({ subnet_ids: ['subnet-1', 'subnet-2'], tags: { team: 'platform' }, ssh_key_name: 'ops' });
    expect(workerPoolVariables(config, 'x', overrides)).toMatchObject({
      subnet_ids: ['subnet-1', 'subnet-2'],
      ssh_key_name: 'ops',
      tags: { 'lambdastack-config': 'c.yml', 'managed-by': 'lambdastack-autoscaler', team: 'platform' },
    });
    expect(() => checkVariableOverrides({ prefix: 'x' })).toThrow(/prefix comes from the cluster config .* change the config instead/);
    expect(() => checkVariableOverrides({ subnet_ids: 'subnet-1' })).toThrow(/subnet_ids must be a list of strings/);
    expect(() => checkVariableOverrides({ tags: { n: 1 } })).toThrow(/tags must be a mapping of strings/);
    expect(() => checkVariableOverrides({ region: 5 })).toThrow(/region must be a string/);
    expect(() => checkVariableOverrides({ ssh_public_key: '-----BEGIN OPENSSH PRIVATE KEY-----\nabc' })).toThrow(
      /ssh_public_key holds a private key: give the public key .* rotate the private key/,
    );
  });

  it('refuses a cluster without workers', () => {
    const config = parseClusterConfig('c.yml', clusterConfig({}));
    delete config.counts.kubernetes_node;
    expect(() => workerPoolVariables(config, 'x')).toThrow(
      /has no kubernetes_node component: the terraform action manages the worker pool only/,
    );
  });
});
