import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClusterConfig, parseClusterConfig } from '../../src/config/index.js';
import { componentChanges, scalePlan, vmNames } from '../../src/plan/index.js';

function cluster(options: {
  file?: string;
  name?: string;
  prefix?: string;
  provider?: ClusterConfig['provider'];
  counts?: Record<string, number>;
}): ClusterConfig {
  return {
    file: options.file ?? 'cluster-config/shop.yml',
    kind: 'lambdastack-cluster',
    provider: options.provider ?? 'aws',
    name: options.name ?? 'shop',
    prefix: 'prefix' in options ? options.prefix : 'demo',
    counts: options.counts ?? { kubernetes_master: 1, kubernetes_node: 3 },
    autoscaling: {},
    remoteState: undefined,
    documents: [],
  };
}

describe('the scale plan between two sets of cluster configs', () => {
  it('scaling up lists the added node names, lowest index first', () => {
    const plan = scalePlan(
      [cluster({ counts: { kubernetes_master: 1, kubernetes_node: 2 } })],
      [cluster({ counts: { kubernetes_master: 1, kubernetes_node: 4 } })],
    );
    expect(plan).toEqual({
      clusters: [
        {
          file: 'cluster-config/shop.yml',
          name: 'shop',
          provider: 'aws',
          change: 'scaled',
          counts: { kubernetes_master: 1, kubernetes_node: 4 },
          components: [
            {
              component: 'kubernetes_node',
              from: 2,
              to: 4,
              add: ['demo-shop-kubernetes-node-vm-2', 'demo-shop-kubernetes-node-vm-3'],
              remove: [],
            },
          ],
        },
      ],
    });
  });

  it('scaling down removes the highest indices first', () => {
    const plan = scalePlan([cluster({ counts: { kubernetes_node: 5 } })], [cluster({ counts: { kubernetes_node: 2 } })]);
    expect(plan.clusters[0]?.components).toEqual([
      {
        component: 'kubernetes_node',
        from: 5,
        to: 2,
        add: [],
        remove: ['demo-shop-kubernetes-node-vm-4', 'demo-shop-kubernetes-node-vm-3', 'demo-shop-kubernetes-node-vm-2'],
      },
    ]);
  });

  it('lists every changed component of a cluster and leaves unchanged ones out', () => {
    const plan = scalePlan(
      [cluster({ counts: { kubernetes_master: 1, kubernetes_node: 3, kafka: 2, logging: 1 } })],
      [cluster({ counts: { kubernetes_master: 1, kubernetes_node: 4, kafka: 1, logging: 1 } })],
    );
    expect(plan.clusters[0]?.components.map((c) => [c.component, c.from, c.to, c.add, c.remove])).toEqual([
      ['kubernetes_node', 3, 4, ['demo-shop-kubernetes-node-vm-3'], []],
      ['kafka', 2, 1, [], ['demo-shop-kafka-vm-1']],
    ]);
  });

  it('a component that appears counts from 0, one that disappears goes to 0', () => {
    const plan = scalePlan(
      [cluster({ counts: { kubernetes_node: 2, kafka: 2 } })],
      [cluster({ counts: { kubernetes_node: 2, rabbitmq: 1 } })],
    );
    expect(plan.clusters[0]?.components).toEqual([
      { component: 'kafka', from: 2, to: 0, add: [], remove: ['demo-shop-kafka-vm-1', 'demo-shop-kafka-vm-0'] },
      { component: 'rabbitmq', from: 0, to: 1, add: ['demo-shop-rabbitmq-vm-0'], remove: [] },
    ]);
  });

  it('names nodes without the prefix when it is empty or `default`', () => {
    for (const prefix of [undefined, '', 'default']) {
      const plan = scalePlan([cluster({ prefix, counts: { kubernetes_node: 1 } })], [cluster({ prefix, counts: { kubernetes_node: 2 } })]);
      expect(plan.clusters[0]?.components[0]?.add).toEqual(['shop-kubernetes-node-vm-1']);
    }
  });

  it('leaves unchanged clusters out, and is empty when nothing changed', () => {
    const base = [cluster({ name: 'shop' }), cluster({ name: 'blog', file: 'cluster-config/blog.yml' })];
    expect(scalePlan(base, base)).toEqual({ clusters: [] });
    const head = [
      cluster({ name: 'shop' }),
      cluster({ name: 'blog', file: 'cluster-config/blog.yml', counts: { kubernetes_master: 1, kubernetes_node: 4 } }),
    ];
    expect(scalePlan(base, head).clusters.map((c) => [c.name, c.change])).toEqual([['blog', 'scaled']]);
  });

  it('reports an added cluster as `added` with its counts, and no component scaling', () => {
    const plan = scalePlan([], [cluster({ counts: { kubernetes_master: 1, kubernetes_node: 3 } })]);
    expect(plan.clusters).toEqual([
      {
        file: 'cluster-config/shop.yml',
        name: 'shop',
        provider: 'aws',
        change: 'added',
        counts: { kubernetes_master: 1, kubernetes_node: 3 },
        components: [],
      },
    ]);
  });

  it('reports a removed cluster as `removed` with the counts it had, and no component scaling', () => {
    const plan = scalePlan([cluster({})], []);
    expect(plan.clusters).toEqual([
      {
        file: 'cluster-config/shop.yml',
        name: 'shop',
        provider: 'aws',
        change: 'removed',
        counts: { kubernetes_master: 1, kubernetes_node: 3 },
        components: [],
      },
    ]);
  });

  it('reports a new name in the same file as `renamed` (not scaled, even with new counts), with the identity it had', () => {
    const plan = scalePlan([cluster({ name: 'shop' })], [cluster({ name: 'store', counts: { kubernetes_master: 1, kubernetes_node: 9 } })]);
    expect(plan.clusters).toEqual([
      {
        file: 'cluster-config/shop.yml',
        name: 'store',
        provider: 'aws',
        change: 'renamed',
        previous: { id: 'aws/demo-shop', file: 'cluster-config/shop.yml' },
        counts: { kubernetes_master: 1, kubernetes_node: 9 },
        components: [],
      },
    ]);
  });

  it('reports a new prefix in the same file as `renamed`', () => {
    const plan = scalePlan([cluster({ prefix: 'demo' })], [cluster({ prefix: 'prod' })]);
    expect(plan.clusters.map((c) => [c.change, c.previous?.id, c.components])).toEqual([['renamed', 'aws/demo-shop', []]]);
  });

  it('does not treat prefix `default` ↔ no prefix, or a change of letter case, as a rename (the VM names stay the same)', () => {
    expect(scalePlan([cluster({ prefix: 'default' })], [cluster({ prefix: undefined })])).toEqual({ clusters: [] });
    expect(scalePlan([cluster({ prefix: 'demo', name: 'shop' })], [cluster({ prefix: 'DEMO', name: 'Shop' })])).toEqual({ clusters: [] });
  });

  it('does not treat a moved file as a change when the cluster identity is the same', () => {
    const plan = scalePlan([cluster({ file: 'cluster-config/shop.yml' })], [cluster({ file: 'cluster-config/eu/shop.yml' })]);
    expect(plan).toEqual({ clusters: [] });
  });

  it('a moved file with a new count is scaled, reported under its new file', () => {
    const plan = scalePlan(
      [cluster({ file: 'cluster-config/shop.yml', counts: { kubernetes_node: 2 } })],
      [cluster({ file: 'cluster-config/eu/shop.yml', counts: { kubernetes_node: 3 } })],
    );
    expect(plan.clusters.map((c) => [c.file, c.change, c.components.map((x) => x.add)])).toEqual([
      ['cluster-config/eu/shop.yml', 'scaled', [['demo-shop-kubernetes-node-vm-2']]],
    ]);
  });

  it('a file whose cluster moved elsewhere and that now holds a new cluster: the moved one is unchanged, the new one is added', () => {
    const plan = scalePlan(
      [cluster({ file: 'cluster-config/a.yml', name: 'shop' })],
      [cluster({ file: 'cluster-config/b.yml', name: 'shop' }), cluster({ file: 'cluster-config/a.yml', name: 'blog' })],
    );
    expect(plan.clusters.map((c) => [c.file, c.name, c.change])).toEqual([['cluster-config/a.yml', 'blog', 'added']]);
  });

  it('the same name on another provider is another cluster', () => {
    const plan = scalePlan(
      [cluster({ file: 'a.yml', provider: 'aws' })],
      [cluster({ file: 'a.yml', provider: 'aws' }), cluster({ file: 'b.yml', provider: 'azure' })],
    );
    expect(plan.clusters.map((c) => [c.file, c.provider, c.change])).toEqual([['b.yml', 'azure', 'added']]);
  });

  it('works on configs read from real files', () => {
    const text = (n: number) =>
      [
        'kind: lambdastack-cluster',
        'provider: azure',
        'specification:',
        '  prefix: default',
        '  name: analytics',
        '  components:',
        '    kubernetes_master: {count: 1}',
        `    kubernetes_node: {count: ${n}}`,
        '',
      ].join('\n');
    const plan = scalePlan([parseClusterConfig('a.yml', text(3))], [parseClusterConfig('a.yml', text(1))]);
    expect(plan.clusters[0]?.components).toEqual([
      {
        component: 'kubernetes_node',
        from: 3,
        to: 1,
        add: [],
        remove: ['analytics-kubernetes-node-vm-2', 'analytics-kubernetes-node-vm-1'],
      },
    ]);
  });
});

