import { lookupPrice, MICROS_PER_DOLLAR, type Micros, type PriceTable } from './price-table.js';

/**
 * The monthly cost change of a scale plan, pure: for each component whose count (or size) changes,
 * count × hourly price × 730 hours, after minus before. Amounts are whole micro-dollars, so the
 * total is exactly the sum of its lines. A side with no price makes its line unpriced and the
 * total incomplete, saying why; it is never filled in with a guess.
 */

/** Hours in a month as the providers' own calculators count them (8,760 / 12). */
export const HOURS_PER_MONTH = 730;

/** A component's machines on one side of the change: how many, and their size when the config gives one. */
export type Pool = { count: number; size: string } | { count: number; size: undefined; why: string };

/** One component's change, as the cost needs it. */
export interface CostChange {
  /** How the comment names the cluster (its provider/prefix-name id). */
  cluster: string;
  file: string;
  component: string;
  provider: string;
  /** `specification.cloud.region` as written; undefined when the config has none. */
  region: string | undefined;
  before: Pool;
  after: Pool;
}

export interface CostLine {
  change: CostChange;
  /** The hourly price of each side's size, when priced (a side with no machines needs none). */
  hourly: { before?: Micros; after?: Micros };
  /** The monthly cost of each side and the difference; undefined when a side has no price. */
  monthly?: { before: Micros; after: Micros; delta: Micros };
  /** Why the line has no price ("no price for t3.mega in eu-west-1"); empty when priced. */
  missing: string[];
}

export interface MonthlyCostChange {
  lines: CostLine[];
  /** The sum of the priced lines' differences. */
  delta: Micros;
  /** Whether every line is priced, so `delta` is the whole change. */
  complete: boolean;
}

type Side = { monthly: Micros; hourly?: Micros } | { missing: string };

function priceSide(table: PriceTable, change: CostChange, pool: Pool): Side {
  // No machines cost nothing, whatever their size: a pool scaled from or to zero needs one price.
  if (pool.count === 0) return { monthly: 0 };
  if (pool.size === undefined) return { missing: pool.why };
  const price = lookupPrice(table, change.provider, change.region, pool.size);
  if (!price.found) return { missing: price.reason };
  return { monthly: pool.count * price.hourly * HOURS_PER_MONTH, hourly: price.hourly };
}

/** The cost of one component's change. */
export function costLine(table: PriceTable, change: CostChange): CostLine {
  const before = priceSide(table, change, change.before);
  const after = priceSide(table, change, change.after);
  const hourly: CostLine['hourly'] = {};
  if ('hourly' in before && before.hourly !== undefined) hourly.before = before.hourly;
  if ('hourly' in after && after.hourly !== undefined) hourly.after = after.hourly;
  if ('missing' in before || 'missing' in after) {
    const missing = [before, after].flatMap((side) => ('missing' in side ? [side.missing] : []));
    return { change, hourly, missing: [...new Set(missing)] };
  }
  return { change, hourly, monthly: { before: before.monthly, after: after.monthly, delta: after.monthly - before.monthly }, missing: [] };
}

/** The monthly cost change of every component change, and their total. */
export function monthlyCostChange(table: PriceTable, changes: readonly CostChange[]): MonthlyCostChange {
  const lines = changes.map((change) => costLine(table, change));
  return {
    lines,
    delta: lines.reduce((sum, line) => sum + (line.monthly?.delta ?? 0), 0),
    complete: lines.every((line) => line.monthly !== undefined),
  };
}

const CENTS_PER_MICRO = MICROS_PER_DOLLAR / 100;

/**
 * Dollars and cents, rounded half away from zero so that an amount and its negation read the
 * same but for the sign: `$1,234.57`, and with `signed`, `+$66.58`, `-$33.29`, `$0.00`.
 */
export function formatUsd(micros: Micros, options: { signed?: boolean } = {}): string {
  const cents = Math.round(Math.abs(micros) / CENTS_PER_MICRO);
  const dollars = Math.floor(cents / 100).toLocaleString('en-US');
  const text = `$${dollars}.${String(cents % 100).padStart(2, '0')}`;
  if (cents === 0) return text;
  if (micros < 0) return `-${text}`;
  return options.signed ? `+${text}` : text;
}

/** An hourly price as the price page writes it: `$0.0456`, `$1.17`, `$0.096` (at least two decimals). */
export function formatHourly(micros: Micros): string {
  const whole = Math.floor(micros / MICROS_PER_DOLLAR);
  const fraction = String(micros % MICROS_PER_DOLLAR)
    .padStart(6, '0')
    .replace(/0+$/, '')
    .padEnd(2, '0');
  return `$${whole}.${fraction}`;
}
