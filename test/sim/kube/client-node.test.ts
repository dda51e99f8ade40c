import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  Metrics,
  makeInformer,
  PatchStrategy,
  PolicyV1Api,
  setHeaderOptions,
  type V1Node,
  type V1Pod,
  Watch,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, type SimHandle, startSim } from './support.js';

let handle: SimHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

const WORKERS = ['demo-shop-kubernetes-node-vm-0', 'demo-shop-kubernetes-node-vm-1', 'demo-shop-kubernetes-node-vm-2'];
const MASTER = 'demo-shop-kubernetes-master-vm-0';

async function shop(scenario: Record<string, unknown> = {}): Promise<SimHandle> {
  handle = await startSim({ config: 'cluster-config/aws-demo.yml', scenario });
  return handle;
}

/** The Status body of a failed client-node call. */
function statusOf(error: unknown): Record<string, unknown> {
  expect(error).toBeInstanceOf(ApiException);
  const body = (error as ApiException<unknown>).body;
  return typeof body === 'string' ? JSON.parse(body) : (body as Record<string, unknown>);
}

async function failure(call: Promise<unknown>): Promise<{ code: number; status: Record<string, unknown> }> {
  try {
    await call;
  } catch (error) {
    return { code: (error as ApiException<unknown>).code, status: statusOf(error) };
  }
  throw new Error('expected the call to fail');
}

