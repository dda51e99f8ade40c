// The watcher at design.md's benchmark size, against the simulators: pending pod → PR opened, its
// start-up (the informers' lists → the first snapshot) and RSS, and the GitHub calls of idle cycles.
//
//   npm run build && node --expose-gc bench/watcher.js [NODES] [IDLE_CYCLES]     (default 5,000 and 20)
//
// The simulators run in a child process (bench/simulators.js): the kube simulator serving design.md's
// world (NODES m5.2xlarge workers × 30 pods) over HTTP with its clock at real time, and the GitHub
// simulator over a real bare repository holding the cluster's config. This process runs only the
// watcher, as `watch` does (`runWatch`: the loop, the health server, the snapshot reader), with the
// product's GitHub client (octokit with its retry and throttling plugins, writes spaced as in
// production), so its RSS and CPU are the watcher's.
//
// Three runs of the watcher, one after the other (each starts cold: its informers list everything):
// 1. idle, no PR: at a short interval, IDLE_CYCLES cycles after the first;
// 2. pending pod → PR: at the default interval (60 s), so only the wake-up on an Unschedulable pod can
//    bring the cycle forward; a Deployment whose pods fit no node is POSTed to the kube API, and the
//    time runs until the POST that opens the PR has been answered by the GitHub simulator;
// 3. idle with that PR open: as 1.
// Every GitHub call is timed twice: through the throttling plugin (the call as the watcher makes it)
// and on the wire (a fetch of its own), so the difference is the time the plugin held the call back.
// Idle calls are counted per cycle and by answer (304 is a conditional read, free of rate limit; the
// simulator's `GET /rate_limit` before and after each run confirms what was charged), then taken to an
// hour at the default interval.
import { fork } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { createGithubClient } from '../dist/github/client.js';
import { kubeconfigYaml } from '../dist/sim/kube/kubeconfig.js';
import { createLogger, runWatch } from '../dist/watcher/index.js';
import { WatcherMetrics } from '../dist/watcher/metrics.js';

const NODES = Number(process.argv[2] ?? 5000);
const IDLE_CYCLES = Number(process.argv[3] ?? 20);
/** The `watch --interval` default (src/cli.ts). */
const DEFAULT_INTERVAL_MS = 60_000;
const IDLE_INTERVAL_MS = 250;
const TOKEN = 'bench-token';
const MiB = 2 ** 20;
// Four pods of 6 CPU: a worker has ~4.8 CPU left beside its 30 pods; a new one takes one such pod.
const BURST = { name: 'burst', namespace: 'team-0', replicas: 4, cpu: '6', memory: '8Gi' };

