/**
 * Kubernetes resource quantities ("250m", "2", "4Gi", "1e3", "500M"). CPU is handled in
 * millicores and memory in bytes, rounded up as the API server's `MilliValue()`/`Value()` do, so
 * scheduling arithmetic stays in integers.
 */

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E))?$/;

/** The value of a quantity in base units, or undefined when it is not one. */
export function parseQuantity(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) ? text : undefined;
  const match = QUANTITY.exec(text.trim());
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  const value = Number(`${number}${exponent ?? ''}`);
  return value * (SUFFIX[suffix ?? ''] ?? 1);
}

/** A quantity that must parse: the error names the field and shows valid forms. */
export function requireQuantity(text: unknown, field: string): number {
  const value = typeof text === 'string' || typeof text === 'number' ? parseQuantity(text) : undefined;
  if (value === undefined || value < 0) {
    throw new Error(`${field}: ${JSON.stringify(text)} is not a quantity: write e.g. 250m or 2 (CPU), 512Mi or 4Gi (memory)`);
  }
  return value;
}

/** CPU in whole millicores, rounded up ("100m" → 100, "0.5" → 500, "1n" → 1). */
export function cpuMillis(text: string | number): number | undefined {
  const value = parseQuantity(text);
  return value === undefined ? undefined : Math.ceil(value * 1000 - 1e-9);
}

/** Memory in whole bytes, rounded up. */
export function memoryBytes(text: string | number): number | undefined {
  const value = parseQuantity(text);
  return value === undefined ? undefined : Math.ceil(value - 1e-6);
}

/** Millicores as the API writes them: "2" for whole cores, "250m" otherwise. */
export function formatCpu(millis: number): string {
  const m = Math.round(millis);
  return m % 1000 === 0 ? String(m / 1000) : `${m}m`;
}

/** CPU as metrics-server reports it: nanocores ("137505614n"). */
export function formatNanoCpu(millis: number): string {
  return `${Math.round(millis * 1e6)}n`;
}

/** Bytes in the largest binary suffix that divides them exactly ("4Gi", "3928748Ki", "1000"). */
export function formatMemory(bytes: number): string {
  const b = Math.round(bytes);
  for (const [suffix, size] of [
    ['Ei', 2 ** 60],
    ['Pi', 2 ** 50],
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ] as const) {
    if (b !== 0 && b % size === 0) return `${b / size}${suffix}`;
  }
  return String(b);
}

/** Memory as metrics-server reports it: whole kibibytes ("1534220Ki"). */
export function formatKibibytes(bytes: number): string {
  return `${Math.round(bytes / 1024)}Ki`;
}
