// The kube simulator at benchmark size: `node --expose-gc bench/sim-kube.js [NODES...]` (default 500
// and 5,000) prints a Markdown table, then one JSON line per size.
//
// The world is design.md's (bench/world.js): m5.2xlarge workers with 30 pods each, from
// Deployments of 1,000 replicas behind PodDisruptionBudgets and kube-system's DaemonSets.
//
// "Build" is the time from an empty cluster to every one of those pods Running, through the
// controllers as a scenario builds it (`cluster.bootstrap`).
//
// "One write" is one HTTP request to the simulator's API, timed from the request to the
// controllers having settled (`cluster.settle()` returned): the median of many, each kind on a
// cluster otherwise quiet (its clock stands still, so nothing else happens meanwhile): a bare pod
// the scheduler places; a Deployment's pod deleted (graceful), its replacement created and placed;
// a node cordoned, then uncordoned; a Deployment's replicas +1 through /scale, the new pod placed.
// Memory is the process's after a full GC: RSS (which does not shrink back after the smaller world
// before it) and the JS heap in use.
import { once } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { SimCluster } from '../dist/sim/kube/cluster.js';
import { R } from '../dist/sim/kube/resources.js';
import { createKubeServer } from '../dist/sim/kube/server.js';
import { populate } from './world.js';

const MiB = 2 ** 20;
const SAMPLES = 41;

const memory = () => {
  globalThis.gc?.();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / MiB, heap: heapUsed / MiB };
};

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => xs.toSorted((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];

/** One request; resolves with the status and the parsed body. */
async function send(url, method, path, body, contentType = 'application/json') {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': contentType } }),
  });
  return { status: res.status, body: await res.json() };
}

function build(nodes) {
  const cluster = new SimCluster({ clock: { timeScale: 0, start: Date.parse('2025-03-01T12:00:00Z') }, workerSize: 'm5.2xlarge' });
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  populate(cluster, { nodes, master: 'bench-master-vm-0', worker: (i) => `bench-node-vm-${i}` });
  const cpu = process.cpuUsage(cpu0);
  const ms = performance.now() - started;
  const pods = cluster.store.count('pods');
  let running = 0;
  for (const pod of cluster.store.values('pods')) if (pod.status?.phase === 'Running') running++;
  if (running !== pods) throw new Error(`build: ${pods - running} of ${pods} pods are not Running`);
  return { cluster, ms, cpuMs: (cpu.user + cpu.system) / 1000, pods };
}

/**
 * Times `write` (a request) plus the controllers' reaction, `SAMPLES` times after a few for warm-up;
 * `between` is untimed. Wall time, and the process's CPU time (client and server: one process), which
 * tells more than wall time on a machine that other work shares.
 */
async function timeWrites(cluster, write, between = async () => {}) {
  const samples = [];
  const cpu = [];
  for (let i = 0; i < SAMPLES + 5; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await write(i);
    cluster.settle();
    const t = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (i >= 5) {
      samples.push(t);
      cpu.push((c.user + c.system) / 1000);
    }
    await between(i);
  }
  return { median: median(samples), p95: p95(samples), cpuMedian: median(cpu) };
}

