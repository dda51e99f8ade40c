import { describe, expect, it } from 'vitest';
import { expandMatrix, matrixJobName, strategyOf } from '../../src/workflow/matrix.js';

describe('strategy.matrix', () => {
  it('is the cross product of its vectors, less exclude, plus include as GitHub documents it', () => {
    // The example of GitHub's docs ("Expanding or adding matrix configurations").
    const combinations = expandMatrix(
      {
        fruit: ['apple', 'pear'],
        animal: ['cat', 'dog'],
        include: [
          { color: 'green' },
          { color: 'pink', animal: 'cat' },
          { fruit: 'apple', shape: 'circle' },
          { fruit: 'banana' },
          { fruit: 'banana', animal: 'cat' },
        ],
      },
      'example',
    );
    expect(combinations).toEqual([
      { fruit: 'apple', animal: 'cat', color: 'pink', shape: 'circle' },
      { fruit: 'apple', animal: 'dog', color: 'green', shape: 'circle' },
      { fruit: 'pear', animal: 'cat', color: 'pink' },
      { fruit: 'pear', animal: 'dog', color: 'green' },
      { fruit: 'banana' },
      { fruit: 'banana', animal: 'cat' },
    ]);
  });

  it('excludes by partial match, objects included', () => {
    expect(
      expandMatrix(
        { os: ['a', 'b'], cluster: [{ name: 'shop' }, { name: 'analytics' }], exclude: [{ os: 'b', cluster: { name: 'shop' } }] },
        'x',
      ),
    ).toEqual([
      { os: 'a', cluster: { name: 'shop' } },
      { os: 'a', cluster: { name: 'analytics' } },
      { os: 'b', cluster: { name: 'analytics' } },
    ]);
  });

  it('refuses an empty vector, a vector that is not a list, and a matrix with nothing left', () => {
    expect(() => expandMatrix({ cluster: [] }, 'apply')).toThrow('job apply: the matrix vector cluster does not contain any values');
    expect(() => expandMatrix({ cluster: 'shop' }, 'apply')).toThrow('job apply: the matrix vector cluster must be a list, not "shop"');
    expect(() => expandMatrix({ n: [1], exclude: [{ n: 1 }] }, 'apply')).toThrow('job apply: the matrix has no combinations left');
  });

  it('reads fail-fast (default true) and max-parallel, and names each combination', () => {
    expect(strategyOf(undefined, 'a')).toEqual({ combinations: [undefined], failFast: true, maxParallel: undefined });
    expect(strategyOf({ 'fail-fast': false, 'max-parallel': 2, matrix: { n: [1, 2] } }, 'a')).toEqual({
      combinations: [{ n: 1 }, { n: 2 }],
      failFast: false,
      maxParallel: 2,
    });
    expect(matrixJobName('apply', { cluster: { name: 'shop' }, n: 1 })).toBe('apply ({"name":"shop"}, 1)');
    expect(matrixJobName('apply', undefined)).toBe('apply');
  });
});
