import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from '../../../src/sim/kube/index.js';
import { type RawResponse, rawRequest } from './support.js';

let sim: KubeSim;
const errors: Error[] = [];
beforeAll(async () => {
  sim = await startKubeSim({ timeScale: 0, cluster: { onError: (error) => errors.push(error) } });
});
afterAll(async () => {
  await sim?.close();
});

const TABLE = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };

const send = (method: string, path: string, body: unknown, contentType = 'application/json'): Promise<RawResponse> =>
  rawRequest(sim.url, method, path, typeof body === 'string' ? body : JSON.stringify(body), { 'content-type': contentType });

const container = { name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '200m' } } };
const podSpec = {
  containers: [{ ...container, ports: [{ containerPort: 80, protocol: 'TCP' }], volumeMounts: [{ name: 'scratch', mountPath: '/s' }] }],
  initContainers: [{ name: 'init', image: 'busybox' }],
  volumes: [{ name: 'scratch', emptyDir: {} }],
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'k', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 30 }],
  affinity: {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/os', operator: 'In', values: ['linux'] }] }],
      },
    },
  },
  terminationGracePeriodSeconds: 5,
  priorityClassName: 'system-cluster-critical',
  hostNetwork: false,
};
const labels = { app: 'fuzz' };
const selector = { matchLabels: labels, matchExpressions: [{ key: 'app', operator: 'In', values: ['fuzz'] }] };
const template = { metadata: { labels, annotations: { a: 'b' } }, spec: podSpec };
const conditions = [{ type: 'Ready', status: 'True', reason: 'R', message: 'm', lastTransitionTime: '2026-01-01T00:00:00Z' }];

/** A valid object of every kind the simulator stores, with the fields it reads filled in. */
const KINDS: Record<string, { path: string; object: Record<string, unknown> }> = {
  pods: {
    path: '/api/v1/namespaces/default/pods',
    object: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { labels, annotations: { a: 'b' }, finalizers: ['example.com/f'] },
      spec: podSpec,
      status: { phase: 'Pending', conditions, containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { waiting: {} } }] },
    },
  },
  deployments: {
    path: '/apis/apps/v1/namespaces/default/deployments',
    object: {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { labels },
      spec: {
        replicas: 2,
        selector,
        template,
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: 1 } },
        revisionHistoryLimit: 3,
        paused: false,
      },
      status: { replicas: 1, readyReplicas: 1, conditions },
    },
  },
  replicasets: {
    path: '/apis/apps/v1/namespaces/default/replicasets',
    object: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { labels },
      spec: { replicas: 1, selector, template },
      status: { replicas: 0 },
    },
  },
  daemonsets: {
    path: '/apis/apps/v1/namespaces/default/daemonsets',
    object: {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { labels },
      spec: { selector, template, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } } },
      status: { numberReady: 0 },
    },
  },
  poddisruptionbudgets: {
    path: '/apis/policy/v1/namespaces/default/poddisruptionbudgets',
    object: {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: {},
      spec: { minAvailable: 1, selector },
      status: { disruptionsAllowed: 0, disruptedPods: { x: '2026-01-01T00:00:00Z' } },
    },
  },
  services: {
    path: '/api/v1/namespaces/default/services',
    object: {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {},
      spec: {
        type: 'NodePort',
        selector: labels,
        ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30080 }],
        externalIPs: ['1.2.3.4'],
      },
    },
  },
  namespaces: {
    path: '/api/v1/namespaces',
    object: { apiVersion: 'v1', kind: 'Namespace', metadata: {}, spec: { finalizers: ['kubernetes'] } },
  },
  nodes: {
    path: '/api/v1/nodes',
    object: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { labels: { 'node-role.kubernetes.io/worker': '' } },
      spec: { podCIDR: '10.244.9.0/24', taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }], unschedulable: false },
      status: {
        capacity: { cpu: '2', memory: '4Gi', pods: '110' },
        allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [{ type: 'InternalIP', address: '10.9.9.9' }],
        nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian' },
      },
    },
  },
  events: {
    path: '/api/v1/namespaces/default/events',
    object: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: {},
      involvedObject: { kind: 'Pod', name: 'x', namespace: 'default' },
      reason: 'Test',
      message: 'm',
      source: { component: 'c', host: 'h' },
      count: 2,
      type: 'Normal',
      firstTimestamp: '2026-01-01T00:00:00Z',
      lastTimestamp: '2026-01-01T00:00:00Z',
    },
  },
};

let serial = 0;
const freshName = (): string => `fuzz-${++serial}`;

/** Every path to a value in a JSON value (objects and arrays included), as lists of keys. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) out.push(...paths(item, [...at, i]));
  } else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

/** A copy of `root` with `value` at `path`, making the objects on the way where they are missing. */
function setAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  const [key, ...rest] = path;
  if (key === undefined) return value;
  const copy = (root !== null && typeof root === 'object' ? structuredClone(root) : typeof key === 'number' ? [] : {}) as Record<
    string | number,
    unknown
  >;
  copy[key] = setAt(copy[key], rest, value);
  return copy;
}

