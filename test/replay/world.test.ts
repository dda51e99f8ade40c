// The what-if world: the recorded demand on the workers a replayed policy would have had.
import { describe, expect, it } from 'vitest';
import type { ClusterSnapshot } from '../../src/policy/snapshot.js';
import type { RecordedCycle } from '../../src/record/format.js';
import { applyCount, presentIndices, startWorld, worldSnapshot } from '../../src/replay/world.js';
import { GiB, MiB, many, master, pod, running, snapshot, T0, unschedulable, worker, workerName, workers } from '../policy/builders.js';

const DELAY = 10 * 60_000;

function cycle(s: ClusterSnapshot, count: number, at = T0): RecordedCycle {
  return { at, cluster: 'shop', prefix: 'demo', count, min: 1, max: 10, vmSize: 't3.medium', snapshot: s, prometheus: undefined };
}

/** Three workers, each running 4 pods of 250m / 512 MiB and a DaemonSet pod, using what they request. */
function busy(): ClusterSnapshot {
  const pods = [
    ...many(12, (i) => running(`web/pod-${i}`, workerName(i % 3))),
    ...[0, 1, 2].map((i) =>
      running(`kube-system/agent-${i}`, workerName(i), { ownerKind: 'DaemonSet', requests: { cpu: 100, memory: 128 * MiB, pods: 1 } }),
    ),
  ];
  return snapshot({ nodes: [master(), ...workers(3)], pods });
}

describe('the what-if world', () => {
  it('starts as recorded: missing workers join after the delay, those above the count leave after it', () => {
    const recorded = snapshot({ nodes: [master(), worker(0), worker(2), worker(4)] });
    const world = startWorld(cycle(recorded, 3), DELAY);
    expect([...presentIndices(world, T0)].sort()).toEqual([0, 2, 4]);
    expect([...presentIndices(world, T0 + DELAY)].sort()).toEqual([0, 1, 2]);
  });

  it('applies a raised count after the delay, and a lowered one (a joining VM is simply not made)', () => {
    let world = startWorld(cycle(snapshot({ nodes: workers(2) }), 2), DELAY);
    world = applyCount(world, T0, 4, DELAY);
    expect([...presentIndices(world, T0 + DELAY - 1)]).toEqual([0, 1]);
    expect([...presentIndices(world, T0 + DELAY)]).toEqual([0, 1, 2, 3]);
    world = applyCount(world, T0 + 60_000, 1, DELAY);
    expect(world.vms.has(2)).toBe(false);
    expect([...presentIndices(world, T0 + 60_000 + DELAY - 1)]).toEqual([0, 1]);
    expect([...presentIndices(world, T0 + 60_000 + DELAY)]).toEqual([0]);
  });

  it('is the recorded snapshot itself while it has the recorded workers', () => {
    const recorded = busy();
    expect(worldSnapshot(startWorld(cycle(recorded, 3), DELAY), cycle(recorded, 3), 't3.medium')).toBe(recorded);
  });

  it('without a recorded worker, places its pods on the others (taking their use along) or leaves them pending', () => {
    const recorded = busy();
    const world = applyCount(startWorld(cycle(recorded, 3), DELAY), T0, 2, DELAY);
    const later = worldSnapshot(world, cycle(recorded, 3, T0 + DELAY), 't3.medium');
    expect(later.nodes.map((n) => n.name)).toEqual([master().name, workerName(0), workerName(1)]);
    // Four pods of 250m leave vm-2; vm-0 and vm-1 have 2000m − 1100m each: three go to vm-0, the fourth to vm-1.
    expect(later.pods.filter((p) => p.nodeName === workerName(0)).length).toBe(1 + 4 + 3);
    expect(later.pods.filter((p) => p.nodeName === workerName(1)).length).toBe(1 + 4 + 1);
    expect(later.pods.filter((p) => p.key.startsWith('kube-system/'))).toHaveLength(2);
    expect(later.pods.some((p) => p.nodeName === undefined)).toBe(false);
    expect(later.usage?.nodes.get(workerName(0))).toEqual({ cpu: 1100 + 750, memory: (128 + 7 * 512) * MiB });
    expect(later.usage?.nodes.has(workerName(2))).toBe(false);

    const tight = applyCount(startWorld(cycle(recorded, 3), DELAY), T0, 1, DELAY);
    const alone = worldSnapshot(tight, cycle(recorded, 3, T0 + DELAY), 't3.medium');
    const pending = alone.pods.filter((p) => p.nodeName === undefined);
    // vm-0 has room for 3 more of them (900m free): 8 displaced, 5 stay pending, Unschedulable.
    expect(pending.map((p) => [p.phase, p.unschedulable, p.unschedulableSince])).toEqual(Array(5).fill(['Pending', true, T0 + DELAY]));
  });

  it('with a worker the recording lacks, makes it from the template with the DaemonSet pods, and runs pending pods there', () => {
    const big = { cpu: 1500, memory: GiB, pods: 1 };
    const recorded = snapshot({
      nodes: [master(), ...workers(2)],
      pods: [
        running('kube-system/agent-0', workerName(0), { ownerKind: 'DaemonSet', requests: { cpu: 100, memory: 128 * MiB, pods: 1 } }),
        running('web/a', workerName(0), { requests: big }),
        running('web/b', workerName(1), { requests: big }),
        unschedulable('web/c', { requests: big }),
        unschedulable('web/d', { requests: big }),
        pod('web/never', { phase: 'Pending', unschedulable: true, nodeSelector: { gpu: 'yes' } }),
      ],
    });
    const world = applyCount(startWorld(cycle(recorded, 2), DELAY), T0, 3, DELAY);
    const later = worldSnapshot(world, cycle(recorded, 2, T0 + DELAY), 't3.medium');
    const vm2 = later.nodes.find((n) => n.name === workerName(2));
    expect(vm2).toMatchObject({ worker: true, index: 2, ready: true, allocatable: worker(0).allocatable });
    expect(vm2?.labels['kubernetes.io/hostname']).toBe(workerName(2));
    const onVm2 = later.pods.filter((p) => p.nodeName === workerName(2)).map((p) => p.key);
    expect(onVm2).toEqual([`kube-system/agent-0@${workerName(2)}`, 'web/c']);
    expect(
      later.pods
        .filter((p) => p.nodeName === undefined)
        .map((p) => p.key)
        .sort(),
    ).toEqual(['web/d', 'web/never']);
    // Its use: the agent's, and web/c at the pool's ratio of use to requests (1:1 here).
    expect(later.usage?.nodes.get(workerName(2))).toEqual({ cpu: 100 + 1500, memory: 128 * MiB + GiB });
  });
});
