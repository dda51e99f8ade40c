import type { V1Container, V1Node, V1Pod, V1PodDisruptionBudget } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { type BudgetFacts, budgetEntry, type CacheEntry, nodeEntry, type PodFacts, podEntry } from '../../src/kube/cache-entries.js';
import { buildSnapshot, type WorkerRule, workerMatcher } from '../../src/kube/snapshot.js';
import type { ClusterSnapshot, PodView, UsageView } from '../../src/policy/snapshot.js';
import { cachesOf, memoryCache } from './snapshot-support.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const CREATED = '2026-03-01T10:00:00Z';
const SHOP: WorkerRule = { cluster: { name: 'shop', prefix: 'demo' } };

function node(
  name: string,
  extra: { labels?: Record<string, string>; ready?: boolean; spec?: V1Node['spec']; annotations?: Record<string, string> } = {},
): V1Node {
  return {
    metadata: {
      name,
      resourceVersion: '7',
      creationTimestamp: new Date(CREATED),
      labels: { 'kubernetes.io/hostname': name, ...(extra.labels ?? {}) },
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    ...(extra.spec ? { spec: extra.spec } : {}),
    status: {
      allocatable: { cpu: '1930m', memory: '3.5Gi', pods: '110' },
      conditions: [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'Ready', status: extra.ready === false ? 'False' : 'True' },
      ],
    },
  };
}

const container = (cpu: string, memory: string, extra: Partial<V1Container> = {}): V1Container => ({
  name: `c-${cpu}-${memory}`,
  resources: { requests: { cpu, memory } },
  ...extra,
});

function pod(
  namespace: string,
  name: string,
  extra: { metadata?: V1Pod['metadata']; spec?: Partial<NonNullable<V1Pod['spec']>>; status?: V1Pod['status'] } = {},
): V1Pod {
  return {
    metadata: { name, namespace, resourceVersion: '9', labels: { app: 'web' }, ...(extra.metadata ?? {}) },
    spec: { containers: [container('100m', '128Mi')], ...(extra.spec ?? {}) },
    status: { phase: 'Running', ...(extra.status ?? {}) },
  };
}

const controller = (kind: string) => [{ apiVersion: 'apps/v1', kind, name: 'owner', uid: 'u', controller: true }];

function snapshotOf(objects: Parameters<typeof cachesOf>[0], workers: WorkerRule = SHOP, usage?: UsageView): ClusterSnapshot {
  return buildSnapshot(cachesOf(objects), usage, { workers, takenAt: 1234, stale: false });
}

/** The view of one pod, through a whole snapshot. */
function viewOf(object: V1Pod): PodView {
  const snapshot = snapshotOf({ pods: [object] });
  expect(snapshot.pods).toHaveLength(1);
  return snapshot.pods[0] as PodView;
}

