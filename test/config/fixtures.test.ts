import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigs, parseClusterConfig, setComponentCount } from '../../src/config/index.js';
import { scalePlan } from '../../src/plan/index.js';
import { expectClusterLoadsAndEdits, expectNoClusterLoads, realConfigFiles } from '../compat/real-configs.js';
import { fixturesDir } from './support.js';

/** Copies of real LambdaStack and Epiphany configs (see test/fixtures/config/README.md): checked in every clone. */
const files = realConfigFiles(fixturesDir);
const read = (name: string) => readFileSync(join(fixturesDir, name), 'utf8');

describe('real configs kept in test/fixtures/config', () => {
  it('are all there', () => {
    expect(files.map((f) => [f.name, f.hasCluster])).toEqual([
      ['epiphany-any-minimal.yml', true],
      ['lambdastack-aws-default.yml', true],
      ['lambdastack-azure-default.yml', true],
      ['lambdastack-docs-availability-set.yml', true],
      ['lambdastack-kubernetes-node-defaults.yml', false],
    ]);
  });

  it.each(files.filter((f) => f.hasCluster).map((f) => [f.name, f] as const))(
    '%s loads, and a kubernetes_node edit is a one-line diff',
    async (_name, file) => {
      await expectClusterLoadsAndEdits(file);
    },
  );

  it.each(files.filter((f) => !f.hasCluster).map((f) => [f.name, f] as const))(
    '%s (no cluster document) loads with no problems',
    async (_name, file) => {
      await expectNoClusterLoads(file);
    },
  );

  it('the AWS default reads as LambdaStack ships it', () => {
    const config = parseClusterConfig('aws.yml', read('lambdastack-aws-default.yml'));
    expect(config).toMatchObject({ kind: 'lambdastack-cluster', provider: 'aws', name: 'lambdastack', prefix: 'staging', autoscaling: {} });
    expect(config.counts).toEqual({
      kubernetes_master: 1,
      kubernetes_node: 2,
      logging: 1,
      monitoring: 1,
      kafka: 2,
      postgresql: 0,
      load_balancer: 1,
      rabbitmq: 0,
      ignite: 0,
      opendistro_for_elasticsearch: 0,
      repository: 1,
      single_machine: 0,
    });
  });

  it('the AWS default: the exact edit, keeping its comments and quoting', () => {
    const text = read('lambdastack-aws-default.yml');
    const result = setComponentCount('aws.yml', text, 'kubernetes_node', 5);
    expect(result.line).toBe(35);
    expect(result.text).toBe(text.replace('    kubernetes_node:\n      count: 2\n', '    kubernetes_node:\n      count: 5\n'));
  });

  it('the docs example with a leading comment before `---` and comments at column 0 inside the cluster', () => {
    const text = read('lambdastack-docs-availability-set.yml');
    expect(text.startsWith('# Test availability set config\n---\n')).toBe(true);
    const config = parseClusterConfig('docs.yml', text);
    expect(config).toMatchObject({ provider: 'azure', name: 'test-cluster', prefix: 'test' });
    expect(config.documents.map((d) => d.kind)).toEqual([
      'lambdastack-cluster',
      'infrastructure/availability-set',
      'infrastructure/availability-set',
    ]);
    const result = setComponentCount('docs.yml', text, 'kubernetes_node', 3);
    expect(result.text).toBe(
      text.replace(
        '      availability_set: kube-node  # Short and simple name is preferred\n      count: 2\n',
        '      availability_set: kube-node  # Short and simple name is preferred\n      count: 3\n',
      ),
    );
  });

  it('the Epiphany minimal config: an epiphany-cluster with many machine documents', () => {
    const config = parseClusterConfig('epiphany.yml', read('epiphany-any-minimal.yml'));
    expect(config.kind).toBe('epiphany-cluster');
    expect(config.documents.filter((d) => d.kind === 'infrastructure/machine').length).toBeGreaterThan(5);
  });

  it('the directory loads as two-plus clusters of different identities, the defaults file skipped', async () => {
    // Run from the fixtures folder: files are still named from the repository root.
    const result = await loadConfigs(['.'], fixturesDir);
    const DIR = 'test/fixtures/config';
    // The aws and azure defaults share prefix and name but not the provider: two clusters.
    expect(result.problems).toEqual([]);
    expect(result.configs.map((c) => c.file)).toEqual([
      `${DIR}/epiphany-any-minimal.yml`,
      `${DIR}/lambdastack-aws-default.yml`,
      `${DIR}/lambdastack-azure-default.yml`,
      `${DIR}/lambdastack-docs-availability-set.yml`,
    ]);
    expect(result.skipped).toEqual([`${DIR}/lambdastack-kubernetes-node-defaults.yml`]);
  });

  it('a plan between a real config and its edit names the LambdaStack VMs', () => {
    const text = read('lambdastack-azure-default.yml');
    const base = parseClusterConfig('azure.yml', text);
    const head = parseClusterConfig('azure.yml', setComponentCount('azure.yml', text, 'kubernetes_node', 4).text);
    expect(scalePlan([base], [head]).clusters[0]?.components).toEqual([
      {
        component: 'kubernetes_node',
        from: 2,
        to: 4,
        add: ['staging-lambdastack-kubernetes-node-vm-2', 'staging-lambdastack-kubernetes-node-vm-3'],
        remove: [],
      },
    ]);
  });
});
