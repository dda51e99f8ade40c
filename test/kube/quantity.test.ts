import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cpuMillis, formatCpu, formatMemory, memoryBytes, parseQuantity, scaledValue } from '../../src/kube/quantity.js';

describe('resource quantities: CPU in whole millicores, memory in whole bytes', () => {
  it('reads CPU as millicores, from millis, whole cores and fractions', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('2')).toBe(2000);
    expect(cpuMillis('0.5')).toBe(500);
    expect(cpuMillis('.5')).toBe(500);
    expect(cpuMillis('1.')).toBe(1000);
    expect(cpuMillis(2)).toBe(2000);
    expect(cpuMillis('137505614n')).toBe(138);
  });

  it('reads memory as bytes, with binary and decimal suffixes and exponents', () => {
    expect(memoryBytes('4Gi')).toBe(4 * 2 ** 30);
    expect(memoryBytes('1.5Ki')).toBe(1536);
    expect(memoryBytes('500M')).toBe(500e6);
    expect(memoryBytes('1e3')).toBe(1000);
    expect(memoryBytes('1E3')).toBe(1000);
    expect(memoryBytes('2E')).toBe(2e18);
    expect(memoryBytes('12e-1')).toBe(2);
  });

  it('rounds up to a whole unit, as MilliValue() and Value() do, with no floating-point error', () => {
    expect(cpuMillis('1n')).toBe(1);
    expect(cpuMillis('0.1')).toBe(100);
    expect(cpuMillis('0.3')).toBe(300);
    expect(cpuMillis('1.0001')).toBe(1001);
    expect(memoryBytes('0.5')).toBe(1);
    expect(memoryBytes('100m')).toBe(1);
  });

  it('rounds a negative quantity away from zero', () => {
    expect(cpuMillis('-1.0001')).toBe(-1001);
    expect(parseQuantity('-1')?.negative).toBe(true);
    expect(parseQuantity('-0')?.negative).toBe(false);
  });

  it('refuses what the API server refuses', () => {
    for (const text of [
      '',
      'abc',
      '1 ',
      ' 1',
      '1.2.3',
      '1KiB',
      '1ki',
      '1e',
      '.',
      '+',
      '1m2',
      '--1',
      '1e3m',
      Number.NaN,
      Number.POSITIVE_INFINITY,
    ]) {
      expect(parseQuantity(text), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('writes CPU as whole cores when it can, millicores otherwise', () => {
    expect(formatCpu(2000)).toBe('2');
    expect(formatCpu(1930)).toBe('1930m');
    expect(formatCpu(0)).toBe('0');
  });

  it('writes memory in the largest binary suffix that divides it exactly', () => {
    expect(formatMemory(3741 * 2 ** 20)).toBe('3741Mi');
    expect(formatMemory(4 * 2 ** 30)).toBe('4Gi');
    expect(formatMemory(1536)).toBe('1536');
    expect(formatMemory(1000)).toBe('1000');
    expect(formatMemory(0)).toBe('0');
  });
});

describe('quantities (properties)', () => {
  it('formatted CPU reads back as the same millicores', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (millis) => cpuMillis(formatCpu(millis)) === millis));
  });

  it('formatted memory reads back as the same bytes', () => {
    const bytes = fc.oneof(
      fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
      fc.tuple(fc.integer({ min: 1, max: 2 ** 20 }), fc.constantFrom(2 ** 10, 2 ** 20, 2 ** 30)).map(([n, unit]) => n * unit),
    );
    fc.assert(fc.property(bytes, (b) => memoryBytes(formatMemory(b)) === b));
  });

  it('a decimal with up to 9 fractional digits reads as the exact millicores, rounded up', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 999_999_999 }), (whole, nanos) => {
        const text = `${whole}.${String(nanos).padStart(9, '0')}`;
        // whole cores and nanocores are integers: millicores are their exact sum, rounded up.
        const exact = whole * 1000 + Math.ceil(nanos / 1e6);
        return cpuMillis(text) === exact;
      }),
    );
  });

  it('rounding up gives the smallest whole number not below the exact value', () => {
    fc.assert(
      fc.property(
        // Results stay below 2^53, where a double holds every integer.
        fc.bigInt({ min: 0n, max: 10n ** 6n }),
        fc.integer({ min: -12, max: 3 }),
        fc.integer({ min: -3, max: 6 }),
        (digits, exponent10, scale) => {
          const rounded = BigInt(scaledValue({ negative: false, digits, exponent10, exponent2: 0 }, scale));
          // Compared in integers: the exact value and the rounded one, both times 10^18 (exponent10 + scale ≥ -18 here).
          const exactTimes = digits * 10n ** BigInt(exponent10 + scale + 18);
          const roundedTimes = rounded * 10n ** 18n;
          return roundedTimes >= exactTimes && roundedTimes - exactTimes < 10n ** 18n;
        },
      ),
    );
  });

  it('the same amount written with different suffixes is the same quantity', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), (n) => {
        return (
          memoryBytes(`${n}Ki`) === memoryBytes(String(n * 1024)) &&
          cpuMillis(`${n}m`) === cpuMillis(`${n}e-3`) &&
          cpuMillis(`${n}k`) === cpuMillis(`${n}e3`)
        );
      }),
    );
  });
});