/** RSS as it is, then after a full GC (with --expose-gc), and the peak so far. */
const memory = () => {
  const asIs = Math.round(process.memoryUsage().rss / MiB);
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return {
    rssMiB: asIs,
    rssAfterGcMiB: Math.round(rss / MiB),
    heapAfterGcMiB: Math.round(heapUsed / MiB),
    peakMiB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
};

function startSimulators() {
  // With Node's default flags: the watcher's (a capped young generation, --expose-gc) are not the simulators'.
  const { NODE_OPTIONS: _, ...env } = process.env;
  const child = fork(join(import.meta.dirname, 'simulators.js'), [String(NODES)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: [],
    env,
  });
  const waiting = new Map();
  child.on('message', (message) => {
    waiting.get(message.type)?.(message);
    waiting.delete(message.type);
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const next = (type) =>
    Promise.race([
      new Promise((resolve) => waiting.set(type, resolve)),
      exited.then((code) => {
        throw new Error(`bench/simulators.js exited (${code}) before answering ${type}`);
      }),
    ]);
  return {
    ready: next('ready'),
    /** The GitHub simulator's request log from index `from`. */
    requests: (from) => {
      const answer = next('requests');
      child.send({ type: 'requests', from });
      return answer.then((m) => m.records);
    },
    stop: async () => {
      if (child.connected) child.send({ type: 'stop' });
      await exited;
    },
  };
}

/** What the GitHub simulator has charged the watcher's token so far (`GET /rate_limit` is free). */
async function rateUsed(githubUrl) {
  const res = await fetch(`${githubUrl}/rate_limit`, { headers: { authorization: `token ${TOKEN}` } });
  return (await res.json()).resources.core.used;
}

/** A call as `METHOD path`, the repository and query left out. */
const callName = (call) =>
  `${call.method} ${decodeURIComponent(new URL(call.url).pathname).replace(/^\/repos\/[^/]+\/[^/]+\/?/, '') || 'repository'}`;

/**
 * Runs the watcher (`runWatch`) until `stop()`; every log line is kept with the time it was
 * written, and every GitHub call with when it was made, when it went on the wire and when it was
 * answered.
 */
function startWatcher(world, intervalMs) {
  const lines = [];
  const calls = [];
  const listeners = new Set();
  const github = createGithubClient({ token: TOKEN, baseUrl: world.githubUrl, retries: 1, userAgent: 'lambdastack-autoscaler-bench' });
  // Registered after the plugins, so outside them: `start` is when the watcher made the call, before
  // the throttling plugin queued it; the fetch below sees it go on the wire.
  github.hook.wrap('request', async (request, options) => {
    const call = { method: String(options.method), url: '', start: performance.now() };
    calls.push(call);
    options.request = {
      ...options.request,
      fetch: async (url, init) => {
        call.url = String(url);
        call.wireStart = performance.now();
        const res = await fetch(url, init);
        call.wireEnd = performance.now();
        call.status = res.status;
        return res;
      },
    };
    try {
      return await request(options);
    } finally {
      call.end = performance.now();
    }
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(kubeconfigYaml(world.kubeUrl, 'bench'));
  const stop = new AbortController();
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const done = runWatch(
    {
      owner: world.repository.split('/')[0],
      repo: world.repository.split('/')[1],
      configPath: world.configPath,
      dryRun: false,
      autoMerge: false,
      once: false,
      intervalMs,
      port: 0,
      host: '127.0.0.1',
    },
    {
      github,
      kubeConfig,
      log: createLogger({
        level: 'debug',
        secrets: [TOKEN],
        write: (text) => {
          const line = { at: performance.now(), ...JSON.parse(text) };
          lines.push(line);
          for (const listener of listeners) listener(line);
        },
      }),
      secrets: [TOKEN],
      stop: stop.signal,
      metrics: new WatcherMetrics(),
    },
  );
  /** Resolves with the first line (from index `from`) that `match` accepts. */
  const line = (match, from = 0) => {
    const seen = lines.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const listener = (l) => {
        if (match(l)) {
          listeners.delete(listener);
          resolve(l);
        }
      };
      listeners.add(listener);
      done.then(() => reject(new Error('the watcher stopped first')), reject);
    });
  };
  const cycles = () => lines.filter((l) => l.msg === 'cycle');
  /** Resolves with the `n`th cycle line (1-based). */
  const cycle = (n) => {
    let count = 0;
    return line((l) => l.msg === 'cycle' && ++count === n);
  };
  return {
    started,
    cpu0,
    lines,
    calls,
    cycles,
    cycle,
    line,
    failures: () => lines.filter((l) => l.level === 'error' || l.msg === 'cycle failed; retrying'),
    stop: async () => {
      stop.abort();
      await done;
    },
  };
}

/** Calls made between two instants, by answer. */
function tally(calls, from, to) {
  const within = calls.filter((c) => c.start >= from && c.start < to);
  const notModified = within.filter((c) => c.status === 304).length;
  return {
    calls: within.length,
    notModified,
    charged: within.length - notModified,
    names: within.map((c) => `${callName(c)} ${c.status}`),
  };
}

/** Run 1 and 3: the first cycle, then IDLE_CYCLES more at a short interval; calls per cycle, and the rate limit charged. */
async function idleRun(world, label) {
  const usedBefore = await rateUsed(world.githubUrl);
  const w = startWatcher(world, IDLE_INTERVAL_MS);
  const first = await w.cycle(1);
  const startup = startupOf(w, first);
  const afterFirst = memory();
  const last = await w.cycle(IDLE_CYCLES + 1);
  await w.stop();
  const afterIdle = memory();
  const usedAfter = await rateUsed(world.githubUrl);
  if (w.failures().length > 0) throw new Error(`${label}: a cycle failed: ${JSON.stringify(w.failures()[0])}`);
  const cycles = w.cycles().slice(0, IDLE_CYCLES + 1);
  const firstCalls = tally(w.calls, 0, first.at);
  const steady = tally(w.calls, first.at, last.at);
  const perCycle = new Set(cycles.slice(1).map((c) => c.githubCalls));
  return {
    label,
    startup,
    memory: { afterFirst, afterIdle },
    decision: `${first.rule}: ${first.current} → ${first.desired}${first.pr ? ` (PR ${first.pr})` : ''}`,
    first: firstCalls,
    steady: { ...steady, cycles: IDLE_CYCLES, perCycle: [...perCycle] },
    steadyCycleMs: median(cycles.slice(1).map((c) => c.ms)),
    steadyStages: medianStages(cycles.slice(1)),
    charged: usedAfter - usedBefore,
    perHour: {
      calls: (steady.calls / IDLE_CYCLES) * (3_600_000 / DEFAULT_INTERVAL_MS),
      charged: (steady.charged / IDLE_CYCLES) * (3_600_000 / DEFAULT_INTERVAL_MS),
    },
  };
}

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const medianStages = (cycles) =>
  Object.fromEntries(['config', 'snapshot', 'decide', 'github'].map((stage) => [stage, median(cycles.map((c) => c.stages[stage]))]));

/** From runWatch's start to the first cycle's end: the informers' lists, the first snapshot and decision. */
function startupOf(w, first) {
  const at = (msg, resource) => w.lines.find((l) => l.msg === msg && (resource === undefined || l.resource === resource))?.at;
  const cpu = process.cpuUsage(w.cpu0);
  const since = (t) => (t === undefined ? undefined : Math.round(t - w.started));
  return {
    totalMs: since(first.at),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    nodesSyncedMs: since(at('cluster cache synced', 'nodes')),
    budgetsSyncedMs: since(at('cluster cache synced', 'poddisruptionbudgets')),
    podsSyncedMs: since(at('cluster cache synced', 'pods')),
    readerStartedMs: since(at('watching the cluster')),
    stages: first.stages,
  };
}

/** Run 2: the pending pods created through the kube API, until the PR is opened. */
async function pendingRun(world) {
  const w = startWatcher(world, DEFAULT_INTERVAL_MS);
  const first = await w.cycle(1);
  const startup = startupOf(w, first);
  // Past the loop's least gap between cycles (1 s), as a cluster that has run a while is.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const from = w.lines.length;
  const t0 = performance.now();
  const res = await fetch(`${world.kubeUrl}/apis/apps/v1/namespaces/${BURST.namespace}/deployments`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: BURST.name },
      spec: {
        replicas: BURST.replicas,
        selector: { matchLabels: { app: BURST.name } },
        template: {
          metadata: { labels: { app: BURST.name } },
          spec: {
            containers: [{ name: 'work', image: 'busybox:1.36', resources: { requests: { cpu: BURST.cpu, memory: BURST.memory } } }],
          },
        },
      },
    }),
  });
  if (res.status !== 201) throw new Error(`POST deployment: ${res.status} ${await res.text()}`);
  const posted = performance.now();
  const opened = await w.line((l) => l.msg === 'cycle' && l.pr === 'opened', from);
  const noticed = w.lines.slice(from).find((l) => l.msg === 'a pod the scheduler cannot place: deciding now');
  await w.stop();
  if (w.failures().length > 0) throw new Error(`pending → PR: a cycle failed: ${JSON.stringify(w.failures()[0])}`);
  const cycleStart = opened.at - opened.ms;
  // At a 60 s interval, every call from the POST on is the woken cycle's.
  const calls = w.calls.filter((c) => c.start >= t0 && c.start <= opened.at);
  const pull = calls.find((c) => c.method === 'POST' && /\/pulls$/.test(new URL(c.url).pathname));
  if (!pull) throw new Error('no POST pulls in the cycle that opened the PR');
  const rel = (t) => Math.round(t - t0);
  return {
    startup,
    decision: `${opened.rule}: ${opened.current} → ${opened.desired}`,
    reason: opened.reason,
    postMs: rel(posted),
    noticedMs: noticed ? rel(noticed.at) : undefined,
    cycleStartMs: rel(cycleStart),
    stages: opened.stages,
    prOpenedMs: rel(pull.wireEnd),
    cycleEndMs: rel(opened.at),
    calls: calls.map((c) => ({
      call: `${callName(c)} ${c.status}`,
      atMs: rel(c.start),
      heldMs: Math.round(c.wireStart - c.start),
      wireMs: Math.round(c.wireEnd - c.wireStart),
    })),
    heldMs: Math.round(calls.filter((c) => c.end <= pull.end).reduce((sum, c) => sum + (c.wireStart - c.start), 0)),
    heldToCycleEndMs: Math.round(calls.reduce((sum, c) => sum + (c.wireStart - c.start), 0)),
    writes: calls.filter((c) => c.method !== 'GET').length,
  };
}

