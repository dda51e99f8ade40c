import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CoreV1Api, Metrics, PolicyV1Api } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import type { Io } from '../../../src/cli/io.js';
import { simKubeCommand } from '../../../src/cli/sim-kube.js';
import { tempDir } from '../../support/temp.js';
import { eventually, type SimHandle, startSim, writeTemp } from './support.js';

let handle: SimHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

describe('scenario files', () => {
  it('runs a timeline in simulated time: scale-up, load ×2, metrics-server down, a node joining', async () => {
    const dir = await tempDir('scenario-');
    const file = await writeTemp(
      dir,
      'rush.yaml',
      `# A rush hour on the demo shop
cluster:
  config: ${join(process.cwd(), 'cluster-config/aws-demo.yml')}
timing: { podStartSeconds: 5 }
workloads:
  - name: web
    replicas: 3
    requests: { cpu: 500m, memory: 512Mi }
    usage: { cpu: 250m, memory: 300Mi }
pdbs:
  - { name: web, selector: { app: web }, maxUnavailable: 1 }
timeline:
  - { at: 60s, scale: { deployment: web, replicas: 12 } }
  - { at: 90s, usage: { deployment: web, factor: 2 } }
  - { at: 2m, metrics: unavailable }
  - { at: 3m, addNode: { size: t3.xlarge } }
`,
    );
    handle = await startSim({ scenario: file, timeScale: 0 });
    const { kc, sim } = handle;
    const core = kc.makeApiClient(CoreV1Api);
    const metrics = new Metrics(kc);
    const running = async (): Promise<number> =>
      (await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Running' })).items.length;

    expect(await running()).toBe(3);
    sim.cluster.advance(59);
    expect(await running()).toBe(3);
    sim.cluster.advance(1);
    // Scaled at 60 s: 12 pods of 500m do not fit on three t3.medium workers (1930m allocatable each, less the system pods).
    const pending = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Pending' })).items;
    expect(pending.length).toBe(9);
    sim.cluster.advance(5);
    expect(await running()).toBe(9);
    const stillPending = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Pending' })).items;
    expect(stillPending).toHaveLength(3);
    expect(stillPending[0]?.status?.conditions?.[0]?.message).toMatch(
      /^0\/4 nodes are available: 1 node\(s\) had untolerated taint .*, 3 Insufficient cpu\./,
    );
    const policy = kc.makeApiClient(PolicyV1Api);
    expect((await policy.readNamespacedPodDisruptionBudget({ namespace: 'default', name: 'web' })).status).toMatchObject({
      expectedPods: 12,
      desiredHealthy: 11,
      currentHealthy: 9,
      disruptionsAllowed: 0,
    });

    const cpuOf = async (): Promise<string | undefined> => (await metrics.getPodMetrics('default')).items[0]?.containers[0]?.usage.cpu;
    expect(await cpuOf()).toBe('250000000n');
    sim.cluster.advance(25);
    expect(await cpuOf()).toBe('500000000n');
    sim.cluster.advance(30);
    await expect(metrics.getNodeMetrics()).rejects.toThrow();
    sim.cluster.advance(60);
    const joined = await core.readNode({ name: 'demo-shop-kubernetes-node-vm-3' });
    expect(joined.status?.capacity).toMatchObject({ cpu: '4', memory: `${16 * 1024 * 1024}Ki` });
    // A joining node is NotReady, and tainted so, until its network plugin is up (nodeReadySeconds, 10 s).
    expect(joined.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'KubeletNotReady' });
    expect(joined.spec?.taints).toEqual([{ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule', timeAdded: expect.any(Date) }]);
    sim.cluster.advance(1);
    const waiting = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Pending' })).items[0];
    expect(waiting?.status?.conditions?.[0]?.message).toBe(
      '0/5 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, 3 Insufficient cpu. ' +
        'preemption: 0/5 nodes are available: 2 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.',
    );
    sim.cluster.advance(9);
    expect((await core.readNode({ name: 'demo-shop-kubernetes-node-vm-3' })).spec?.taints).toBeUndefined();
    sim.cluster.advance(5);
    expect(await running()).toBe(12);
  });

  it('refuses a scenario file with a clear error naming the file and fields', async () => {
    const dir = await tempDir('scenario-');
    const file = await writeTemp(
      dir,
      'bad.yaml',
      'workloads:\n  - name: Web\n    replicas: 2\n    requests: {cpu: fast}\ntimeline:\n  - {at: 10s, explode: true}\n',
    );
    await expect(startSim({ scenario: file })).rejects.toThrow(
      new RegExp(
        `${file}: workloads\\[0\\]\\.name: must be a DNS label[\\s\\S]*${file}: workloads\\[0\\]\\.requests\\.cpu: must be a quantity[\\s\\S]*${file}: timeline\\[0\\]`,
      ),
    );
  });

  it('builds a cluster from inline nodes only', async () => {
    handle = await startSim({
      scenario: {
        cluster: {
          nodes: [
            { name: 'cp-1', role: 'control-plane' },
            { name: 'big-1', size: 'Standard_D8s_v3', labels: { pool: 'big' } },
          ],
          system: false,
        },
      },
    });
    const core = handle.kc.makeApiClient(CoreV1Api);
    const nodes = (await core.listNode()).items;
    expect(nodes.map((n) => [n.metadata?.name, n.status?.capacity?.cpu, n.metadata?.labels?.pool])).toEqual([
      ['big-1', '8', 'big'],
      ['cp-1', '2', undefined],
    ]);
    expect((await core.listPodForAllNamespaces()).items).toHaveLength(0);
  });
});

describe('lambdastack-autoscaler sim kube', () => {
  it('serves the first cluster under cluster-config/, writes the kubeconfig, and stops cleanly on SIGTERM', async () => {
    const dir = await tempDir('sim-cli-');
    const kubeconfig = join(dir, 'config');
    const out: string[] = [];
    const err: string[] = [];
    const io: Io = { out: (t) => out.push(t), err: (t) => err.push(t) };
    const serving = simKubeCommand({ port: 0, kubeconfig, timeScale: 50 }, io);
    await eventually('the kubeconfig', async () =>
      (await readFile(kubeconfig, 'utf8').catch(() => '')).includes('server: http://127.0.0.1:') ? true : undefined,
    );
    expect(out[0]).toMatch(
      /^Kubernetes API simulator serving 4 node\(s\) from cluster-config\/aws-demo\.yml at http:\/\/127\.0\.0\.1:\d+ \(simulated time runs 50× real time\)$/,
    );
    expect(out[1]).toBe(`  kubectl --kubeconfig ${kubeconfig} get nodes`);
    const nodes = await execa('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'nodes', '-o', 'name'], {
      env: { HOME: dir },
    });
    expect(nodes.stdout.split('\n')).toEqual([
      'node/demo-shop-kubernetes-master-vm-0',
      'node/demo-shop-kubernetes-node-vm-0',
      'node/demo-shop-kubernetes-node-vm-1',
      'node/demo-shop-kubernetes-node-vm-2',
    ]);
    process.emit('SIGTERM');
    await serving;
    expect(out.at(-1)).toBe('stopped (SIGTERM)');
    expect(err).toEqual([]);
  });

  it('prints the kubeconfig when no file is given, with the messages on stderr', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const serving = simKubeCommand(
      { port: 0, timeScale: 1, config: 'cluster-config/azure-demo.yml' },
      { out: (t) => out.push(t), err: (t) => err.push(t) },
    );
    await eventually('the start', () => (err.length >= 2 ? true : undefined));
    expect(out[0]).toMatch(/^apiVersion: v1\nkind: Config\nclusters:\n {2}- name: analytics\n/);
    expect(err[0]).toMatch(
      /^Kubernetes API simulator serving 3 node\(s\) from cluster-config\/azure-demo\.yml at http:\/\/127\.0\.0\.1:\d+$/,
    );
    process.emit('SIGINT');
    await serving;
    expect(err.at(-1)).toBe('stopped (SIGINT)');
  });
});
