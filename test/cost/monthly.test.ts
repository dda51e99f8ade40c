import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfigs } from '../../src/config/index.js';
import {
  type CostChange,
  costLine,
  formatHourly,
  formatUsd,
  HOURS_PER_MONTH,
  monthlyCostChange,
  type Pool,
} from '../../src/cost/monthly.js';
import { costChanges } from '../../src/cost/plan-cost.js';
import { parsePriceTable } from '../../src/cost/price-table.js';
import { scalePlan } from '../../src/plan/index.js';
import { yaml } from '../support/config-text.js';
import { withTempDir } from '../support/temp.js';

/** A table of three AWS sizes in one region, as data/prices.yml writes it. */
const TABLE = parsePriceTable(
  yaml(
    'currency: USD',
    'compiled: "2026-12-02"',
    'providers:',
    '  aws:',
    '    source: https://aws.amazon.com/ec2/pricing/on-demand/',
    '    terms: EC2 On-Demand, Linux',
    '    regions:',
    '      eu-west-1:',
    '        t3.medium: 0.0456',
    '        m5.large: 0.107',
    '        r5.4xlarge: 1.128',
  ),
  'prices.yml',
);
const PRICED_SIZES = ['t3.medium', 'm5.large', 'r5.4xlarge'] as const;

function change(before: Pool, after: Pool, more: Partial<CostChange> = {}): CostChange {
  return {
    cluster: 'aws/demo-shop',
    file: 'cluster-config/shop.yml',
    component: 'kubernetes_node',
    provider: 'aws',
    region: 'eu-west-1',
    before,
    after,
    ...more,
  };
}

const workers = (count: number, size = 't3.medium'): Pool => ({ count, size });
const delta = (line: ReturnType<typeof costLine>): number => {
  if (!line.monthly) throw new Error(`unpriced: ${line.missing.join('; ')}`);
  return line.monthly.delta;
};

const count = fc.integer({ min: 0, max: 500 });
const pricedPool = fc.record({ count, size: fc.constantFrom(...PRICED_SIZES) });

describe('the monthly cost change of a scale plan', () => {
  it('is the nodes added × the hourly price × 730 hours: 2 more t3.medium in eu-west-1 cost $66.58 a month', () => {
    const line = costLine(TABLE, change(workers(3), workers(5)));
    expect(line).toEqual({
      change: change(workers(3), workers(5)),
      hourly: { before: 45_600, after: 45_600 },
      monthly: { before: 99_864_000, after: 166_440_000, delta: 66_576_000 },
      missing: [],
    });
    expect(formatUsd(delta(line), { signed: true })).toBe('+$66.58');
    expect(formatUsd(delta(costLine(TABLE, change(workers(5), workers(3)))), { signed: true })).toBe('-$66.58');
  });

  it('prices a change of size made in the same edit: 3 t3.medium → 3 m5.large', () => {
    const line = costLine(TABLE, change(workers(3), workers(3, 'm5.large')));
    expect(delta(line)).toBe(3 * (107_000 - 45_600) * HOURS_PER_MONTH);
  });

  it('needs no price for a side with no machines: scaling from zero prices only the new size', () => {
    const line = costLine(TABLE, change({ count: 0, size: undefined, why: 'no size' }, workers(2)));
    expect(delta(line)).toBe(2 * 45_600 * 730);
  });

  it('leaves a size with no price unpriced, says "no price for <size>", and keeps it out of an incomplete total', () => {
    const result = monthlyCostChange(TABLE, [
      change(workers(3), workers(5)),
      change(workers(1), workers(2, 't3.mega'), { cluster: 'aws/demo-big' }),
      change(workers(2), workers(1), { cluster: 'aws/demo-far', region: 'ap-south-1' }),
    ]);
    expect(result.lines.map((line) => line.missing)).toEqual([
      [],
      ['no price for t3.mega in eu-west-1'],
      ['no price for t3.medium in ap-south-1: prices.yml has aws prices for eu-west-1 only'],
    ]);
    expect(result.lines[1]?.monthly).toBeUndefined();
    expect(result).toMatchObject({ delta: 66_576_000, complete: false });
  });

  it('says why a side has no size, once, when both sides lack it', () => {
    const why = 'no price for load_balancer: shop.yml gives it no size';
    const line = costLine(TABLE, change({ count: 1, size: undefined, why }, { count: 2, size: undefined, why }));
    expect(line.missing).toEqual([why]);
  });

  it('is zero when nothing changes, and the total of no changes is zero and complete', () => {
    fc.assert(fc.property(pricedPool, (pool) => delta(costLine(TABLE, change(pool, pool))) === 0));
    expect(monthlyCostChange(TABLE, [])).toEqual({ lines: [], delta: 0, complete: true });
  });

  it('reverses exactly: undoing a change costs its negation', () => {
    fc.assert(
      fc.property(pricedPool, pricedPool, (a, b) => delta(costLine(TABLE, change(a, b))) === -delta(costLine(TABLE, change(b, a)))),
    );
  });

  it('adds up exactly: a → b then b → c costs what a → c costs (whole micro-dollars, no rounding drift)', () => {
    fc.assert(
      fc.property(pricedPool, pricedPool, pricedPool, (a, b, c) => {
        const steps = delta(costLine(TABLE, change(a, b))) + delta(costLine(TABLE, change(b, c)));
        return steps === delta(costLine(TABLE, change(a, c)));
      }),
    );
  });

  it('for one size, is (to − from) × price × 730, with the sign of the count change', () => {
    fc.assert(
      fc.property(count, count, fc.constantFrom(...PRICED_SIZES), (from, to, size) => {
        const cost = delta(costLine(TABLE, change(workers(from, size), workers(to, size))));
        const hourly = TABLE.providers.aws?.regions.get('eu-west-1')?.get(size) ?? Number.NaN;
        return cost === (to - from) * hourly * HOURS_PER_MONTH && Math.sign(cost) === Math.sign(to - from);
      }),
    );
  });

  it('totals the priced lines and is complete only when every line is priced', () => {
    const pool = fc.oneof(pricedPool, fc.record({ count: fc.integer({ min: 1, max: 50 }), size: fc.constant('x9.unknown') }));
    fc.assert(
      fc.property(fc.array(fc.tuple(pool, pool), { maxLength: 8 }), (pairs) => {
        const result = monthlyCostChange(
          TABLE,
          pairs.map(([a, b]) => change(a, b)),
        );
        const priced = result.lines.filter((line) => line.monthly !== undefined);
        const sum = priced.reduce((total, line) => total + delta(line), 0);
        const unpricedSay = result.lines
          .filter((line) => !line.monthly)
          .every((line) => line.missing[0]?.startsWith('no price for x9.unknown'));
        return result.delta === sum && result.complete === (priced.length === result.lines.length) && unpricedSay;
      }),
    );
  });
});