describe('nodes through CoreV1Api', () => {
  it('lists the LambdaStack nodes with their sizes, by label and field selectors, in pages', async () => {
    const { kc } = await shop();
    const core = kc.makeApiClient(CoreV1Api);
    const all = await core.listNode();
    expect(all.items.map((n) => n.metadata?.name)).toEqual([MASTER, ...WORKERS]);
    expect(Number(all.metadata?.resourceVersion)).toBeGreaterThan(0);
    const worker = all.items[1] as V1Node;
    expect(worker.status?.capacity).toMatchObject({ cpu: '2', memory: '4194304Ki', pods: '110' });
    expect(worker.metadata?.labels).toMatchObject({ 'node.kubernetes.io/instance-type': 't3.medium', 'node-type': 'lambdastack' });
    expect(worker.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(worker.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const masters = await core.listNode({ labelSelector: 'node-role.kubernetes.io/control-plane' });
    expect(masters.items.map((n) => n.metadata?.name)).toEqual([MASTER]);
    expect(masters.items[0]?.spec?.taints).toEqual([{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }]);
    expect((await core.listNode({ fieldSelector: `metadata.name=${WORKERS[1]}` })).items).toHaveLength(1);
    expect((await core.listNode({ fieldSelector: 'spec.unschedulable=false' })).items).toHaveLength(4);

    const first = await core.listNode({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.metadata?.remainingItemCount).toBe(1);
    const rest = await core.listNode({ limit: 3, _continue: first.metadata?._continue as string });
    expect(rest.items.map((n) => n.metadata?.name)).toEqual([WORKERS[2]]);
    expect(rest.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect(rest.metadata?._continue).toBeUndefined();

    const bad = await failure(core.listNode({ fieldSelector: 'status.phase=Ready' }));
    expect(bad.code).toBe(400);
    expect(bad.status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
  });

  it('patches nodes with merge, strategic merge and JSON patches, and answers 404 and 409 with Status bodies', async () => {
    const { kc } = await shop();
    const core = kc.makeApiClient(CoreV1Api);
    const name = WORKERS[0] as string;
    const before = await core.readNode({ name });
    const cordoned = await core.patchNode(
      { name, body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(Number(cordoned.metadata?.resourceVersion)).toBeGreaterThan(Number(before.metadata?.resourceVersion));
    const again = await core.patchNode(
      { name, body: { spec: { unschedulable: true } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect(again.metadata?.resourceVersion).toBe(cordoned.metadata?.resourceVersion);

    const labelled = await core.patchNode(
      {
        name,
        body: { metadata: { labels: { pool: 'batch' } }, spec: { taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(labelled.metadata?.labels).toMatchObject({ pool: 'batch', 'kubernetes.io/hostname': name });
    expect(labelled.spec?.taints).toEqual([{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }]);

    const patched = await core.patchNode({ name, body: [{ op: 'replace', path: '/spec/unschedulable', value: false }] });
    expect(patched.spec?.unschedulable).toBe(false);

    const stale = await failure(core.replaceNode({ name, body: { ...before, metadata: { ...before.metadata, labels: { x: 'y' } } } }));
    expect(stale.code).toBe(409);
    expect(stale.status).toMatchObject({
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on nodes "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      details: { name, kind: 'nodes' },
    });
    const missing = await failure(core.readNode({ name: 'nope' }));
    expect(missing).toEqual({
      code: 404,
      status: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'nodes "nope" not found',
        reason: 'NotFound',
        details: { name: 'nope', kind: 'nodes' },
        code: 404,
      },
    });
  });

  it('lets a kubelet register a node, which then gets DaemonSet pods and workloads', async () => {
    const { kc, sim } = await shop({ workloads: [{ name: 'web', replicas: 3, requests: { cpu: '1500m', memory: '256Mi' } }] });
    const core = kc.makeApiClient(CoreV1Api);
    expect((await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Pending' })).items).toHaveLength(0);
    sim.cluster.scaleDeployment('web', 4);
    const pending = await eventually('a pending web pod', async () => {
      const pods = await core.listNamespacedPod({ namespace: 'default', fieldSelector: 'status.phase=Pending' });
      return pods.items.find((p) => p.status?.conditions?.some((c) => c.reason === 'Unschedulable'));
    });
    expect(pending.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message).toMatch(
      /^0\/4 nodes are available: .*3 Insufficient cpu/,
    );
    const node = sim.cluster.nodes()[1] as unknown as V1Node & { metadata: { name: string } };
    const joined = await core.createNode({
      body: {
        ...node,
        metadata: {
          name: 'demo-shop-kubernetes-node-vm-3',
          labels: { ...node.metadata.labels, 'kubernetes.io/hostname': 'demo-shop-kubernetes-node-vm-3' },
        },
      },
    });
    expect(joined.metadata?.uid).not.toBe(node.metadata.uid);
    await eventually('the pending pod to run on the new node', async () => {
      const pod = await core.readNamespacedPod({ namespace: 'default', name: pending.metadata?.name as string });
      return pod.status?.phase === 'Running' && pod.spec?.nodeName === 'demo-shop-kubernetes-node-vm-3' ? pod : undefined;
    });
    const onNew = await core.listPodForAllNamespaces({ fieldSelector: 'spec.nodeName=demo-shop-kubernetes-node-vm-3' });
    expect(onNew.items.map((p) => p.metadata?.name?.replace(/-[a-z0-9]{5}$/, '')).sort()).toEqual([
      'kube-flannel-ds',
      'kube-proxy',
      `web-${pending.metadata?.name?.split('-')[1]}`,
    ]);
  });
});

describe('pods through CoreV1Api', () => {
  it('selects pods by node, phase, name, namespace and labels; running pods have IPs and conditions', async () => {
    const { kc } = await shop({ workloads: [{ name: 'web', replicas: 3, requests: { cpu: '100m', memory: '64Mi' } }] });
    const core = kc.makeApiClient(CoreV1Api);
    const web = await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' });
    expect(web.items).toHaveLength(3);
    const pod = web.items[0] as V1Pod;
    expect(pod.status).toMatchObject({ phase: 'Running', qosClass: 'Burstable' });
    expect(pod.status?.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
    expect(pod.status?.hostIP).toMatch(/^10\.1\.\d+\.\d+$/);
    expect(pod.status?.startTime).toBeInstanceOf(Date);
    expect(pod.status?.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual([
      'PodReadyToStartContainers=True',
      'Initialized=True',
      'Ready=True',
      'ContainersReady=True',
      'PodScheduled=True',
    ]);
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
    expect(pod.spec?.terminationGracePeriodSeconds).toBe(30);

    const onNode = await core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${MASTER}` });
    expect(onNode.items.map((p) => p.metadata?.name?.replace(/-[a-z0-9]{5}$/, '')).sort()).toEqual([
      `etcd-${MASTER}`,
      `kube-apiserver-${MASTER}`,
      `kube-controller-manager-${MASTER}`,
      'kube-flannel-ds',
      'kube-proxy',
      `kube-scheduler-${MASTER}`,
    ]);
    const mirror = onNode.items.find((p) => p.metadata?.name === `etcd-${MASTER}`);
    expect(mirror?.metadata?.annotations?.['kubernetes.io/config.mirror']).toBeTruthy();
    const running = await core.listPodForAllNamespaces({ fieldSelector: 'status.phase=Running,metadata.namespace=default' });
    expect(running.items).toHaveLength(3);
    const byName = await core.listPodForAllNamespaces({ fieldSelector: `metadata.name=${pod.metadata?.name}` });
    expect(byName.items).toHaveLength(1);
  });

  it('deletes pods gracefully: Terminating until the grace period passes in simulated time', async () => {
    handle = await startSim({
      config: 'cluster-config/aws-demo.yml',
      timeScale: 0,
      scenario: { workloads: [{ name: 'web', replicas: 1, terminationGracePeriodSeconds: 45 }] },
    });
    const { kc, sim } = handle;
    const core = kc.makeApiClient(CoreV1Api);
    const [pod] = (await core.listNamespacedPod({ namespace: 'default' })).items as [V1Pod];
    const name = pod.metadata?.name as string;
    const deleted = await core.deleteNamespacedPod({ namespace: 'default', name });
    expect(deleted.metadata?.deletionTimestamp).toBeInstanceOf(Date);
    expect(deleted.metadata?.deletionGracePeriodSeconds).toBe(45);
    sim.cluster.advance(44);
    expect((await core.readNamespacedPod({ namespace: 'default', name })).metadata?.deletionTimestamp).toBeDefined();
    sim.cluster.advance(1);
    expect((await failure(core.readNamespacedPod({ namespace: 'default', name }))).code).toBe(404);
    const now = (await core.listNamespacedPod({ namespace: 'default' })).items;
    expect(now).toHaveLength(1);
    expect(now[0]?.status?.phase).toBe('Running');
  });
});

describe('evictions and disruption budgets', () => {
  it('refuses an eviction the budget does not allow with 429 and the API server Status', async () => {
    const { kc } = await shop({
      workloads: [{ name: 'web', replicas: 2 }],
      pdbs: [{ name: 'web', selector: { app: 'web' }, minAvailable: 2 }],
    });
    const core = kc.makeApiClient(CoreV1Api);
    const [pod] = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items as [V1Pod];
    const name = pod.metadata?.name as string;
    const refused = await failure(
      core.createNamespacedPodEviction({
        namespace: 'default',
        name,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' } },
      }),
    );
    expect(refused).toEqual({
      code: 429,
      status: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: "Cannot evict pod as it would violate the pod's disruption budget.",
        reason: 'TooManyRequests',
        details: {
          causes: [{ reason: 'DisruptionBudget', message: 'The disruption budget web needs 2 healthy pods and has 2 currently' }],
        },
        code: 429,
      },
    });
    const policy = kc.makeApiClient(PolicyV1Api);
    const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: 'default', name: 'web' });
    expect(pdb.status).toMatchObject({
      currentHealthy: 2,
      desiredHealthy: 2,
      disruptionsAllowed: 0,
      expectedPods: 2,
      observedGeneration: 1,
    });
  });

  it('evicts when the budget allows it, spending the allowance, and the pod comes back elsewhere', async () => {
    // Time moves only by hand here: on a running clock the replacements could turn Ready between two
    // evictions and give the budget back its allowance before the third one.
    handle = await startSim({
      config: 'cluster-config/aws-demo.yml',
      timeScale: 0,
      scenario: {
        workloads: [{ name: 'web', replicas: 3, requests: { cpu: '100m' } }],
        pdbs: [{ name: 'web', selector: { app: 'web' }, maxUnavailable: '34%' }],
      },
    });
    const { kc, sim } = handle;
    const core = kc.makeApiClient(CoreV1Api);
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items;
    const [a, b] = pods.map((p) => p.metadata?.name as string) as [string, string];
    const evict = (name: string): Promise<unknown> =>
      core.createNamespacedPodEviction({
        namespace: 'default',
        name,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name } },
      });
    await evict(a);
    // 34% of 3 rounds up to 2 unavailable: one more is allowed while the first is replaced... then none.
    await evict(b);
    const third = pods[2]?.metadata?.name as string;
    expect((await failure(evict(third))).code).toBe(429);
    // Past the 30 s grace period and the replacements' start, in simulated time.
    sim.cluster.advance(40);
    const now = (await core.listNamespacedPod({ namespace: 'default', labelSelector: 'app=web' })).items;
    expect(now.map((p) => p.metadata?.name)).not.toContain(a);
    expect(now.map((p) => p.metadata?.name)).not.toContain(b);
    expect(now.map((p) => p.status?.phase)).toEqual(['Running', 'Running', 'Running']);
    // The budget has its allowance back: the third pod can go now.
    await evict(third);
  });
});

describe('apps/v1 through AppsV1Api', () => {
  it('creates a deployment, scales it through the scale subresource and reports its status', async () => {
    const { kc } = await shop();
    const apps = kc.makeApiClient(AppsV1Api);
    const created = await apps.createNamespacedDeployment({
      namespace: 'default',
      body: {
        metadata: { name: 'api' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'api' } },
          template: {
            metadata: { labels: { app: 'api' } },
            spec: { containers: [{ name: 'api', image: 'example/api:1', resources: { requests: { cpu: '200m' } } }] },
          },
        },
      },
    });
    expect(created.metadata?.generation).toBe(1);
    expect(created.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } });
    const scale = await apps.readNamespacedDeploymentScale({ namespace: 'default', name: 'api' });
    expect(scale.spec?.replicas).toBe(2);
    await apps.patchNamespacedDeploymentScale(
      { namespace: 'default', name: 'api', body: { spec: { replicas: 5 } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const ready = await eventually('5 ready replicas', async () => {
      const d = await apps.readNamespacedDeployment({ namespace: 'default', name: 'api' });
      return d.status?.readyReplicas === 5 ? d : undefined;
    });
    expect(ready.status).toMatchObject({ replicas: 5, updatedReplicas: 5, availableReplicas: 5, observedGeneration: 2 });
    const rs = await apps.listNamespacedReplicaSet({ namespace: 'default', labelSelector: 'app=api' });
    expect(rs.items).toHaveLength(1);
    expect(rs.items[0]?.metadata?.name).toMatch(/^api-[bcdfghjklmnpqrstvwxz2456789]+$/);
    const invalid = await failure(
      apps.createNamespacedDeployment({
        namespace: 'default',
        body: {
          metadata: { name: 'bad' },
          spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } }, spec: { containers: [] } } },
        },
      }),
    );
    expect(invalid.code).toBe(422);
    expect(invalid.status.message).toMatch(
      /^Deployment\.apps "bad" is invalid: \[spec\.template\.metadata\.labels: Invalid value: .*`selector` does not match template `labels`, spec\.template\.spec\.containers: Required value\]$/,
    );
  });
});

describe('watches', () => {
  it('feeds an informer: a node added and a node cordoned', async () => {
    const { kc, sim } = await shop();
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode());
    const added: string[] = [];
    const updated: string[] = [];
    informer.on('add', (n) => added.push(n.metadata?.name ?? ''));
    informer.on('update', (n) => updated.push(`${n.metadata?.name}:${n.spec?.unschedulable ?? false}`));
    await informer.start();
    try {
      await eventually('the initial nodes', () => (added.length === 4 ? added : undefined));
      sim.cluster.addNode('demo-shop-kubernetes-node-vm-3');
      await eventually('the new node', () => (added.includes('demo-shop-kubernetes-node-vm-3') ? true : undefined));
      await core.patchNode({ name: 'demo-shop-kubernetes-node-vm-3', body: [{ op: 'add', path: '/spec/unschedulable', value: true }] });
      await eventually('the cordon', () => (updated.includes('demo-shop-kubernetes-node-vm-3:true') ? true : undefined));
      expect(informer.list().map((n) => n.metadata?.name)).toContain('demo-shop-kubernetes-node-vm-3');
    } finally {
      await informer.stop();
    }
  });

  it('resumes from a resourceVersion and turns selector changes into ADDED and DELETED', async () => {
    const { kc, sim } = await shop();
    const core = kc.makeApiClient(CoreV1Api);
    const list = await core.listNode({ labelSelector: 'pool=batch' });
    expect(list.items).toHaveLength(0);
    const name = WORKERS[2] as string;
    // A change made before the watch starts arrives too: the watch resumes from the list's resourceVersion.
    await core.patchNode(
      { name, body: { metadata: { labels: { pool: 'batch' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    const events: string[] = [];
    const watch = new Watch(kc);
    const request = await watch.watch(
      '/api/v1/nodes',
      { labelSelector: 'pool=batch', resourceVersion: list.metadata?.resourceVersion },
      (type, object: V1Node) => events.push(`${type} ${object.metadata?.name}`),
      () => {},
    );
    try {
      await eventually('ADDED', () => (events.length >= 1 ? true : undefined));
      await core.patchNode(
        { name, body: { metadata: { labels: { pool: null } } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      sim.cluster.removeNode(WORKERS[0] as string);
      await eventually('DELETED', () => (events.length >= 2 ? true : undefined));
      expect(events).toEqual([`ADDED ${name}`, `DELETED ${name}`]);
    } finally {
      request.abort();
    }
  });
});

describe('updates, deletes and expired watches', () => {
  it('replaces a node with its current resourceVersion, and deletes a PDB with a Success Status', async () => {
    const { kc } = await shop({ pdbs: [{ name: 'web', selector: { app: 'web' }, maxUnavailable: 1 }] });
    const core = kc.makeApiClient(CoreV1Api);
    const name = WORKERS[1] as string;
    const node = await core.readNode({ name });
    const replaced = await core.replaceNode({
      name,
      body: { ...node, metadata: { ...node.metadata, labels: { ...node.metadata?.labels, tier: 'b' } } },
    });
    expect(replaced.metadata?.labels?.tier).toBe('b');
    expect(Number(replaced.metadata?.resourceVersion)).toBeGreaterThan(Number(node.metadata?.resourceVersion));
    // A PUT of the main resource cannot change status: that is what /status is for.
    const statusIgnored = await core.replaceNode({ name, body: { ...replaced, status: { ...replaced.status, capacity: { cpu: '64' } } } });
    expect(statusIgnored.status?.capacity?.cpu).toBe('2');
    const policy = kc.makeApiClient(PolicyV1Api);
    const response = await fetch(`${handle?.sim.url}/apis/policy/v1/namespaces/default/poddisruptionbudgets/web`, { method: 'DELETE' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Success',
      details: { name: 'web', group: 'policy', kind: 'poddisruptionbudgets' },
    });
    expect((await policy.listNamespacedPodDisruptionBudget({ namespace: 'default' })).items).toHaveLength(0);
  });

  it('answers a watch from a compacted resourceVersion with a 410 Expired event', async () => {
    handle = await startSim({ config: 'cluster-config/aws-demo.yml', cluster: { watchHistory: 20 } });
    const { kc, sim } = handle;
    const core = kc.makeApiClient(CoreV1Api);
    const old = (await core.listNode()).metadata?.resourceVersion as string;
    for (let i = 0; i < 30; i++) sim.cluster.scaleDeployment('coredns', 2 + (i % 2), 'kube-system');
    const events: Array<{ type: string; object: { code?: number; reason?: string } }> = [];
    const ended = new Promise<void>((resolve) => {
      void new Watch(kc).watch(
        '/api/v1/nodes',
        { resourceVersion: old },
        (type, object) => events.push({ type, object }),
        () => resolve(),
      );
    });
    await ended;
    expect(events).toEqual([{ type: 'ERROR', object: expect.objectContaining({ kind: 'Status', code: 410, reason: 'Expired' }) }]);
  });
});

describe('PATCH through the route table, answered with Status bodies', () => {
  async function patchRequest(url: string, contentType: string, body: string): Promise<{ code: number; status: Record<string, unknown> }> {
    const response = await fetch(url, { method: 'PATCH', headers: { 'Content-Type': contentType }, body });
    return { code: response.status, status: (await response.json()) as Record<string, unknown> };
  }

  it('refuses prototype keys and leading-zero indexes, and a verb the subresource does not have, leaving the object as it was', async () => {
    const { sim } = await shop();
    const name = WORKERS[0] as string;
    const url = `${sim.url}/api/v1/nodes/${name}`;
    const before = sim.cluster.nodes().find((n) => n.metadata.name === name);

    const merge = await patchRequest(url, 'application/merge-patch+json', '{"metadata":{"labels":{"__proto__":{"polluted":"yes"}}}}');
    expect(merge).toEqual({
      code: 400,
      status: expect.objectContaining({
        kind: 'Status',
        status: 'Failure',
        reason: 'BadRequest',
        code: 400,
        message:
          'merge patch key "__proto__" at metadata.labels is refused: "__proto__" names the prototype of a JavaScript object, not a field',
      }),
    });
    const json = await patchRequest(url, 'application/json-patch+json', '[{"op":"add","path":"/metadata/labels/__proto__","value":"x"}]');
    expect(json.code).toBe(422);
    expect(json.status).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    const index = await patchRequest(url, 'application/json-patch+json', '[{"op":"remove","path":"/status/conditions/00"}]');
    expect(index.code).toBe(422);
    expect(index.status.message).toMatch(/invalid array index "00"/);
    expect(sim.cluster.nodes().find((n) => n.metadata.name === name)).toBe(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    const pod = sim.cluster.pods('kube-system')[0];
    const eviction = await patchRequest(
      `${sim.url}/api/v1/namespaces/kube-system/pods/${pod?.metadata.name}/eviction`,
      'application/merge-patch+json',
      '{"metadata":{"labels":{"x":"y"}}}',
    );
    expect(eviction).toMatchObject({ code: 405, status: { reason: 'MethodNotAllowed', details: { kind: 'pods' } } });
    expect(sim.cluster.pods('kube-system')[0]?.metadata.labels).toEqual(pod?.metadata.labels);
  });
});

describe('metrics.k8s.io', () => {
  it('serves node and pod metrics from the usage model, and 503 while metrics-server is down', async () => {
    const { kc, sim } = await shop({
      workloads: [{ name: 'web', replicas: 3, requests: { cpu: '400m', memory: '512Mi' }, usage: { cpu: '300m', memory: '400Mi' } }],
    });
    const metrics = new Metrics(kc);
    const pods = await metrics.getPodMetrics('default');
    expect(pods.items).toHaveLength(3);
    expect(pods.items[0]?.containers[0]?.usage).toEqual({ cpu: '300000000n', memory: `${400 * 1024}Ki` });
    const nodes = await metrics.getNodeMetrics();
    expect(nodes.items.map((n) => n.metadata.name)).toEqual([MASTER, ...WORKERS]);
    sim.cluster.setUsage('web', { factor: 2 });
    const doubled = await metrics.getPodMetrics('default');
    expect(doubled.items[0]?.containers[0]?.usage.cpu).toBe('600000000n');

    sim.cluster.setMetricsAvailable(false);
    const response = await fetch(`${sim.url}/apis/metrics.k8s.io/v1beta1/nodes`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503 });
    await expect(metrics.getNodeMetrics()).rejects.toThrow();
    sim.cluster.setMetricsAvailable(true);
    expect((await metrics.getNodeMetrics()).items).toHaveLength(4);
  });
});
