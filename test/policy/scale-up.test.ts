import { describe, expect, it } from 'vitest';
import type { DecisionOutput, PendingPlan } from '../../src/policy/index.js';
import {
  cluster,
  decideOver,
  decideWith,
  GiB,
  MINUTE,
  MiB,
  many,
  master,
  policy,
  running,
  settled,
  snapshot,
  T0,
  TEMPLATE,
  unschedulable,
  worker,
  workerName,
  workers,
} from './builders.js';

/** Three workers filled to the last millicore: nothing pending fits on them. */
function fullCluster(extraPods: ReturnType<typeof unschedulable>[] = [], count = 3) {
  const nodes = workers(count);
  const pods = nodes.flatMap((node) =>
    many(4, (i) => running(`app/full-${node.index}-${i}`, node.name, { requests: { cpu: 500, memory: 2 * GiB, pods: 1 } })),
  );
  return snapshot({ nodes, pods: [...pods, ...extraPods] });
}

const pendingOf = (output: DecisionOutput): PendingPlan | undefined => output.decision.evidence?.pending;

describe('scale-up for unschedulable pods', () => {
  it('packs them first-fit decreasing onto new workers and adds that many nodes', () => {
    // 1500m + 1500m cannot share a 2-CPU node; each 500m pod fills the rest of one.
    const pods = [
      unschedulable('app/big-0', { requests: { cpu: 1500, memory: GiB, pods: 1 } }),
      unschedulable('app/small-0', { requests: { cpu: 500, memory: GiB, pods: 1 } }),
      unschedulable('app/big-1', { requests: { cpu: 1500, memory: GiB, pods: 1 } }),
      unschedulable('app/small-1', { requests: { cpu: 500, memory: GiB, pods: 1 } }),
    ];
    const { decision } = decideWith({ snapshot: fullCluster(pods), cluster: cluster(3) });
    expect(decision).toMatchObject({
      current: 3,
      desired: 5,
      direction: 'up',
      rule: { kind: 'pending-pods', pods: 4, newNodes: 2, inFlight: 0 },
    });
    expect(decision.evidence?.pending.newNodes.map((n) => n.pods)).toEqual([
      ['app/big-0', 'app/small-0'],
      ['app/big-1', 'app/small-1'],
    ]);
    expect(decision.reason).toBe('4 unschedulable pods need 2 new nodes: 3 → 5');
  });

  it('leaves room on each new node for what DaemonSets request on every worker', () => {
    const nodes = workers(2);
    const daemons = nodes.map((n) =>
      running(`kube-system/proxy-${n.index}`, n.name, { ownerKind: 'DaemonSet', requests: { cpu: 500, memory: 256 * MiB, pods: 1 } }),
    );
    const fill = nodes.map((n) => running(`app/fill-${n.index}`, n.name, { requests: { cpu: 1500, memory: GiB, pods: 1 } }));
    // Two 1000m pods would share a bare 2-CPU node, but not one whose DaemonSet takes 500m.
    const pending = many(2, (i) => unschedulable(`app/web-${i}`, { requests: { cpu: 1000, memory: GiB, pods: 1 } }));
    const output = decideWith({ snapshot: snapshot({ nodes, pods: [...daemons, ...fill, ...pending] }), cluster: cluster(2) });
    expect(pendingOf(output)).toMatchObject({ overhead: { cpu: 500, memory: 256 * MiB, pods: 1 }, nodeRoom: { cpu: 1500, pods: 109 } });
    expect(output.decision).toMatchObject({ desired: 4, rule: { kind: 'pending-pods', newNodes: 2 } });
  });

  it('places pending pods on room the existing nodes have first, and adds nothing for them', () => {
    const nodes = workers(2);
    const pods = [running('app/a', nodes[0]?.name ?? ''), unschedulable('app/late', { requests: { cpu: 1000, memory: GiB, pods: 1 } })];
    const output = decideWith({ snapshot: snapshot({ nodes, pods }), cluster: cluster(2) });
    expect(output.decision).toMatchObject({ desired: 2, direction: 'hold', rule: { kind: 'no-change' } });
    expect(pendingOf(output)?.pods).toEqual([
      expect.objectContaining({ pod: 'app/late', outcome: { kind: 'fits-existing-node', node: workerName(0) } }),
    ]);
  });

  describe('never counts a pod no new worker could take, and says why', () => {
    it('too big for a new worker (after its DaemonSets)', () => {
      const output = decideWith({
        snapshot: fullCluster([unschedulable('ml/train', { requests: { cpu: 4000, memory: GiB, pods: 1 } })]),
        cluster: cluster(3),
      });
      expect(output.decision).toMatchObject({ desired: 3, direction: 'hold' });
      expect(pendingOf(output)?.pods[0]?.outcome).toEqual({
        kind: 'never-fits',
        why: { kind: 'too-big', resource: 'cpu', request: 4000, room: 2000 },
      });
    });

    it('a nodeSelector or required node affinity no worker label matches', () => {
      const gpu = unschedulable('ml/gpu', { nodeSelector: { 'nvidia.com/gpu.present': 'true' } });
      const zone = unschedulable('app/zone', {
        requiredNodeAffinity: [{ matchExpressions: [{ key: 'topology.kubernetes.io/zone', operator: 'In', values: ['eu-west-1c'] }] }],
      });
      const output = decideWith({ snapshot: fullCluster([gpu, zone]), cluster: cluster(3) });
      expect(output.decision.desired).toBe(3);
      expect(pendingOf(output)?.pods.map((p) => p.outcome)).toEqual([
        { kind: 'never-fits', why: { kind: 'node-selector' } },
        { kind: 'never-fits', why: { kind: 'node-selector' } },
      ]);
    });

    it('a pod pinned to one node by its hostname label (a new node has another name)', () => {
      const pinned = unschedulable('app/pinned', { nodeSelector: { 'kubernetes.io/hostname': workerName(0) } });
      const output = decideWith({ snapshot: fullCluster([pinned]), cluster: cluster(3) });
      expect(output.decision.desired).toBe(3);
      expect(pendingOf(output)?.pods[0]?.outcome).toEqual({ kind: 'never-fits', why: { kind: 'node-selector' } });
    });

    it('a taint of the worker template the pod does not tolerate', () => {
      const tainted = { ...TEMPLATE, taints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }] };
      const output = decideWith({ snapshot: fullCluster([unschedulable('app/web')]), cluster: cluster(3, { template: tainted }) });
      expect(output.decision.desired).toBe(3);
      expect(pendingOf(output)?.pods[0]?.outcome).toEqual({
        kind: 'never-fits',
        why: { kind: 'untolerated-taint', taint: { key: 'dedicated', value: 'batch', effect: 'NoSchedule' } },
      });
    });

    it('a DaemonSet pod (it belongs to one node; another does not help it)', () => {
      const daemon = unschedulable('kube-system/agent-x', { ownerKind: 'DaemonSet' });
      const output = decideWith({ snapshot: fullCluster([daemon]), cluster: cluster(3) });
      expect(output.decision.desired).toBe(3);
      expect(pendingOf(output)?.pods[0]?.outcome).toEqual({ kind: 'node-bound' });
    });
  });

  it('waits for the scheduler: a pending pod not (yet) marked Unschedulable adds nothing', () => {
    const fresh = unschedulable('app/new', { unschedulable: false, unschedulableSince: undefined });
    const output = decideWith({ snapshot: fullCluster([fresh]), cluster: cluster(3) });
    expect(output.decision.desired).toBe(3);
    expect(pendingOf(output)?.pods[0]?.outcome).toEqual({ kind: 'awaiting-scheduler' });
  });

  it('adds at most scale_up_max_step nodes in one change, and says what was wanted', () => {
    const pods = many(6, (i) => unschedulable(`app/big-${i}`, { requests: { cpu: 1500, memory: GiB, pods: 1 } }));
    const { decision } = decideWith({ snapshot: fullCluster(pods), cluster: cluster(3), policy: policy({ scaleUpMaxStep: 4 }) });
    expect(decision).toMatchObject({ desired: 7, limitedBy: { limit: 'max-step', wanted: 9 } });
    expect(decision.reason).toBe('6 unschedulable pods need 6 new nodes: 3 → 7 (limited by the step; 9 wanted)');
  });

  it('never goes above max; at max it holds and says the pods wait', () => {
    const pods = many(6, (i) => unschedulable(`app/big-${i}`, { requests: { cpu: 1500, memory: GiB, pods: 1 } }));
    expect(decideWith({ snapshot: fullCluster(pods), cluster: cluster(3, { max: 5 }) }).decision).toMatchObject({
      desired: 5,
      limitedBy: { limit: 'max', wanted: 9 },
    });
    const atMax = fullCluster(pods, 5);
    expect(decideWith({ snapshot: atMax, cluster: cluster(5, { max: 5 }) }).decision).toMatchObject({
      desired: 5,
      direction: 'hold',
      rule: { kind: 'pending-pods' },
      limitedBy: { limit: 'max', wanted: 11 },
    });
  });

  it('ignores masters: a pod that only tolerates nothing is not placed on a tainted master', () => {
    const nodes = [master(), ...workers(1)];
    const pods = [
      ...many(4, (i) => running(`app/full-${i}`, workerName(0), { requests: { cpu: 500, memory: GiB, pods: 1 } })),
      unschedulable('app/web', { requests: { cpu: 500, memory: GiB, pods: 1 } }),
    ];
    const { decision } = decideWith({ snapshot: snapshot({ nodes, pods }), cluster: cluster(1) });
    expect(decision).toMatchObject({ desired: 2, rule: { kind: 'pending-pods', newNodes: 1 } });
  });
});

