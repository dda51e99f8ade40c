// `npm run bench`: times the core operations on the built code (dist/) and prints a table.
// Figures are wall-clock per operation on this machine; see bench/README.md for recorded runs.
import { cpus } from 'node:os';
import { analyzeConfigText, setComponentCount } from '../dist/config/index.js';
import { scalePlan } from '../dist/plan/index.js';
import { largeConfig } from './large-config.js';

/** Runs `fn` for at least `minMs` (and `minRuns` times) after a warm-up; returns per-run statistics in ms. */
function measure(fn, { minMs = 1000, minRuns = 50 } = {}) {
  for (let i = 0; i < 20; i++) fn();
  const samples = [];
  const start = performance.now();
  while (samples.length < minRuns || performance.now() - start < minMs) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { runs: samples.length, median: at(0.5), p95: at(0.95), min: samples[0] };
}

const text = largeConfig(100);
const crlf = largeConfig(100, '\r\n');
const before = analyzeConfigText('big.yml', text).config;
if (!before) throw new Error('the generated benchmark config must be valid');
const edited = setComponentCount('big.yml', text, 'kubernetes_node', 41);
const oldLines = text.split('\n');
const changed = edited.text.split('\n').filter((line, i) => line !== oldLines[i]).length;
if (changed !== 1) throw new Error(`a count edit must change exactly one line; it changed ${changed}`);

const cases = [
  ['count edit, 100 documents (parse, edit one scalar, re-read)', () => setComponentCount('big.yml', text, 'kubernetes_node', 41)],
  ['count edit, 100 documents, CRLF', () => setComponentCount('big.yml', crlf, 'kubernetes_node', 41)],
  ['validate, 100 documents (YAML, schema, bounds, credentials)', () => analyzeConfigText('big.yml', text)],
  ['scale plan between two versions of the cluster', () => scalePlan([before], [edited.config])],
];

const kib = (text.length / 1024).toFixed(1);
console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} × ${cpus().length}`);
console.log(`Input: ${text.split('\n').length} lines, ${kib} KiB, 100 documents; the edit changes 1 line.\n`);
console.log('| operation | median | p95 | min | runs |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const [name, fn] of cases) {
  const r = measure(fn);
  const ms = (v) => `${v.toFixed(3)} ms`;
  console.log(`| ${name} | ${ms(r.median)} | ${ms(r.p95)} | ${ms(r.min)} | ${r.runs} |`);
}
console.log(`\nRSS after the run: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
