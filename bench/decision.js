// One decision of the engine at a given cluster size, in a process of its own so its RSS is its
// own: `node --expose-gc bench/decision.js NODES [PENDING]` prints one JSON line.
//
// The snapshot is test/policy/synthetic.ts (workers of 8 CPU / 32 GiB, 30 pods each behind PDBs,
// the two highest workers nearly empty, so a quiet cluster walks the scale-down path with its drain
// simulation; with PENDING, that many pods are Unschedulable and the scale-up path runs). The file
// has only type imports, so Node 24 loads it by stripping its types.
import { decide, initialState, resolvePolicy, workerTemplate } from '../dist/policy/index.js';
import { syntheticSnapshot } from '../test/policy/synthetic.ts';

const nodes = Number(process.argv[2] ?? 500);
const pending = Number(process.argv[3] ?? 0);
const RUNS = 15;
const MiB = 2 ** 20;
const rss = () => {
  globalThis.gc?.();
  return process.memoryUsage().rss / MiB;
};

const before = rss();
const snapshot = syntheticSnapshot(nodes, 30, { pending });
const withSnapshot = rss();
const policy = resolvePolicy({ min: 1, max: nodes * 2 });
const cluster = { count: nodes, min: 1, max: nodes * 2, template: workerTemplate(snapshot, 'm5.2xlarge') };
// The state of a cluster watched for a while: nodes have been unneeded long enough to go.
let state = decide({ snapshot, state: initialState(), policy, cluster, now: snapshot.takenAt - 3_600_000 }).state;
state = decide({ snapshot, state, policy, cluster, now: snapshot.takenAt - 1_800_000 }).state;

const cpu = [];
const wall = [];
let decision;
for (let i = 0; i < RUNS; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  decision = decide({ snapshot, state, policy, cluster, now: snapshot.takenAt }).decision;
  wall.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  JSON.stringify({
    nodes,
    pods: snapshot.pods.length,
    pending,
    rule: decision.rule.kind,
    desired: decision.desired,
    cpuMs: median(cpu),
    wallMs: median(wall),
    rssBeforeMiB: Math.round(before),
    rssWithSnapshotMiB: Math.round(withSnapshot),
    rssAfterMiB: Math.round(rss()),
  }),
);
