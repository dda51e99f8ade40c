/**
 * The store's order, indexes and history, against what they stand for: a list is every object in
 * key order (however creates and removals were interleaved with lists), a page is a slice of it,
 * and a list with a selector an index covers gives what filtering every object gives.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimClock } from '../../../src/sim/kube/clock.js';
import { installIndexes } from '../../../src/sim/kube/indexes.js';
import { compileFilter, matchesFilter, Registry } from '../../../src/sim/kube/registry.js';
import { R } from '../../../src/sim/kube/resources.js';
import { Store } from '../../../src/sim/kube/store.js';
import type { KubeObject } from '../../../src/sim/kube/types.js';

type Op =
  | { kind: 'create'; namespace: string; name: string; node: string | undefined; app: string }
  | { kind: 'remove'; pick: number }
  | { kind: 'relabel'; pick: number; app: string }
  | { kind: 'list' };

const namespaceArb = fc.constantFrom('a', 'a-b', 'b', 'kube-system');
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('create' as const),
      namespace: namespaceArb,
      name: fc.stringMatching(/^[a-z][a-z0-9-]{0,6}$/),
      node: fc.option(fc.constantFrom('n1', 'n2', 'n3'), { nil: undefined }),
      app: fc.constantFrom('web', 'db', 'cache'),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('remove' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('relabel' as const), pick: fc.nat(), app: fc.constantFrom('web', 'db', 'cache') }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('list' as const) }) },
);

function pod(namespace: string, name: string, node: string | undefined, app: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace,
      uid: `${namespace}/${name}`,
      resourceVersion: '',
      creationTimestamp: '2025-03-01T12:00:00Z',
      labels: { app },
    },
    spec: { containers: [], ...(node ? { nodeName: node } : {}) },
  };
}

function keyOf(o: KubeObject): string {
  return `${o.metadata.namespace}/${o.metadata.name}`;
}

/** Every page of a list of `limit`, followed by its continue tokens. */
function pages(
  registry: Registry,
  options: { namespace?: string; labelSelector?: string; fieldSelector?: string },
  limit: number,
): string[] {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = registry.list(R.pods, options.namespace, {
      limit,
      ...(token ? { continue: token } : {}),
      ...(options.labelSelector ? { labelSelector: options.labelSelector } : {}),
      ...(options.fieldSelector ? { fieldSelector: options.fieldSelector } : {}),
    });
    keys.push(...page.items.map(keyOf));
    token = page.continue;
  } while (token);
  return keys;
}

describe('the store at any point of random creates, removals and relabels', () => {
  it('lists in key order, pages without gaps or repeats, and reads indexes that agree with filtering every object', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 1, max: 7 }), (ops, limit) => {
        const store = new Store();
        installIndexes(store);
        const registry = new Registry(store, new SimClock({ timeScale: 0 }));
        const live = (): KubeObject[] => [...store.values('pods')];
        for (const op of ops) {
          if (op.kind === 'create') {
            if (!store.get('pods', op.namespace, op.name)) store.create('pods', pod(op.namespace, op.name, op.node, op.app));
          } else if (op.kind === 'remove' || op.kind === 'relabel') {
            const all = live();
            const target = all[op.pick % Math.max(1, all.length)];
            if (!target) continue;
            if (op.kind === 'remove') store.remove('pods', target.metadata.namespace, target.metadata.name);
            else store.update('pods', { ...target, metadata: { ...target.metadata, labels: { app: op.app } } });
          } else {
            // Lists between writes: the order is merged from what changed since the last one.
            store.list('pods');
          }
        }
        const everything = live();
        const sorted = everything.map(keyOf).sort();
        expect(store.list('pods').map(keyOf)).toEqual(sorted);
        expect(pages(registry, {}, limit)).toEqual(sorted);
        for (const namespace of ['a', 'a-b', 'b']) {
          expect(store.list('pods', namespace).map(keyOf)).toEqual(sorted.filter((k) => k.startsWith(`${namespace}/`)));
        }
        for (const selectors of [
          { fieldSelector: 'spec.nodeName=n1' },
          { fieldSelector: 'spec.nodeName=' },
          { fieldSelector: 'spec.nodeName!=n2' },
          { labelSelector: 'app=web' },
          { labelSelector: 'app in (db,cache)' },
          { labelSelector: 'app=web', fieldSelector: 'spec.nodeName=n3' },
          { namespace: 'a', labelSelector: 'app==db' },
          { fieldSelector: 'metadata.namespace=a-b' },
          { namespace: 'b', fieldSelector: `metadata.name=${everything[0]?.metadata.name ?? 'x'}` },
        ]) {
          const filter = compileFilter(R.pods, selectors.labelSelector, selectors.fieldSelector);
          const expected = everything
            .filter((o) => (selectors.namespace === undefined || o.metadata.namespace === selectors.namespace) && matchesFilter(o, filter))
            .map(keyOf)
            .sort();
          expect(pages(registry, selectors, limit), JSON.stringify(selectors)).toEqual(expected);
        }
      }),
      { numRuns: 200, seed: 11 },
    );
  });
});

describe('a store building without history', () => {
  it('keeps no change of the build for watches: one from before it is too old, one from after it sees every change', () => {
    const store = new Store();
    store.create('pods', pod('a', 'before', undefined, 'web'));
    const before = store.revision;
    store.withoutHistory(() => {
      for (let i = 0; i < 5; i++) store.create('pods', pod('a', `built-${i}`, 'n1', 'web'));
    });
    expect(store.since(before)).toBeUndefined();
    const listed = store.revision;
    expect(store.since(listed)).toEqual([]);
    store.remove('pods', 'a', 'built-0');
    expect(store.since(listed)?.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['DELETED built-0']);
  });
});
