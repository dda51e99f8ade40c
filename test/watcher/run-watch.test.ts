import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { kubeconfigYaml } from '../../src/sim/kube/kubeconfig.js';
import { runWatch, type WatchDeps, type WatchOptions } from '../../src/watcher/index.js';
import { createLogger } from '../../src/watcher/log.js';
import { WatcherMetrics } from '../../src/watcher/metrics.js';
import type { HealthServer } from '../../src/watcher/server.js';
import { withoutRetries } from '../github/autoscale-support.js';
import { client } from '../sim/github/support.js';
import { eventually } from '../sim/kube/support.js';
import { bigPods, FILE, OWNER, REPO, simTimer, startWorlds, WATCHER_TOKEN, type Worlds } from './support.js';

// runWatch in this process, between the simulators: the health server's answers while the
// watcher runs, a cluster whose API refuses the watcher (no RBAC grant for pods), and the stop.

let forbidding: { url: string; close(): Promise<void> } | undefined;
const running: Running[] = [];
// A watcher a failed test left running is stopped too (before the servers it talks to).
afterEach(async () => {
  for (const run of running.splice(0)) {
    run.stop.abort();
    await run.done.catch(() => {});
  }
  await forbidding?.close();
  forbidding = undefined;
});

/**
 * An API server in front of the simulator that refuses pods, as one does when the watcher's
 * ClusterRole lacks the grant: everything else passes through.
 */
async function forbidPods(target: string): Promise<KubeConfig> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? '').startsWith('/api/v1/pods')) {
      const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Forbidden', code: 403, message: 'pods is forbidden' };
      res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      return;
    }
    const answer = await fetch(`${target}${req.url ?? '/'}`, { headers: { accept: req.headers.accept ?? '*/*' } });
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
    // A watch sends nothing until an event: the client must see the answer begin at once.
    res.flushHeaders();
    if (answer.body) for await (const chunk of answer.body) res.write(chunk);
    res.end();
  };
  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  forbidding = {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const kc = new KubeConfig();
  kc.loadFromString(kubeconfigYaml(url, 'forbidding'));
  return kc;
}

interface Running {
  logs: Array<Record<string, unknown>>;
  server: Promise<HealthServer>;
  stop: AbortController;
  done: Promise<unknown>;
}

function watch(w: Worlds, options: Partial<WatchOptions> = {}, deps: Partial<WatchDeps> = {}): Running {
  const logs: Array<Record<string, unknown>> = [];
  const stop = new AbortController();
  let serving: (server: HealthServer) => void = () => {};
  const server = new Promise<HealthServer>((resolve) => {
    serving = resolve;
  });
  const done = runWatch(
    {
      owner: OWNER,
      repo: REPO,
      configPath: FILE,
      dryRun: false,
      autoMerge: false,
      once: false,
      intervalMs: 200,
      port: 0,
      host: '127.0.0.1',
      ...options,
    },
    {
      github: withoutRetries(client(w.github.sim)),
      kubeConfig: w.kubeConfig,
      log: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)), secrets: [WATCHER_TOKEN] }),
      secrets: [WATCHER_TOKEN],
      stop: stop.signal,
      timer: simTimer(w.kube),
      random: () => 0.5,
      metrics: new WatcherMetrics({ processMetrics: false }),
      reader: { backoff: { initialMs: 100, maxMs: 400 } },
      onServing: serving,
      ...deps,
    },
  );
  const run = { logs, server, stop, done };
  running.push(run);
  return run;
}

async function get(url: string): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

