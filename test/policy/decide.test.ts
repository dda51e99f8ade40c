import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  DEFAULT_POLICY,
  decide,
  describeBlocker,
  describeGate,
  describePendingOutcome,
  initialState,
  podDrainability,
  recordSample,
  SAMPLE_LIMIT,
  type Sample,
  sampleWindow,
  workerTemplate,
} from '../../src/policy/index.js';
import {
  cluster,
  decideOver,
  decideWith,
  GiB,
  MINUTE,
  MiB,
  master,
  pod,
  policy,
  running,
  SECOND,
  settled,
  snapshot,
  T0,
  unschedulable,
  worker,
  workerName,
  workers,
} from './builders.js';

describe('the bounds always hold', () => {
  it('a count below min is raised to min, whatever the cluster (and even from a stale snapshot)', () => {
    const output = decideWith({ snapshot: snapshot({ nodes: workers(1), stale: true }), cluster: cluster(1, { min: 3 }) });
    expect(output.decision).toMatchObject({
      current: 1,
      desired: 3,
      direction: 'up',
      rule: { kind: 'below-min', min: 3 },
      evidence: undefined,
    });
    expect(output.decision.reason).toBe('count 1 is below min 3: 1 → 3');
  });

  it('a count above max is lowered to max', () => {
    const { decision } = decideWith({ snapshot: snapshot({ nodes: workers(12) }), cluster: cluster(12, { max: 10 }) });
    expect(decision).toMatchObject({ desired: 10, direction: 'down', rule: { kind: 'above-max', max: 10 } });
  });
});

describe('a stale snapshot holds', () => {
  it('while an informer restarts or has not synced: no decision other than hold, even with pods pending', () => {
    const stale = snapshot({
      nodes: workers(2),
      pods: [unschedulable('app/web', { requests: { cpu: 1900, memory: GiB, pods: 1 } })],
      stale: true,
    });
    const output = decideWith({
      snapshot: stale,
      cluster: cluster(2),
      state: settled(2, { unneeded: [{ node: workerName(1), since: T0 - 60 * MINUTE }] }),
    });
    expect(output.decision).toMatchObject({
      desired: 2,
      direction: 'hold',
      rule: { kind: 'stale-snapshot', why: 'informers-not-synced', takenAt: T0 },
      evidence: undefined,
    });
    expect(output.decision.reason).toBe('the cluster snapshot is stale (informers restarting or not synced): stays at 2');
    // A node must be seen unneeded for the whole time: the clock starts again.
    expect(output.state.unneeded).toEqual([]);
  });

  it('when it was taken longer than metrics_max_age ago', () => {
    const old = snapshot({ nodes: workers(2), takenAt: T0 - 5 * MINUTE });
    expect(decide({ snapshot: old, cluster: cluster(2), state: settled(2), policy: DEFAULT_POLICY, now: T0 }).decision.rule).toEqual({
      kind: 'stale-snapshot',
      why: 'too-old',
      takenAt: T0 - 5 * MINUTE,
    });
  });
});