describe('nodes in the snapshot', () => {
  it('reads every field the decision uses, and finds workers and their indexes by the LambdaStack naming rule', () => {
    const snapshot = snapshotOf({
      nodes: [
        node('demo-shop-kubernetes-node-vm-10', {
          spec: {
            unschedulable: true,
            taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule', timeAdded: new Date(CREATED) }],
          },
          annotations: { 'cluster-autoscaler.kubernetes.io/scale-down-disabled': 'true' },
        }),
        node('demo-shop-kubernetes-master-vm-0'),
        node('demo-shop-kubernetes-node-vm-2', { ready: false }),
      ],
    });
    expect(snapshot.nodes.map((n) => [n.name, n.worker, n.index])).toEqual([
      ['demo-shop-kubernetes-master-vm-0', false, undefined],
      ['demo-shop-kubernetes-node-vm-10', true, 10],
      ['demo-shop-kubernetes-node-vm-2', true, 2],
    ]);
    expect(snapshot.nodes[1]).toEqual({
      name: 'demo-shop-kubernetes-node-vm-10',
      worker: true,
      index: 10,
      ready: true,
      unschedulable: true,
      taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }],
      labels: { 'kubernetes.io/hostname': 'demo-shop-kubernetes-node-vm-10' },
      allocatable: { cpu: 1930, memory: 3.5 * GiB, pods: 110 },
      scaleDownDisabled: true,
      createdAt: Date.parse(CREATED),
    });
    expect(snapshot.nodes[2]).toMatchObject({ ready: false, unschedulable: false, taints: [], scaleDownDisabled: false });
  });

  it('leaves the prefix out when it is empty or "default", compares lower case, and takes no other index spelling', () => {
    const names = [
      'shop-kubernetes-node-vm-0',
      'shop-kubernetes-node-vm-01',
      'shop-kubernetes-node-vm-',
      'shop-kubernetes-node-vm-1x',
      'other-shop-kubernetes-node-vm-3',
      'shop-kubernetes-master-vm-0',
    ];
    for (const prefix of [undefined, null, '', 'default']) {
      const snapshot = snapshotOf({ nodes: names.map((n) => node(n)) }, { cluster: { name: 'Shop', prefix } });
      expect(snapshot.nodes.filter((n) => n.worker).map((n) => n.name)).toEqual(['shop-kubernetes-node-vm-0']);
    }
    const prefixed = snapshotOf({ nodes: names.map((n) => node(n)) }, { cluster: { name: 'shop', prefix: 'Other' } });
    expect(prefixed.nodes.filter((n) => n.worker).map((n) => [n.name, n.index])).toEqual([['other-shop-kubernetes-node-vm-3', 3]]);
  });

  it('takes workers from a label selector instead when one is given, still numbering those the rule names', () => {
    const nodes = [
      node('demo-shop-kubernetes-node-vm-0', { labels: { pool: 'workers' } }),
      node('demo-shop-kubernetes-node-vm-1', { labels: { pool: 'gpu' } }),
      node('spot-7', { labels: { pool: 'workers' } }),
    ];
    const both = snapshotOf({ nodes }, { ...SHOP, selector: 'pool=workers' });
    expect(both.nodes.map((n) => [n.name, n.worker, n.index])).toEqual([
      ['demo-shop-kubernetes-node-vm-0', true, 0],
      ['demo-shop-kubernetes-node-vm-1', false, 1],
      ['spot-7', true, undefined],
    ]);
    const selectorOnly = snapshotOf({ nodes }, { selector: 'pool in (workers)' });
    expect(selectorOnly.nodes.map((n) => [n.worker, n.index])).toEqual([
      [true, undefined],
      [false, undefined],
      [true, undefined],
    ]);
  });

  it('refuses a rule with neither part, and a selector that does not parse', () => {
    expect(() => workerMatcher({})).toThrow(UserError);
    expect(() => workerMatcher({ selector: 'pool in workers' })).toThrow(/unable to parse requirement/);
  });

  it('reads a node as a watch delivers it (timestamps as strings) as it reads one from a list', () => {
    const listed = node('demo-shop-kubernetes-node-vm-0');
    const watched = JSON.parse(JSON.stringify(listed)) as V1Node;
    expect(typeof watched.metadata?.creationTimestamp).toBe('string');
    expect(nodeEntry(watched)).toEqual(nodeEntry(listed));
  });
});

