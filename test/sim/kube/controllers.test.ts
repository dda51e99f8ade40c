/**
 * The controllers work from what changed (dirty sets fed by the store's events) and keep each node's
 * load as pods come and go. These tests check that bookkeeping against a recomputation from
 * scratch on random sequences of operations, and that one change costs work in proportion to what
 * it touches, not to the cluster (counted objects, never wall time).
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimCluster } from '../../../src/sim/kube/cluster.js';
import { evict } from '../../../src/sim/kube/eviction.js';
import { R } from '../../../src/sim/kube/resources.js';
import { loadsOf, type NodeLoad } from '../../../src/sim/kube/scheduler.js';
import { KubeError } from '../../../src/sim/kube/status.js';
import type { Pod } from '../../../src/sim/kube/types.js';

/** mulberry32: generated names (pods' random suffixes) come out the same on every run, so a failure replays. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

beforeEach(() => {
  vi.spyOn(Math, 'random').mockImplementation(seeded(42));
});
afterEach(() => {
  vi.restoreAllMocks();
});

type Op =
  | { kind: 'deploy'; app: number; replicas: number; cpu: number }
  | { kind: 'undeploy'; app: number; policy: 'Background' | 'Foreground' | 'Orphan' }
  | { kind: 'deletePod'; pick: number; grace: number | undefined }
  | { kind: 'evict'; pick: number }
  | { kind: 'finish'; pick: number; phase: 'Succeeded' | 'Failed' }
  | { kind: 'barePod'; node: number | undefined; cpu: number }
  | { kind: 'cordon'; node: number; on: boolean }
  | { kind: 'taint'; node: number; on: boolean }
  | { kind: 'addNode' }
  | { kind: 'removeNode'; node: number }
  | { kind: 'pdb'; app: number; budget: { minAvailable: number | string } | { maxUnavailable: number | string } }
  | { kind: 'unpdb'; app: number }
  | { kind: 'daemonset'; on: boolean }
  | { kind: 'advance'; seconds: number };

const app = fc.integer({ min: 0, max: 3 });
const pick = fc.nat(1000);
const node = fc.nat(20);
// Weighted towards what makes work for several controllers at once (workloads, budgets, time passing).
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('deploy' as const),
      app,
      replicas: fc.integer({ min: 0, max: 8 }),
      cpu: fc.constantFrom(100, 300, 700),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('undeploy' as const),
      app,
      policy: fc.constantFrom('Background' as const, 'Foreground' as const, 'Orphan' as const),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deletePod' as const), pick, grace: fc.constantFrom(0, 5, undefined) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('evict' as const), pick }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('finish' as const), pick, phase: fc.constantFrom('Succeeded' as const, 'Failed' as const) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('barePod' as const),
      node: fc.option(node, { nil: undefined }),
      cpu: fc.constantFrom(0, 200, 900),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cordon' as const), node, on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('taint' as const), node, on: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('addNode' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('removeNode' as const), node }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('pdb' as const),
      app,
      // Integers count pods; a percentage or maxUnavailable reads the controllers' scale too.
      budget: fc.oneof(
        fc.record({ minAvailable: fc.oneof(fc.integer({ min: 0, max: 4 }), fc.constantFrom('50%', '100%')) }),
        fc.record({ maxUnavailable: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom('25%', '0%')) }),
      ),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unpdb' as const), app }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('daemonset' as const), on: fc.boolean() }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), seconds: fc.constantFrom(1, 3, 10, 45) }) },
);

function world(): SimCluster {
  const cluster = new SimCluster({ clock: { timeScale: 0, start: Date.parse('2025-03-01T12:00:00Z') }, workerSize: 't3.medium' });
  cluster.bootstrap(() => {
    cluster.addNode('cp', { role: 'control-plane' });
    for (let i = 0; i < 3; i++) cluster.addNode(`w-${i}`);
  });
  return cluster;
}

/** Runs one operation as a client would; refusals a client can get (a 429 from a budget, a 404) are part of the game. */
function apply(cluster: SimCluster, op: Op, added: { count: number }): void {
  const pods = (): Pod[] => cluster.pods();
  const podAt = (at: number): Pod | undefined => pods()[at % Math.max(1, pods().length)];
  const nodeAt = (at: number): string | undefined => cluster.nodes()[at % cluster.nodes().length]?.metadata.name;
  const name = (n: number): string => `app-${n}`;
  try {
    switch (op.kind) {
      case 'deploy':
        if (cluster.store.get('deployments.apps', 'default', name(op.app))) cluster.scaleDeployment(name(op.app), op.replicas);
        else cluster.createDeployment({ name: name(op.app), replicas: op.replicas, requests: { cpu: `${op.cpu}m`, memory: '64Mi' } });
        break;
      case 'undeploy':
        cluster.registry.delete(R.deployments, 'default', name(op.app), { propagationPolicy: op.policy });
        break;
      case 'deletePod': {
        const pod = podAt(op.pick);
        if (pod)
          cluster.registry.delete(R.pods, pod.metadata.namespace, pod.metadata.name, {
            ...(op.grace !== undefined ? { gracePeriodSeconds: op.grace } : {}),
          });
        break;
      }
      case 'evict': {
        const pod = podAt(op.pick);
        const now = cluster.clock.now();
        if (pod) evict(cluster.registry, pod.metadata.namespace as string, pod.metadata.name, {}, now, cluster.clock.timestamp(now), false);
        break;
      }
      case 'finish': {
        const pod = podAt(op.pick);
        if (pod?.spec.nodeName)
          cluster.registry.update(
            R.pods,
            pod.metadata.namespace,
            pod.metadata.name,
            { ...pod, status: { ...pod.status, phase: op.phase } },
            {
              subresource: 'status',
            },
          );
        break;
      }
      case 'barePod': {
        const on = op.node !== undefined ? nodeAt(op.node) : undefined;
        cluster.registry.create(R.pods, 'default', {
          metadata: { generateName: 'bare-' },
          spec: {
            ...(on ? { nodeName: on } : {}),
            containers: [{ name: 'c', image: 'busybox', resources: op.cpu ? { requests: { cpu: `${op.cpu}m` } } : {} }],
          },
        });
        break;
      }
      case 'cordon':
      case 'taint': {
        const target = nodeAt(op.node);
        if (!target) break;
        const current = cluster.registry.get(R.nodes, undefined, target);
        const spec = { ...(current.spec as Record<string, unknown>) };
        if (op.kind === 'cordon') spec.unschedulable = op.on;
        else spec.taints = op.on ? [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] : [];
        cluster.registry.update(R.nodes, undefined, target, { ...current, spec });
        break;
      }
      case 'addNode':
        cluster.addNode(`extra-${added.count++}`);
        break;
      case 'removeNode': {
        const target = nodeAt(op.node);
        if (target && target !== 'cp') cluster.removeNode(target);
        break;
      }
      case 'pdb':
        cluster.createPodDisruptionBudget({ name: name(op.app), selector: { app: name(op.app) }, ...op.budget });
        break;
      case 'unpdb':
        cluster.registry.delete(R.pdbs, 'default', name(op.app));
        break;
      case 'daemonset':
        if (op.on)
          cluster.registry.create(R.daemonsets, 'default', {
            metadata: { name: 'agent' },
            spec: {
              selector: { matchLabels: { app: 'agent' } },
              template: {
                metadata: { labels: { app: 'agent' } },
                spec: { containers: [{ name: 'agent', image: 'busybox', resources: { requests: { cpu: '50m' } } }] },
              },
            },
          });
        else cluster.registry.delete(R.daemonsets, 'default', 'agent');
        break;
      case 'advance':
        cluster.clock.advance(op.seconds);
        break;
    }
  } catch (error) {
    if (!(error instanceof KubeError)) throw error;
  }
  cluster.settle();
}