async function measure(nodes) {
  const before = memory();
  const { cluster, ms, cpuMs, pods } = build(nodes);
  const built = memory();
  const { server, endWatches } = createKubeServer({ cluster });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${server.address().port}`;
  const settleTime = () => cluster.advance(cluster.timing.podStartSeconds);
  const namespace = 'team-0';
  // Chosen before the clock starts: finding them is not part of a write.
  const victims = cluster
    .pods(namespace)
    .filter((p) => p.metadata.name.startsWith('app-0-'))
    .map((p) => p.metadata.name);

  const writes = {};
  writes.createPod = await timeWrites(
    cluster,
    (i) =>
      send(url, 'POST', `/api/v1/namespaces/${namespace}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `probe-${i}` },
        spec: { containers: [{ name: 'probe', image: 'busybox:1.36', resources: { requests: { cpu: '100m', memory: '64Mi' } } }] },
      }),
    settleTime,
  );
  const bound = cluster.store.get('pods', namespace, 'probe-0')?.spec.nodeName;
  if (!bound) throw new Error('the probe pod was not scheduled');
  writes.deletePod = await timeWrites(
    cluster,
    (i) => send(url, 'DELETE', `/api/v1/namespaces/${namespace}/pods/${victims[i]}`),
    // The grace period (30 s) runs out, and the replacement starts.
    async () => cluster.advance(31),
  );
  writes.cordon = await timeWrites(cluster, (i) =>
    send(
      url,
      'PATCH',
      `/api/v1/nodes/bench-node-vm-${Math.floor(i / 2) % nodes}`,
      { spec: { unschedulable: i % 2 === 0 } },
      'application/strategic-merge-patch+json',
    ),
  );
  let replicas = cluster.store.get('deployments.apps', namespace, 'app-0').spec.replicas;
  writes.scaleUp = await timeWrites(
    cluster,
    () =>
      send(
        url,
        'PATCH',
        `/apis/apps/v1/namespaces/${namespace}/deployments/app-0/scale`,
        { spec: { replicas: ++replicas } },
        'application/merge-patch+json',
      ),
    settleTime,
  );

  // The same pages read in the process (the registry alone, no HTTP or JSON): the first one sorts the keys the build added.
  const served = [];
  let next;
  do {
    const t0 = performance.now();
    const page = cluster.registry.list(R.pods, undefined, {
      limit: 500,
      ...(next ? { continue: next } : {}),
    });
    served.push(performance.now() - t0);
    next = page.continue;
  } while (next);

  // A paged LIST of every pod through the API, as an informer's first list or `kubectl get pods -A --chunk-size=500` does.
  const pages = [];
  const listStarted = performance.now();
  let listed = 0;
  let token = '';
  do {
    const t0 = performance.now();
    const res = await send(url, 'GET', `/api/v1/pods?limit=500${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    pages.push(performance.now() - t0);
    listed += res.body.items.length;
    token = res.body.metadata.continue ?? '';
  } while (token);
  const listMs = performance.now() - listStarted;
  if (listed !== cluster.store.count('pods')) throw new Error(`the paged list gave ${listed} pods of ${cluster.store.count('pods')}`);
  const nodeList = await timeWrites(cluster, () => send(url, 'GET', `/api/v1/pods?fieldSelector=spec.nodeName%3D${bound}`));
  const labelList = await timeWrites(cluster, () => send(url, 'GET', `/api/v1/namespaces/${namespace}/pods?labelSelector=app%3Dapp-0`));

  endWatches();
  server.close();
  server.closeAllConnections();
  cluster.close();
  return {
    nodes,
    pods,
    buildMs: ms,
    buildCpuMs: cpuMs,
    rssBeforeMiB: Math.round(before.rss),
    rssBuiltMiB: Math.round(built.rss),
    heapBuiltMiB: Math.round(built.heap),
    writes,
    list: { pages: pages.length, totalMs: listMs, pageMedianMs: median(pages), pageP95Ms: p95(pages) },
    served: { firstPageMs: served[0], pageMedianMs: median(served.slice(1)), pageP95Ms: p95(served.slice(1)) },
    nodeList,
    labelList,
  };
}

const sizes = process.argv.slice(2).map(Number);
const results = [];
for (const nodes of sizes.length > 0 ? sizes : [500, 5000]) results.push(await measure(nodes));

const ms = (v) => (v >= 100 ? `${Math.round(v).toLocaleString('en')} ms` : `${v.toFixed(2)} ms`);
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}, load average ${loadavg()[0].toFixed(2)}\n`);
console.log('| kube simulator | nodes | pods | median | p95 | CPU (median) | target |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  const row = (what, median, p95, target, cpu = '—') =>
    console.log(`| ${what} | ${r.nodes.toLocaleString('en')} | ${r.pods.toLocaleString('en')} | ${median} | ${p95} | ${cpu} | ${target} |`);
  const big = r.nodes >= 5000;
  row(`build (after: RSS ${r.rssBuiltMiB} MiB, heap ${r.heapBuiltMiB} MiB)`, ms(r.buildMs), '—', big ? '≤ 15 s' : '—', ms(r.buildCpuMs));
  const writeTarget = big ? '≤ 10 ms' : '—';
  for (const [what, kind] of [
    ['write: create a pod, scheduled', 'createPod'],
    ['write: delete a pod, replaced and scheduled', 'deletePod'],
    ['write: cordon or uncordon a node', 'cordon'],
    ['write: scale a Deployment by +1, the pod scheduled', 'scaleUp'],
  ]) {
    const w = r.writes[kind];
    row(what, ms(w.median), ms(w.p95), writeTarget, ms(w.cpuMedian));
  }
  row(
    `LIST all pods, ${r.list.pages} pages of 500, in the process (per page; first ${ms(r.served.firstPageMs)})`,
    ms(r.served.pageMedianMs),
    ms(r.served.pageP95Ms),
    '—',
  );
  row(`LIST all pods, ${r.list.pages} pages of 500, over HTTP with JSON (per page)`, ms(r.list.pageMedianMs), ms(r.list.pageP95Ms), '—');
  row('LIST all pods, the whole paged list', ms(r.list.totalMs), '—', '—');
  row('LIST pods with fieldSelector spec.nodeName', ms(r.nodeList.median), ms(r.nodeList.p95), '—');
  row('LIST pods with labelSelector app (1,000 pods)', ms(r.labelList.median), ms(r.labelList.p95), '—');
}
console.log('');
for (const r of results) console.log(JSON.stringify(r));
