// The cold start of the bundled actions: `node actions/<name>/dist/index.js` from process start to
// exit, as the runner starts a step, with inputs that make each do the least it can (validate: one
// small config; plan: base = head, so git reads one commit twice; scale: the count it already has,
// so five reads from the GitHub simulator (the repository, its branch, tree and two configs) and no write;
// and scale refusing its count before any call). Node's own start (an empty script) is
// measured beside them. Median of several runs; see bench/README.md.
//
//   npm run build && npm exec -- node bench/action-cold-start.js [runs]
//
// `npm exec` puts the project's Node 24 first on PATH (the actions' `runs.using: node24`); the
// simulator is imported from the build (dist/).
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startGithubSim } from '../dist/sim/github/index.js';

const ROOT = resolve(import.meta.dirname, '..');
const RUNS = Number(process.argv[2] ?? 15);
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(`Node ${process.versions.node}: the actions run on node24; run this with \`npm exec -- node bench/action-cold-start.js\``);
  process.exit(2);
}

const GIT_ENV = {
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
const git = (cwd, ...args) =>
  execFileSync('git', args, { cwd, env: { ...process.env, ...GIT_ENV }, stdio: 'pipe' })
    .toString()
    .trim();
const scratch = mkdtempSync(join(tmpdir(), 'lsa-bench-cold-'));

/** A checkout holding the example clusters, committed once. */
function checkout() {
  const dir = join(scratch, 'checkout');
  mkdirSync(dir);
  cpSync(join(ROOT, 'cluster-config'), join(dir, 'cluster-config'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'Add the clusters');
  return { dir, head: git(dir, 'rev-parse', 'HEAD') };
}

/** Runs `node <script>` once with `env` only (as the runner does), expecting `exitCode`; resolves with the wall time in ms and what it wrote. */
function runOnce(args, env, cwd, exitCode) {
  const files = mkdtempSync(join(scratch, 'run-'));
  const output = join(files, 'output');
  writeFileSync(output, '');
  writeFileSync(join(files, 'summary'), '');
  const fullEnv = { PATH: process.env.PATH, ...env, GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: join(files, 'summary') };
  return new Promise((resolvePromise, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd, env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.stderr.on('data', (chunk) => {
      out += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - start;
      if (code !== exitCode) reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`));
      else resolvePromise({ ms, out });
    });
  });
}

async function measure(name, args, env, cwd, check, exitCode = 0) {
  const first = await runOnce(args, env, cwd, exitCode);
  check?.(first.out);
  const samples = [];
  for (let i = 0; i < RUNS; i++) samples.push((await runOnce(args, env, cwd, exitCode)).ms);
  samples.sort((a, b) => a - b);
  const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))];
  return { name, median: at(0.5), p90: at(0.9), min: samples[0], runs: RUNS };
}

const expectIn = (what) => (out) => {
  if (!out.includes(what)) throw new Error(`expected the run to say ${JSON.stringify(what)}; it said:\n${out}`);
};

async function main() {
  const repo = checkout();
  const empty = join(scratch, 'empty.mjs');
  writeFileSync(empty, '');
  const bundle = (name) => join(ROOT, 'actions', name, 'dist', 'index.js');
  const runner = { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: repo.dir };

  // The simulator over a bare clone of the checkout: scale reads main there.
  const bare = join(scratch, 'remote.git');
  git(scratch, 'clone', '-q', '--bare', repo.dir, bare);
  const sim = await startGithubSim({ repoDir: bare, name: 'example/cluster-config' });
  const scaleEnv = {
    ...runner,
    INPUT_CLUSTER: 'shop',
    INPUT_COMPONENT: 'kubernetes_node',
    INPUT_COUNT: '3',
    INPUT_REASON: 'bench',
    INPUT_PATH: 'cluster-config',
    INPUT_TOKEN: 'bench-token',
    GITHUB_API_URL: sim.url,
    GITHUB_REPOSITORY: 'example/cluster-config',
    GITHUB_ACTOR: 'bench',
    GITHUB_RUN_ID: '1',
  };
  try {
    const results = [
      await measure('node, an empty script (Node’s own start)', [empty], {}, repo.dir),
      await measure(
        'validate: one config file',
        [bundle('validate')],
        { ...runner, INPUT_PATH: 'cluster-config/aws-demo.yml' },
        repo.dir,
        expectIn('1 cluster config(s) valid'),
      ),
      await measure(
        'plan: base = head (git reads one commit, twice)',
        [bundle('plan')],
        { ...runner, ...GIT_ENV, INPUT_PATH: 'cluster-config', INPUT_BASE: repo.head, INPUT_HEAD: repo.head },
        repo.dir,
        expectIn('No scale changes'),
      ),
      await measure(
        'scale: a count refused before any call (module load and input checks only)',
        [bundle('scale')],
        { ...scaleEnv, INPUT_COUNT: 'three' },
        repo.dir,
        expectIn('input `count`'),
        1,
      ),
      await measure(
        'scale: the current count (5 reads from the GitHub simulator, no write)',
        [bundle('scale')],
        scaleEnv,
        repo.dir,
        expectIn('nothing to do'),
      ),
    ];
    console.log(`Node ${process.versions.node}, ${RUNS} runs each after one warm-up run (the OS file cache warm)\n`);
    console.log('| action | bundle | median | p90 | min |');
    console.log('| --- | ---: | ---: | ---: | ---: |');
    const sizes = { validate: bundle('validate'), plan: bundle('plan'), scale: bundle('scale') };
    for (const result of results) {
      const action = Object.keys(sizes).find((name) => result.name.startsWith(`${name}:`));
      const size = action ? `${Math.round(statSync(sizes[action]).size / 1024)} KiB` : '—';
      const ms = (value) => `${value.toFixed(0)} ms`;
      console.log(`| ${result.name} | ${size} | ${ms(result.median)} | ${ms(result.p90)} | ${ms(result.min)} |`);
    }
  } finally {
    await sim.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