/** A load as plain numbers (owners without pods left out), for comparing. */
function plain(load: NodeLoad | undefined): unknown {
  const l = load ?? { cpu: 0, memory: 0, scoreCpu: 0, scoreMemory: 0, pods: 0, owners: new Map() };
  const owners = Object.fromEntries([...l.owners].filter(([, n]) => n !== 0).sort(([a], [b]) => (a < b ? -1 : 1)));
  return { cpu: l.cpu, memory: l.memory, scoreCpu: l.scoreCpu, scoreMemory: l.scoreMemory, pods: l.pods, owners };
}

function expectLoadsRecomputed(cluster: SimCluster): void {
  const kept = new Map(cluster.scheduler.loads.entries());
  const summed = loadsOf(cluster.store.values<Pod>('pods'));
  for (const node of new Set([...kept.keys(), ...summed.keys()])) expect(plain(kept.get(node)), node).toEqual(plain(summed.get(node)));
}

/** A resync has every controller look at every object: after the dirty-set controllers settled, it finds nothing to do. */
function expectResyncChangesNothing(cluster: SimCluster): void {
  const revision = cluster.store.revision;
  cluster.resync();
  const changed = cluster.store.since(revision)?.map((e) => `${e.type} ${e.resource} ${e.object.metadata.name}`);
  expect(changed).toEqual([]);
}

