/**
 * Kubernetes resource quantities ("250m", "2", "4Gi", "1e3", "500M"), read exactly.
 *
 * The scheduler compares requests with allocatable in integers: CPU in millicores
 * (`Quantity.MilliValue()`) and memory in bytes (`Quantity.Value()`), each rounded up. Reading
 * "0.1" as the float 0.1 and multiplying by 1000 gives 100.00000000000001, which rounds up to 101:
 * one millicore too many per pod, enough to make a bin-packing estimate disagree with the real
 * scheduler on a full node. So a quantity is kept as decimal digits and powers of 10 and 2, and
 * only the final, rounded integer becomes a number.
 */

/** A parsed quantity: `(negative ? -1 : 1) × digits × 10^exponent10 × 2^exponent2`, exactly. */
export interface Quantity {
  negative: boolean;
  digits: bigint;
  exponent10: number;
  /** Binary suffixes only (Ki = 2^10 … Ei = 2^60); never negative. */
  exponent2: number;
}

/** Decimal SI suffixes as powers of ten, binary SI suffixes as powers of two. */
const DECIMAL_SUFFIX: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SUFFIX: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

// `<sign><digits>[.<digits>]` then a decimal exponent (`e3`, `E-2`) or one suffix. The exponent is
// tried first so that "1E3" is a thousand, while "1E" alone is an exa.
const QUANTITY = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/**
 * A quantity in the API's syntax, or undefined when the text is not one. As the API server, it
 * takes no surrounding spaces. A number (a YAML `cpu: 2`) is read as its decimal text.
 */
export function parseQuantity(text: string | number): Quantity | undefined {
  if (typeof text === 'number' && !Number.isFinite(text)) return undefined;
  const match = QUANTITY.exec(String(text));
  if (!match) return undefined;
  const [, sign, whole = '', fraction = '', exponent, suffix = ''] = match;
  if (whole === '' && fraction === '') return undefined;
  const exponent10 = exponent !== undefined ? Number(exponent) : (DECIMAL_SUFFIX[suffix] ?? 0);
  if (!Number.isSafeInteger(exponent10)) return undefined;
  return {
    negative: sign === '-' && /[1-9]/.test(whole + fraction),
    digits: BigInt(`${whole}${fraction}` || '0'),
    exponent10: exponent10 - fraction.length,
    exponent2: BINARY_SUFFIX[suffix] ?? 0,
  };
}

/**
 * The quantity times 10^scale as a whole number, rounded away from zero as
 * `Quantity.ScaledValue` rounds: scale 3 gives millis, scale 0 the value in base units.
 * Exact as long as the result fits in a double's 53 bits (2^53 bytes is 8 PiB).
 */
export function scaledValue(quantity: Quantity, scale: number): number {
  const power = quantity.exponent10 + scale;
  let magnitude = quantity.digits * 2n ** BigInt(quantity.exponent2);
  if (power >= 0) {
    magnitude *= 10n ** BigInt(power);
  } else {
    const divisor = 10n ** BigInt(-power);
    magnitude = (magnitude + divisor - 1n) / divisor;
  }
  const value = Number(magnitude);
  return quantity.negative ? -value : value;
}

/** CPU in whole millicores, rounded up ("100m" → 100, "0.5" → 500, "1n" → 1); undefined when not a quantity. */
export function cpuMillis(text: string | number): number | undefined {
  const quantity = parseQuantity(text);
  return quantity === undefined ? undefined : scaledValue(quantity, 3);
}

/** Memory (or any count of base units) in whole bytes, rounded up ("1.5Ki" → 1536, "0.5" → 1). */
export function memoryBytes(text: string | number): number | undefined {
  const quantity = parseQuantity(text);
  return quantity === undefined ? undefined : scaledValue(quantity, 0);
}

/** Millicores as the API writes them: "2" for whole cores, "250m" otherwise. */
export function formatCpu(millis: number): string {
  const m = Math.round(millis);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

const BINARY_UNITS = [
  ['Ei', 2 ** 60],
  ['Pi', 2 ** 50],
  ['Ti', 2 ** 40],
  ['Gi', 2 ** 30],
  ['Mi', 2 ** 20],
  ['Ki', 2 ** 10],
] as const;

/** Bytes in the largest binary suffix that divides them exactly ("4Gi", "3928748Ki", "1000"), as the API canonicalises them. */
export function formatMemory(bytes: number): string {
  const b = Math.round(bytes);
  for (const [suffix, size] of BINARY_UNITS) {
    if (b !== 0 && b % size === 0) return `${b / size}${suffix}`;
  }
  return String(b);
}