describe('how amounts read', () => {
  it.each([
    [66_576_000, '+$66.58'],
    [-66_576_000, '-$66.58'],
    [0, '$0.00'],
    [4_999, '$0.00'],
    [5_000, '+$0.01'],
    [-5_000, '-$0.01'],
    [1_234_567_890, '+$1,234.57'],
  ])('%i micro-dollars read %s', (micros, text) => {
    expect(formatUsd(micros, { signed: true })).toBe(text);
  });

  it('reads an amount and its negation alike but for the sign (rounded half away from zero)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10 ** 12 }), (micros) => {
        const plus = formatUsd(micros, { signed: true });
        const minus = formatUsd(-micros, { signed: true });
        return plus === '$0.00' ? minus === '$0.00' : minus === `-${plus.slice(1)}`;
      }),
    );
  });

  it.each([
    [45_600, '$0.0456'],
    [1_170_000, '$1.17'],
    [96_000, '$0.096'],
    [2_000_000, '$2.00'],
    [5_800, '$0.0058'],
  ])('an hourly price of %i micro-dollars reads %s, as the price page writes it', (micros, text) => {
    expect(formatHourly(micros)).toBe(text);
  });
});

describe('the cost changes of a plan, from the two configs', () => {
  const config = (nodes: number, size: string, more: string[] = []): string =>
    yaml(
      'kind: lambdastack-cluster',
      'provider: aws',
      'specification:',
      '  prefix: demo',
      '  name: shop',
      '  cloud:',
      '    region: eu-west-1',
      '  components:',
      '    kubernetes_master:',
      '      count: 1',
      '    kubernetes_node:',
      `      count: ${nodes}`,
      '      machine: kubernetes-node-machine',
      '    load_balancer:',
      `      count: ${nodes > 3 ? 2 : 1}`,
      '---',
      'kind: infrastructure/virtual-machine',
      'provider: aws',
      'name: kubernetes-node-machine',
      'specification:',
      `  size: ${size}`,
      ...more,
    );

  it('reads each side size from its own config and the region from the cluster document; a component without a size is no price', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'before'));
      await mkdir(join(dir, 'after'));
      await writeFile(join(dir, 'before', 'shop.yml'), config(3, 't3.medium'));
      await writeFile(join(dir, 'after', 'shop.yml'), config(5, 'm5.large'));
      const before = (await loadConfigs(['before'], dir)).configs.map((c) => ({ ...c, file: 'shop.yml' }));
      const after = (await loadConfigs(['after'], dir)).configs.map((c) => ({ ...c, file: 'shop.yml' }));
      const plan = scalePlan(before, after);

      const changes = costChanges(plan, before, after);

      expect(changes).toEqual([
        {
          cluster: 'aws/demo-shop',
          file: 'shop.yml',
          component: 'kubernetes_node',
          provider: 'aws',
          region: 'eu-west-1',
          before: { count: 3, size: 't3.medium' },
          after: { count: 5, size: 'm5.large' },
        },
        {
          cluster: 'aws/demo-shop',
          file: 'shop.yml',
          component: 'load_balancer',
          provider: 'aws',
          region: 'eu-west-1',
          before: { count: 1, size: undefined, why: expect.stringMatching(/^no price for load_balancer: shop\.yml gives it no size/) },
          after: { count: 2, size: undefined, why: expect.stringMatching(/^no price for load_balancer: shop\.yml gives it no size/) },
        },
      ]);
      const cost = monthlyCostChange(TABLE, changes);
      expect(cost.delta).toBe((5 * 107_000 - 3 * 45_600) * 730);
      expect(cost.complete).toBe(false);
    });
  });
});
