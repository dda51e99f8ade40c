import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { UserError } from '../errors.js';

/**
 * The price table (data/prices.yml): hourly list prices of VM sizes by provider and region, with
 * where they come from and when they were written down. Prices are kept as whole micro-dollars
 * (millionths of a dollar), so sums and differences of them are exact.
 */

/** A dollar amount in millionths of a dollar: 0.0456 $/h is 45,600. */
export type Micros = number;

export const MICROS_PER_DOLLAR = 1_000_000;

/** The providers a price table may list: the clouds LambdaStack provisions VMs on. */
export const PRICED_PROVIDERS = ['aws', 'azure'] as const;
export type PricedProvider = (typeof PRICED_PROVIDERS)[number];

export interface ProviderPrices {
  /** The public page the prices were read from. */
  source: string;
  /** What the prices are for (purchase option, operating system, unit). */
  terms: string;
  /** Region key → size → hourly price. */
  regions: ReadonlyMap<string, ReadonlyMap<string, Micros>>;
}

export interface PriceTable {
  /** Where the table was read from, for messages and the comment's footnote. */
  file: string;
  currency: 'USD';
  /** The day the figures were written into the table (YYYY-MM-DD). */
  compiled: string;
  providers: Partial<Record<PricedProvider, ProviderPrices>>;
}

const price = z
  .number('must be a number of dollars per hour')
  .positive('must be more than 0')
  .refine((value) => Number.isSafeInteger(Math.round(value * MICROS_PER_DOLLAR)), 'is too large')
  .refine((value) => Math.abs(value * MICROS_PER_DOLLAR - Math.round(value * MICROS_PER_DOLLAR)) < 1e-6, 'has more than 6 decimal places');

const sizeName = z.string().min(1).regex(/^\S+$/, 'must be a VM size name without spaces');

const providerSchema = z.strictObject({
  source: z.url({ protocol: /^https$/, error: 'must be the https address of the price page' }),
  terms: z.string().min(1, 'must say what the prices are for'),
  regions: z.record(z.string().regex(/^[a-z0-9-]+$/, 'must be lower case without spaces'), z.record(sizeName, price)),
});

const tableSchema = z.strictObject({
  currency: z.literal('USD', 'must be USD'),
  compiled: z.iso.date('must be a date written YYYY-MM-DD (quote it)'),
  providers: z.strictObject({ aws: providerSchema.optional(), azure: providerSchema.optional() }),
});

/** `West Europe`, `westeurope` and `WestEurope` are one Azure location; AWS codes are already lower case. */
export function regionKey(region: string): string {
  return region.toLowerCase().replace(/\s+/g, '');
}

/** The price table in `text`, checked; a problem names the file, the key and what to write. */
export function parsePriceTable(text: string, file: string): PriceTable {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    throw new UserError(`${file}: not YAML (${(error as Error).message.split('\n')[0]}): fix the price table's syntax`);
  }
  const result = tableSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      // A record key's own message is nested under zod's generic "Invalid key in record".
      const message = issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message;
      return `${issue.path.join('.') || '(top)'} ${message}`;
    });
    throw new UserError(`${file}: not a price table: ${problems.join('; ')} (see the comment at the top of data/prices.yml)`);
  }
  const providers: PriceTable['providers'] = {};
  for (const provider of PRICED_PROVIDERS) {
    const given = result.data.providers[provider];
    if (!given) continue;
    const regions = new Map<string, ReadonlyMap<string, Micros>>();
    for (const [region, sizes] of Object.entries(given.regions)) {
      regions.set(
        region,
        new Map(Object.entries(sizes).map(([size, dollars]) => [sizeKey(provider, size), Math.round(dollars * MICROS_PER_DOLLAR)])),
      );
    }
    providers[provider] = { source: given.source, terms: given.terms, regions };
  }
  return { file, currency: result.data.currency, compiled: result.data.compiled, providers };
}

/** Reads and checks the price table file at `path`, named `file` in messages. */
export async function readPriceTable(path: string, file = path): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`${file}: cannot read the price table (${(error as NodeJS.ErrnoException).code ?? String(error)}): check the path`);
  }
  return parsePriceTable(text, file);
}

/** Azure size names are case-insensitive (`Standard_DS1_v2` is `standard_ds1_v2`); AWS's are lower case already. */
function sizeKey(provider: PricedProvider, size: string): string {
  return provider === 'azure' ? size.toLowerCase() : size;
}

export type PriceLookup = { found: true; hourly: Micros; region: string } | { found: false; reason: string };

/**
 * The hourly price of `size` in `region` of `provider`. Anything the table does not hold is
 * `found: false` with the reason in words, "no price for <size> in <region>" first: a missing
 * price is reported, never estimated from another region or size.
 */
export function lookupPrice(table: PriceTable, provider: string, region: string | undefined, size: string): PriceLookup {
  if (!(PRICED_PROVIDERS as readonly string[]).includes(provider)) {
    return { found: false, reason: `no price for ${size}: provider ${provider} has no price list (existing machines)` };
  }
  const prices = table.providers[provider as PricedProvider];
  if (!prices) return { found: false, reason: `no price for ${size}: ${table.file} has no ${provider} prices` };
  if (region === undefined) {
    return { found: false, reason: `no price for ${size}: the cluster config names no region (specification.cloud.region)` };
  }
  const key = regionKey(region);
  const sizes = prices.regions.get(key);
  if (!sizes) {
    const known = [...prices.regions.keys()].sort().join(', ');
    return { found: false, reason: `no price for ${size} in ${key}: ${table.file} has ${provider} prices for ${known} only` };
  }
  const hourly = sizes.get(sizeKey(provider as PricedProvider, size));
  if (hourly === undefined) return { found: false, reason: `no price for ${size} in ${key}` };
  return { found: true, hourly, region: key };
}
