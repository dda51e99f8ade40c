import { describe, expect, it } from 'vitest';
import type { DecisionOutput, NodeBlocker } from '../../src/policy/index.js';
import type { PodView } from '../../src/policy/snapshot.js';
import {
  cluster,
  decideOver,
  decideWith,
  GiB,
  MINUTE,
  MiB,
  many,
  policy,
  running,
  type SnapshotOptions,
  settled,
  snapshot,
  T0,
  unschedulable,
  workerName,
  workers,
} from './builders.js';

/**
 * Four workers: 0..2 hold 1000m each (50 %, not unneeded), worker 3 (the highest index) holds
 * `top` pods. Each worker runs a DaemonSet pod of 100m.
 */
function quiet(top: PodView[] = [running('app/light', workerName(3))], options: Partial<SnapshotOptions> = {}) {
  const nodes = options.nodes ?? workers(4);
  const pods = [
    ...nodes.map((n) =>
      running(`kube-system/proxy-${n.index}`, n.name, { ownerKind: 'DaemonSet', requests: { cpu: 100, memory: 64 * MiB, pods: 1 } }),
    ),
    ...nodes
      .filter((n) => n.index !== 3)
      .map((n) => running(`app/steady-${n.index}`, n.name, { requests: { cpu: 900, memory: 2 * GiB, pods: 1 } })),
    ...top,
  ];
  return snapshot({ ...options, nodes, pods: [...pods, ...(options.pods ?? [])] });
}

/** Decides once a minute for `minutes` minutes on the same cluster. */
const decidedAfter = (minutes: number, input: Parameters<typeof decideOver>[0]): DecisionOutput =>
  decideOver(input, T0, T0 + minutes * MINUTE);

const blockersOf = (output: DecisionOutput): NodeBlocker[] => output.decision.evidence?.scaleDown.candidates.at(-1)?.blockers ?? [];

