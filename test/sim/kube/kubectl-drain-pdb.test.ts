import { describe, expect, it } from 'vitest';
import { startSim } from './support.js';

// In a file of its own so vitest runs it beside the other kubectl tests: it takes --timeout (8 s).
describe('kubectl drain and a PodDisruptionBudget that allows no disruption', () => {
  it('keeps retrying the evictions the API refuses with 429, then fails at its --timeout', async () => {
    const handle = await startSim({
      config: 'cluster-config/aws-demo.yml',
      scenario: {
        workloads: [{ name: 'web', replicas: 3, requests: { cpu: '200m' } }],
        pdbs: [{ name: 'web', selector: { app: 'web' }, minAvailable: '100%' }],
      },
    });
    try {
      const node = handle.sim.cluster.pods('default')[0]?.spec.nodeName as string;
      const drain = await handle.kubectl(['drain', node, '--ignore-daemonsets', '--delete-emptydir-data', '--timeout=8s']);
      expect(drain.exitCode).toBe(1);
      expect(drain.ms).toBeGreaterThan(8000);
      expect(drain.stdout).toContain(`node/${node} cordoned`);
      expect(drain.stderr).toMatch(
        /error when evicting pods\/"web-\w+-\w+" -n "default" \(will retry after 5s\): Cannot evict pod as it would violate the pod's disruption budget\./,
      );
      expect(drain.stderr).toContain('global timeout reached: 8s');
      expect(drain.stderr).toContain(`error: unable to drain node "${node}"`);
      // Nothing was evicted: every web pod still runs, the node stays cordoned.
      const web = handle.sim.cluster.pods('default');
      expect(web.filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp)).toHaveLength(3);
      expect(handle.sim.cluster.nodes().find((n) => n.metadata.name === node)?.spec.unschedulable).toBe(true);
    } finally {
      await handle.close();
    }
  });
});