describe('pods in the snapshot', () => {
  it('reads every field the decision uses', () => {
    const view = viewOf(
      pod('shop', 'web-1', {
        metadata: {
          ownerReferences: controller('ReplicaSet'),
          annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false', 'karpenter.sh/do-not-disrupt': 'true' },
        },
        spec: {
          nodeName: 'demo-shop-kubernetes-node-vm-1',
          nodeSelector: { disk: 'ssd' },
          affinity: {
            nodeAffinity: {
              requiredDuringSchedulingIgnoredDuringExecution: {
                nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
              },
              preferredDuringSchedulingIgnoredDuringExecution: [
                { weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } },
              ],
            },
          },
          tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }],
        },
      }),
    );
    expect(view).toEqual({
      key: 'shop/web-1',
      nodeName: 'demo-shop-kubernetes-node-vm-1',
      phase: 'Running',
      requests: { cpu: 100, memory: 128 * MiB, pods: 1 },
      ownerKind: 'ReplicaSet',
      unschedulable: false,
      unschedulableSince: undefined,
      nodeSelector: { disk: 'ssd' },
      requiredNodeAffinity: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a', 'b'] }] }],
      tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }],
      safeToEvict: false,
      doNotDisrupt: true,
      mirror: false,
      budgets: [],
    });
  });

  it('counts requests as the scheduler does: the init peak, sidecars beside the containers, and the overhead', () => {
    const view = viewOf(
      pod('default', 'batch', {
        spec: {
          containers: [container('500m', '256Mi'), container('250m', '128Mi')],
          initContainers: [container('2', '64Mi'), container('100m', '32Mi', { restartPolicy: 'Always' }), container('1', '1Gi')],
          overhead: { cpu: '250m', memory: '120Mi' },
        },
      }),
    );
    // containers + sidecar = 850m / 416Mi; init peak: max(2 CPU, 1 CPU + 100m) / max(64Mi, 1Gi + 32Mi) = 2000m / 1056Mi
    expect(view.requests).toEqual({ cpu: 2000 + 250, memory: (1056 + 120) * MiB, pods: 1 });
  });

  it('marks a pod the scheduler could not place as unschedulable since the condition changed, and only then', () => {
    const since = '2026-03-01T10:05:00Z';
    const unschedulable = pod('default', 'big', {
      status: {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'Unschedulable', lastTransitionTime: new Date(since), message: '0/3 nodes' },
        ],
      },
    });
    expect(viewOf(unschedulable)).toMatchObject({
      phase: 'Pending',
      nodeName: undefined,
      unschedulable: true,
      unschedulableSince: Date.parse(since),
    });
    // As a watch delivers it: the timestamp is a string.
    expect(viewOf(JSON.parse(JSON.stringify(unschedulable))).unschedulableSince).toBe(Date.parse(since));
    const other = pod('default', 'gated', {
      status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] },
    });
    expect(viewOf(other)).toMatchObject({ unschedulable: false, unschedulableSince: undefined });
  });

  it('names the controller kind, and reads mirror pods from their annotation', () => {
    const kinds = ['DaemonSet', 'ReplicaSet', 'StatefulSet', 'Job', 'ReplicationController', 'Node', 'Rollout'];
    const pods = kinds.map((kind) => pod('default', kind, { metadata: { ownerReferences: controller(kind) } }));
    pods.push(pod('default', 'bare'));
    const notController = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'owner', uid: 'u', controller: false }];
    pods.push(pod('default', 'adopted', { metadata: { ownerReferences: notController } }));
    const mirror = (name: string, owners?: V1Pod['metadata']) =>
      pod('kube-system', name, { metadata: { annotations: { 'kubernetes.io/config.mirror': 'abc123' }, ...(owners ?? {}) } });
    pods.push(mirror('etcd-master', { ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: 'm', uid: 'n', controller: true }] }));
    pods.push(mirror('etcd-old-cluster'));
    const views = snapshotOf({ pods }).pods;
    expect(views.map((p) => [p.key, p.ownerKind, p.mirror])).toEqual([
      ['default/DaemonSet', 'DaemonSet', false],
      ['default/ReplicaSet', 'ReplicaSet', false],
      ['default/StatefulSet', 'StatefulSet', false],
      ['default/Job', 'Job', false],
      ['default/ReplicationController', 'ReplicationController', false],
      ['default/Node', 'Node', false],
      ['default/Rollout', 'other', false],
      ['default/bare', 'none', false],
      ['default/adopted', 'none', false],
      ['kube-system/etcd-master', 'Node', true],
      ['kube-system/etcd-old-cluster', 'Node', true],
    ]);
  });

  it('reads safe-to-evict as true, false or not said, and do-not-disrupt only as "true"', () => {
    const annotated = (name: string, annotations: Record<string, string>) => pod('default', name, { metadata: { annotations } });
    const views = snapshotOf({
      pods: [
        annotated('yes', { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'true', 'karpenter.sh/do-not-disrupt': 'false' }),
        annotated('no', { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' }),
        annotated('odd', { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'maybe', 'karpenter.sh/do-not-disrupt': 'True' }),
      ],
    }).pods;
    expect(views.map((p) => [p.safeToEvict, p.doNotDisrupt])).toEqual([
      [true, false],
      [false, false],
      [undefined, false],
    ]);
  });

  it('defaults a missing phase to Pending and reads an unknown one as Unknown; an empty nodeSelector is none', () => {
    const bare: V1Pod = { metadata: { name: 'p', namespace: 'default' }, spec: { containers: [], nodeSelector: {} } };
    expect(viewOf(bare)).toMatchObject({
      phase: 'Pending',
      nodeSelector: undefined,
      requiredNodeAffinity: undefined,
      tolerations: [],
      requests: { cpu: 0, memory: 0, pods: 1 },
    });
    const odd = pod('default', 'odd', { status: { phase: 'Evicted' } });
    expect(viewOf(odd).phase).toBe('Unknown');
  });

  it('shares equal parts between the pods of one workload instead of keeping a copy each', () => {
    const replicas = [1, 2].map((i) =>
      pod('default', `web-${i}`, { spec: { tolerations: [{ key: 'a', operator: 'Exists' }], nodeSelector: { disk: 'ssd' } } }),
    );
    const [a, b] = replicas.map((p) => podEntry(JSON.parse(JSON.stringify(p))).view);
    expect(a?.labels).toBe(b?.labels);
    expect(a?.tolerations).toBe(b?.tolerations);
    expect(a?.nodeSelector).toBe(b?.nodeSelector);
    expect(a?.requests).toBe(b?.requests);
    expect(Object.isFrozen(a?.tolerations[0])).toBe(true);
  });
});

