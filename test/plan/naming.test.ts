import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countChangeNodes, vmName, vmNames } from '../../src/plan/index.js';

describe('LambdaStack VM naming: <prefix>-<name>-<component with _ as ->-vm-<i>', () => {
  it('joins prefix, cluster name, component and the 0-based index', () => {
    expect(vmName('demo', 'shop', 'kubernetes_node', 0)).toBe('demo-shop-kubernetes-node-vm-0');
    expect(vmName('demo', 'shop', 'kubernetes_node', 11)).toBe('demo-shop-kubernetes-node-vm-11');
    expect(vmName('staging', 'lambdastack', 'opendistro_for_elasticsearch', 2)).toBe(
      'staging-lambdastack-opendistro-for-elasticsearch-vm-2',
    );
  });

  it.each([[''], [undefined], [null], ['default']])('leaves the prefix out when it is %j', (prefix) => {
    expect(vmName(prefix, 'shop', 'kubernetes_node', 0)).toBe('shop-kubernetes-node-vm-0');
  });

  it('keeps a prefix that only contains "default"', () => {
    expect(vmName('defaults', 'shop', 'kubernetes_node', 0)).toBe('defaults-shop-kubernetes-node-vm-0');
    expect(vmName('nodefault', 'shop', 'kubernetes_node', 0)).toBe('nodefault-shop-kubernetes-node-vm-0');
  });

  it('lower-cases everything', () => {
    expect(vmName('DEMO', 'Shop', 'Kubernetes_Node', 1)).toBe('demo-shop-kubernetes-node-vm-1');
  });

  it('turns every underscore of the component into a dash', () => {
    expect(vmName('p', 'c', 'a_b_c', 0)).toBe('p-c-a-b-c-vm-0');
  });

  it('lists names from..to-1 in order', () => {
    expect(vmNames('demo', 'shop', 'kubernetes_node', 2, 5)).toEqual([
      'demo-shop-kubernetes-node-vm-2',
      'demo-shop-kubernetes-node-vm-3',
      'demo-shop-kubernetes-node-vm-4',
    ]);
    expect(vmNames('demo', 'shop', 'kubernetes_node', 3, 3)).toEqual([]);
  });
});

describe('the VMs a count change adds and removes', () => {
  it('scaling up adds the next indices, lowest first', () => {
    expect(countChangeNodes('demo', 'shop', 'kubernetes_node', 2, 4)).toEqual({
      add: ['demo-shop-kubernetes-node-vm-2', 'demo-shop-kubernetes-node-vm-3'],
      remove: [],
    });
  });

  it('scaling up from zero starts at vm-0', () => {
    expect(countChangeNodes(undefined, 'shop', 'kafka', 0, 2)).toEqual({ add: ['shop-kafka-vm-0', 'shop-kafka-vm-1'], remove: [] });
  });

  it('scaling down removes the highest indices first', () => {
    expect(countChangeNodes('demo', 'shop', 'kubernetes_node', 5, 2)).toEqual({
      add: [],
      remove: ['demo-shop-kubernetes-node-vm-4', 'demo-shop-kubernetes-node-vm-3', 'demo-shop-kubernetes-node-vm-2'],
    });
  });

  it('scaling down to zero removes every VM, vm-0 last', () => {
    expect(countChangeNodes('', 'shop', 'kubernetes_node', 2, 0).remove).toEqual([
      'shop-kubernetes-node-vm-1',
      'shop-kubernetes-node-vm-0',
    ]);
  });

  it('no change adds and removes nothing', () => {
    expect(countChangeNodes('demo', 'shop', 'kubernetes_node', 3, 3)).toEqual({ add: [], remove: [] });
  });

  it('for any from and to: |to - from| distinct names, only added or only removed, ending at exactly vm-0..vm-(to-1) (property)', () => {
    const part = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
    fc.assert(
      fc.property(
        fc.option(fc.oneof(part, fc.constant('default'), fc.constant('')), { nil: undefined }),
        part,
        fc.constantFrom('kubernetes_node', 'kafka', 'load_balancer', 'opendistro_for_elasticsearch'),
        fc.nat({ max: 300 }),
        fc.nat({ max: 300 }),
        (prefix, cluster, component, from, to) => {
          const { add, remove } = countChangeNodes(prefix, cluster, component, from, to);
          expect(add.length + remove.length).toBe(Math.abs(to - from));
          expect(add.length === 0 || remove.length === 0).toBe(true);
          expect(new Set([...add, ...remove]).size).toBe(add.length + remove.length);
          // Applying the change to the VMs of `from` gives the VMs of `to`.
          const before = vmNames(prefix, cluster, component, 0, from);
          const after = [...before.filter((name) => !remove.includes(name)), ...add];
          expect(after).toEqual(vmNames(prefix, cluster, component, 0, to));
          // Added lowest index first, removed highest first.
          const index = (name: string) => Number(name.slice(name.lastIndexOf('-') + 1));
          expect(add.map(index)).toEqual([...add.map(index)].sort((a, b) => a - b));
          expect(remove.map(index)).toEqual([...remove.map(index)].sort((a, b) => b - a));
          for (const name of [...add, ...remove]) expect(name).toMatch(/^[a-z0-9-]+-vm-\d+$/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
