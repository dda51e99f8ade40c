import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantQuery, MAX_ANSWER_BYTES } from '../../src/prometheus/client.js';
import { type PrometheusServer, samplesOf, startPrometheus } from '../support/prometheus.js';

// The adapter against a real Prometheus, over series loaded as TSDB blocks: two pods serving 150
// and 100 requests per second, and a queue 42 deep before T0 and 1250 deep after it, for an hour
// around T0. Each query is evaluated at the time it names, so the answers are exact.

const MINUTE = 60_000;
const T0 = Date.parse('2025-03-01T12:00:00Z');
const FROM = T0 - 30 * MINUTE;
const TO = T0 + 30 * MINUTE;
const STEP = 15_000;

let prometheus: PrometheusServer;

beforeAll(async () => {
  prometheus = await startPrometheus([
    {
      name: 'http_requests',
      type: 'counter',
      labels: { job: 'shop', pod: 'a' },
      samples: samplesOf(FROM, TO, STEP, (t) => ((t - FROM) / 1000) * 150),
    },
    {
      name: 'http_requests',
      type: 'counter',
      labels: { job: 'shop', pod: 'b' },
      samples: samplesOf(FROM, TO, STEP, (t) => ((t - FROM) / 1000) * 100),
    },
    { name: 'queue_depth', labels: { queue: 'orders' }, samples: samplesOf(FROM, TO, STEP, (t) => (t < T0 ? 42 : 1250)) },
  ]);
});

afterAll(async () => {
  await prometheus.close();
});

const query = (q: string, time = T0, url = prometheus.url) => instantQuery({ url, query: q, time, timeoutMs: 5_000 });

describe('an instant query against Prometheus', () => {
  it('gives the one number of the query at the time asked, with that time', async () => {
    const reading = await query('sum(rate(http_requests_total{job="shop"}[2m]))');
    expect(reading).toEqual({ kind: 'sample', value: expect.closeTo(250, 6), at: T0 });
  });

  it('is evaluated at the decision time, not at Prometheus’ own now', async () => {
    expect(await query('sum(queue_depth)', T0 - 10 * MINUTE)).toMatchObject({ kind: 'sample', value: 42, at: T0 - 10 * MINUTE });
    expect(await query('sum(queue_depth)', T0 + 10 * MINUTE)).toMatchObject({ kind: 'sample', value: 1250, at: T0 + 10 * MINUTE });
  });

  it('reads a scalar result as a sample too, NaN and infinities included (the engine refuses them)', async () => {
    expect(await query('scalar(sum(queue_depth))')).toEqual({ kind: 'sample', value: 1250, at: T0 });
    expect(await query('sum(queue_depth) / 0')).toMatchObject({ kind: 'sample', value: Number.POSITIVE_INFINITY });
    expect(await query('0 / 0')).toMatchObject({ kind: 'sample', value: Number.NaN });
  });

  it('is empty when no series matches, or the last sample is past Prometheus’ 5-minute lookback', async () => {
    expect(await query('sum(no_such_metric)')).toEqual({ kind: 'empty' });
    expect(await query('sum(queue_depth)', TO + 6 * MINUTE)).toEqual({ kind: 'empty' });
    // A rate over 2 minutes sees nothing once the samples are 2 minutes old.
    expect(await query('sum(rate(http_requests_total[2m]))', TO + 3 * MINUTE)).toEqual({ kind: 'empty' });
  });

  it('says how many series a query gave when it gave several, naming the first label sets', async () => {
    expect(await query('rate(http_requests_total[2m])')).toEqual({
      kind: 'several-series',
      series: 2,
      labels: ['{job="shop", pod="a"}', '{job="shop", pod="b"}'],
    });
  });

  it('passes on what Prometheus says of a query it refuses', async () => {
    const reading = await query('sum(rate(http_requests_total[2m])');
    expect(reading).toMatchObject({ kind: 'failed', reason: 'query-error' });
    expect(reading.kind === 'failed' && reading.error).toMatch(/^Prometheus refused the query \(bad_data\): .*unclosed left parenthesis/);
  });

  it('refuses a range vector or a string: the signal is one number', async () => {
    expect(await query('http_requests_total[5m]')).toMatchObject({
      kind: 'failed',
      reason: 'not-instant',
      error: expect.stringContaining('range vector'),
    });
    expect(await query('"text"')).toMatchObject({ kind: 'failed', reason: 'not-instant', error: expect.stringContaining('string') });
  });

  it('tells a wrong base URL from Prometheus being down', async () => {
    const wrongPath = await query('sum(queue_depth)', T0, `${prometheus.url}/prometheus`);
    expect(wrongPath).toEqual({
      kind: 'failed',
      reason: 'http-status',
      error: `${prometheus.url}/prometheus/api/v1/query answered HTTP 404: is ${prometheus.url}/prometheus Prometheus' base URL (with its route prefix, if any)?`,
    });
    // A Prometheus that has stopped: nothing listens on its port any more.
    const stopped = await startPrometheus();
    await stopped.close();
    const down = await query('sum(queue_depth)', T0, stopped.url);
    expect(down).toEqual({
      kind: 'failed',
      reason: 'unreachable',
      error: `Prometheus at ${stopped.url} cannot be reached: connect ECONNREFUSED ${stopped.url.slice('http://'.length)}`,
    });
  });
});

describe('a server that is not (or no longer) Prometheus', () => {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  async function serve(answer: (respond: (status: number, body: string) => void) => void): Promise<string> {
    const server = createServer((_request, response) => answer((status, body) => response.writeHead(status).end(body)));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  }

  it('is refused when its answer does not have the shape of the API’s, saying where', async () => {
    const url = await serve((respond) =>
      respond(200, JSON.stringify({ status: 'success', data: { resultType: 'vector', result: [{ value: [1, 2] }] } })),
    );
    const reading = await query('up', T0, url);
    expect(reading).toMatchObject({ kind: 'failed', reason: 'invalid-response' });
    expect(reading.kind === 'failed' && reading.error).toContain('not a Prometheus query result at data.result.0.metric');
  });

  it(`stops reading an answer past ${MAX_ANSWER_BYTES / 2 ** 20} MiB`, async () => {
    const url = await serve((respond) =>
      respond(200, `{"status":"success","data":{"resultType":"vector","result":[${'{"metric":{},"value":[1,"1"]},'.repeat(200_000)}]}}`),
    );
    expect(await query('up', T0, url)).toMatchObject({
      kind: 'failed',
      reason: 'invalid-response',
      error: expect.stringContaining('too many series'),
    });
  });

  it('times out when no answer comes, within the time given', async () => {
    const silent = createTcpServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    servers.push(silent as unknown as Server);
    const url = `http://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const started = performance.now();
    const reading = await instantQuery({ url, query: 'up', time: T0, timeoutMs: 200 });
    expect(reading).toEqual({ kind: 'failed', reason: 'timeout', error: `Prometheus at ${url} did not answer within 200 ms` });
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