describe('scale plans for random count changes (property)', () => {
  const components = ['kubernetes_master', 'kubernetes_node', 'kafka', 'logging'];
  const countsArb = fc.record(Object.fromEntries(components.map((c) => [c, fc.nat({ max: 50 })])) as Record<string, fc.Arbitrary<number>>);

  it('each component change adds or removes exactly |to - from| distinct nodes, never both; unchanged ones are left out', () => {
    fc.assert(
      fc.property(countsArb, countsArb, fc.option(fc.constantFrom('demo', 'default', ''), { nil: undefined }), (from, to, prefix) => {
        const plan = scalePlan([cluster({ prefix, counts: from })], [cluster({ prefix, counts: to })]);
        const changed = components.filter((c) => from[c] !== to[c]);
        if (changed.length === 0) {
          expect(plan.clusters).toEqual([]);
          return;
        }
        expect(plan.clusters).toHaveLength(1);
        const changes = plan.clusters[0]?.components ?? [];
        expect(plan.clusters[0]?.change).toBe('scaled');
        expect(changes.map((c) => c.component)).toEqual(changed);
        const all: string[] = [];
        for (const change of changes) {
          const a = from[change.component] as number;
          const b = to[change.component] as number;
          expect([change.from, change.to]).toEqual([a, b]);
          expect(change.add.length + change.remove.length).toBe(Math.abs(b - a));
          expect(change.add.length === 0 || change.remove.length === 0).toBe(true);
          expect(change.add).toEqual(vmNames(prefix, 'shop', change.component, a, b));
          expect(change.remove).toEqual(vmNames(prefix, 'shop', change.component, b, a).reverse());
          all.push(...change.add, ...change.remove);
        }
        expect(new Set(all).size).toBe(all.length);
      }),
      { numRuns: 300 },
    );
  });

  it('componentChanges and scalePlan agree', () => {
    fc.assert(
      fc.property(countsArb, countsArb, (from, to) => {
        const base = cluster({ counts: from });
        const head = cluster({ counts: to });
        expect(scalePlan([base], [head]).clusters[0]?.components ?? []).toEqual(componentChanges(base, head));
      }),
      { numRuns: 100 },
    );
  });
});