describe('the state', () => {
  it('starts empty and is plain data that survives JSON', () => {
    const first = decide({
      snapshot: snapshot({ nodes: workers(2) }),
      cluster: cluster(2),
      state: initialState(),
      policy: DEFAULT_POLICY,
      now: T0,
    });
    expect(first.state).toMatchObject({
      version: 1,
      lastCount: 2,
      samples: [expect.objectContaining({ at: T0, count: 2, readyWorkers: 2 })],
    });
    expect(JSON.parse(JSON.stringify(first.state))).toEqual(first.state);
    const again = decide({
      snapshot: snapshot({ nodes: workers(2) }),
      cluster: cluster(2),
      state: JSON.parse(JSON.stringify(first.state)),
      policy: DEFAULT_POLICY,
      now: T0,
    });
    expect(again.decision).toEqual(
      decide({ snapshot: snapshot({ nodes: workers(2) }), cluster: cluster(2), state: first.state, policy: DEFAULT_POLICY, now: T0 })
        .decision,
    );
  });

  it('records a sample each cycle, for the chart of utilisation and pending pods', () => {
    const nodes = workers(2);
    const pods = [
      running('app/a', workerName(0), { requests: { cpu: 1000, memory: 2 * GiB, pods: 1 } }),
      unschedulable('app/b', { requests: { cpu: 4000, memory: GiB, pods: 1 } }),
    ];
    const output = decideOver({ snapshot: snapshot({ nodes, pods }), cluster: cluster(2) }, T0, T0 + 2 * MINUTE);
    expect(output.state.samples).toEqual(
      [0, 1, 2].map((m) => ({
        at: T0 + m * MINUTE,
        count: 2,
        readyWorkers: 2,
        pending: 1,
        cpuRequests: 0.25,
        memoryRequests: 0.125,
        cpuUsage: 0.25,
        memoryUsage: 0.125,
      })),
    );
  });

  describe('keeps a bounded ring of samples', () => {
    const sample = (at: number, pending = 0): Sample => ({
      at,
      count: 3,
      readyWorkers: 3,
      pending,
      cpuRequests: 0.5,
      memoryRequests: 0.5,
      cpuUsage: undefined,
      memoryUsage: undefined,
    });

    it('over the longest policy window (20 minutes by default), at most SAMPLE_LIMIT samples', () => {
      expect(sampleWindow(DEFAULT_POLICY)).toBe(20 * MINUTE);
      let samples: Sample[] = [];
      for (let t = 0; t < 60 * MINUTE; t += 5 * SECOND) samples = recordSample(samples, sample(T0 + t), DEFAULT_POLICY);
      expect(samples.length).toBeLessThanOrEqual(SAMPLE_LIMIT);
      expect(samples[0]?.at).toBeGreaterThanOrEqual(T0 + 40 * MINUTE - 5 * SECOND);
    });

    it('merging samples closer than window / SAMPLE_LIMIT into one that keeps the peaks', () => {
      const merged = recordSample([sample(T0, 7)], { ...sample(T0 + SECOND, 2), cpuRequests: 0.9, count: 4 }, DEFAULT_POLICY);
      expect(merged).toEqual([{ ...sample(T0, 7), cpuRequests: 0.9, count: 4 }]);
    });
  });
});

describe('the evidence', () => {
  it('names the numbers, pods and nodes a PR body shows', () => {
    const nodes = [master(), ...workers(2)];
    const pods = [
      running('app/a', workerName(0), { requests: { cpu: 1500, memory: 2 * GiB, pods: 1 } }),
      unschedulable('app/b', { requests: { cpu: 1000, memory: GiB, pods: 1 } }),
    ];
    const { decision } = decideWith({ snapshot: snapshot({ nodes, pods }), cluster: cluster(2) });
    expect(decision.evidence).toMatchObject({
      now: T0,
      snapshotAt: T0,
      bounds: { min: 1, max: 10 },
      workers: { count: 2, ready: 2, missing: [], missingCount: 0, removing: [], unindexed: [] },
      inFlight: undefined,
      utilisation: {
        workers: 2,
        allocatable: { cpu: 4000 },
        requested: { cpu: 1500 },
        ratios: { cpuRequests: 0.375 },
        high: [],
        highSince: undefined,
      },
      pending: {
        unschedulable: 1,
        pods: [{ pod: 'app/b', since: T0 - MINUTE, outcome: { kind: 'fits-existing-node', node: workerName(1) } }],
      },
      scaleDown: { gates: [{ kind: 'pending-pods', pods: 1 }] },
    });
  });

  it('has words for every outcome, gate and blocker', () => {
    expect(
      describePendingOutcome({ kind: 'never-fits', why: { kind: 'too-big', resource: 'memory', request: 16 * GiB, room: 8 * GiB } }),
    ).toBe('never fits a new worker: requests 16Gi memory; a new worker has 8Gi memory free');
    expect(describePendingOutcome({ kind: 'new-node', node: 0, inFlight: true })).toBe('new node 1 (already asked for)');
    expect(describeGate({ kind: 'scale-up-cooldown', since: T0, until: T0 + 10 * MINUTE })).toBe('within 10m of a scale-up');
    expect(describeGate({ kind: 'metrics-stale', at: T0, maxAge: 2 * MINUTE })).toBe('metrics are older than 2m');
    expect(describeBlocker({ rule: 'disruption-budget', budget: 'shop/web', disruptionsAllowed: 0, pods: 2 })).toBe(
      'PodDisruptionBudget shop/web allows 0 disruptions, 2 needed',
    );
    expect(describeBlocker({ rule: 'not-underutilised', utilisation: 0.73, threshold: 0.5 })).toBe('utilisation 73% is not below 50%');
  });
});

