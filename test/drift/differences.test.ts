// How the workers differ from the config's count: missing VMs and extra nodes, by LambdaStack's
// naming rule (demo-shop-kubernetes-node-vm-<i>), with and without a worker label selector.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DeclaredWorkers, nodeDifferences } from '../../src/drift/index.js';
import type { NodeView } from '../../src/policy/snapshot.js';
import { master, worker, workerName } from '../policy/builders.js';

const declared = (count: number, selector = false): DeclaredWorkers => ({ name: 'shop', prefix: 'demo', count, selector });

/** A node nobody named by the rule: a VM someone joined by hand. */
const handMade = (name: string, overrides: Partial<NodeView> = {}): NodeView =>
  worker(0, { name, index: undefined, worker: false, labels: { 'kubernetes.io/hostname': name }, ...overrides });

describe('node differences', () => {
  it('finds none when the Ready workers are exactly indices 0..count-1 (masters are not workers)', () => {
    expect(nodeDifferences([master(0), master(1), worker(0), worker(1), worker(2)], declared(3))).toEqual([]);
  });

  it('names a missing VM by the rule, whether its node is gone or not Ready; a cordoned node is not missing', () => {
    const nodes = [master(), worker(0, { unschedulable: true }), worker(2, { ready: false })];
    expect(nodeDifferences(nodes, declared(3))).toEqual([
      { kind: 'missing', name: workerName(1), why: 'absent' },
      { kind: 'missing', name: workerName(2), why: 'not-ready' },
    ]);
  });

  it('calls a node at or above the count extra, and a worker-looking node the rule does not name', () => {
    const nodes = [
      master(),
      worker(0),
      worker(1),
      worker(3, { ready: false }),
      handMade('gpu-box-1'),
      handMade('demo-shop-kubernetes-node-vm-01'),
    ];
    expect(nodeDifferences(nodes, declared(2))).toEqual([
      { kind: 'extra', name: 'demo-shop-kubernetes-node-vm-01', why: 'unnamed' },
      { kind: 'extra', name: workerName(3), why: 'above-count' },
      { kind: 'extra', name: 'gpu-box-1', why: 'unnamed' },
    ]);
  });

  it('never calls the control plane extra: by its role label, or by its kubernetes_master VM name', () => {
    const labelled = handMade('cp-by-hand', { labels: { 'node-role.kubernetes.io/control-plane': '' } });
    const oldStyle = handMade('old-master', { labels: { 'node-role.kubernetes.io/master': '' } });
    expect(nodeDifferences([master(0), master(2), labelled, oldStyle, worker(0)], declared(1))).toEqual([]);
  });

  it('with a worker selector, only nodes the selector matches look like workers', () => {
    const other = handMade('infra-1');
    const matched = handMade('pool-node-x', { worker: true });
    expect(nodeDifferences([master(), worker(0), other, matched], declared(1, true))).toEqual([
      { kind: 'extra', name: 'pool-node-x', why: 'unnamed' },
    ]);
  });

  it('with a count of 0, every worker is extra and nothing is missing', () => {
    expect(nodeDifferences([master(), worker(0)], declared(0))).toEqual([{ kind: 'extra', name: workerName(0), why: 'above-count' }]);
  });

  it('property: missing is exactly the indices below the count without a Ready node; extra never holds one of them or a master', () => {
    const arb = fc.record({
      count: fc.integer({ min: 0, max: 8 }),
      present: fc.uniqueArray(fc.record({ index: fc.integer({ min: 0, max: 12 }), ready: fc.boolean() }), { selector: (n) => n.index }),
      handMade: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { maxLength: 3 }),
      masters: fc.integer({ min: 0, max: 3 }),
    });
    fc.assert(
      fc.property(arb, ({ count, present, handMade: names, masters }) => {
        const nodes = [
          ...Array.from({ length: masters }, (_, i) => master(i)),
          ...present.map(({ index, ready }) => worker(index, { ready })),
          ...names.map((name) => handMade(`x-${name}`)),
        ];
        const differences = nodeDifferences(nodes, declared(count));
        const missing = differences.filter((d) => d.kind === 'missing').map((d) => d.name);
        const extra = differences.filter((d) => d.kind === 'extra').map((d) => d.name);
        const readyBelow = new Set(present.filter((n) => n.ready && n.index < count).map((n) => n.index));
        expect(missing).toEqual(
          Array.from({ length: count }, (_, i) => i)
            .filter((i) => !readyBelow.has(i))
            .map(workerName),
        );
        expect(new Set(extra)).toEqual(
          new Set([...present.filter((n) => n.index >= count).map((n) => workerName(n.index)), ...names.map((name) => `x-${name}`)]),
        );
        expect(new Set(differences.map((d) => d.name)).size).toBe(differences.length);
        for (let i = 0; i < masters; i++) expect(differences.map((d) => d.name)).not.toContain(master(i).name);
      }),
    );
  });
});
