/**
 * The demo's "VMs": a directory per machine under <demo>/machines/<node name>, which ansible
 * configures over a local connection (its roles write under `lsa_root`), with the demo's kubeadm
 * (./kubeadm-stub.ts) registering a worker with the kube simulator when it joins. The cluster's
 * inventory names the master and how to reach any worker; the ansible action adds the workers
 * terraform created. Names follow the LambdaStack rule, so terraform's local module, the Nodes the
 * kubelets register, the drain and the watcher all speak of the same machines.
 */
import { chmod, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import YAML from 'yaml';
import { type ClusterConfig, MASTER_COMPONENT, WORKER_COMPONENT } from '../config/index.js';
import { vmSize } from '../kube/vm-sizes.js';
import { vmName } from '../plan/naming.js';
import { buildNode } from '../sim/kube/nodes.js';
import { topologyFromConfig } from '../sim/kube/topology.js';
import { KUBEADM_SCRIPT, type KubeadmSettings, kubeadmWrapper } from './kubeadm-stub.js';

export interface Machines {
  /** <demo>/machines: a directory per machine. */
  dir: string;
  /** The cluster's inventory (YAML), as the demo repository holds it. */
  inventory: string;
  /** The calls of a machine's kubeadm, as its arguments. */
  kubeadmCalls(name: string): Promise<string[]>;
  /** Removes the machines of destroyed workers (their disks go with them); returns their names. */
  removeAllWorkersBut(workers: readonly string[]): Promise<string[]>;
}

export interface MachinesOptions {
  /** The demo's own directory (<workdir>/.demo). */
  demoDir: string;
  config: ClusterConfig;
  /** The kube simulator's URL, where the kubelets register. */
  apiServer: string;
  kubernetesVersion: string;
  /** The simulated time the registered Nodes carry. */
  timestamp: string;
}

/**
 * The address terraform's local module gives worker i (infra/terraform/local: 127.0.0.<i + 1>), which
 * the worker's kubelet reports as its InternalIP.
 */
const workerAddress = (index: number): string => `127.0.0.${index + 1}`;

export async function makeMachines(options: MachinesOptions): Promise<Machines> {
  const { config } = options;
  const dir = join(options.demoDir, 'machines');
  const bin = join(options.demoDir, 'bin');
  const nodes = join(options.demoDir, 'kubelet');
  await Promise.all([mkdir(dir, { recursive: true }), mkdir(bin, { recursive: true }), mkdir(nodes, { recursive: true })]);

  const settings: KubeadmSettings = {
    apiServer: options.apiServer,
    controlPlane: `${new URL(options.apiServer).host}`,
    machines: dir,
    nodes,
  };
  await writeFile(join(bin, 'kubeadm.json'), `${JSON.stringify(settings, null, 2)}\n`);
  await writeFile(join(bin, 'kubeadm.mjs'), KUBEADM_SCRIPT);
  const kubeadm = join(bin, 'kubeadm');
  await writeFile(kubeadm, kubeadmWrapper(process.execPath, join(bin, 'kubeadm.mjs')));
  await chmod(kubeadm, 0o755);

  // The Node each worker's kubelet registers, for every worker the bounds allow.
  const topology = topologyFromConfig(config);
  const size = vmSize(topology.workerSize, `${config.file}: the workers' size`);
  const max = config.autoscaling[WORKER_COMPONENT]?.max ?? config.counts[WORKER_COMPONENT] ?? 0;
  for (let index = 0; index < max; index++) {
    const name = vmName(config.prefix, config.name, WORKER_COMPONENT, index);
    const node = buildNode(
      {
        name,
        role: 'worker',
        size,
        // Pod CIDRs apart from those of the nodes the simulator started with.
        index: 100 + index,
        address: workerAddress(index),
        kubeletVersion: options.kubernetesVersion,
        provider: config.provider,
        ready: true,
      },
      options.timestamp,
    );
    await writeFile(join(nodes, `${name}.json`), `${JSON.stringify(node, null, 2)}\n`);
  }

  // The master and the workers LambdaStack built exist already, the workers joined.
  const master = vmName(config.prefix, config.name, MASTER_COMPONENT, 0);
  await mkdir(join(dir, master), { recursive: true });
  for (let index = 0; index < (config.counts[WORKER_COMPONENT] ?? 0); index++) {
    const root = join(dir, vmName(config.prefix, config.name, WORKER_COMPONENT, index));
    await mkdir(join(root, 'etc', 'kubernetes'), { recursive: true });
    await writeFile(join(root, 'etc', 'kubernetes', 'kubelet.conf'), `server: ${options.apiServer}\n`);
  }

  const inventory = [
    '# The demo cluster as ansible reaches it: each machine is a directory of this machine (lsa_root),',
    '# configured over a local connection, with the demo kubeadm. Written by `lambdastack-autoscaler demo`',
    '# (LambdaStack keeps a cluster inventory in its build directory). The ansible action adds the workers',
    '# terraform creates to kubernetes_node.',
    YAML.stringify(
      {
        all: {
          vars: {
            ansible_connection: 'local',
            // Nothing here is root's business.
            ansible_become: false,
            lsa_root: `${dir}/{{ inventory_hostname }}`,
            kubeadm_bin: kubeadm,
          },
          children: { kubernetes_master: { hosts: { [master]: {} } } },
        },
      },
      { lineWidth: 0 },
    ),
  ].join('\n');

  const workerPrefix = vmName(config.prefix, config.name, WORKER_COMPONENT, 0).replace(/0$/, '');
  return {
    dir,
    inventory,
    kubeadmCalls: async (name) => {
      const text = await readFile(join(dir, name, 'kubeadm.log'), 'utf8').catch(() => '');
      return text.split('\n').filter((line) => line !== '');
    },
    removeAllWorkersBut: async (workers) => {
      const keep = new Set(workers);
      const gone = (await readdir(dir)).filter((name) => name.startsWith(workerPrefix) && !keep.has(name));
      await Promise.all(gone.map((name) => rm(join(dir, name), { recursive: true, force: true })));
      return gone.sort();
    },
  };
}