describe('a change in flight (the count is above the Ready workers)', () => {
  /** The config says 5 but only workers 0..2 have joined: 2 nodes are being provisioned. */
  const inFlight = (pending: number) =>
    fullCluster(many(pending, (i) => unschedulable(`app/big-${i}`, { requests: { cpu: 1500, memory: GiB, pods: 1 } })));

  it('adds nothing for pods the nodes being provisioned will take', () => {
    const output = decideWith({ snapshot: inFlight(2), cluster: cluster(5) });
    expect(output.decision).toMatchObject({
      desired: 5,
      direction: 'hold',
      rule: { kind: 'waiting-for-nodes', missing: 2, since: T0, timeoutAt: T0 + 15 * MINUTE, pods: 2 },
    });
    expect(output.decision.evidence?.workers).toMatchObject({ count: 5, ready: 3, missing: [3, 4] });
    expect(pendingOf(output)?.newNodes.map((n) => n.inFlight)).toEqual([true, true]);
    expect(output.state.inFlight).toEqual({ count: 5, since: T0 });
  });

  it('adds nodes only for the pods beyond them', () => {
    const { decision } = decideWith({ snapshot: inFlight(3), cluster: cluster(5) });
    expect(decision).toMatchObject({ desired: 6, rule: { kind: 'pending-pods', pods: 3, newNodes: 3, inFlight: 2 } });
  });

  it('after provisioning_timeout reports the shortfall and still does not scale again for those pods', () => {
    const output = decideOver({ snapshot: inFlight(2), cluster: cluster(5) }, T0, T0 + 16 * MINUTE);
    expect(output.decision).toMatchObject({
      desired: 5,
      direction: 'hold',
      rule: { kind: 'provisioning-timeout', missing: 2, since: T0, pods: 2 },
    });
    expect(output.decision.reason).toBe(
      '2 nodes asked for still not Ready since 2025-03-01T12:00:00.000Z; 2 pending pods not scaled for again: stays at 5',
    );
    expect(output.decision.evidence?.inFlight).toMatchObject({ timedOut: true, timeoutAt: T0 + 15 * MINUTE });
  });

  it('restarts the provisioning clock when the count is raised again, and ends it when the nodes are Ready', () => {
    const first = decideWith({ snapshot: inFlight(2), cluster: cluster(5) });
    const later = T0 + 10 * MINUTE;
    const raised = decideWith({ snapshot: { ...inFlight(2), takenAt: later }, cluster: cluster(6), state: first.state, now: later });
    expect(raised.state.inFlight).toEqual({ count: 6, since: later });
    const joined = snapshot({ nodes: workers(6), takenAt: later + MINUTE });
    expect(decideWith({ snapshot: joined, cluster: cluster(6), state: raised.state }).state.inFlight).toBeUndefined();
  });

  it('counts a worker that is not Ready as missing', () => {
    const nodes = workers(3, (i) => (i === 1 ? { ready: false } : {}));
    const output = decideWith({ snapshot: snapshot({ nodes }), cluster: cluster(3) });
    expect(output.decision.evidence?.workers).toMatchObject({ ready: 2, missing: [1], missingCount: 1 });
    expect(output.decision.rule).toMatchObject({ kind: 'waiting-for-nodes', missing: 1, pods: 0 });
  });
});

