// A real Prometheus for the tests (Debian's `prometheus` package): series are written as
// OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`, and served
// by `prometheus` on 127.0.0.1 with a port of its choosing (read from its log), from a temporary
// storage directory. Nothing is scraped, so the blocks are the only data and a query at a time
// inside them (the `time` parameter) sees exactly the samples a test wrote.
//
// Every server is stopped by the test file that started it: `close()`, or after the file at the
// latest (before test/support/temp.ts removes its directory).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll } from 'vitest';
import { tempDir } from './temp.js';

export interface Series {
  /** The family name; a counter's series is stored as `<name>_total`, as OpenMetrics names it. */
  name: string;
  type?: 'gauge' | 'counter';
  labels?: Readonly<Record<string, string>>;
  /** [ms since the epoch, value], oldest first. */
  samples: ReadonlyArray<readonly [number, number]>;
}

export interface PrometheusServer {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  close(): Promise<void>;
}

/** Samples of `value(t)` every `stepMs` from `from` to `to` (both included). */
export function samplesOf(from: number, to: number, stepMs: number, value: (t: number) => number): Array<[number, number]> {
  const samples: Array<[number, number]> = [];
  for (let t = from; t <= to; t += stepMs) samples.push([t, value(t)]);
  return samples;
}

/** The series as an OpenMetrics text (timestamps in seconds), ending with `# EOF`. */
export function openMetrics(series: readonly Series[]): string {
  const lines: string[] = [];
  const families = new Map<string, Series[]>();
  for (const s of series) families.set(s.name, [...(families.get(s.name) ?? []), s]);
  for (const [name, members] of families) {
    lines.push(`# TYPE ${name} ${members[0]?.type ?? 'gauge'}`);
    for (const s of members) {
      const labels = Object.entries(s.labels ?? {})
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
        .join(',');
      // A counter's samples are named <name>_total in OpenMetrics.
      const sampleName = s.type === 'counter' ? `${name}_total` : name;
      for (const [at, value] of s.samples) lines.push(`${sampleName}${labels ? `{${labels}}` : ''} ${value} ${(at / 1000).toFixed(3)}`);
    }
  }
  return `${lines.join('\n')}\n# EOF\n`;
}

const running = new Set<PrometheusServer>();

afterAll(async () => {
  await Promise.all([...running].map((server) => server.close()));
});

/** How long Prometheus may take to start and load its blocks: it is ready in well under a second here. */
const START_BOUND_MS = 20_000;

/** Waits for the "Listening on" line of Prometheus' log and returns the port. */
function listeningPort(child: ResultPromise, log: () => string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prometheus did not listen within ${START_BOUND_MS} ms:\n${log()}`)), START_BOUND_MS);
    child.stderr?.on('data', () => {
      const match = /msg="Listening on" address=127\.0\.0\.1:(\d+)/.exec(log());
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void child.then((result) => {
      clearTimeout(timer);
      reject(new Error(`prometheus exited (${result.exitCode}) before listening:\n${log()}`));
    });
  });
}

/** Polls /-/ready (503 while the TSDB loads) until 200, within the start bound. */
async function ready(url: string, exited: () => boolean, log: () => string): Promise<void> {
  const deadline = performance.now() + START_BOUND_MS;
  while (performance.now() < deadline) {
    if (exited()) throw new Error(`prometheus exited while starting:\n${log()}`);
    const response = await fetch(`${url}/-/ready`).catch(() => undefined);
    if (response?.ok) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`prometheus was not ready within ${START_BOUND_MS} ms:\n${log()}`);
}

/** Starts Prometheus over blocks made from `series` (none: an empty TSDB). */
export async function startPrometheus(series: readonly Series[] = []): Promise<PrometheusServer> {
  const dir = await tempDir('prometheus-');
  const data = join(dir, 'data');
  if (series.length > 0) {
    await writeFile(join(dir, 'series.om'), openMetrics(series));
    await execa('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', join(dir, 'series.om'), data]);
  }
  await writeFile(join(dir, 'prometheus.yml'), 'global: {}\n');
  const child = execa(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${data}`,
      // Port 0: Prometheus picks a free one and logs it ("Listening on"), so two test files never race for one.
      '--web.listen-address=127.0.0.1:0',
    ],
    { cwd: dir, reject: false, buffer: false },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let exited = false;
  const done = child.then(() => {
    exited = true;
  });
  const server: PrometheusServer = {
    url: '',
    async close() {
      running.delete(server);
      if (!exited) child.kill('SIGTERM');
      await done;
    },
  };
  running.add(server);
  const log = (): string => stderr;
  const port = await listeningPort(child, log);
  server.url = `http://127.0.0.1:${port}`;
  await ready(server.url, () => exited, log);
  return server;
}
