/**
 * The Prometheus HTTP API adapter: one instant query (`POST /api/v1/query`), evaluated at the
 * decision's time, its answer checked against the API's shape and read as a MetricReading. It
 * never throws: every failure is a reading the decision engine treats as "cannot be used" (no
 * scale-down, no scale-up from it), so Prometheus being down never fails a cycle.
 */
import { z } from 'zod';
import type { MetricReading, QueryFailure } from '../policy/index.js';

export interface InstantQuery {
  /** Prometheus' base URL (`http://prometheus:9090`, or with its route prefix), without a trailing slash. */
  url: string;
  query: string;
  /** When to evaluate the query, ms since the epoch: the decision's time. */
  time: number;
  /** How long the whole request may take. */
  timeoutMs: number;
  /** Aborts the request (a shutdown). */
  signal?: AbortSignal | undefined;
}

/** The most of an answer read: one number needs a few hundred bytes; a query over every pod of a big cluster needs far more. */
export const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
/** Label sets named when a query gives several series. */
const LABELS_SHOWN = 3;

// Prometheus writes sample values as strings: numbers, NaN, +Inf and -Inf.
const sampleValue = z.string().transform((text, ctx) => {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf' || text === 'Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  const value = text.trim() === '' ? Number.NaN : Number(text);
  if (Number.isNaN(value)) ctx.addIssue({ code: 'custom', message: `${JSON.stringify(text)} is not a sample value` });
  return value;
});
const sample = z.tuple([z.number(), sampleValue]);

const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.discriminatedUnion('resultType', [
      z.object({ resultType: z.literal('vector'), result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sample })) }),
      z.object({ resultType: z.literal('scalar'), result: sample }),
      z.object({ resultType: z.literal('matrix'), result: z.array(z.unknown()) }),
      z.object({ resultType: z.literal('string'), result: z.unknown() }),
    ]),
  }),
  z.object({ status: z.literal('error'), errorType: z.string(), error: z.string() }),
]);

const failed = (reason: QueryFailure, error: string): MetricReading => ({ kind: 'failed', reason, error });

/** `{job="shop", pod="a"}`, as PromQL writes a label set. */
function labelSet(metric: Readonly<Record<string, string>>): string {
  const { __name__: name = '', ...labels } = metric;
  return `${name}{${Object.entries(labels)
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join(', ')}}`;
}

/** The body as text, up to `limit` bytes; undefined past it. */
async function readCapped(response: Response, limit: number): Promise<string | undefined> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** Why fetch failed, in a person's words: the cause says more than "fetch failed". */
function networkError(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  const message = cause instanceof Error ? cause.message : String(cause);
  return code && !message.includes(code) ? `${code} ${message}` : message;
}

/** Runs one instant query. Never throws: a failure is a `failed` reading saying what went wrong. */
export async function instantQuery(request: InstantQuery): Promise<MetricReading> {
  const { url, query, time, timeoutMs } = request;
  const endpoint = `${url}/api/v1/query`;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  const body = new URLSearchParams({
    query,
    time: (time / 1000).toFixed(3),
    // Prometheus stops evaluating when the watcher stops waiting.
    timeout: `${Math.max(1, Math.floor(timeoutMs / 1000))}s`,
  });
  let response: Response;
  let text: string | undefined;
  try {
    response = await fetch(endpoint, { method: 'POST', body, signal, headers: { accept: 'application/json' } });
    text = await readCapped(response, MAX_ANSWER_BYTES);
  } catch (error) {
    if (timeout.aborted) return failed('timeout', `Prometheus at ${url} did not answer within ${timeoutMs} ms`);
    if (request.signal?.aborted) return failed('unreachable', 'the query was aborted (the watcher is stopping)');
    return failed('unreachable', `Prometheus at ${url} cannot be reached: ${networkError(error)}`);
  }
  if (text === undefined)
    return failed('invalid-response', `Prometheus answered more than ${MAX_ANSWER_BYTES} bytes: the query returns too many series`);

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const status = response.ok ? `HTTP ${response.status} with a body that is not JSON` : `HTTP ${response.status}`;
    return failed(
      response.ok ? 'invalid-response' : 'http-status',
      `${endpoint} answered ${status}: is ${url} Prometheus' base URL (with its route prefix, if any)?`,
    );
  }
  const parsed = answerSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    return failed(
      'invalid-response',
      `${endpoint} answered HTTP ${response.status}, not a Prometheus query result${where}: ${issue?.message}`,
    );
  }
  const answer = parsed.data;
  if (answer.status === 'error') return failed('query-error', `Prometheus refused the query (${answer.errorType}): ${answer.error}`);
  const data = answer.data;
  switch (data.resultType) {
    case 'scalar':
      return { kind: 'sample', value: data.result[1], at: data.result[0] * 1000 };
    case 'vector': {
      const [first, ...more] = data.result;
      if (!first) return { kind: 'empty' };
      if (more.length > 0) {
        return {
          kind: 'several-series',
          series: data.result.length,
          labels: data.result.slice(0, LABELS_SHOWN).map((s) => labelSet(s.metric)),
        };
      }
      return { kind: 'sample', value: first.value[1], at: first.value[0] * 1000 };
    }
    case 'matrix':
      return failed('not-instant', 'the query returns a range vector (a selector with [range]): give one number, e.g. sum(rate(x[2m]))');
    case 'string':
      return failed('not-instant', 'the query returns a string: give one number, e.g. sum(rate(x[2m]))');
  }
}