describe('budgets in the snapshot', () => {
  const budget = (namespace: string, name: string, selector: V1PodDisruptionBudget['spec'], allowed?: number): V1PodDisruptionBudget => ({
    metadata: { name, namespace, resourceVersion: '3' },
    spec: selector ?? {},
    ...(allowed !== undefined ? { status: { disruptionsAllowed: allowed, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 } } : {}),
  });

  it('lists each budget with its disruptionsAllowed, none until the controller has written a status', () => {
    const snapshot = snapshotOf({
      budgets: [budget('shop', 'web', { selector: { matchLabels: { app: 'web' } } }, 2), budget('shop', 'new', {})],
    });
    expect(snapshot.budgets).toEqual([
      { key: 'shop/web', disruptionsAllowed: 2 },
      { key: 'shop/new', disruptionsAllowed: 0 },
    ]);
  });

  it('gives each pod the budgets of its own namespace that select it: labels, expressions, {} for all, none without a selector', () => {
    const snapshot = snapshotOf({
      pods: [
        pod('shop', 'web-1', { metadata: { labels: { app: 'web', tier: 'front' } } }),
        pod('shop', 'db-1', { metadata: { labels: { app: 'db' } } }),
        pod('other', 'web-1', { metadata: { labels: { app: 'web', tier: 'front' } } }),
      ],
      budgets: [
        budget('shop', 'web', { selector: { matchLabels: { app: 'web' } } }, 1),
        budget('shop', 'front', { selector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] } }, 0),
        budget('shop', 'everything', { selector: {} }, 5),
        budget('shop', 'nothing', {}, 5),
        budget('third', 'web', { selector: { matchLabels: { app: 'web' } } }, 1),
      ],
    });
    expect(snapshot.pods.map((p) => [p.key, p.budgets])).toEqual([
      ['shop/web-1', ['shop/everything', 'shop/front', 'shop/web']],
      ['shop/db-1', ['shop/everything']],
      ['other/web-1', []],
    ]);
  });

  it('checks every requirement of a budget, not only the label it is found by', () => {
    const snapshot = snapshotOf({
      pods: [
        pod('shop', 'front', { metadata: { labels: { app: 'web', tier: 'front', track: 'stable' } } }),
        pod('shop', 'back', { metadata: { labels: { app: 'web', tier: 'back', track: 'stable' } } }),
        pod('shop', 'canary', { metadata: { labels: { app: 'web', tier: 'front', track: 'canary' } } }),
      ],
      budgets: [
        budget(
          'shop',
          'stable-front',
          {
            selector: {
              matchLabels: { app: 'web', tier: 'front' },
              matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }],
            },
          },
          1,
        ),
        budget('shop', 'all-web', { selector: { matchLabels: { app: 'web' } } }, 1),
      ],
    });
    expect(snapshot.pods.map((p) => [p.key, p.budgets])).toEqual([
      ['shop/front', ['shop/all-web', 'shop/stable-front']],
      ['shop/back', ['shop/all-web']],
      ['shop/canary', ['shop/all-web']],
    ]);
  });

  it('takes a budget with a selector it cannot read to cover its whole namespace, so it can only block', () => {
    const broken = budget('shop', 'broken', { selector: { matchExpressions: [{ key: 'app', operator: 'Near', values: ['x'] }] } }, 0);
    const snapshot = snapshotOf({ pods: [pod('shop', 'a'), pod('other', 'b')], budgets: [broken] });
    expect(snapshot.pods.map((p) => p.budgets)).toEqual([['shop/broken'], []]);
  });
});

