// The packer step on a cache hit, end to end as the runner runs it: `node actions/packer/dist/index.js`
// with INPUT_* variables (Node's start, loading the bundle, reading and validating the cluster
// config, hashing the template and playbooks, reading the image record). One bake first records
// the image (timed too, with the null template: a cloud bake takes 10+ minutes).
//
//   node bench/packer.js [RUNS]      (npm run build is not needed: the bundle is committed)
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 20);

const workspace = mkdtempSync(join(tmpdir(), 'lsa-bench-packer-'));
cpSync(join(ROOT, 'infra'), join(workspace, 'infra'), { recursive: true });
cpSync(join(ROOT, 'cluster-config'), join(workspace, 'cluster-config'), { recursive: true });

function run() {
  const output = join(workspace, 'output');
  writeFileSync(output, '');
  writeFileSync(join(workspace, 'summary'), '');
  const t0 = performance.now();
  execFileSync(process.execPath, [join(ROOT, 'actions', 'packer', 'dist', 'index.js')], {
    cwd: workspace,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      PATH: process.env.PATH,
      HOME: workspace,
      RUNNER_TEMP: workspace,
      GITHUB_WORKSPACE: workspace,
      GITHUB_OUTPUT: output,
      GITHUB_STEP_SUMMARY: join(workspace, 'summary'),
      INPUT_CONFIG: 'cluster-config/aws-demo.yml',
      INPUT_TEMPLATE: 'infra/packer/null.pkr.hcl',
      INPUT_PLAYBOOKS: 'infra/ansible',
      'INPUT_BASE-IMAGE': 'debian-12',
      INPUT_VARIABLES: `images_dir=${join(workspace, 'images')}`,
      INPUT_STORE: join(workspace, 'store'),
    },
  });
  const ms = performance.now() - t0;
  const cacheHit = /cache-hit<<(\S+)\ntrue\n/.test(readFileSync(output, 'utf8'));
  return { ms, cacheHit };
}

function nodeStart() {
  const t0 = performance.now();
  execFileSync(process.execPath, ['-e', '']);
  return performance.now() - t0;
}

const stats = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { runs: sorted.length, median: at(0.5), p95: at(0.95), min: sorted[0] };
};

try {
  const bake = run();
  if (bake.cacheHit) throw new Error('the first run should bake');
  const hits = [];
  for (let i = 0; i < RUNS; i++) {
    const hit = run();
    if (!hit.cacheHit) throw new Error('a run after the bake was not a cache hit');
    hits.push(hit.ms);
  }
  const node = stats(Array.from({ length: 10 }, nodeStart));
  const hit = stats(hits);
  const ms = (value) => `${value.toFixed(0)} ms`;
  console.log(`machine: ${execFileSync('nproc', { encoding: 'utf8' }).trim()} CPUs, Node ${process.version}`);
  console.log('| figure | median | p95 | min | runs | target |');
  console.log('| --- | ---: | ---: | ---: | ---: | --- |');
  console.log(
    `| packer step, cache hit (bundle cold start included) | ${ms(hit.median)} | ${ms(hit.p95)} | ${ms(hit.min)} | ${hit.runs} | ≤ 5 s |`,
  );
  console.log(`| Node start alone (\`node -e ''\`) | ${ms(node.median)} | ${ms(node.p95)} | ${ms(node.min)} | ${node.runs} | — |`);
  console.log(`| packer step, bake with the null template (packer + the image playbook) | ${ms(bake.ms)} | | | 1 | — |`);
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