async function main() {
  const sims = startSimulators();
  try {
    const world = await sims.ready;
    const idle = await idleRun(world, 'idle, no PR');
    const pending = await pendingRun(world);
    const idleOpen = await idleRun(world, 'idle, the autoscale PR open');
    const seen = await sims.requests(0);
    const peak = Math.round(process.resourceUsage().maxRSS / 1024);
    report({ world, idle, pending, idleOpen, requests: seen.length, peakRssMiB: peak });
  } finally {
    await sims.stop();
  }
}

/** The young generation's cap, as the watcher's image sets it (Dockerfile: NODE_OPTIONS=--max-semi-space-size=8) or not. */
function youngGeneration() {
  const flag = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].find((a) => a.startsWith('--max-semi-space-size'));
  return flag ? flag : "V8's default young generation";
}

function report(r) {
  const ms = (v) => (v === undefined ? '—' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v).toLocaleString('en')} ms`);
  const { world, idle, pending, idleOpen } = r;
  console.log(
    `Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  console.log(
    `World: ${world.nodes.toLocaleString('en')} workers, ${world.pods.toLocaleString('en')} pods, built in ${ms(world.buildMs)} (simulators' process: ${world.rssMiB} MiB RSS)\n`,
  );
  console.log(`| pending pod → PR opened (${BURST.replicas} pods of ${BURST.cpu} CPU) | at | part |`);
  console.log('| --- | ---: | ---: |');
  const p = pending;
  const rows = [
    ['Deployment POSTed to the kube API, answered', p.postMs, p.postMs],
    ['the watcher sees a pod the scheduler cannot place (informer event)', p.noticedMs, p.noticedMs - p.postMs],
    ['the woken cycle starts', p.cycleStartMs, p.cycleStartMs - p.noticedMs],
    ['cycle: config read (conditional)', p.cycleStartMs + p.stages.config, p.stages.config],
    ['cycle: snapshot (caches + metrics.k8s.io)', p.cycleStartMs + p.stages.config + p.stages.snapshot, p.stages.snapshot],
    ['cycle: decision', p.cycleStartMs + p.stages.config + p.stages.snapshot + p.stages.decide, p.stages.decide],
    [
      `**PR opened** (POST pulls answered); ${p.decision}`,
      p.prOpenedMs,
      p.prOpenedMs - (p.cycleStartMs + p.stages.config + p.stages.snapshot + p.stages.decide),
    ],
    ['cycle ends (labels added)', p.cycleEndMs, p.cycleEndMs - p.prOpenedMs],
  ];
  for (const [what, at, part] of rows) console.log(`| ${what} | ${ms(at)} | ${ms(part)} |`);
  console.log(
    `\nGitHub calls in that cycle: ${p.calls.length} (${p.writes} writes); held back by the throttling plugin until the PR: ${ms(p.heldMs)} (to the cycle's end: ${ms(p.heldToCycleEndMs)})\n`,
  );
  console.log('| call | made at | held by the plugin | on the wire |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const c of p.calls) console.log(`| ${c.call} | ${ms(c.atMs)} | ${ms(c.heldMs)} | ${ms(c.wireMs)} |`);

  console.log('\n| watcher start-up (runWatch → first cycle done) | run 1 | run 2 | run 3 |');
  console.log('| --- | ---: | ---: | ---: |');
  const starts = [idle.startup, pending.startup, idleOpen.startup];
  for (const [what, get] of [
    ['nodes listed (informer synced)', (s) => s.nodesSyncedMs],
    ['PodDisruptionBudgets listed', (s) => s.budgetsSyncedMs],
    [`pods listed (${world.pods.toLocaleString('en')}, pages of 500)`, (s) => s.podsSyncedMs],
    ['first cycle done (snapshot, decision, GitHub)', (s) => s.totalMs],
    ['CPU of the watcher process until then', (s) => s.cpuMs],
  ])
    console.log(`| ${what} | ${starts.map((s) => ms(get(s))).join(' | ')} |`);
  const m = idle.memory;
  console.log(
    `\nWatcher RSS (run 1; ${youngGeneration()}): after the first cycle ${m.afterFirst.rssMiB} MiB, ${m.afterFirst.rssAfterGcMiB} MiB after a full GC (JS heap ${m.afterFirst.heapAfterGcMiB} MiB); after ${IDLE_CYCLES} more cycles ${m.afterIdle.rssMiB} MiB; peak ${m.afterIdle.peakMiB} MiB (over all three runs: ${r.peakRssMiB} MiB)\n`,
  );

  console.log(
    `| idle cycles (${IDLE_CYCLES}, after the first) | calls per cycle | of which 304 | charged per cycle | charged per hour at 60 s | cycle (median) | first cycle after a start |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const i of [idle, idleOpen]) {
    const per = (n) => (n / IDLE_CYCLES).toFixed(1).replace(/\.0$/, '');
    console.log(
      `| ${i.label} (${i.decision}) | ${per(i.steady.calls)} | ${per(i.steady.notModified)} | ${per(i.steady.charged)} | ${i.perHour.charged} (${i.perHour.calls} calls) | ${ms(i.steadyCycleMs)} | ${i.first.calls} calls, ${i.first.charged} charged: ${i.first.names.join(', ')} |`,
    );
  }
  console.log(
    `\nThe simulator charged the token ${idle.charged} and ${idleOpen.charged} requests over the two idle runs (first cycles included).`,
  );
  console.log(
    `Idle cycle stages (median ms): no PR ${JSON.stringify(idle.steadyStages)}; PR open ${JSON.stringify(idleOpen.steadyStages)}; calls of a steady cycle with the PR open: ${[...new Set(idleOpen.steady.names)].join(', ')}`,
  );
  console.log(
    `\n${JSON.stringify({ nodes: world.nodes, pods: world.pods, buildMs: world.buildMs, idle, pending, idleOpen, peakRssMiB: r.peakRssMiB, requests: r.requests })}`,
  );
}

await main();