describe('runWatch', () => {
  it('serves /healthz, /readyz (once the cluster has been read) and /metrics, and stops when told', async () => {
    const w = await startWorlds();
    const run = watch(w);
    const { url } = await run.server;
    expect(await get(`${url}/healthz`)).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    const ready = await eventually('/readyz answers 200', async () => {
      const answer = await get(`${url}/readyz`);
      return answer.status === 200 ? answer : undefined;
    });
    expect(JSON.parse(ready.text)).toMatchObject({ ready: true, stale: false, informers: [{ resource: 'nodes', synced: true }, {}, {}] });
    // From the second cycle on, the config read is a 304.
    const metrics = await eventually('a second cycle', async () => {
      const answer = await get(`${url}/metrics`);
      return answer.text.includes('status="304"') ? answer : undefined;
    });
    expect(metrics.type).toContain('text/plain');
    expect(metrics.text).toContain('lambdastack_autoscaler_decisions_total{cluster="shop",rule="no-change",direction="hold"}');
    expect(metrics.text).toContain('lambdastack_autoscaler_workers{cluster="shop",kind="ready"} 3');
    expect(metrics.text).toContain('lambdastack_autoscaler_pending_pods{cluster="shop"} 0');
    expect(metrics.text).toMatch(/lambdastack_autoscaler_github_requests_total\{method="GET",status="304"\} \d+/);
    expect(metrics.text).toMatch(/lambdastack_autoscaler_cycle_duration_seconds_count\{outcome="ok"\} \d+/);
    expect(metrics.text).toMatch(/lambdastack_autoscaler_last_successful_cycle_timestamp_seconds \d+/);
    expect((await get(`${url}/nothing`)).status).toBe(404);

    run.stop.abort();
    await run.done;
    expect(run.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('decides at once when a pod the scheduler cannot place appears, not at the next interval', async () => {
    const w = await startWorlds();
    // An interval far longer than the test may take: only the wake-up can open the PR in time.
    const run = watch(w, { intervalMs: 3_600_000 });
    await run.server;
    await eventually('the first cycle', () => (run.logs.some((line) => line.msg === 'cycle') ? true : undefined));
    bigPods(w);
    const opened = await eventually(
      'the PR opened by a cycle the pending pods brought forward',
      () => run.logs.find((line) => line.msg === 'cycle' && line.pr === 'opened'),
      20_000,
    );
    expect(opened).toMatchObject({ number: 1 });
    expect(run.logs.some((line) => line.msg === 'a pod the scheduler cannot place: deciding now')).toBe(true);
    run.stop.abort();
    await run.done;
  });

  it('is alive but not ready while the cluster refuses it pods, naming the grant it lacks', async () => {
    const w = await startWorlds();
    const run = watch(w, {}, { kubeConfig: await forbidPods(w.kube.url) });
    const { url } = await run.server;
    // The informer's refusal shows at once; the cycle fails on it right after.
    await eventually('a failed cycle', () =>
      run.logs.some((line) => line.msg === 'cycle failed' && line.level === 'error') ? true : undefined,
    );
    const notReady = await get(`${url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(JSON.parse(notReady.text).reason).toContain(
      'cannot list pods: forbidden (403): the watcher\'s ClusterRole must grant "list" on "pods" in apiGroup ""',
    );
    expect((await get(`${url}/healthz`)).status).toBe(200);
    expect((await get(`${url}/metrics`)).text).toMatch(/lambdastack_autoscaler_api_errors_total\{api="kube",kind="refused"\} [1-9]/);
    run.stop.abort();
    await run.done;
  });

  it('stopped during a GitHub call that hangs: aborts it after the grace period, and stops', async () => {
    const w = await startWorlds({ faults: true });
    w.proxy?.before('GET', /\/contents\//, () => new Promise(() => {}));
    const run = watch(w, { shutdownGraceMs: 200 }, { github: withoutRetries(client({ ...w.github.sim, url: w.proxy?.url ?? '' })) });
    await run.server;
    await eventually('the config read hanging', () => (w.proxy?.unused().length === 0 ? true : undefined));
    const stopped = performance.now();
    run.stop.abort();
    await run.done;
    expect(performance.now() - stopped).toBeLessThan(2_000);
    expect(run.logs.map((line) => line.msg)).toEqual(
      expect.arrayContaining(['stopping', 'the cycle under way did not finish in time: its GitHub calls are aborted', 'stopped']),
    );
  });

  it('with --once, fails with that refusal', async () => {
    const w = await startWorlds();
    const once = watch(w, { once: true }, { kubeConfig: await forbidPods(w.kube.url) });
    await expect(once.done).rejects.toThrow(UserError);
    await expect(once.done).rejects.toThrow(/ClusterRole must grant "list" on "pods"/);
  });
});
