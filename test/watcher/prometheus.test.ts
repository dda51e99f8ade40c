import { describe, expect, it } from 'vitest';
import { type PrometheusServer, type Series, samplesOf, startPrometheus } from '../support/prometheus.js';
import { demoConfig, githubWrites, pullRequests, startWorlds, type Worlds } from './support.js';

// The Prometheus signal end to end: a real Prometheus serving request counters, the kube simulator
// (its clock stopped: only advance() moves it, and the watcher queries Prometheus at that time) and
// the GitHub simulator. The example cluster has 3 idle workers (min 2, max 10); its autoscaling
// entry names a query of requests per second and a target of 100 per worker.

const MINUTE = 60_000;
const QUERY = 'sum(rate(http_requests_total{job="shop"}[2m]))';
const HIGHEST = 'demo-shop-kubernetes-node-vm-2';

const config = (): string =>
  demoConfig({
    min: 2,
    max: 10,
    scale_up_sustained_time: '1m',
    scale_down_unneeded_time: '1m',
    prometheus: `{ query: '${QUERY}', target_per_node: 100 }`,
  });

/**
 * Two pods of the shop serving `perPod` requests per second each, from half an hour before now to
 * half an hour after (the simulator's clock starts now and the tests move it a few minutes on).
 */
function shopRequests(perPod: readonly number[]): Series[] {
  const now = Date.now();
  const from = now - 30 * MINUTE;
  return perPod.map((rate, i) => ({
    name: 'http_requests',
    type: 'counter',
    labels: { job: 'shop', pod: `web-${i}` },
    samples: samplesOf(from, now + 30 * MINUTE, 15_000, (t) => ((t - from) / 1000) * rate),
  }));
}

async function worldWith(prometheus: PrometheusServer | undefined): Promise<Worlds> {
  return startWorlds({ config: config(), watcher: { prometheusUrl: prometheus?.url } });
}

const metricLine = async (w: Worlds, name: string): Promise<string[]> =>
  (await w.metrics.text()).body.split('\n').filter((line) => line.startsWith(`lambdastack_autoscaler_prometheus_${name}`));

