import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigs, WORKER_COMPONENT } from '../../src/config/index.js';
import { cloudRegion, componentMachine } from '../../src/config/machines.js';
import { lookupPrice, parsePriceTable, readPriceTable, regionKey } from '../../src/cost/price-table.js';
import { UserError } from '../../src/errors.js';
import { VM_SIZES } from '../../src/kube/vm-sizes.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PRICES = join(ROOT, 'data', 'prices.yml');

const isAzureSize = (size: string): boolean => size.startsWith('Standard_');

/** A small table in the file's format, with `change` applied to its text. */
function table(change: (text: string) => string = (text) => text): string {
  return change(
    [
      'currency: USD',
      'compiled: "2026-12-02"',
      'providers:',
      '  aws:',
      '    source: https://aws.amazon.com/ec2/pricing/on-demand/',
      '    terms: EC2 On-Demand, Linux',
      '    regions:',
      '      eu-west-1:',
      '        t3.medium: 0.0456',
      '  azure:',
      '    source: https://azure.microsoft.com/en-us/pricing/details/virtual-machines/linux/',
      '    terms: pay-as-you-go, Linux',
      '    regions:',
      '      eastus:',
      '        Standard_DS1_v2: 0.073',
      '',
    ].join('\n'),
  );
}

describe('the price table shipped in data/prices.yml', () => {
  it('is a valid table that says where its prices come from and when they were written down', async () => {
    const prices = await readPriceTable(PRICES, 'data/prices.yml');
    expect(prices.currency).toBe('USD');
    expect(prices.compiled).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(prices.providers.aws?.source).toBe('https://aws.amazon.com/ec2/pricing/on-demand/');
    expect(prices.providers.azure?.source).toBe('https://azure.microsoft.com/en-us/pricing/details/virtual-machines/linux/');
    expect(prices.providers.aws?.terms).toMatch(/On-Demand, Linux/);
  });

  it('prices every size the project knows (src/kube/vm-sizes.ts) in each region it lists', async () => {
    const prices = await readPriceTable(PRICES, 'data/prices.yml');
    const unpriced: string[] = [];
    for (const [provider, prices_] of Object.entries(prices.providers)) {
      for (const region of prices_.regions.keys()) {
        for (const size of Object.keys(VM_SIZES).filter((name) => isAzureSize(name) === (provider === 'azure'))) {
          const found = lookupPrice(prices, provider, region, size);
          if (!found.found) unpriced.push(found.reason);
        }
      }
    }
    expect(unpriced).toEqual([]);
  });

  it('prices the workers of the example AWS cluster; the Azure example is in a region the table does not list, and says so', async () => {
    const prices = await readPriceTable(PRICES, 'data/prices.yml');
    const { configs } = await loadConfigs(['cluster-config'], ROOT);
    const lookups = configs.map((config) =>
      lookupPrice(prices, config.provider, cloudRegion(config), componentMachine(config, WORKER_COMPONENT).size),
    );
    expect(lookups).toEqual([
      { found: true, hourly: 45_600, region: 'eu-west-1' },
      {
        found: false,
        reason: 'no price for Standard_D2s_v3 in westeurope: data/prices.yml has azure prices for eastus only',
      },
    ]);
  });
});

describe('reading a price table', () => {
  it('keeps prices as whole micro-dollars, so sums of them are exact', () => {
    const prices = parsePriceTable(table(), 'prices.yml');
    expect(lookupPrice(prices, 'aws', 'eu-west-1', 't3.medium')).toEqual({ found: true, hourly: 45_600, region: 'eu-west-1' });
  });

  it('matches Azure locations as configs write them and Azure sizes in any case', () => {
    const prices = parsePriceTable(table(), 'prices.yml');
    expect(regionKey('East US')).toBe('eastus');
    expect(lookupPrice(prices, 'azure', 'East US', 'standard_ds1_v2')).toEqual({ found: true, hourly: 73_000, region: 'eastus' });
  });

  it.each([
    ['a size the table lacks', 'aws', 'eu-west-1', 't3.mega', 'no price for t3.mega in eu-west-1'],
    [
      'a region the table lacks',
      'aws',
      'ap-south-1',
      't3.medium',
      'no price for t3.medium in ap-south-1: prices.yml has aws prices for eu-west-1 only',
    ],
    [
      'no region in the config',
      'aws',
      undefined,
      't3.medium',
      'no price for t3.medium: the cluster config names no region (specification.cloud.region)',
    ],
    [
      'provider any (existing machines)',
      'any',
      'eu-west-1',
      't3.medium',
      'no price for t3.medium: provider any has no price list (existing machines)',
    ],
    ['an AWS size spelt in another case', 'aws', 'eu-west-1', 'T3.MEDIUM', 'no price for T3.MEDIUM in eu-west-1'],
  ])('%s is no price, with the reason: never an estimate', (_what, provider, region, size, reason) => {
    const prices = parsePriceTable(table(), 'prices.yml');
    expect(lookupPrice(prices, provider, region, size)).toEqual({ found: false, reason });
  });

  it('says which provider a table does not price at all', () => {
    const prices = parsePriceTable(
      table((text) => text.replace(/ {2}azure:[\s\S]*$/, '')),
      'prices.yml',
    );
    expect(lookupPrice(prices, 'azure', 'eastus', 'Standard_DS1_v2')).toEqual({
      found: false,
      reason: 'no price for Standard_DS1_v2: prices.yml has no azure prices',
    });
  });

  it.each([
    ['a negative price', (t: string) => t.replace('0.0456', '-0.0456'), 'providers.aws.regions.eu-west-1.t3.medium must be more than 0'],
    [
      'a price as text',
      (t: string) => t.replace('0.0456', '"cheap"'),
      'providers.aws.regions.eu-west-1.t3.medium must be a number of dollars per hour',
    ],
    ['more than 6 decimal places', (t: string) => t.replace('0.0456', '0.0000001'), 'has more than 6 decimal places'],
    ['no date', (t: string) => t.replace('compiled: "2026-12-02"\n', ''), 'compiled must be a date written YYYY-MM-DD'],
    ['a date that is not one', (t: string) => t.replace('2026-12-02', 'last week'), 'compiled must be a date written YYYY-MM-DD'],
    [
      'a source that is not an https address',
      (t: string) => t.replace('https://aws.amazon.com/ec2/pricing/on-demand/', 'the AWS site'),
      'providers.aws.source must be the https address of the price page',
    ],
    ['a region written with spaces', (t: string) => t.replace('eastus:', 'East US:'), 'must be lower case without spaces'],
    ['an unknown key', (t: string) => t.replace('currency: USD', 'currency: USD\ndiscount: 0.1'), 'discount'],
    ['another currency', (t: string) => t.replace('currency: USD', 'currency: EUR'), 'currency must be USD'],
  ])('refuses %s, naming the file and the key', (_what, change, message) => {
    const read = () => parsePriceTable(table(change), 'data/prices.yml');
    expect(read).toThrow(UserError);
    expect(read).toThrow(/^data\/prices\.yml: not a price table: /);
    expect(read).toThrow(message);
  });

  it('refuses text that is not YAML, and a file that is not there, naming it', async () => {
    expect(() => parsePriceTable('currency: [USD', 'prices.yml')).toThrow(/^prices\.yml: not YAML/);
    await expect(readPriceTable(join(ROOT, 'data', 'no-such.yml'), 'data/no-such.yml')).rejects.toThrow(
      'data/no-such.yml: cannot read the price table (ENOENT): check the path',
    );
  });
});
