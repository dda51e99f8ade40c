// The two simulators bench/watcher.js runs the watcher against, in a process of their own (as the
// API server and GitHub are), so the watcher's process holds only the watcher: the kube simulator
// with design.md's world at NODES workers (bench/world.js), its clock running at real time, and
// the GitHub simulator over a real bare git repository whose main holds `cluster-config/bench.yml`,
// a cluster config whose workers are exactly the simulator's nodes.
//
//   node bench/simulators.js NODES      (forked with an IPC channel by bench/watcher.js)
//
// It sends `{ type: 'ready', ... }` once both serve, and answers `{ type: 'requests', from }` with
// the GitHub simulator's request log from that index. `{ type: 'stop' }` closes everything.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseClusterConfig } from '../dist/config/index.js';
import { startGithubSim } from '../dist/sim/github/index.js';
import { SimCluster } from '../dist/sim/kube/cluster.js';
import { createKubeServer } from '../dist/sim/kube/server.js';
import { topologyFromConfig } from '../dist/sim/kube/topology.js';
import { populate } from './world.js';

const ROOT = resolve(import.meta.dirname, '..');
export const CONFIG_PATH = 'cluster-config/bench.yml';
export const REPOSITORY = 'example/cluster-config';

/**
 * The example AWS cluster (cluster-config/aws-demo.yml: prefix demo, name shop) with `nodes`
 * m5.2xlarge workers, autoscaled up to `nodes + 1,000`. Only those three values change.
 */
export function benchConfig(nodes) {
  const documents = readFileSync(join(ROOT, 'cluster-config', 'aws-demo.yml'), 'utf8').split('\n---\n');
  const replace = (text, from, to) => {
    if (!text.includes(from)) throw new Error(`cluster-config/aws-demo.yml no longer has ${JSON.stringify(from)}`);
    return text.replace(from, to);
  };
  return documents
    .map((doc) => {
      if (doc.includes('kind: lambdastack-cluster')) return replace(doc, 'count: 3  # managed', `count: ${nodes}  # managed`);
      if (doc.includes('name: kubernetes-node-machine')) return replace(doc, 'size: t3.medium', 'size: m5.2xlarge');
      if (doc.includes('kind: configuration/autoscaling')) return replace(doc, 'max: 10', `max: ${nodes + 1000}`);
      return doc;
    })
    .join('\n---\n');
}

const GIT_ENV = {
  ...process.env,
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
};
const git = (cwd, ...args) => execFileSync('git', args, { cwd, env: GIT_ENV, stdio: 'pipe' });

/** A bare repository whose main holds the config, pushed from a scratch clone. */
function bareRepository(dir, text) {
  const work = join(dir, 'work');
  const bare = join(dir, 'cluster-config.git');
  mkdirSync(join(work, 'cluster-config'), { recursive: true });
  writeFileSync(join(work, CONFIG_PATH), text);
  git(work, 'init', '-q', '-b', 'main');
  git(work, 'add', '-A');
  git(work, 'commit', '-qm', 'Add the bench cluster');
  git(dir, 'init', '-q', '--bare', '-b', 'main', bare);
  git(work, 'push', '-q', bare, 'main');
  return bare;
}

async function main() {
  const nodes = Number(process.argv[2] ?? 5000);
  const text = benchConfig(nodes);
  const topology = topologyFromConfig(parseClusterConfig(CONFIG_PATH, text));
  const master = topology.nodes.find((node) => node.role === 'control-plane')?.name;
  const workers = topology.nodes.filter((node) => node.role === 'worker').map((node) => node.name);
  if (!master || workers.length !== nodes) throw new Error(`the bench config names ${workers.length} workers, not ${nodes}`);

  const cluster = new SimCluster({ clock: { timeScale: 1 }, provider: topology.provider, workerSize: topology.workerSize });
  const started = performance.now();
  populate(cluster, { nodes, master, worker: (i) => workers[i] });
  const buildMs = performance.now() - started;
  const { server, endWatches } = createKubeServer({ cluster });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');

  const dir = mkdtempSync(join(tmpdir(), 'lsa-bench-watcher-'));
  const github = await startGithubSim({ repoDir: bareRepository(dir, text), name: REPOSITORY });

  let stopping;
  const stop = () => {
    stopping ??= (async () => {
      endWatches();
      server.closeAllConnections();
      await new Promise((done) => server.close(done));
      cluster.close();
      await github.close();
      rmSync(dir, { recursive: true, force: true });
      if (process.connected) process.disconnect();
    })();
    return stopping;
  };
  process.on('message', (message) => {
    if (message.type === 'requests') process.send({ type: 'requests', records: github.requests().slice(message.from) });
    else if (message.type === 'stop') void stop();
  });
  // The parent gone (killed, crashed): stop too, leaving nothing behind.
  process.on('disconnect', () => void stop().catch(() => {}));
  process.send({
    type: 'ready',
    kubeUrl: `http://127.0.0.1:${server.address().port}`,
    githubUrl: github.url,
    cluster: topology.name,
    configPath: CONFIG_PATH,
    repository: REPOSITORY,
    nodes,
    pods: cluster.store.count('pods'),
    buildMs,
    rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
  });
}

if (process.argv[1] === import.meta.filename) await main();