describe('drainability rules (the first rule with an opinion decides)', () => {
  it.each([
    [
      'a mirror pod is skipped',
      pod('k/static', { mirror: true, ownerKind: 'Node', safeToEvict: false }),
      { outcome: 'skip', rule: 'mirror-pod' },
    ],
    [
      'a DaemonSet pod is skipped, whatever its annotations',
      pod('k/ds', { ownerKind: 'DaemonSet', doNotDisrupt: true }),
      { outcome: 'skip', rule: 'daemonset-pod' },
    ],
    ['a finished pod is skipped', pod('k/done', { phase: 'Failed', ownerKind: 'none' }), { outcome: 'skip', rule: 'terminated-pod' }],
    ['safe-to-evict "false" blocks', pod('k/a', { safeToEvict: false }), { outcome: 'block', rule: 'not-safe-to-evict' }],
    [
      'do-not-disrupt blocks, even with safe-to-evict "true"',
      pod('k/a', { doNotDisrupt: true, safeToEvict: true }),
      { outcome: 'block', rule: 'do-not-disrupt' },
    ],
    [
      'safe-to-evict "true" lets a bare pod go',
      pod('k/a', { ownerKind: 'none', safeToEvict: true }),
      { outcome: 'drain', rule: 'safe-to-evict' },
    ],
    ['a bare pod blocks', pod('k/a', { ownerKind: 'none' }), { outcome: 'block', rule: 'no-controller' }],
    ['a pod with a controller drains', pod('k/a', { ownerKind: 'StatefulSet' }), { outcome: 'drain', rule: 'has-controller' }],
  ] as const)('%s', (_, subject, verdict) => {
    expect(podDrainability(subject)).toEqual(verdict);
  });
});

describe('the worker template', () => {
  it('is a Ready, schedulable worker without its hostname label and condition taints', () => {
    const nodes = [
      master(),
      worker(0, { unschedulable: true }),
      worker(1, {
        allocatable: { cpu: 1930, memory: 3 * GiB, pods: 110 },
        taints: [
          { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
          { key: 'dedicated', value: 'web', effect: 'NoSchedule' },
        ],
      }),
    ];
    expect(workerTemplate(snapshot({ nodes }), 't3.medium')).toEqual({
      allocatable: { cpu: 1930, memory: 3 * GiB, pods: 110 },
      labels: { 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' },
      taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }],
    });
  });

  it('comes from the VM size when no worker is Ready (what the kubelet leaves of a t3.medium)', () => {
    expect(workerTemplate(snapshot({ nodes: [master(), worker(0, { ready: false })] }), 't3.medium')).toEqual({
      allocatable: { cpu: 1930, memory: 4 * GiB - 355 * MiB, pods: 110 },
      labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' },
      taints: [],
    });
  });

  it('refuses an unknown VM size, naming it', () => {
    expect(() => workerTemplate(snapshot({ nodes: [] }), 'x9.huge')).toThrow(UserError);
    expect(() => workerTemplate(snapshot({ nodes: [] }), 'x9.huge')).toThrow(/unknown VM size "x9.huge"/);
  });

  it('without a worker or a size, has no room: every pending pod is reported, none counted', () => {
    const template = workerTemplate(snapshot({ nodes: [master()] }), undefined);
    const { decision } = decideWith({
      snapshot: snapshot({ nodes: [master()], pods: [unschedulable('app/a')] }),
      cluster: cluster(0, { min: 0, template }),
    });
    expect(decision).toMatchObject({ desired: 0, direction: 'hold' });
    expect(decision.evidence?.pending.pods[0]?.outcome).toMatchObject({ kind: 'never-fits', why: { kind: 'too-big', resource: 'cpu' } });
  });
});

describe('policy', () => {
  it('is the same function of its input: a decision never reads a clock or a global', () => {
    const input = { snapshot: snapshot({ nodes: workers(3) }), cluster: cluster(3), state: settled(3), policy: policy(), now: T0 };
    expect(decide(input)).toEqual(decide(structuredClone(input)));
  });
});
