import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { budgetCounts, disruptionsAllowed, expectsControllerScale, scaleIntOrPercent } from '../../src/kube/disruption-budget.js';

describe('intOrPercent scaling', () => {
  it('takes an integer as it is and a percentage of the total, rounded as asked', () => {
    expect(scaleIntOrPercent(3, 10, true)).toBe(3);
    expect(scaleIntOrPercent('50%', 5, true)).toBe(3);
    expect(scaleIntOrPercent('50%', 5, false)).toBe(2);
    expect(scaleIntOrPercent('100%', 7, true)).toBe(7);
    expect(scaleIntOrPercent('0%', 7, true)).toBe(0);
  });

  it('reads nothing else', () => {
    for (const value of ['50', '50 %', '-10%', '1.5%', 'half', -1, 1.5]) expect(scaleIntOrPercent(value, 10, true)).toBeUndefined();
  });
});

describe("a PodDisruptionBudget's numbers", () => {
  const observed = { matchingPods: 4, controllerReplicas: 5, healthyPods: 4 };

  it('minAvailable as an integer: the matching pods are expected, the number must stay healthy', () => {
    expect(expectsControllerScale({ minAvailable: 2 })).toBe(false);
    expect(budgetCounts({ minAvailable: 2 }, observed)).toEqual({
      expectedPods: 4,
      desiredHealthy: 2,
      currentHealthy: 4,
      disruptionsAllowed: 2,
    });
  });

  it("minAvailable as a percentage: the controllers' replicas are expected, the share rounded up must stay healthy", () => {
    expect(expectsControllerScale({ minAvailable: '50%' })).toBe(true);
    expect(budgetCounts({ minAvailable: '50%' }, observed)).toEqual({
      expectedPods: 5,
      desiredHealthy: 3,
      currentHealthy: 4,
      disruptionsAllowed: 1,
    });
  });

  it("maxUnavailable: the controllers' replicas are expected, less the unavailable share rounded up must stay healthy", () => {
    expect(expectsControllerScale({ maxUnavailable: 1 })).toBe(true);
    expect(budgetCounts({ maxUnavailable: 1 }, observed)).toEqual({
      expectedPods: 5,
      desiredHealthy: 4,
      currentHealthy: 4,
      disruptionsAllowed: 0,
    });
    expect(budgetCounts({ maxUnavailable: '30%' }, observed)).toMatchObject({ desiredHealthy: 3, disruptionsAllowed: 1 });
    expect(budgetCounts({ maxUnavailable: 9 }, observed)).toMatchObject({ desiredHealthy: 0, disruptionsAllowed: 4 });
  });

  it('allows nothing while no pod is expected, or while the pods are not healthy enough', () => {
    expect(budgetCounts({ maxUnavailable: 1 }, { matchingPods: 0, controllerReplicas: 0, healthyPods: 0 })).toMatchObject({
      disruptionsAllowed: 0,
    });
    expect(budgetCounts({ minAvailable: 3 }, { ...observed, healthyPods: 2 })).toMatchObject({ disruptionsAllowed: 0 });
    expect(budgetCounts({}, observed)).toEqual({ expectedPods: 0, desiredHealthy: 0, currentHealthy: 4, disruptionsAllowed: 0 });
  });

  it('fails safe on a value it cannot read: no disruption, and says why', () => {
    expect(budgetCounts({ minAvailable: 'half' }, observed)).toEqual({
      expectedPods: 0,
      desiredHealthy: 0,
      currentHealthy: 4,
      disruptionsAllowed: 0,
      problem: 'minAvailable "half" is neither a whole number nor a percentage such as "50%"',
    });
  });
});

describe('PodDisruptionBudget numbers (properties)', () => {
  const intOrPercent = fc.oneof(
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 100 }).map((n) => `${n}%`),
  );
  const spec = fc.oneof(fc.record({ minAvailable: intOrPercent }), fc.record({ maxUnavailable: intOrPercent }), fc.constant({}));
  const observation = fc
    .tuple(fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }), fc.integer({ min: 0, max: 500 }))
    .map(([matchingPods, controllerReplicas, healthy]) => ({
      matchingPods,
      controllerReplicas,
      healthyPods: Math.min(healthy, matchingPods),
    }));

  it('disruptions allowed are never negative and never more than the healthy pods', () => {
    fc.assert(
      fc.property(spec, observation, (s, o) => {
        const counts = budgetCounts(s, o);
        return counts.disruptionsAllowed >= 0 && counts.disruptionsAllowed <= counts.currentHealthy;
      }),
    );
  });

  it('evicting an allowed pod leaves the budget met: healthy − allowed is at least desired', () => {
    fc.assert(
      fc.property(spec, observation, (s, o) => {
        const counts = budgetCounts(s, o);
        return counts.disruptionsAllowed === 0 || counts.currentHealthy - counts.disruptionsAllowed >= counts.desiredHealthy;
      }),
    );
  });

  it('disruptionsAllowed alone: never negative, never above the healthy count', () => {
    fc.assert(
      fc.property(fc.integer({ min: -5, max: 500 }), fc.nat(500), fc.integer({ min: -5, max: 500 }), (expected, healthy, desired) => {
        const allowed = disruptionsAllowed(expected, healthy, desired);
        return allowed >= 0 && allowed <= healthy;
      }),
    );
  });
});
