import { join } from 'node:path';
import { CoreV1Api, type V1Pod } from '@kubernetes/client-node';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type SimHandle, startSim, writeTemp } from './support.js';

let handle: SimHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

const MASTER = 'demo-shop-kubernetes-master-vm-0';
const W0 = 'demo-shop-kubernetes-node-vm-0';

async function shop(scenario: Record<string, unknown> = {}): Promise<SimHandle> {
  handle = await startSim({ config: 'cluster-config/aws-demo.yml', scenario });
  return handle;
}

/** Rows of kubectl's table output, split on runs of spaces. */
function rows(stdout: string): string[][] {
  return stdout
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s{2,}/));
}

describe('kubectl against the simulator', () => {
  it('gets nodes and pods with server-side printing (roles, status, IPs, nodes)', async () => {
    const { kubectl } = await shop();
    const nodes = await kubectl(['get', 'nodes', '-o', 'wide']);
    expect(nodes.stderr).toBe('');
    expect(nodes.stdout.split('\n')[0]).toMatch(
      /^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION\s+INTERNAL-IP\s+EXTERNAL-IP\s+OS-IMAGE\s+KERNEL-VERSION\s+CONTAINER-RUNTIME/,
    );
    expect(rows(nodes.stdout).map((r) => [r[0], r[1], r[2], r[4]])).toEqual([
      [MASTER, 'Ready', 'control-plane', 'v1.32.0'],
      [W0, 'Ready', '<none>', 'v1.32.0'],
      ['demo-shop-kubernetes-node-vm-1', 'Ready', '<none>', 'v1.32.0'],
      ['demo-shop-kubernetes-node-vm-2', 'Ready', '<none>', 'v1.32.0'],
    ]);
    const pods = await kubectl(['get', 'pods', '-A', '-o', 'wide']);
    expect(pods.stdout.split('\n')[0]).toMatch(
      /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES/,
    );
    const apiserver = rows(pods.stdout).find((r) => r[1] === `kube-apiserver-${MASTER}`);
    expect(apiserver).toEqual([
      'kube-system',
      `kube-apiserver-${MASTER}`,
      '1/1',
      'Running',
      '0',
      expect.any(String),
      '10.1.1.10',
      MASTER,
      '<none>',
      '<none>',
    ]);
    expect(rows(pods.stdout).filter((r) => r[1]?.startsWith('kube-proxy-'))).toHaveLength(4);
    const info = await kubectl(['cluster-info']);
    expect(info.stdout).toMatch(/^Kubernetes control plane is running at http:\/\/127\.0\.0\.1:\d+\nCoreDNS is running at /);
  });

  it('creates deployments (flags and a manifest), scales them and waits for the rollout', async () => {
    const { kubectl, dir } = await shop();
    expect((await kubectl(['create', 'deployment', 'web', '--image=nginx', '--replicas=3'])).stdout).toBe('deployment.apps/web created');
    const manifest = await writeTemp(
      dir,
      'api.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: example/api:1.0
        resources:
          requests: {cpu: 500m, memory: 512Mi}
`,
    );
    const created = await kubectl(['create', '-f', manifest]);
    expect(created).toMatchObject({ exitCode: 0, stdout: 'deployment.apps/api created' });
    expect((await kubectl(['scale', 'deployment/web', '--replicas=5'])).stdout).toBe('deployment.apps/web scaled');
    const rollout = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=20s']);
    expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
    const deployments = await kubectl(['get', 'deployments']);
    expect(rows(deployments.stdout).map((r) => r.slice(0, 4))).toEqual([
      ['api', '2/2', '2', '2'],
      ['web', '5/5', '5', '5'],
    ]);
    const requests = await kubectl([
      'get',
      'pods',
      '-l',
      'app=api',
      '-o',
      'jsonpath={.items[*].spec.containers[0].resources.requests.cpu}',
    ]);
    expect(requests.stdout).toBe('500m 500m');
    const invalid = await writeTemp(
      dir,
      'bad.yaml',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: Bad}\nspec: {selector: {matchLabels: {a: b}}, template: {metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: i}]}}}\n',
    );
    const refused = await kubectl(['create', '-f', invalid]);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(
      'The Deployment "Bad" is invalid: metadata.name: Invalid value: "Bad": a lowercase RFC 1123 subdomain',
    );
  });

  it('watches pods with get -w: new pods appear, go Pending → ContainerCreating → Running', async () => {
    const { kubeconfig, dir, sim } = await shop({ workloads: [{ name: 'web', replicas: 1 }] });
    const watch = execa('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), 'get', 'pods', '-l', 'app=web', '-w'], {
      env: { HOME: dir },
      reject: false,
    });
    let seen = '';
    watch.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
    });
    try {
      await eventually('the initial list', () => (seen.includes('Running') ? true : undefined));
      sim.cluster.scaleDeployment('web', 2);
      const lines = await eventually('the new pod running', () => {
        const rows = seen.trim().split('\n').slice(1);
        const names = [...new Set(rows.map((r) => r.split(/\s+/)[0]))];
        return names.length === 2 && rows.filter((r) => r.startsWith(names[1] as string) && r.includes('Running')).length > 0
          ? rows
          : undefined;
      });
      const fresh = lines.filter((r) => r.startsWith((lines.at(-1) ?? '').split(/\s+/)[0] as string)).map((r) => r.split(/\s{2,}/)[2]);
      expect(fresh).toEqual(expect.arrayContaining(['Pending', 'ContainerCreating', 'Running']));
    } finally {
      watch.kill();
      await watch;
    }
  });

  it('cordons, uncordons, creates a PDB and deletes a node', async () => {
    const { kubectl, sim } = await shop({ workloads: [{ name: 'web', replicas: 3 }] });
    expect((await kubectl(['cordon', W0])).stdout).toBe(`node/${W0} cordoned`);
    expect(rows((await kubectl(['get', 'node', W0])).stdout)[0]?.[1]).toBe('Ready,SchedulingDisabled');
    expect((await kubectl(['uncordon', W0])).stdout).toBe(`node/${W0} uncordoned`);
    expect(sim.cluster.nodes().find((n) => n.metadata.name === W0)?.spec.unschedulable).toBeUndefined();
    expect((await kubectl(['create', 'poddisruptionbudget', 'web', '--selector=app=web', '--max-unavailable=1'])).stdout).toBe(
      'poddisruptionbudget.policy/web created',
    );
    expect(rows((await kubectl(['get', 'pdb'])).stdout)).toEqual([['web', 'N/A', '1', '1', expect.any(String)]]);
    expect((await kubectl(['delete', 'node', W0])).stdout).toBe(`node "${W0}" deleted`);
    expect(rows((await kubectl(['get', 'nodes'])).stdout).map((r) => r[0])).not.toContain(W0);
    // The pod GC deletes the pods of the vanished node after its quarantine (40 simulated seconds), and the ReplicaSet replaces them.
    await eventually('web pods to be off the deleted node and running', () => {
      const web = sim.cluster.pods('default');
      return web.length === 3 && web.every((p) => p.spec.nodeName !== W0 && p.status.phase === 'Running') ? web : undefined;
    });
  });

  it('patches with a JSON patch whose test holds the same labels in another order, and refuses one whose test fails', async () => {
    const { kubectl, sim } = await shop({ workloads: [{ name: 'web', replicas: 3 }] });
    const labels = sim.cluster.nodes().find((n) => n.metadata.name === W0)?.metadata.labels ?? {};
    expect(Object.keys(labels).length).toBeGreaterThan(2);
    const reordered = Object.fromEntries(Object.entries(labels).reverse());
    expect(Object.keys(reordered)).not.toEqual(Object.keys(labels));
    const patch = [
      { op: 'test', path: '/metadata/labels', value: reordered },
      { op: 'replace', path: '/metadata/labels/node-type', value: 'batch' },
    ];
    const patched = await kubectl(['patch', 'node', W0, '--type=json', '-p', JSON.stringify(patch)]);
    expect(patched).toMatchObject({ exitCode: 0, stdout: `node/${W0} patched` });
    expect(sim.cluster.nodes().find((n) => n.metadata.name === W0)?.metadata.labels).toEqual({ ...labels, 'node-type': 'batch' });

    // The labels changed, so the same test fails now: 422, and nothing is changed.
    const refused = await kubectl(['patch', 'node', W0, '--type=json', '-p', JSON.stringify(patch)]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('testing value /metadata/labels failed: test failed');

    // Subresources take the same PATCH path: a JSON patch of the Scale, with a test.
    const scale = [
      { op: 'test', path: '/spec/replicas', value: 3 },
      { op: 'replace', path: '/spec/replicas', value: 2 },
    ];
    expect(await kubectl(['patch', 'deployment', 'web', '--subresource=scale', '--type=json', '-p', JSON.stringify(scale)])).toMatchObject({
      exitCode: 0,
      stdout: 'scale.autoscaling/web patched',
    });
    expect((await kubectl(['get', 'deployment', 'web', '-o', 'jsonpath={.spec.replicas}'])).stdout).toBe('2');
  });

  it('drains a node: pods are evicted and run on the other nodes, the node stays cordoned', async () => {
    const { kubectl, sim, kc } = await shop({
      workloads: [{ name: 'web', replicas: 6, requests: { cpu: '200m', memory: '128Mi' }, emptyDir: true }],
      pdbs: [{ name: 'web', selector: { app: 'web' }, maxUnavailable: 1 }],
    });
    const core = kc.makeApiClient(CoreV1Api);
    const onW0 = (await core.listNamespacedPod({ namespace: 'default', fieldSelector: `spec.nodeName=${W0}` })).items;
    expect(onW0.length).toBeGreaterThan(0);
    const drain = await kubectl(['drain', W0, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=40s']);
    expect(drain.exitCode).toBe(0);
    expect(drain.stdout).toContain(`node/${W0} cordoned`);
    for (const pod of onW0) expect(drain.stdout).toContain(`pod/${pod.metadata?.name} evicted`);
    expect(drain.stdout).toContain(`node/${W0} drained`);
    expect(drain.stderr).toMatch(/Warning: ignoring DaemonSet-managed Pods: kube-system\/kube-flannel-ds-\w+, kube-system\/kube-proxy-\w+/);
    const web = await eventually('six running web pods', async () => {
      const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items;
      return pods.length === 6 && pods.every((p: V1Pod) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
        ? pods
        : undefined;
    });
    expect(web.map((p) => p.spec?.nodeName)).not.toContain(W0);
    expect(sim.cluster.nodes().find((n) => n.metadata.name === W0)?.spec.unschedulable).toBe(true);
    const left = (await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${W0}` })).items.map(
      (p) => p.metadata?.ownerReferences?.[0]?.kind,
    );
    expect(left).toEqual(['DaemonSet', 'DaemonSet']);
  });

  it('shows metrics with top, and says when the metrics API is down', async () => {
    const { kubectl, sim } = await shop({
      workloads: [{ name: 'web', replicas: 3, requests: { cpu: '500m', memory: '1Gi' }, usage: { cpu: '400m', memory: '800Mi' } }],
    });
    const top = await kubectl(['top', 'nodes']);
    expect(top.stdout.split('\n')[0]).toMatch(/^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)/);
    const table = rows(top.stdout);
    expect(table.map((r) => r[0])).toEqual([MASTER, W0, 'demo-shop-kubernetes-node-vm-1', 'demo-shop-kubernetes-node-vm-2']);
    for (const row of table) {
      expect(row[1]).toMatch(/^\d+m$/);
      expect(row[2]).toMatch(/^\d+%$/);
      expect(row[3]).toMatch(/^\d+Mi$/);
    }
    const pods = await kubectl(['top', 'pods', '-l', 'app=web']);
    expect(rows(pods.stdout).map((r) => r.slice(1))).toEqual([
      ['400m', '800Mi'],
      ['400m', '800Mi'],
      ['400m', '800Mi'],
    ]);
    // metrics-server down (its APIService unavailable): what kubectl prints against a real cluster then.
    sim.cluster.setMetricsAvailable(false);
    const down = await kubectl(['top', 'nodes']);
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toBe(
      'Error from server (ServiceUnavailable): the server is currently unable to handle the request (get nodes.metrics.k8s.io)',
    );
  });

  it('reports pods that fit nowhere as Pending/Unschedulable with the scheduler message', async () => {
    const { kubectl } = await shop({ workloads: [{ name: 'huge', replicas: 1, requests: { cpu: '4' } }] });
    const pods = await kubectl(['get', 'pods']);
    expect(rows(pods.stdout)[0]?.slice(1, 3)).toEqual(['0/1', 'Pending']);
    const condition = await kubectl(['get', 'pods', '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="PodScheduled")]}']);
    expect(JSON.parse(condition.stdout)).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message:
        '0/4 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 3 Insufficient cpu. ' +
        'preemption: 0/4 nodes are available: 1 Preemption is not helpful for scheduling, 3 No preemption victims found for incoming pod.',
    });
    const describe = await kubectl(['describe', 'pod', '-l', 'app=huge']);
    expect(describe.stdout).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/4 nodes are available/);
  });
});