/**
 * After a request: the server answered without a 500, the controllers run cleanly, and the kind
 * (every kind when none is named) still reads back, as a Table too, and so do the metrics.
 */
async function expectHealthy(res: RawResponse, what: string, kind?: string): Promise<void> {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  sim.cluster.settle();
  expect(errors, what).toEqual([]);
  for (const { path } of kind ? [KINDS[kind] as (typeof KINDS)[string]] : Object.values(KINDS)) {
    const list = await rawRequest(sim.url, 'GET', path.replace('/namespaces/default', ''), undefined, TABLE);
    expect(list.status, `${what}: GET ${path} as a Table: ${list.text.slice(0, 300)}`).toBe(200);
  }
  for (const metrics of ['/apis/metrics.k8s.io/v1beta1/nodes', '/apis/metrics.k8s.io/v1beta1/pods']) {
    const read = await rawRequest(sim.url, 'GET', metrics);
    expect(read.status, `${what}: GET ${metrics}: ${read.text.slice(0, 300)}`).toBe(200);
  }
}

describe('request bodies of the wrong shape are refused with the field named, never a 500', () => {
  it.each([
    ['pods', ['spec', 'containers'], 'x', 'spec.containers'],
    ['pods', ['spec', 'containers', 0, 'name'], 5, 'spec.containers[0].name'],
    ['pods', ['spec', 'tolerations'], 'x', 'spec.tolerations'],
    ['pods', ['metadata', 'labels'], 5, 'metadata.labels'],
    ['pods', ['metadata', 'labels', 'app'], 5, 'metadata.labels.app'],
    ['pods', ['spec', 'terminationGracePeriodSeconds'], '30', 'spec.terminationGracePeriodSeconds'],
    ['deployments', ['spec', 'template', 'spec', 'containers'], 'x', 'spec.template.spec.containers'],
    ['deployments', ['spec', 'replicas'], '3', 'spec.replicas'],
    ['deployments', ['spec', 'replicas'], 1.5, 'spec.replicas'],
    ['deployments', ['spec', 'replicas'], 2 ** 31, 'spec.replicas'],
    ['poddisruptionbudgets', ['spec', 'minAvailable'], {}, 'spec.minAvailable'],
    ['nodes', ['spec', 'taints', 0], 'x', 'spec.taints[0]'],
    ['nodes', ['status', 'capacity'], [], 'status.capacity'],
    ['services', ['spec', 'ports'], { port: 80 }, 'spec.ports'],
  ])('%s with %j set to %j: 400 naming %s', async (kind, path, value, field) => {
    const { path: url, object } = KINDS[kind] as (typeof KINDS)[string];
    const body = setAt({ ...object, metadata: { ...(object.metadata as object), name: freshName() } }, path, value);
    const res = await send('POST', url, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(res.body.message).toContain(field);
    expect(res.body.details?.causes?.[0]?.field).toBe(field);
    await expectHealthy(res, `${kind} ${field}`);
  });

  it('a merge patch that gives a field the wrong shape is refused the same way, and the object is unchanged', async () => {
    const name = freshName();
    expect((await send('POST', KINDS.pods?.path ?? '', { ...KINDS.pods?.object, metadata: { name } })).status).toBe(201);
    const url = `/api/v1/namespaces/default/pods/${name}`;
    const before = await rawRequest(sim.url, 'GET', url);
    const res = await send('PATCH', url, { spec: { tolerations: 'x' } }, 'application/merge-patch+json');
    expect(res.status).toBe(400);
    expect(res.body.details?.causes?.[0]?.field).toBe('spec.tolerations');
    expect((await rawRequest(sim.url, 'GET', url)).body).toEqual(before.body);
    await expectHealthy(res, 'patch');
  });

  it('a Scale, an Eviction and DeleteOptions of the wrong shape are 400s', async () => {
    const scale = await send('PUT', '/apis/apps/v1/namespaces/kube-system/deployments/coredns/scale', { spec: { replicas: 'x' } });
    expect(scale.status).toBe(400);
    expect(scale.body.details?.causes?.[0]?.field).toBe('spec.replicas');
    const pod = sim.cluster.pods('kube-system')[0]?.metadata.name;
    const eviction = await send('POST', `/api/v1/namespaces/kube-system/pods/${pod}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      deleteOptions: { gracePeriodSeconds: 'x' },
    });
    expect(eviction.status).toBe(400);
    expect(eviction.body.details?.causes?.[0]?.field).toBe('deleteOptions.gracePeriodSeconds');
    const remove = await send('DELETE', `/api/v1/namespaces/kube-system/pods/${pod}`, { preconditions: { uid: 5 } });
    expect(remove.status).toBe(400);
    expect(remove.body.details?.causes?.[0]?.field).toBe('preconditions.uid');
    await expectHealthy(remove, 'delete');
  });

  it.each([
    ['a JSON object', `${'{"a":'.repeat(200_000)}1${'}'.repeat(200_000)}`, 'application/json'],
    ['a JSON array', `${'['.repeat(200_000)}${']'.repeat(200_000)}`, 'application/json'],
    ['an object 101 levels deep', `{"metadata":{"name":"deep"},"spec":${'{"a":'.repeat(100)}1${'}'.repeat(100)}}`, 'application/json'],
    ['YAML flow collections', `${'['.repeat(200_000)}${']'.repeat(200_000)}`, 'application/yaml'],
    ['YAML block sequences', `${'- '.repeat(200_000)}a`, 'application/yaml'],
    ['YAML indentation', Array.from({ length: 150 }, (_, i) => `${' '.repeat(i)}a:`).join('\n'), 'application/yaml'],
  ])('%s nested too deep is a 400 that names the limit', async (_what, body, contentType) => {
    const res = await send('POST', '/api/v1/namespaces/default/pods', body, contentType);
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(/more than 100 levels deep/);
    await expectHealthy(res, 'deep');
  });

  it('an object 100 levels deep is within the limit (unknown fields are kept)', async () => {
    const name = freshName();
    const deep = `{"metadata":{"name":"${name}"},"spec":{"containers":[{"name":"a","image":"b"}]},"extra":${'{"a":'.repeat(99)}1${'}'.repeat(99)}}`;
    const res = await send('POST', '/api/v1/namespaces/default/pods', deep);
    expect(res.status).toBe(201);
    await expectHealthy(res, 'deep within');
  });

  it('an operator a label selector does not have is a 422 naming it (the controllers never see it)', async () => {
    const res = await send('POST', KINDS.poddisruptionbudgets?.path ?? '', {
      metadata: { name: freshName() },
      spec: { minAvailable: 1, selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['x'] }] } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details?.causes?.[0]?.field).toBe('spec.selector.matchExpressions[0].operator');
    await expectHealthy(res, 'selector');
  });

  it('a node capacity that is no quantity is a 422 (metrics would fail on it)', async () => {
    const node = KINDS.nodes?.object as { status: Record<string, unknown> };
    const res = await send('POST', '/api/v1/nodes', {
      ...node,
      metadata: { name: freshName() },
      status: { ...node.status, capacity: { cpu: 'lots', memory: '4Gi' } },
    });
    expect(res.status).toBe(422);
    expect(res.body.details?.causes?.[0]?.field).toBe('status.capacity[cpu]');
    await expectHealthy(res, 'capacity');
  });

  it('a grace period beyond what a timestamp can hold still deletes (no 500)', async () => {
    const name = freshName();
    expect((await send('POST', KINDS.pods?.path ?? '', { ...KINDS.pods?.object, metadata: { name } })).status).toBe(201);
    sim.cluster.settle();
    const res = await send('DELETE', `/api/v1/namespaces/default/pods/${name}`, { gracePeriodSeconds: 9e15 });
    expect(res.status).toBe(200);
    await expectHealthy(res, 'grace');
  });

  it('any value at any place of any kind, by create, update, status update or merge patch: a 4xx or success, never a 500', async () => {
    const special = fc.constantFrom<unknown>(
      null,
      'x',
      '',
      -1,
      0,
      1.5,
      1e300,
      2 ** 53,
      true,
      [],
      {},
      [null],
      [{}],
      [[]],
      { a: null },
      '100%',
    );
    const value = fc.oneof({ weight: 2, arbitrary: special }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) });
    const op = fc.constantFrom('create', 'update', 'status', 'patch', 'strategic');
    const kind = fc.constantFrom(...Object.keys(KINDS));
    await fc.assert(
      fc.asyncProperty(kind, op, fc.nat(), value, async (k, operation, pick, replacement) => {
        const { path: collection, object } = KINDS[k] as (typeof KINDS)[string];
        const name = freshName();
        const fresh = { ...object, metadata: { ...(object.metadata as object), name } };
        const targets = paths(fresh).filter((p) => p.length > 0 && !(p[0] === 'metadata' && p[1] === 'name'));
        const target = targets[pick % targets.length] as (string | number)[];
        const mutated = setAt(fresh, target, replacement);
        const what = `${operation} ${k} with ${JSON.stringify(target)} = ${JSON.stringify(replacement)?.slice(0, 100)}`;
        if (operation === 'create') {
          await expectHealthy(await send('POST', collection, mutated), what, k);
          return;
        }
        const created = await send('POST', collection, fresh);
        expect(created.status, `${what}: create: ${created.text.slice(0, 300)}`).toBe(201);
        const url = `${collection}/${name}`;
        const current = (await rawRequest(sim.url, 'GET', url)).body;
        const edited = setAt(
          { ...current, metadata: { ...(current.metadata as object), resourceVersion: undefined } },
          target,
          replacement,
        );
        const res =
          operation === 'update'
            ? await send('PUT', url, edited)
            : operation === 'status'
              ? await send('PUT', k === 'events' ? url : `${url}/status`, edited)
              : await send(
                  'PATCH',
                  url,
                  setAt({}, target.map(String), replacement),
                  operation === 'patch' ? 'application/merge-patch+json' : 'application/strategic-merge-patch+json',
                );
        await expectHealthy(res, what, k);
      }),
      { seed: 20261202, numRuns: 200 },
    );
  }, 120_000);
});
