import { beforeAll, describe, expect, it } from 'vitest';
import type { RunOutcome } from '../../src/infra/ansible.js';
import { tempDir } from '../support/temp.js';
import { playOver } from './ansible-play.js';
import { type AnsibleWorld, ansibleWorld, clusterHosts } from './ansible-world.js';

// The real playbook (infra/ansible/site.yml) run by ansible-core over hosts of this machine: a full
// LambdaStack run over a cluster, then the scale-up the ansible action runs.
const MASTER = 'demo-shop-kubernetes-master-vm-0';
const BALANCER = 'demo-shop-load-balancer-vm-0';
const worker = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;
const EXISTING = [worker(0), worker(1), worker(2)];
const ADDED = [worker(3), worker(4)];

const facts = (role: string): string => `etc/ansible/facts.d/lambdastack_${role}.fact`;

const play = (world: AnsibleWorld, limit: string[], tags: string[], created: string[] = limit): Promise<RunOutcome> =>
  playOver(world, { limit, tags, created });

describe('infra/ansible/site.yml under ansible-core', () => {
  let world: AnsibleWorld;
  let full: RunOutcome;
  const before = new Map<string, string[]>();

  beforeAll(async () => {
    world = await ansibleWorld(await tempDir('lsa-ansible-'), clusterHosts(3, 2));
    // The cluster as it was before the scale-up: a full run over the master, the balancer and the existing workers.
    full = await play(world, [MASTER, BALANCER, ...EXISTING], ['all'], []);
    for (const host of [MASTER, BALANCER, ...EXISTING, ...ADDED]) before.set(host, await world.files(host));
  }, 120_000);

  it('a full run plays every role on the hosts of its group', async () => {
    expect(full.hosts.map((host) => [host.host, host.status])).toEqual([MASTER, BALANCER, ...EXISTING].map((host) => [host, 'changed']));
    expect(before.get(MASTER)).toEqual(
      expect.arrayContaining([facts('common'), facts('kubernetes_packages'), facts('kubernetes_master'), 'etc/kubernetes/admin.conf']),
    );
    expect(before.get(BALANCER)).toEqual(expect.arrayContaining([facts('common'), facts('load_balancer')]));
    for (const host of EXISTING) {
      expect(before.get(host)).toEqual(
        expect.arrayContaining([facts('common'), facts('kubernetes_packages'), facts('node_join'), 'etc/kubernetes/kubelet.conf']),
      );
    }
    for (const host of ADDED) expect(before.get(host)).toEqual([]);
    expect(await world.kubeadmCalls(MASTER)).toEqual([
      `init --kubernetes-version 1.20.12 --node-name ${MASTER}`,
      'token create --ttl 15m --print-join-command',
    ]);
  });

  it('a scale-up (--tags node-join --limit <new workers>) touches only the new workers, and only with the join', async () => {
    const scaleUp = await play(world, ADDED, ['node-join']);

    expect(scaleUp.hosts.map((host) => [host.host, host.status])).toEqual(ADDED.map((host) => [host, 'changed']));
    // Every task of the scale-up belongs to the node-join play.
    const plays = new Set(scaleUp.hosts.flatMap((host) => host.tasks.map((task) => task.play)));
    expect(plays).toEqual(new Set(['Join the workers']));
    for (const host of ADDED) {
      expect(await world.files(host)).toEqual([facts('node_join'), 'etc/default/kubelet', 'etc/kubernetes/kubelet.conf']);
      expect(await world.kubeadmCalls(host)).toEqual([
        `join 10.1.1.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00ff --node-name ${host}`,
      ]);
    }
    // The other hosts are as the full run left them; the master only handed out one token.
    for (const host of [MASTER, BALANCER, ...EXISTING]) expect(await world.files(host)).toEqual(before.get(host));
    expect((await world.kubeadmCalls(MASTER)).slice(2)).toEqual(['token create --ttl 15m --print-join-command']);
    for (const host of EXISTING) expect(await world.kubeadmCalls(host)).toHaveLength(1);

    // What the benchmark compares: the scale-up's task results against the full run's.
    expect(scaleUp.taskResults).toBeLessThan(full.taskResults);
  });

  it('running the scale-up again changes nothing: a joined worker does not join twice', async () => {
    const again = await play(world, ADDED, ['node-join']);

    expect(again.hosts.map((host) => [host.host, host.status])).toEqual(ADDED.map((host) => [host, 'ok']));
    for (const host of ADDED) {
      expect(await world.kubeadmCalls(host)).toHaveLength(1);
      expect(again.hosts.find((h) => h.host === host)?.tasks.find((task) => task.task.endsWith('Join the cluster'))?.status).toBe(
        'skipped',
      );
    }
  });
});
