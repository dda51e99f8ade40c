import { describe, expect, it } from 'vitest';
import { matchesNodeAffinity, type NodeIdentity, nodeRequirementMatches, nodeSelectorTermMatches } from '../../src/kube/node-affinity.js';

const worker: NodeIdentity = { name: 'shop-kubernetes-node-vm-0', labels: { 'node-type': 'lambdastack', zone: 'a', gen: '5' } };

describe('node selector requirements', () => {
  it.each([
    [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, 'a', true],
    [{ key: 'zone', operator: 'In', values: ['b'] }, 'a', false],
    [{ key: 'zone', operator: 'In', values: ['a'] }, undefined, false],
    [{ key: 'zone', operator: 'NotIn', values: ['b'] }, 'a', true],
    [{ key: 'zone', operator: 'NotIn', values: ['b'] }, undefined, true],
    [{ key: 'zone', operator: 'Exists' }, 'a', true],
    [{ key: 'zone', operator: 'Exists' }, undefined, false],
    [{ key: 'zone', operator: 'DoesNotExist' }, undefined, true],
    [{ key: 'gen', operator: 'Gt', values: ['4'] }, '5', true],
    [{ key: 'gen', operator: 'Gt', values: ['5'] }, '5', false],
    [{ key: 'gen', operator: 'Lt', values: ['6'] }, '5', true],
    [{ key: 'gen', operator: 'Gt', values: ['4'] }, '5.0', false],
    [{ key: 'gen', operator: 'Lt', values: ['6'] }, '', false],
    [{ key: 'zone', operator: 'Equals', values: ['a'] }, 'a', false],
  ])('%j against %j is %j', (requirement, value, expected) => {
    expect(nodeRequirementMatches(requirement, value)).toBe(expected);
  });
});

describe('node affinity', () => {
  it('lets a pod without nodeSelector or affinity go anywhere', () => {
    expect(matchesNodeAffinity({}, worker)).toBe(true);
    expect(matchesNodeAffinity({}, { name: 'bare' })).toBe(true);
  });

  it('requires every nodeSelector label', () => {
    expect(matchesNodeAffinity({ nodeSelector: { 'node-type': 'lambdastack' } }, worker)).toBe(true);
    expect(matchesNodeAffinity({ nodeSelector: { 'node-type': 'lambdastack', pool: 'gpu' } }, worker)).toBe(false);
  });

  it('ORs terms and ANDs the requirements within one', () => {
    const affinity = (terms: Parameters<typeof nodeSelectorTermMatches>[0][]) => ({
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } } },
    });
    const zoneB = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] };
    const zoneAGen5 = {
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['a'] },
        { key: 'gen', operator: 'Gt', values: ['4'] },
      ],
    };
    const zoneAGen9 = {
      matchExpressions: [
        { key: 'zone', operator: 'In', values: ['a'] },
        { key: 'gen', operator: 'Gt', values: ['8'] },
      ],
    };
    expect(matchesNodeAffinity(affinity([zoneB, zoneAGen5]), worker)).toBe(true);
    expect(matchesNodeAffinity(affinity([zoneB, zoneAGen9]), worker)).toBe(false);
    expect(matchesNodeAffinity(affinity([]), worker)).toBe(false);
    expect(matchesNodeAffinity(affinity([{}]), worker)).toBe(false);
    expect(matchesNodeAffinity({ nodeSelector: { pool: 'gpu' }, ...affinity([zoneAGen5]) }, worker)).toBe(false);
  });

  it('matches fields on metadata.name only, as DaemonSet pods are pinned to their node', () => {
    const pinned = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [worker.name] }] };
    expect(nodeSelectorTermMatches(pinned, worker)).toBe(true);
    expect(nodeSelectorTermMatches(pinned, { name: 'other' })).toBe(false);
    expect(nodeSelectorTermMatches({ matchFields: [{ key: 'spec.unschedulable', operator: 'Exists' }] }, worker)).toBe(false);
  });

  it('never treats a property every object inherits as a label', () => {
    expect(nodeSelectorTermMatches({ matchExpressions: [{ key: 'constructor', operator: 'Exists' }] }, worker)).toBe(false);
    expect(matchesNodeAffinity({ nodeSelector: { toString: 'x' } }, worker)).toBe(false);
  });
});
