// The tasks ansible runs to add workers, and their time: LambdaStack's way (every play on every
// host of the cluster) against the ansible action's scale-up (`--tags node-join --limit <the new
// workers>`), with the real playbook (infra/ansible/site.yml) and ansible-core over hosts of this
// machine (test/infra/ansible-world.ts: a root directory and a stub kubeadm per host, local
// connections). Task results count each task once per host it ran on.
//
//   npm run build && node bench/ansible.js [EXISTING_WORKERS] [ADDED_WORKERS]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createdInventory, runWithRetries } from '../dist/infra/ansible.js';
import { ansibleWorld, clusterHosts } from '../test/infra/ansible-world.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PLAYBOOK = join(ROOT, 'infra', 'ansible', 'site.yml');
const existing = Number(process.argv[2] ?? 3);
const added = Number(process.argv[3] ?? 2);

const hosts = clusterHosts(existing, added);
const names = hosts.map((host) => host.name);
const newWorkers = names.slice(names.length - added);
const before = names.slice(0, names.length - added);

async function play(world, limit, tags, created) {
  const createdFile = join(world.dir, 'created.yml');
  writeFileSync(
    createdFile,
    createdInventory(
      created.map((name) => ({ name, index: undefined, address: world.address(name) })),
      'kubernetes_node',
    ),
  );
  const t0 = performance.now();
  const outcome = await runWithRetries(
    { playbook: PLAYBOOK, inventories: [world.inventory, createdFile], tags, knownHosts: join(world.dir, 'known_hosts'), log: 'ignore' },
    limit,
    { attempts: 1, delayMs: 0, tempDir: world.dir },
  );
  const bad = outcome.hosts.filter((host) => host.status !== 'changed' && host.status !== 'ok');
  if (bad.length > 0) throw new Error(`not configured: ${bad.map((host) => `${host.host} ${host.status}`).join(', ')}`);
  const tasks = new Set(outcome.hosts.flatMap((host) => host.tasks.map((task) => `${task.play}/${task.task}`)));
  return { ms: performance.now() - t0, taskResults: outcome.taskResults, tasks: tasks.size, hosts: limit.length };
}

const dirs = [];
const world = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lsa-bench-ansible-'));
  dirs.push(dir);
  return ansibleWorld(dir, hosts);
};

try {
  // LambdaStack: adding workers means a full run over the whole cluster, new workers included.
  const full = await play(await world(), names, ['all'], []);
  // The action: the cluster was configured before (not timed), then only the new workers join.
  const scaled = await world();
  await play(scaled, before, ['all'], []);
  const scaleUp = await play(scaled, newWorkers, ['node-join'], newWorkers);

  const row = (what, r) => `| ${what} | ${r.hosts} | ${r.tasks} | ${r.taskResults} | ${(r.ms / 1000).toFixed(1)} s |`;
  console.log(`cluster: 1 master, 1 load balancer, ${existing} workers; adding ${added}`);
  console.log('| run | hosts | distinct tasks | task results | time |');
  console.log('| --- | ---: | ---: | ---: | ---: |');
  console.log(row('full LambdaStack run (every play, every host)', full));
  console.log(row('scale-up: --tags node-join --limit <new workers>', scaleUp));
  console.log(
    `task results: ${((scaleUp.taskResults / full.taskResults) * 100).toFixed(0)} % of the full run's; time: ${((scaleUp.ms / full.ms) * 100).toFixed(0)} %`,
  );
} finally {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}
