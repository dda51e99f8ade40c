// What `watch --record` and `replay` cost at a given cluster size, in a process of its own:
// `node --expose-gc bench/record.js NODES` prints one JSON line: the bytes of a file's first
// (whole) line and of a quiet cycle's line (only the measured use changed), the time to encode and
// write a cycle (the watcher's cost; pod views frozen and reused, as the snapshot reader's are),
// to read a quiet line back, and one replay step of two policies.
//
// The snapshot is test/policy/synthetic.ts (workers of 8 CPU / 32 GiB, 30 pods each behind PDBs;
// its Deployments' pods come in 12 request sizes each, which real ones do not, so its lines are
// larger than a real cluster's of the same size).
import { resolvePolicy } from '../dist/policy/index.js';
import { decodeLine, encodeCycle } from '../dist/record/format.js';
import { LineReader, LineWriter } from '../dist/record/lines.js';
import { Replay } from '../dist/replay/replay.js';
import { syntheticSnapshot } from '../test/policy/synthetic.ts';

const nodes = Number(process.argv[2] ?? 500);
const RUNS = 7;
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (ms) => Math.round(ms * 10) / 10;

const raw = syntheticSnapshot(nodes, 30);
const pods = raw.pods.map((pod) => Object.freeze(pod));
const config = { cluster: 'shop', prefix: 'demo', count: nodes, min: 1, max: nodes * 2, vmSize: 'm5.2xlarge' };
/** Cycle `i`: the same pods, each node's use a little different. */
const cycle = (i) => ({
  ...raw,
  takenAt: raw.takenAt + i * 60_000,
  pods,
  usage: {
    at: raw.takenAt + i * 60_000,
    nodes: new Map([...raw.usage.nodes].map(([name, u]) => [name, { cpu: u.cpu + (i % 7), memory: u.memory }])),
  },
});

const writer = new LineWriter();
const whole = writer.text(encodeCycle({ at: raw.takenAt, config, snapshot: cycle(0), podNames: false }));
const named = new LineWriter().text(encodeCycle({ at: raw.takenAt, config, snapshot: cycle(0), podNames: true }));
const write = [];
let quiet = '';
for (let i = 1; i <= RUNS; i++) {
  const t0 = performance.now();
  quiet = writer.text(encodeCycle({ at: raw.takenAt + i * 60_000, config, snapshot: cycle(i), podNames: false }));
  write.push(performance.now() - t0);
}

const reader = new LineReader();
const first = reader.read(JSON.parse(whole));
const t0 = performance.now();
const decodedWhole = decodeLine(first);
const readWholeMs = performance.now() - t0;
const read = [];
let decoded;
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  const line = reader.read(JSON.parse(quiet));
  decoded = decodeLine(line, { line: first, cycle: decodedWhole });
  read.push(performance.now() - t);
}

const policies = [
  { label: 'A', source: 'a', policy: resolvePolicy({}), min: 1, max: nodes * 2, vmSize: 'm5.2xlarge' },
  { label: 'B', source: 'b', policy: resolvePolicy({ scale_down_unneeded_time: '1h' }), min: 1, max: nodes * 2, vmSize: 'm5.2xlarge' },
];
const steps = [];
const replay = new Replay(policies, { applyDelayMs: 600_000 });
for (let i = 0; i < RUNS; i++) {
  const t = performance.now();
  // The cycle a minute later each time, its snapshot and metrics as fresh as they were.
  const shift = i * 60_000;
  const { snapshot } = decoded;
  replay.step({
    ...decoded,
    at: decoded.at + shift,
    snapshot: { ...snapshot, takenAt: snapshot.takenAt + shift, usage: { ...snapshot.usage, at: snapshot.usage.at + shift } },
  });
  steps.push(performance.now() - t);
}

const bytes = (text) => Buffer.byteLength(text);
console.log(
  JSON.stringify({
    nodes,
    pods: pods.length,
    wholeLineBytes: bytes(whole),
    wholeLineBytesWithPodNames: bytes(named),
    quietLineBytes: bytes(quiet),
    encodeAndWriteMs: round(median(write)),
    readWholeMs: round(readWholeMs),
    readQuietMs: round(median(read)),
    replayStepTwoPoliciesMs: round(median(steps)),
    quietCyclesPer64MiB: Math.floor((64 * 2 ** 20) / bytes(quiet)),
  }),
);
