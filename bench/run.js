// `npm run bench`: times the core operations on the built code (dist/) and prints a table, then runs
// the other benchmarks, each in a process of its own (its RSS its own): one decision, the kube
// simulator, the snapshot's memory, the watcher against the simulators, drain, packer and the
// actions' cold starts. bench/ansible.js is left out (it runs for minutes): run it on its own.
// Figures are wall-clock on this machine unless said; see bench/README.md for recorded runs.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeConfigText, setComponentCount } from '../dist/config/index.js';
import { scaleHistory } from '../dist/git/history.js';
import { scalePlan } from '../dist/plan/index.js';
import { largeConfig } from './large-config.js';

/** Like `measure`, for async work that takes long enough that a few runs tell. */
async function measureAsync(fn, runs) {
  await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return { runs, median: samples[Math.floor(runs / 2)], p95: samples[runs - 1], min: samples[0] };
}

/** A git repository whose cluster-config/ holds the 100-document file, scaled `commits` times. */
function historyRepo(commits) {
  const dir = mkdtempSync(join(tmpdir(), 'lsa-bench-history-'));
  const git = (...args) => execFileSync('git', args, { cwd: dir, stdio: 'pipe' });
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.name', 'Bench');
  git('config', 'user.email', 'bench@example.com');
  mkdirSync(join(dir, 'cluster-config'));
  const file = join(dir, 'cluster-config', 'big.yml');
  let current = text;
  writeFileSync(file, current);
  git('add', '.');
  git('commit', '--quiet', '-m', 'Add the cluster');
  for (let i = 0; i < commits; i++) {
    current = setComponentCount('big.yml', current, 'kubernetes_node', 3 + ((i * 7) % 150)).text;
    writeFileSync(file, current);
    git('commit', '--quiet', '-a', '-m', `Scale big (#${i + 1})`, '-m', `Autoscale-Reason: load step ${i}`);
  }
  return dir;
}

/** Runs `fn` for at least `minMs` (and `minRuns` times) after a warm-up; returns per-run statistics in ms. */
function measure(fn, { minMs = 1000, minRuns = 10 } = {}) {
  // Warm up 20 runs, or 300 ms for the slow cases.
  for (let i = 0, t = performance.now(); i < 20 && performance.now() - t < 300; i++) fn();
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

// A hostile pull request: one mapping of 40,000 keys (550 KiB, under the 1 MiB limit). The yaml
// library's own duplicate-key check took 15 s on it; the check of our own is one pass.
const WIDE_KEYS = 40_000;
const wide = `${text.split('\n---')[0]}\nwide:\n${Array.from({ length: WIDE_KEYS }, (_, i) => `  k${i}: v`).join('\n')}\n`;
if (analyzeConfigText('wide.yml', wide).problems.length > 0) throw new Error('the wide benchmark config must be valid');

const HISTORY_COMMITS = 200;
const repo = historyRepo(HISTORY_COMMITS);
cases.push([
  `validate one mapping of ${WIDE_KEYS.toLocaleString('en')} keys (${(wide.length / 1024).toFixed(0)} KiB)`,
  () => analyzeConfigText('wide.yml', wide),
]);
const asyncCases = [
  [`history of ${HISTORY_COMMITS} scale commits of the 100-document file`, () => scaleHistory({ cwd: repo }), 5],
  [
    '`lambdastack-autoscaler scale` end to end: Node start, full validation, edit, atomic write',
    async () => {
      execFileSync(
        process.execPath,
        [
          join(import.meta.dirname, '..', 'bin', 'lambdastack-autoscaler.js'),
          'scale',
          'kubernetes_node',
          '42',
          '--file',
          'cluster-config/big.yml',
        ],
        {
          cwd: repo,
          stdio: 'pipe',
        },
      );
      execFileSync('git', ['checkout', '--quiet', '--', '.'], { cwd: repo });
    },
    10,
  ],
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
for (const [name, fn, runs] of asyncCases) {
  const r = await measureAsync(fn, runs);
  const ms = (v) => `${v.toFixed(1)} ms`;
  console.log(`| ${name} | ${ms(r.median)} | ${ms(r.p95)} | ${ms(r.min)} | ${r.runs} |`);
}
rmSync(repo, { recursive: true, force: true });

// One decision at 500 and 5,000 nodes × 30 pods, each in a process of its own so RSS is its own.
console.log('\n| one decision (bench/decision.js) | pods | rule | CPU (median of 15) | RSS with the snapshot | RSS after | target |');
console.log('| --- | ---: | --- | ---: | ---: | ---: | --- |');
for (const [nodes, pending] of [
  [500, 0],
  [500, 2000],
  [5000, 0],
  [5000, 2000],
]) {
  const out = execFileSync(process.execPath, ['--expose-gc', join(import.meta.dirname, 'decision.js'), String(nodes), String(pending)], {
    encoding: 'utf8',
  });
  const r = JSON.parse(out);
  const what = `${nodes.toLocaleString('en')} nodes${pending ? `, ${pending.toLocaleString('en')} pending` : ', quiet'}`;
  const target = nodes === 5000 ? '≤ 250 ms, ≤ 256 MiB' : '—';
  console.log(
    `| ${what} | ${r.pods.toLocaleString('en')} | ${r.rule} | ${r.cpuMs.toFixed(1)} ms | ${r.rssWithSnapshotMiB} MiB | ${r.rssAfterMiB} MiB | ${target} |`,
  );
}

/** Runs `node [nodeArgs] bench/<script> [args]` and returns its stdout; its stderr (progress lines) is shown only when it fails. */
function child(script, args = [], nodeArgs = []) {
  try {
    return execFileSync(process.execPath, [...nodeArgs, join(import.meta.dirname, script), ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 2 ** 20,
    }).trim();
  } catch (error) {
    process.stderr.write(error.stderr ?? '');
    throw error;
  }
}
/** The Markdown lines of a benchmark's output (its JSON lines are for bench/README.md's records). */
const tables = (out) =>
  out
    .split('\n')
    .filter((line) => !line.startsWith('{'))
    .join('\n');

console.log(`\n${tables(child('sim-kube.js', [], ['--expose-gc']))}`);

// The snapshot's cache at 5,000 nodes / 150,000 pods, against full objects kept and nothing kept.
console.log(
  '\n| snapshot memory (bench/snapshot-memory.js), 5,000 nodes / 150,000 pods | RSS | JS heap | snapshot build (CPU, median of 9) |',
);
console.log('| --- | ---: | ---: | ---: |');
for (const mode of ['', '--full', '--none']) {
  const r = JSON.parse(child('snapshot-memory.js', mode ? [mode] : [], ['--expose-gc']));
  const build = r.buildCpuMedianMs === undefined ? '—' : `${r.buildCpuMedianMs} ms (RSS after 9 builds ${r.rssAfterNineBuildsMiB} MiB)`;
  console.log(`| ${r.mode} | ${r.cachedRssMiB} MiB | ${r.cachedHeapMiB} MiB | ${build} |`);
}

// The watcher against both simulators, with its image's young-generation cap (Dockerfile NODE_OPTIONS).
console.log(`\n${tables(child('watcher.js', [], ['--expose-gc', '--max-semi-space-size=8']))}`);
console.log(`\n${tables(child('drain.js'))}`);
console.log(`\n${tables(child('scaling.js', [], ['--expose-gc']))}`);
console.log(`\n${tables(child('packer.js', ['10']))}`);
console.log(`\n${tables(child('action-cold-start.js', ['10']))}`);
// bench/ansible.js runs ansible-playbook over local hosts for a minute or two: run it on its own (bench/README.md).
console.log(`\nRSS after the run: ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