describe('scale-down of unneeded workers', () => {
  it('removes the highest index once it has been below 50 % for 10 minutes and its pods fit elsewhere', () => {
    const waiting = decidedAfter(9, { snapshot: quiet(), cluster: cluster(4) });
    expect(waiting.decision).toMatchObject({ desired: 4, direction: 'hold', rule: { kind: 'no-change' } });
    expect(waiting.decision.evidence?.scaleDown.candidates).toEqual([
      expect.objectContaining({ node: workerName(3), index: 3, blockers: [], unneededSince: T0, removableAt: T0 + 10 * MINUTE }),
    ]);
    expect(waiting.decision.reason).toBe(`no change needed: stays at 4 (${workerName(3)} unneeded, removable at 2025-03-01T12:10:00.000Z)`);

    const removed = decidedAfter(10, { snapshot: quiet(), cluster: cluster(4) });
    expect(removed.decision).toMatchObject({
      desired: 3,
      direction: 'down',
      rule: { kind: 'unneeded-nodes', nodes: [workerName(3)], since: T0 },
    });
    expect(removed.decision.evidence?.scaleDown.moves).toEqual([{ pod: 'app/light', from: workerName(3), to: workerName(0) }]);
    expect(removed.decision.reason).toBe(`${workerName(3)} unneeded and its pods fit elsewhere: 4 → 3`);
  });

  it('keeps the unneeded clock across cycles in the state, by node name', () => {
    const output = decidedAfter(3, { snapshot: quiet(), cluster: cluster(4) });
    expect(output.state.unneeded).toEqual([{ node: workerName(3), since: T0 }]);
  });

  it('removes up to scale_down_max_step nodes, highest first, each unneeded for the whole time', () => {
    const nodes = workers(5);
    const pods = [
      running('app/steady', workerName(0), { requests: { cpu: 1500, memory: GiB, pods: 1 } }),
      running('app/a', workerName(4)),
      running('app/b', workerName(3)),
    ];
    const output = decidedAfter(10, { snapshot: snapshot({ nodes, pods }), cluster: cluster(5), policy: policy({ scaleDownMaxStep: 3 }) });
    expect(output.decision).toMatchObject({
      desired: 2,
      rule: { kind: 'unneeded-nodes', nodes: [workerName(4), workerName(3), workerName(2)] },
    });
    // The pods go to the lowest indices, not to a node that is itself being removed.
    expect(output.decision.evidence?.scaleDown.moves).toEqual([
      { pod: 'app/a', from: workerName(4), to: workerName(0) },
      { pod: 'app/b', from: workerName(3), to: workerName(0) },
    ]);
  });

  it('never goes below min', () => {
    const output = decidedAfter(10, { snapshot: quiet(), cluster: cluster(4, { min: 4 }) });
    expect(output.decision).toMatchObject({ desired: 4, direction: 'hold' });
    expect(output.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'at-min', min: 4 }]);
    const stepped = decidedAfter(10, { snapshot: quiet(), cluster: cluster(4, { min: 3 }), policy: policy({ scaleDownMaxStep: 5 }) });
    expect(stepped.decision.desired).toBe(3);
  });

  it('a lower index never goes while a higher one stays: the first node kept stops the list', () => {
    const busyTop = quiet([running('app/heavy', workerName(3), { requests: { cpu: 1200, memory: GiB, pods: 1 } })]);
    const output = decidedAfter(10, { snapshot: busyTop, cluster: cluster(4), policy: policy({ scaleDownMaxStep: 2 }) });
    expect(output.decision.desired).toBe(4);
    expect(output.decision.evidence?.scaleDown.candidates.map((c) => c.node)).toEqual([workerName(3)]);
    expect(blockersOf(output)).toEqual([{ rule: 'not-underutilised', utilisation: 0.65, threshold: 0.5 }]);
  });

  describe('is gated (no scale-down this cycle, whatever the nodes)', () => {
    it('while any pod is pending, and the unneeded clock starts again after', () => {
      const withPending = quiet(undefined, { pods: [unschedulable('app/waiting', { requests: { cpu: 8000, memory: GiB, pods: 1 } })] });
      const output = decidedAfter(30, { snapshot: withPending, cluster: cluster(4) });
      expect(output.decision.desired).toBe(4);
      expect(output.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'pending-pods', pods: 1 }]);
      expect(output.state.unneeded).toEqual([]);
      expect(output.decision.reason).toBe('no change needed: stays at 4 (no scale-down: 1 pod pending)');
    });

    it('when metrics.k8s.io does not answer', () => {
      const output = decidedAfter(30, { snapshot: quiet(undefined, { usage: 'missing' }), cluster: cluster(4) });
      expect(output.decision.desired).toBe(4);
      expect(output.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'metrics-unavailable' }]);
    });

    it('when metrics-server has no sample for one of the workers', () => {
      const usage = Object.fromEntries(workers(3).map((n) => [n.name, { cpu: 1000, memory: 2 * GiB }]));
      const output = decidedAfter(30, { snapshot: quiet(undefined, { usage }), cluster: cluster(4) });
      expect(output.decision.desired).toBe(4);
      expect(output.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'metrics-incomplete', nodes: [workerName(3)] }]);
      expect(output.decision.reason).toBe(`no change needed: stays at 4 (no scale-down: no metrics for 1 worker (${workerName(3)}))`);
    });

    it('when the newest metrics are older than metrics_max_age', () => {
      const old = quiet(undefined, { usageAt: T0 - 3 * MINUTE });
      const output = decideWith({
        snapshot: old,
        cluster: cluster(4),
        state: settled(4, { unneeded: [{ node: workerName(3), since: T0 - 60 * MINUTE }] }),
      });
      expect(output.decision.desired).toBe(4);
      expect(output.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'metrics-stale', at: T0 - 3 * MINUTE, maxAge: 2 * MINUTE }]);
      expect(output.state.unneeded).toEqual([]);
    });

    it('within scale_down_delay_after_add of a scale-up, while the node stays unneeded', () => {
      const state = settled(4, { lastScaleUpAt: T0 - 5 * MINUTE, unneeded: [{ node: workerName(3), since: T0 - 30 * MINUTE }] });
      const output = decideWith({ snapshot: quiet(), cluster: cluster(4), state });
      expect(output.decision.desired).toBe(4);
      expect(output.decision.evidence?.scaleDown.gates).toEqual([
        { kind: 'scale-up-cooldown', since: T0 - 5 * MINUTE, until: T0 + 5 * MINUTE },
      ]);
      // The node's clock keeps running: it goes as soon as the delay is over.
      expect(output.state.unneeded).toEqual([{ node: workerName(3), since: T0 - 30 * MINUTE }]);
      const later = T0 + 5 * MINUTE;
      const next = decideWith({
        snapshot: { ...quiet(), takenAt: later, usage: { at: later, nodes: quiet().usage?.nodes ?? new Map() } },
        cluster: cluster(4),
        state: output.state,
      });
      expect(next.decision.desired).toBe(3);
    });

    it('after a raised count seen in the config (a merged scale-up or a hand edit)', () => {
      const output = decideWith({ snapshot: quiet(), cluster: cluster(4), state: settled(3) });
      expect(output.state.lastScaleUpAt).toBe(T0);
      expect(output.decision.evidence?.scaleDown.gates).toContainEqual({ kind: 'scale-up-cooldown', since: T0, until: T0 + 10 * MINUTE });
    });

    it('while nodes asked for have not joined, or nodes above the count are still there', () => {
      const joining = decideWith({ snapshot: quiet(), cluster: cluster(5) });
      expect(joining.decision.evidence?.scaleDown.gates).toContainEqual({ kind: 'change-in-flight', missing: 1, removing: [] });
      const leaving = decideWith({ snapshot: quiet(), cluster: cluster(3) });
      expect(leaving.decision.evidence?.scaleDown.gates).toContainEqual({
        kind: 'change-in-flight',
        missing: 0,
        removing: [workerName(3)],
      });
    });

    it('when a worker has no VM index (which VM a lowered count removes is unknown)', () => {
      const nodes = workers(4, (i) => (i === 2 ? { name: 'pool-node-x', index: undefined } : {}));
      const output = decidedAfter(10, { snapshot: quiet(undefined, { nodes }), cluster: cluster(4) });
      expect(output.decision.desired).toBe(4);
      expect(output.decision.evidence?.scaleDown.gates).toContainEqual({ kind: 'workers-without-index', nodes: ['pool-node-x'] });
    });
  });

  describe('keeps a node, naming the rule, when', () => {
    const keptBy = (top: PodView[], options: Partial<SnapshotOptions> = {}): DecisionOutput => {
      const output = decidedAfter(10, { snapshot: quiet(top, options), cluster: cluster(4) });
      expect(output.decision).toMatchObject({ desired: 4, direction: 'hold', rule: { kind: 'no-change' } });
      return output;
    };

    it('a pod on it is annotated safe-to-evict: "false"', () => {
      expect(blockersOf(keptBy([running('app/cache', workerName(3), { safeToEvict: false })]))).toEqual([
        { rule: 'not-safe-to-evict', pod: 'app/cache' },
      ]);
    });

    it('a pod on it is annotated karpenter.sh/do-not-disrupt: "true"', () => {
      const output = keptBy([running('app/job', workerName(3), { doNotDisrupt: true })]);
      expect(blockersOf(output)).toEqual([{ rule: 'do-not-disrupt', pod: 'app/job' }]);
      expect(output.decision.reason).toBe(
        `no change needed: stays at 4 (${workerName(3)} stays: pod app/job is annotated karpenter.sh/do-not-disrupt: "true")`,
      );
    });

    it('a pod on it has no controller to recreate it (unless it is safe-to-evict: "true")', () => {
      expect(blockersOf(keptBy([running('app/bare', workerName(3), { ownerKind: 'none' })]))).toEqual([
        { rule: 'no-controller', pod: 'app/bare' },
      ]);
      const allowed = decidedAfter(10, {
        snapshot: quiet([running('app/bare', workerName(3), { ownerKind: 'none', safeToEvict: true })]),
        cluster: cluster(4),
      });
      expect(allowed.decision.desired).toBe(3);
    });

    it('the node is annotated scale-down-disabled', () => {
      const nodes = workers(4, (i) => (i === 3 ? { scaleDownDisabled: true } : {}));
      expect(blockersOf(keptBy([], { nodes }))).toEqual([{ rule: 'scale-down-disabled' }]);
    });

    it('a PodDisruptionBudget allows fewer disruptions than its pods on the node', () => {
      const pods = many(2, (i) => running(`shop/web-${i}`, workerName(3), { budgets: ['shop/web'] }));
      expect(blockersOf(keptBy(pods, { budgets: [{ key: 'shop/web', disruptionsAllowed: 1 }] }))).toEqual([
        { rule: 'disruption-budget', budget: 'shop/web', disruptionsAllowed: 1, pods: 2 },
      ]);
      const enough = decidedAfter(10, {
        snapshot: quiet(pods, { budgets: [{ key: 'shop/web', disruptionsAllowed: 2 }] }),
        cluster: cluster(4),
      });
      expect(enough.decision.desired).toBe(3);
    });

    it('a pod names a PodDisruptionBudget the snapshot lacks (an unknown budget allows nothing)', () => {
      expect(blockersOf(keptBy([running('shop/web-0', workerName(3), { budgets: ['shop/gone'] })]))).toEqual([
        { rule: 'disruption-budget', budget: 'shop/gone', disruptionsAllowed: undefined, pods: 1 },
      ]);
    });

    it('its pods would not fit on the nodes that stay (here: no pod slot left on them)', () => {
      const nodes = workers(4, (i) => (i === 3 ? {} : { allocatable: { cpu: 2000, memory: 8 * GiB, pods: 2 } }));
      const output = keptBy([running('app/web', workerName(3))], { nodes });
      expect(blockersOf(output)).toEqual([{ rule: 'pods-do-not-fit', pods: ['app/web'] }]);
      expect(output.decision.reason).toBe(
        `no change needed: stays at 4 (${workerName(3)} stays: 1 pod would not fit on the other nodes (app/web))`,
      );
    });

    it('its pods may only go to it: a selector or taint the other nodes do not match', () => {
      const pinned = running('app/pinned', workerName(3), { nodeSelector: { disk: 'ssd' } });
      const nodes = workers(4, (i) => (i === 3 ? { labels: { disk: 'ssd' } } : {}));
      expect(blockersOf(keptBy([pinned], { nodes }))).toEqual([{ rule: 'pods-do-not-fit', pods: ['app/pinned'] }]);
      const tainted = workers(4, (i) => (i === 3 ? {} : { taints: [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }] }));
      expect(blockersOf(keptBy([running('app/web', workerName(3))], { nodes: tainted }))).toEqual([
        { rule: 'pods-do-not-fit', pods: ['app/web'] },
      ]);
    });

    it('its metrics are missing (here a cordoned node, outside the workers whose metrics gate everything)', () => {
      const nodes = workers(4, (i) => (i === 3 ? { unschedulable: true } : {}));
      const usage = Object.fromEntries(workers(3).map((n) => [n.name, { cpu: 1000, memory: 2 * GiB }]));
      expect(blockersOf(keptBy([], { nodes, usage }))).toEqual([{ rule: 'no-usage' }]);
    });

    it('its measured use is at or above the threshold, whatever its requests', () => {
      const usage = Object.fromEntries(workers(4).map((n) => [n.name, { cpu: 1000, memory: 2 * GiB }]));
      expect(blockersOf(keptBy([], { usage }))).toEqual([{ rule: 'not-underutilised', utilisation: 0.5, threshold: 0.5 }]);
    });

    it('removing it would push the other workers above a scale-up threshold (it would flap back)', () => {
      const output = decidedAfter(10, {
        snapshot: quiet(),
        cluster: cluster(4),
        policy: policy({ scaleUpRequestsThreshold: 0.5 }),
      });
      expect(output.decision.desired).toBe(4);
      expect(blockersOf(output)).toEqual([
        {
          rule: 'would-trigger-scale-up',
          exceeded: [{ measure: 'requests', resource: 'cpu', ratio: expect.closeTo(0.54, 2), threshold: 0.5 }],
        },
      ]);
    });

    it('reports every rule that keeps it, not only the first', () => {
      const nodes = workers(4, (i) => (i === 3 ? { scaleDownDisabled: true } : {}));
      const pods = [running('app/a', workerName(3), { safeToEvict: false }), running('app/b', workerName(3), { ownerKind: 'none' })];
      expect(blockersOf(keptBy(pods, { nodes })).map((b) => b.rule)).toEqual(['scale-down-disabled', 'not-safe-to-evict', 'no-controller']);
    });
  });

  describe('does not let these pods keep a node', () => {
    it.each([
      [
        'a DaemonSet pod, even annotated safe-to-evict: "false"',
        running('kube-system/agent', workerName(3), { ownerKind: 'DaemonSet', safeToEvict: false }),
      ],
      ['a mirror (static) pod', running('kube-system/static', workerName(3), { ownerKind: 'Node', mirror: true })],
      ['a finished Job pod without a controller', running('batch/done', workerName(3), { ownerKind: 'none', phase: 'Succeeded' })],
    ])('%s', (_, top) => {
      expect(decidedAfter(10, { snapshot: quiet([top]), cluster: cluster(4) }).decision.desired).toBe(3);
    });
  });
});

describe('a lowered count seen in the config', () => {
  it('restarts the unneeded clocks: the next node must be unneeded for the whole time again', () => {
    const state = settled(5, { unneeded: [{ node: workerName(3), since: T0 - 30 * MINUTE }] });
    const output = decideWith({ snapshot: quiet(), cluster: cluster(4), state });
    expect(output.state).toMatchObject({ lastScaleDownAt: T0, unneeded: [{ node: workerName(3), since: T0 }] });
    expect(output.decision.desired).toBe(4);
  });
});

describe('a window of 0', () => {
  it('still needs a node seen unneeded in an earlier cycle: never removed on the cycle that first sees it', () => {
    const zero = policy({ scaleDownUnneededTime: 0 });
    expect(decideWith({ snapshot: quiet(), cluster: cluster(4), policy: zero }).decision.desired).toBe(4);
    expect(decidedAfter(1, { snapshot: quiet(), cluster: cluster(4), policy: zero }).decision.desired).toBe(3);
  });
});
