// How cost grows with cluster size (50, 500 and 5,000 workers) for a decision, a drain and a scale
// plan: `npm run build && node --expose-gc bench/scaling.js [SIZES...]` prints a Markdown table.
//
// - decision: bench/decision.js in a process of its own (a quiet cluster of 30 pods per worker, so
//   the scale-down path with its drain simulation runs; the median CPU of 15 decisions, and RSS);
// - drain: 10 workers drained in parallel (the Drainer the drain action runs, bound 10) out of a
//   cluster of that many workers with 10 Deployment pods each, against the kube simulator on a
//   stopped clock that moves only when the drain waits (test/kube/drain-clock.ts): simulated time is
//   what a cluster would take, real time is this machine's work (requests and the simulator);
// - scale plan: the plan between two versions of a cluster scaled by +10 %, with the node names
//   added (median of many).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { Drainer } from '../dist/kube/drain.js';
import { scalePlan } from '../dist/plan/index.js';
import { startKubeSim } from '../dist/sim/kube/index.js';
import { drivenTimer } from '../test/kube/drain-clock.ts';

const SIZES = process.argv.length > 2 ? process.argv.slice(2).map(Number) : [50, 500, 5000];
const DRAINED = 10;
const PODS_PER_WORKER = 10;
const worker = (i) => `demo-shop-kubernetes-node-vm-${i}`;

function decision(nodes) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(import.meta.dirname, 'decision.js'), String(nodes), '0'], {
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

async function drain(nodes) {
  const names = Array.from({ length: nodes }, (_, i) => worker(i));
  const sim = await startKubeSim({
    timeScale: 0,
    cluster: { timing: { nodeReadySeconds: 0 } },
    scenario: {
      cluster: {
        nodes: [{ name: 'demo-shop-kubernetes-master-vm-0', role: 'control-plane' }, ...names.map((name) => ({ name, size: 't3.xlarge' }))],
      },
      // The simulator takes at most 10,000 replicas a workload: Deployments of 5,000 at most.
      workloads: Array.from({ length: Math.ceil((nodes * PODS_PER_WORKER) / 5000) }, (_, i) => ({
        name: `web-${i}`,
        replicas: Math.min(5000, nodes * PODS_PER_WORKER - i * 5000),
        requests: { cpu: '100m', memory: '128Mi' },
      })),
    },
  });
  try {
    sim.cluster.settle();
    const targets = names.slice(-DRAINED);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sim.kubeConfigYaml);
    const drainer = new Drainer(kubeConfig, { timeoutSeconds: 3600, parallelism: 10, timer: drivenTimer(sim.cluster) });
    const t0 = performance.now();
    const report = await drainer.drain(targets);
    const realMs = performance.now() - t0;
    if (!report.ok) throw new Error(`the drain of ${nodes} failed`);
    return { simS: report.ms / 1000, realMs, evicted: report.nodes.reduce((sum, node) => sum + node.evicted.length, 0) };
  } finally {
    await sim.close();
  }
}

function plan(nodes) {
  const cluster = (count) => ({
    file: 'cluster-config/shop.yml',
    name: 'shop',
    provider: 'aws',
    prefix: 'demo',
    counts: { kubernetes_master: 1, kubernetes_node: count },
  });
  const before = [cluster(nodes)];
  const after = [cluster(Math.round(nodes * 1.1))];
  const added = scalePlan(before, after).clusters[0]?.components?.[0];
  const samples = [];
  const start = performance.now();
  while (samples.length < 50 || performance.now() - start < 500) {
    const t0 = performance.now();
    scalePlan(before, after);
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { ms: samples[Math.floor(samples.length / 2)], added };
}

console.log(
  '| workers | decision: CPU (median of 15) | decision: RSS | drain 10 workers: simulated | drain 10 workers: real | scale plan +10 % (median) |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const nodes of SIZES) {
  const d = decision(nodes);
  const r = await drain(nodes);
  const p = plan(nodes);
  console.log(
    `| ${nodes.toLocaleString('en')} | ${d.cpuMs.toFixed(1)} ms | ${d.rssAfterMiB} MiB | ${r.simS.toFixed(0)} s (${r.evicted} pods) | ${r.realMs.toFixed(0)} ms | ${p.ms.toFixed(3)} ms |`,
  );
}