describe('a Prometheus query with a target per worker', () => {
  it('drives a scale-up PR once it has asked for more workers for the sustained time, with the query in its evidence', async () => {
    // 300 + 250 requests per second at 100 per worker: 6 workers.
    const prometheus = await startPrometheus(shopRequests([300, 250]));
    const w = await worldWith(prometheus);

    const first = await w.cycle();
    expect(first.decision).toMatchObject({ current: 3, desired: 3, direction: 'hold', rule: { kind: 'no-change' } });
    expect(first.decision.evidence?.metric).toMatchObject({
      query: QUERY,
      value: expect.closeTo(550, 6),
      wants: 6,
      highSince: expect.any(Number),
    });
    expect(await metricLine(w, 'signal')).toEqual([
      expect.stringMatching(/^lambdastack_autoscaler_prometheus_signal_value\{cluster="shop"\} 550(\.\d+)?$/),
      'lambdastack_autoscaler_prometheus_signal_desired_workers{cluster="shop"} 6',
    ]);

    w.kube.cluster.advance(61);
    const writes = githubWrites(w.github);
    const report = await w.cycle();
    expect(report.decision).toMatchObject({
      current: 3,
      desired: 6,
      direction: 'up',
      rule: { kind: 'prometheus-query', query: QUERY, targetPerNode: 100, wants: 6 },
    });
    expect(report.decision.reason).toMatch(
      /^Prometheus query sum\(rate\(http_requests_total\{job="shop"\}\[2m\]\)\) at 550 \(100 per worker\) has asked for 6 workers or more since \S+: 3 → 6$/,
    );
    expect(report.result).toMatchObject({ action: 'opened', number: 1 });
    expect(writes()).toEqual(['POST git/trees', 'POST git/commits', 'POST git/refs', 'POST pulls', 'POST issues/1/labels']);

    const [pr, ...others] = await pullRequests(w.octokit);
    expect(others).toEqual([]);
    expect(pr).toMatchObject({ title: 'Scale shop kubernetes_node 3 → 6', labels: ['autoscaler', 'scale-up'] });
    expect(pr?.body).toContain('- **Rule:** `prometheus-query`');
    expect(pr?.body).toContain(`- **Prometheus:** \`${QUERY}\` = 550 (target 100 per worker): asks for 6 workers`);

    // Asked again: the same decision, which the PR already proposes.
    w.kube.cluster.advance(30);
    expect((await w.cycle()).result).toMatchObject({ action: 'unchanged', number: 1 });
    expect(writes()).toHaveLength(5);
  });

  it('lets an idle worker go when it asks for fewer workers than there are', async () => {
    // 150 requests per second: 2 workers.
    const prometheus = await startPrometheus(shopRequests([150]));
    const w = await worldWith(prometheus);
    expect((await w.cycle()).decision.direction).toBe('hold');
    w.kube.cluster.advance(61);
    const report = await w.cycle();
    expect(report.decision).toMatchObject({
      current: 3,
      desired: 2,
      direction: 'down',
      rule: { kind: 'unneeded-nodes', nodes: [HIGHEST] },
    });
    expect(report.result?.action).toBe('opened');
  });

  it('keeps every worker it asks for: the idle workers stay', async () => {
    // 210 requests per second: 3 workers, the count.
    const prometheus = await startPrometheus(shopRequests([210]));
    const w = await worldWith(prometheus);
    await w.cycle();
    w.kube.cluster.advance(61);
    const report = await w.cycle();
    expect(report.decision).toMatchObject({ desired: 3, direction: 'hold' });
    expect(report.decision.reason).toBe(`no change needed: stays at 3 (no scale-down: Prometheus query ${QUERY} asks for 3 workers)`);
  });
});

describe('a Prometheus query that cannot be used', () => {
  it.each<[string, () => Promise<PrometheusServer | undefined>, RegExp]>([
    [
      'Prometheus is down',
      async () => {
        const stopped = await startPrometheus(shopRequests([150]));
        await stopped.close();
        return stopped;
      },
      /cannot be used: Prometheus at http:\/\/127\.0\.0\.1:\d+ cannot be reached: connect ECONNREFUSED/,
    ],
    ['the query matches no series', async () => startPrometheus([]), /cannot be used: the query returned no series/],
    [
      'the watcher has no Prometheus URL',
      async () => undefined,
      /cannot be used: .*the watcher has no --prometheus-url \(or PROMETHEUS_URL\)/,
    ],
  ])('rules out the scale-down an idle worker would get when %s, says why once, and counts it', async (_, start, why) => {
    const w = await worldWith(await start());
    const writes = githubWrites(w.github);
    const reports = [await w.cycle()];
    w.kube.cluster.advance(61);
    reports.push(await w.cycle());
    w.kube.cluster.advance(61);
    reports.push(await w.cycle());
    for (const report of reports) {
      expect(report.decision).toMatchObject({ current: 3, desired: 3, direction: 'hold', rule: { kind: 'no-change' } });
      expect(report.decision.reason).toMatch(why);
    }
    expect(writes()).toEqual([]);
    const warnings = w.logs.filter((line) => line.msg === 'the Prometheus signal cannot be used: no scale-down until it can');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      level: 'warn',
      cluster: 'shop',
      query: QUERY,
      problem: expect.stringMatching(why.source.replace(/^cannot be used: /, '')),
    });
    expect(await metricLine(w, 'signal')).toEqual([]);
    expect(await metricLine(w, 'query_errors_total{')).toEqual([
      expect.stringMatching(/^lambdastack_autoscaler_prometheus_query_errors_total\{cluster="shop",reason="[a-z-]+"\} 3$/),
    ]);
  });
});