describe('the snapshot as a whole', () => {
  it('reuses a pod view while the pod and its budgets are unchanged, so a cycle allocates only for what changed', () => {
    const pods = [pod('shop', 'web-1'), pod('shop', 'db-1', { metadata: { labels: { app: 'db' } } })].map(podEntry);
    const webBudget = budgetEntry({ metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web' } } } });
    const dbBudget = budgetEntry({ metadata: { name: 'db', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } } } });
    const build = (budgets: CacheEntry<BudgetFacts>[], entries = pods): readonly PodView[] =>
      buildSnapshot({ nodes: memoryCache([]), pods: memoryCache(entries), budgets: memoryCache(budgets) }, undefined, {
        workers: SHOP,
        takenAt: 1,
        stale: false,
      }).pods;
    const first = build([webBudget]);
    const again = build([webBudget]);
    expect(again[0]).toBe(first[0]);
    expect(again[1]).toBe(first[1]);
    expect(Object.isFrozen(first[0])).toBe(true);
    // A new budget changes the db pod's view only; a changed pod (a new cache entry) gets a new view.
    const withDb = build([webBudget, dbBudget]);
    expect(withDb[0]).toBe(first[0]);
    expect(withDb[1]).not.toBe(first[1]);
    expect(withDb[1]?.budgets).toEqual(['shop/db']);
    const changed = podEntry(pod('shop', 'web-1', { status: { phase: 'Failed' } }));
    const afterChange = build([webBudget, dbBudget], [changed, pods[1] as CacheEntry<PodFacts>]);
    expect(afterChange[0]).not.toBe(first[0]);
    expect(afterChange[0]).toMatchObject({ phase: 'Failed', budgets: ['shop/web'] });
    expect(afterChange[1]).toBe(withDb[1]);
  });

  it('carries the time, staleness and usage it is given', () => {
    const usage: UsageView = { at: 99, nodes: new Map([['n', { cpu: 1, memory: 2 }]]) };
    const snapshot = buildSnapshot(cachesOf({}), usage, { workers: SHOP, takenAt: 42, stale: true });
    expect(snapshot).toEqual({ takenAt: 42, stale: true, nodes: [], pods: [], budgets: [], usage });
    expect(buildSnapshot(cachesOf({}), undefined, { workers: workerMatcher(SHOP), takenAt: 1, stale: false }).usage).toBeUndefined();
  });
});