/** Random operation sequences, each on a fresh world: `check` after every operation, `finish` at the end. */
function onRandomOperations(
  seed: number,
  numRuns: number,
  check: (cluster: SimCluster) => void,
  finish = (_: SimCluster): void => {},
): void {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 30 }), (ops) => {
      const cluster = world();
      const added = { count: 0 };
      try {
        for (const op of ops) {
          apply(cluster, op, added);
          check(cluster);
        }
        finish(cluster);
      } finally {
        cluster.close();
      }
    }),
    { numRuns, seed },
  );
}

describe('the controllers work from what changed', () => {
  it('keep every node load equal to its pods summed from scratch, through binds, deletions, evictions and finished pods', () => {
    onRandomOperations(8, 60, expectLoadsRecomputed);
  });

  it('reach the state a full rescan would: a resync after any sequence of operations changes nothing', () => {
    onRandomOperations(9, 100, expectResyncChangesNothing, (cluster) => {
      // Long enough for every start, grace period and orphan quarantine (in steps: what a timer sets off runs at the step's end).
      for (let i = 0; i < 12; i++) cluster.advance(10);
      expectResyncChangesNothing(cluster);
      const nodes = new Set(cluster.nodes().map((n) => n.metadata.name));
      for (const pod of cluster.pods()) {
        expect(pod.metadata.deletionTimestamp, pod.metadata.name).toBeUndefined();
        if (pod.spec.nodeName && nodes.has(pod.spec.nodeName) && !['Succeeded', 'Failed'].includes(pod.status.phase ?? ''))
          expect(pod.status.phase, pod.metadata.name).toBe('Running');
      }
    });
  });
});

describe('one write at a few thousand pods', () => {
  /** 100 workers with 30 pods each (two DaemonSet pods, 28 from Deployments of 100 behind budgets): 3,000 pods. */
  function big(): SimCluster {
    const cluster = new SimCluster({ clock: { timeScale: 0, start: Date.parse('2025-03-01T12:00:00Z') }, workerSize: 'm5.2xlarge' });
    cluster.bootstrap(() => {
      cluster.addNode('cp', { role: 'control-plane' });
      for (let i = 0; i < 100; i++) cluster.addNode(`w-${i}`);
      for (let d = 0; d < 28; d++) {
        const namespace = `team-${d % 4}`;
        cluster.createDeployment({ name: `app-${d}`, namespace, replicas: 100, requests: { cpu: '100m', memory: '256Mi' } });
        cluster.createPodDisruptionBudget({ name: `app-${d}`, namespace, selector: { app: `app-${d}` }, maxUnavailable: '10%' });
      }
    });
    return cluster;
  }

  /** The objects the controllers read for `write` and everything it set off. */
  function visits(cluster: SimCluster, write: () => void): number {
    const before = cluster.visited;
    write();
    cluster.settle();
    return cluster.visited - before;
  }

  it('costs the controllers the objects it concerns, not every pod', () => {
    const cluster = big();
    try {
      const pods = cluster.store.count('pods');
      expect(pods).toBeGreaterThan(3000);
      const counts = {
        createPod: visits(cluster, () =>
          cluster.registry.create(R.pods, 'team-0', {
            metadata: { name: 'probe' },
            spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '100m' } } }] },
          }),
        ),
        deletePod: visits(cluster, () => {
          const victim = cluster.pods('team-0').find((p) => p.metadata.name.startsWith('app-0-')) as Pod;
          cluster.registry.delete(R.pods, 'team-0', victim.metadata.name);
        }),
        cordon: visits(cluster, () => {
          const node = cluster.registry.get(R.nodes, undefined, 'w-7');
          cluster.registry.update(R.nodes, undefined, 'w-7', { ...node, spec: { ...(node.spec as object), unschedulable: true } });
        }),
        scaleUp: visits(cluster, () => cluster.scaleDeployment('app-3', 101, 'team-3')),
      };
      for (const [write, count] of Object.entries(counts)) expect(count, write).toBeLessThan(pods / 10);
    } finally {
      cluster.close();
    }
  });
});
