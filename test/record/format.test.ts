// The recording format: a cycle's line holds what the decision engine reads, so deciding on a
// line read back decides as the watcher did; and it holds no pod or budget name unless asked.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/index.js';
import type { ClusterSnapshot, PodView } from '../../src/policy/snapshot.js';
import { decodeLine, encodeCycle, type RecordedCycle, type RecordLine, recordLineSchema } from '../../src/record/format.js';
import { master, running, snapshot, T0, unschedulable, worker, workerName } from '../policy/builders.js';
import { runTrace } from '../policy/world.js';
import { recordStep, traceArb } from './traces.js';

function readBack(line: RecordLine): RecordedCycle {
  // Through JSON and the schema, as the reader does.
  const parsed = recordLineSchema.parse(JSON.parse(JSON.stringify(line)));
  const cycle = decodeLine(parsed);
  if (typeof cycle === 'string') throw new Error(cycle);
  return cycle;
}

const byKey = (a: PodView, b: PodView): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
const sortedPods = (s: ClusterSnapshot): ClusterSnapshot => ({ ...s, pods: [...s.pods].sort(byKey) });

describe('the recording format', () => {
  it('property: deciding on a recorded cycle read back decides as on the snapshot itself (its reason too, names kept)', () => {
    fc.assert(
      fc.property(traceArb, fc.boolean(), (trace, podNames) => {
        for (const step of runTrace(trace)) {
          const cycle = readBack(recordStep(step, podNames));
          expect(cycle).toMatchObject({ at: step.now, count: step.count, cluster: 'shop', prefix: 'demo' });
          const again = decide({
            snapshot: cycle.snapshot,
            state: step.stateBefore,
            policy: trace.policy,
            cluster: step.cluster,
            now: cycle.at,
          });
          const { decision } = step.output;
          expect(again.decision.desired).toBe(decision.desired);
          expect(again.decision.rule).toEqual(decision.rule);
          expect(again.state.unneeded).toEqual(step.output.state.unneeded);
          // Without names, a reason that names a budget or pod names the recording's stand-in.
          if (podNames) expect(again.decision.reason).toBe(decision.reason);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('property: with --record-pod-names, a cycle read back is the snapshot itself (pods in another order)', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          const back = readBack(recordStep(step, true)).snapshot;
          expect(sortedPods(back)).toEqual(sortedPods(step.snapshot));
        }
      }),
      { numRuns: 40 },
    );
  });

  it('property: without --record-pod-names, no pod or budget name is in the line', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        for (const step of runTrace(trace)) {
          const text = JSON.stringify(recordStep(step));
          for (const pod of step.snapshot.pods) expect(text).not.toContain(pod.key);
          for (const budget of step.snapshot.budgets) expect(text).not.toContain(budget.key);
          expect(text).not.toContain('app-');
        }
      }),
      { numRuns: 40 },
    );
  });

  it('counts pods of one shape on one node as one row, and lists each label set once', () => {
    const nodes = [master(), worker(0), worker(1)];
    const pods = [
      ...Array.from({ length: 30 }, (_, i) => running(`shop/web-${i}`, workerName(i % 2))),
      unschedulable('shop/big-0', { requests: { cpu: 3000, memory: 2 ** 30, pods: 1 } }),
      unschedulable('shop/big-1', { requests: { cpu: 3000, memory: 2 ** 30, pods: 1 } }),
    ];
    const line = encodeCycle({
      at: T0,
      config: { cluster: 'shop', prefix: 'demo', count: 2, min: 1, max: 5, vmSize: undefined },
      snapshot: snapshot({ nodes, pods }),
      podNames: false,
    });
    expect(line.pods).toEqual([
      [1, 0, 15],
      [2, 0, 15],
      [-1, 1, 2],
    ]);
    expect(line.podShapes[1]).toEqual({
      phase: 'Pending',
      cpu: 3000,
      memory: 2 ** 30,
      pods: 1,
      owner: 'ReplicaSet',
      unschedulable: true,
      since: T0 - 60_000,
    });
    // The nodes share their labels once the hostname (their own name) is left out.
    expect(line.labelSets).toEqual([{ 'kubernetes.io/os': 'linux', 'node-role.kubernetes.io/worker': '' }]);
    expect(line.nodes[1]).toEqual([workerName(0), 1 | 4, 0, 0, 1, 2000, 8 * 2 ** 30, 110, T0 - 3_600_000]);
    expect(line.usage[1]).toEqual([3750, 7.5 * 2 ** 30]);
  });

  it('keeps what the Prometheus query answered, and which query it was', () => {
    const config = { cluster: 'shop', prefix: 'demo', count: 1, min: 1, max: 5, vmSize: undefined };
    const signal = { query: 'sum(rate(http_requests_total[2m]))', targetPerNode: 100 };
    const s = snapshot({ nodes: [master(), worker(0)] });
    const sample = readBack(
      encodeCycle({
        at: T0,
        config,
        snapshot: s,
        metric: { signal, reading: { kind: 'sample', value: 412.5, at: T0 - 1000 } },
        podNames: false,
      }),
    );
    expect(sample.prometheus).toEqual({ query: signal.query, reading: { kind: 'sample', value: 412.5, at: T0 - 1000 } });
    const failed = { kind: 'failed' as const, reason: 'timeout' as const, error: 'the query took longer than 10 s' };
    expect(
      readBack(encodeCycle({ at: T0, config, snapshot: s, metric: { signal, reading: failed }, podNames: false })).prometheus?.reading,
    ).toEqual(failed);
    expect(readBack(encodeCycle({ at: T0, config, snapshot: s, podNames: false })).prometheus).toBeUndefined();
  });

  it("writes a DaemonSet's pods, each pinned to its own node, as one shape", () => {
    const nodes = [master(), ...[0, 1, 2].map((i) => worker(i))];
    const pinned = (i: number) =>
      running(`kube-system/agent-${i}`, workerName(i), {
        ownerKind: 'DaemonSet',
        requiredNodeAffinity: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [workerName(i)] }] }],
      });
    const s = snapshot({ nodes, pods: [0, 1, 2].map(pinned) });
    const line = encodeCycle({
      at: T0,
      config: { cluster: 'shop', prefix: 'demo', count: 3, min: 1, max: 5, vmSize: undefined },
      snapshot: s,
      podNames: true,
    });
    expect(line.podShapes).toHaveLength(1);
    expect(line.affinitySets).toEqual([[{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['$node'] }] }]]);
    expect(readBack(line).snapshot.pods).toEqual(s.pods);
  });
});
