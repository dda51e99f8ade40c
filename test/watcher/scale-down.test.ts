import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { CycleReport } from '../../src/watcher/watcher.js';
import { branchDiff, demoConfig, githubCalls, githubWrites, pullRequests, startWorlds, type Worlds } from './support.js';

// A quiet cluster against both simulators, on the kube simulator's clock (stopped: only advance()
// moves it): the highest worker is proposed for removal only after scale_down_unneeded_time, and
// never while it holds an opt-out pod, a PodDisruptionBudget would block, or metrics are missing.

const UNNEEDED = '1m';
const HIGHEST = 'demo-shop-kubernetes-node-vm-2';
const quietConfig = (): string => demoConfig({ min: 2, max: 10, scale_down_unneeded_time: UNNEEDED });

/** Cycles across the unneeded window: one now, one halfway, one just after it ends. */
async function acrossTheWindow(w: Worlds): Promise<CycleReport[]> {
  const reports = [await w.cycle()];
  w.kube.cluster.advance(30);
  reports.push(await w.cycle());
  w.kube.cluster.advance(31);
  reports.push(await w.cycle());
  return reports;
}

function blockersOf(report: CycleReport | undefined): string[] {
  return (report?.decision.evidence?.scaleDown.candidates ?? []).flatMap((c) => c.blockers.map((b) => `${c.node}: ${b.rule}`));
}

describe('a quiet cluster', () => {
  it('gets a scale-down PR for its highest worker only once the unneeded time has passed', async () => {
    const w = await startWorlds({ config: quietConfig() });
    const first = await w.cycle();
    expect(first.decision).toMatchObject({ direction: 'hold', rule: { kind: 'no-change' } });
    expect(first.decision.reason).toMatch(new RegExp(`${HIGHEST} unneeded, removable at`));
    // A watcher that has just started does not know whether a PR is open: it looks once.
    expect(first.result).toMatchObject({ action: 'unchanged', number: null });

    // Idle: the config read, a 304, is the only call.
    w.kube.cluster.advance(30);
    const calls = githubCalls(w.github);
    const halfway = await w.cycle();
    expect(halfway.decision.direction).toBe('hold');
    expect(calls()).toEqual(['GET contents/cluster-config/aws-demo.yml 304']);
    expect(halfway.githubCalls).toBe(1);

    w.kube.cluster.advance(31);
    const after = await w.cycle();
    expect(after.decision).toMatchObject({ current: 3, desired: 2, direction: 'down', rule: { kind: 'unneeded-nodes', nodes: [HIGHEST] } });
    expect(after.result?.action).toBe('opened');
    const [pr, ...others] = await pullRequests(w.octokit);
    expect(others).toEqual([]);
    expect(pr).toMatchObject({ title: 'Scale shop kubernetes_node 3 → 2', labels: ['autoscaler', 'scale-down'] });
    expect(pr?.body).toContain(`- ${HIGHEST}`);
    // The chart of the window: the three cycles' samples, labelled by their age at the decision.
    expect(pr?.body).toContain(
      '```mermaid\nxychart-beta\n  title "Pending pods (bars), CPU requested and used in % of allocatable (lines)"',
    );
    expect(pr?.body).toContain('  x-axis ["-1m1s", "-31s", "now"]');
    expect(pr?.body).toMatch(new RegExp(`\\| ${HIGHEST} \\| \\d+% \\| \\d+% \\| \\d+% \\| \\d+% \\| [^|]+ \\| removable \\|`));
    expect(await branchDiff(w.github.bare)).toEqual([
      '-      count: 3  # managed by lambdastack-autoscaler within the bounds below',
      '+      count: 2  # managed by lambdastack-autoscaler within the bounds below',
    ]);
  });

  it('keeps a worker holding a pod annotated safe-to-evict "false"', async () => {
    const w = await startWorlds({ config: quietConfig() });
    const kc = new KubeConfig();
    kc.loadFromString(w.kube.kubeConfigYaml);
    await kc.makeApiClient(CoreV1Api).createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'batch', annotations: { 'cluster-autoscaler.kubernetes.io/safe-to-evict': 'false' } },
        spec: {
          nodeName: HIGHEST,
          containers: [{ name: 'batch', image: 'busybox', resources: { requests: { cpu: '100m', memory: '64Mi' } } }],
        },
      },
    });
    w.kube.cluster.advance(2);
    const writes = githubWrites(w.github);
    const reports = await acrossTheWindow(w);
    expect(reports.map((r) => r.decision.direction)).toEqual(['hold', 'hold', 'hold']);
    expect(blockersOf(reports.at(-1))).toEqual([`${HIGHEST}: not-safe-to-evict`]);
    expect(reports.at(-1)?.decision.reason).toContain(`${HIGHEST} stays: pod default/batch is annotated safe-to-evict: "false"`);
    expect(writes()).toEqual([]);
  });

  it('keeps a worker whose pods a PodDisruptionBudget will not let go', async () => {
    const w = await startWorlds({ config: quietConfig() });
    w.kube.cluster.createDeployment({
      name: 'db',
      replicas: 1,
      requests: { cpu: '100m', memory: '128Mi' },
      nodeSelector: { 'kubernetes.io/hostname': HIGHEST },
    });
    w.kube.cluster.createPodDisruptionBudget({ name: 'db', selector: { app: 'db' }, minAvailable: 1 });
    w.kube.cluster.advance(2);
    const writes = githubWrites(w.github);
    const reports = await acrossTheWindow(w);
    expect(reports.map((r) => r.decision.direction)).toEqual(['hold', 'hold', 'hold']);
    expect(blockersOf(reports.at(-1))).toEqual([`${HIGHEST}: disruption-budget`]);
    expect(writes()).toEqual([]);
    expect(await pullRequests(w.octokit)).toEqual([]);
  });

  it('proposes no scale-down while metrics.k8s.io does not answer', async () => {
    const w = await startWorlds({ config: quietConfig() });
    w.kube.cluster.setMetricsAvailable(false);
    const writes = githubWrites(w.github);
    const reports = await acrossTheWindow(w);
    expect(reports.map((r) => r.decision.direction)).toEqual(['hold', 'hold', 'hold']);
    expect(reports.at(-1)?.decision.evidence?.scaleDown.gates).toEqual([{ kind: 'metrics-unavailable' }]);
    expect(writes()).toEqual([]);
    expect(w.logs.filter((line) => line.msg === 'no node metrics: no scale-down until metrics.k8s.io answers')).toHaveLength(1);

    // Back: the unneeded clock starts again from the first cycle that measures.
    w.kube.cluster.setMetricsAvailable(true);
    const back = await acrossTheWindow(w);
    expect(back.map((r) => r.decision.direction)).toEqual(['hold', 'hold', 'down']);
  });
});