describe('scale-up on sustained high utilisation', () => {
  /** Four workers whose pods request `share` of their CPU. */
  function busy(share: number, usageShare?: number) {
    const nodes = workers(4);
    const pods = nodes.map((n) =>
      running(`app/load-${n.index}`, n.name, { requests: { cpu: Math.round(2000 * share), memory: GiB, pods: 1 } }),
    );
    const usage =
      usageShare === undefined
        ? undefined
        : Object.fromEntries(nodes.map((n) => [n.name, { cpu: Math.round(2000 * usageShare), memory: GiB }]));
    return snapshot({ nodes, pods, ...(usage ? { usage } : {}) });
  }

  it('adds the fewest nodes that bring requests back to the threshold, once high for scale_up_sustained_time', () => {
    // 4 × 1900m requested of 8000m = 95% > 90%; with one more 2-CPU node it is 76%.
    const early = decideOver({ snapshot: busy(0.95, 0.5), cluster: cluster(4) }, T0, T0 + 4 * MINUTE);
    expect(early.decision).toMatchObject({ desired: 4, direction: 'hold' });
    expect(early.decision.evidence?.utilisation).toMatchObject({ highSince: T0, sustainedAt: T0 + 5 * MINUTE });
    const sustained = decideOver({ snapshot: busy(0.95, 0.5), cluster: cluster(4) }, T0, T0 + 5 * MINUTE);
    expect(sustained.decision).toMatchObject({
      desired: 5,
      rule: {
        kind: 'high-utilisation',
        since: T0,
        nodes: 1,
        exceeded: [{ measure: 'requests', resource: 'cpu', ratio: 0.95, threshold: 0.9 }],
      },
    });
    expect(sustained.decision.reason).toBe('CPU requests at 95% of allocatable (above 90%) since 2025-03-01T12:00:00.000Z: 4 → 5');
  });

  it('reads measured use against its own threshold', () => {
    const output = decideOver({ snapshot: busy(0.5, 0.95), cluster: cluster(4) }, T0, T0 + 5 * MINUTE);
    expect(output.decision).toMatchObject({
      desired: 5,
      rule: { kind: 'high-utilisation', exceeded: [{ measure: 'usage', resource: 'cpu' }] },
    });
  });

  it('starts the clock again when utilisation drops below the threshold', () => {
    const high = decideOver({ snapshot: busy(0.95), cluster: cluster(4) }, T0, T0 + 3 * MINUTE);
    const dip = decideWith({ snapshot: { ...busy(0.7), takenAt: T0 + 4 * MINUTE }, cluster: cluster(4), state: high.state });
    expect(dip.state.highSince).toBeUndefined();
    const again = decideOver({ snapshot: busy(0.95), cluster: cluster(4), state: dip.state }, T0 + 5 * MINUTE, T0 + 8 * MINUTE);
    expect(again.decision.direction).toBe('hold');
  });

  it('does not measure while nodes are joining, and starts again after a raised count', () => {
    const joining = decideOver({ snapshot: busy(0.95), cluster: cluster(5) }, T0, T0 + 10 * MINUTE);
    expect(joining.decision.rule.kind).toBe('waiting-for-nodes');
    expect(joining.state.highSince).toBeUndefined();
    const state = settled(3, { highSince: T0 - 30 * MINUTE });
    const raised = decideWith({ snapshot: busy(0.95), cluster: cluster(4), state });
    expect(raised.state).toMatchObject({ highSince: T0, lastScaleUpAt: T0 });
  });

  it('without metrics, still reads requests', () => {
    const nodes = workers(2);
    const pods = nodes.map((n) => running(`app/load-${n.index}`, n.name, { requests: { cpu: 1950, memory: GiB, pods: 1 } }));
    const output = decideOver({ snapshot: snapshot({ nodes, pods, usage: 'missing' }), cluster: cluster(2) }, T0, T0 + 5 * MINUTE);
    expect(output.decision).toMatchObject({ desired: 3, rule: { kind: 'high-utilisation' } });
  });

  it('takes the larger of what pending pods and utilisation want', () => {
    const base = busy(0.95);
    const pending = many(3, (i) => unschedulable(`app/big-${i}`, { requests: { cpu: 1500, memory: GiB, pods: 1 } }));
    const output = decideOver({ snapshot: { ...base, pods: [...base.pods, ...pending] }, cluster: cluster(4) }, T0, T0 + 5 * MINUTE);
    expect(output.decision).toMatchObject({ desired: 7, rule: { kind: 'pending-pods', newNodes: 3 } });
  });

  it('with a sustained time of 0, still needs the high utilisation seen in an earlier cycle', () => {
    const zero = policy({ scaleUpSustainedTime: 0 });
    expect(decideWith({ snapshot: busy(0.95, 0.5), cluster: cluster(4), policy: zero }).decision.desired).toBe(4);
    expect(decideOver({ snapshot: busy(0.95, 0.5), cluster: cluster(4), policy: zero }, T0, T0 + MINUTE).decision.desired).toBe(5);
  });

  it('a worker node alone is no worker pool: no utilisation without Ready workers', () => {
    const output = decideWith({ snapshot: snapshot({ nodes: [worker(0, { ready: false })] }), cluster: cluster(1) });
    expect(output.decision.evidence?.utilisation.ratios).toBeUndefined();
  });
});
