import { describe, expect, it } from 'vitest';
import { type Taint, toleratesTaint, tolerationsTolerate, untoleratedTaint } from '../../src/kube/taints.js';

const gpu: Taint = { key: 'gpu', value: 'a100', effect: 'NoSchedule' };
const controlPlane: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };

describe('a toleration tolerates a taint', () => {
  it('with Equal (or no operator) when key, value and effect match', () => {
    expect(toleratesTaint({ key: 'gpu', operator: 'Equal', value: 'a100', effect: 'NoSchedule' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'gpu', value: 'a100' }, gpu)).toBe(true);
    expect(toleratesTaint({ key: 'gpu', value: 'h100' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'gpu', value: 'a100', effect: 'NoExecute' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'tpu', value: 'a100' }, gpu)).toBe(false);
  });

  it('with Equal, reading a missing value as the empty one', () => {
    expect(toleratesTaint({ key: 'node-role.kubernetes.io/control-plane' }, controlPlane)).toBe(true);
    expect(toleratesTaint({ key: 'node-role.kubernetes.io/control-plane', value: '' }, controlPlane)).toBe(true);
  });

  it('with Exists whatever the value; with an empty key every taint (of its effect, if it names one)', () => {
    expect(toleratesTaint({ key: 'gpu', operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists' }, gpu)).toBe(true);
    expect(toleratesTaint({ operator: 'Exists', effect: 'NoExecute' }, gpu)).toBe(false);
  });

  it('never with an empty key and Equal, or with an operator the API does not have', () => {
    expect(toleratesTaint({ value: 'a100' }, gpu)).toBe(false);
    expect(toleratesTaint({ key: 'gpu', operator: 'Gt', value: 'a100' }, gpu)).toBe(false);
  });

  it("when any one of a pod's tolerations does", () => {
    expect(
      tolerationsTolerate(
        [
          { key: 'x', operator: 'Exists' },
          { key: 'gpu', operator: 'Exists' },
        ],
        gpu,
      ),
    ).toBe(true);
    expect(tolerationsTolerate([], gpu)).toBe(false);
    expect(tolerationsTolerate(undefined, gpu)).toBe(false);
  });
});

describe('the taint that keeps a pod off a node', () => {
  const taints: Taint[] = [{ key: 'spot', effect: 'PreferNoSchedule' }, gpu, controlPlane];

  it('is the first NoSchedule or NoExecute taint not tolerated; PreferNoSchedule keeps no pod off', () => {
    expect(untoleratedTaint([], taints)).toEqual(gpu);
    expect(untoleratedTaint([{ key: 'gpu', operator: 'Exists' }], taints)).toEqual(controlPlane);
    expect(untoleratedTaint([{ operator: 'Exists' }], taints)).toBeUndefined();
    expect(untoleratedTaint([], [{ key: 'spot', effect: 'PreferNoSchedule' }])).toBeUndefined();
  });

  it('is none on an untainted node', () => {
    expect(untoleratedTaint(undefined, undefined)).toBeUndefined();
  });

  it('can be asked for other effects (NoExecute alone: what evicts running pods)', () => {
    expect(untoleratedTaint([], taints, ['NoExecute'])).toBeUndefined();
  });
});
