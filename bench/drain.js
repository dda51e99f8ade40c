// Draining 1 node versus 10 against the kube simulator (design.md target: 10 nodes cost ≤ 1.3 × one
// node's time), and 10 nodes one at a time, as `kubectl drain` run node after node takes them.
//
//   npm run build && node bench/drain.js [--pods 30] [--runs 1]
//
// Each case gets a fresh simulator: the nodes to drain, each with ~30 Deployment pods (one
// Deployment of 30 replicas per node, spread over all of them by the scheduler) and the DaemonSet
// pods of kube-system; then as many empty workers of the same size join for the pods to move to.
// Every case runs twice: without budgets, and with a PodDisruptionBudget of maxUnavailable 20% per
// Deployment, so evictions are refused (429) and asked again every 5 s, as on a real cluster.
//
// Simulated time is exact: the clock is stopped and moves only when the drain waits (see
// test/kube/drain-clock.ts), so grace periods (30 s), pod start-ups (2 s) and the 5 s retries are
// what they are on a cluster, on any machine. Real time is what the run took here: the drain's
// requests and the simulator's work (most of it: its controllers re-read the whole store on every
// pass), never any waiting.
import { KubeConfig } from '@kubernetes/client-node';
import { Drainer } from '../dist/kube/drain.js';
import { startKubeSim } from '../dist/sim/kube/index.js';
import { drivenTimer } from '../test/kube/drain-clock.ts';

const arg = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
};
const PODS_PER_NODE = arg('pods', 30);
// Simulated times are the same every run; more runs only steady the real-time medians.
const RUNS = arg('runs', 1);
const SIZE = 't3.xlarge';

/** A cluster whose `drain` nodes hold the workloads, and as many empty workers to take them. */
async function world(drain, budgets) {
  const drainNodes = Array.from({ length: drain }, (_, i) => `drain-${i}`);
  const sim = await startKubeSim({
    timeScale: 0,
    cluster: { timing: { nodeReadySeconds: 0 } },
    scenario: {
      cluster: { nodes: [{ name: 'master-0', role: 'control-plane' }, ...drainNodes.map((name) => ({ name, size: SIZE }))] },
      workloads: drainNodes.map((_, i) => ({ name: `app-${i}`, replicas: PODS_PER_NODE, requests: { cpu: '100m', memory: '128Mi' } })),
      pdbs: budgets ? drainNodes.map((_, i) => ({ name: `app-${i}`, selector: { app: `app-${i}` }, maxUnavailable: '20%' })) : [],
    },
  });
  for (let i = 0; i < drain; i++) sim.cluster.addNode(`spare-${i}`, { size: SIZE });
  sim.cluster.settle();
  const onDrainNodes = sim.cluster.pods('default').filter((pod) => drainNodes.includes(pod.spec.nodeName)).length;
  return { sim, drainNodes, onDrainNodes };
}

async function once(drain, parallelism, budgets) {
  const { sim, drainNodes, onDrainNodes } = await world(drain, budgets);
  try {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeConfigYaml);
    const drainer = new Drainer(kubeConfig, { timeoutSeconds: 3600, parallelism, timer: drivenTimer(sim.cluster) });
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const report = await drainer.drain(drainNodes);
    const realMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    if (!report.ok) throw new Error(`the drain failed: ${JSON.stringify(report.nodes.map((n) => [n.node, n.outcome]))}`);
    const left = sim.cluster.nodes().filter((node) => drainNodes.includes(node.metadata.name)).length;
    if (left > 0) throw new Error(`${left} drained node(s) still registered`);
    const running = sim.cluster.pods('default').filter((pod) => pod.status.phase === 'Running' && !pod.metadata.deletionTimestamp).length;
    if (running !== drain * PODS_PER_NODE) throw new Error(`${running} pods run after the drain, not ${drain * PODS_PER_NODE}`);
    return {
      simMs: report.ms,
      realMs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      evicted: report.nodes.reduce((sum, node) => sum + node.evicted.length, 0),
      onDrainNodes,
    };
  } finally {
    await sim.close();
  }
}

const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure(label, drain, parallelism, budgets) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await once(drain, parallelism, budgets));
  const result = {
    label,
    nodes: drain,
    parallelism,
    budgets,
    podsMoved: runs[0].onDrainNodes,
    simS: median(runs.map((r) => r.simMs)) / 1000,
    realMs: median(runs.map((r) => r.realMs)),
    cpuMs: median(runs.map((r) => r.cpuMs)),
  };
  console.error(JSON.stringify(result));
  return result;
}

const rows = [];
for (const budgets of [false, true]) {
  const one = await measure('1 node', 1, 10, budgets);
  const ten = await measure('10 nodes, parallel', 10, 10, budgets);
  const serial = await measure('10 nodes, one at a time (as kubectl drain)', 10, 1, budgets);
  for (const r of [one, ten, serial]) rows.push({ ...r, ratio: r.simS / one.simS });
}

const table = [
  '| case | budgets | pods moved | simulated | × 1 node | real (median) | CPU (this process) |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.budgets ? 'maxUnavailable 20%' : 'none'} | ${r.podsMoved} | ${r.simS.toFixed(0)} s | ${r.ratio.toFixed(2)} | ${r.realMs.toFixed(0)} ms | ${r.cpuMs.toFixed(0)} ms |`,
  ),
];
console.log(table.join('\n'));
console.log(`\n${RUNS} run(s) per case, median; ${PODS_PER_NODE} pods per node; Node ${process.version}.`);
const worst = Math.max(...rows.filter((r) => r.nodes === 10 && r.parallelism === 10).map((r) => r.ratio));
console.log(`10 nodes in parallel cost ${worst.toFixed(2)} × one node's time at worst (target ≤ 1.3).`);
