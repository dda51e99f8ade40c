import { describe, expect, it } from 'vitest';
import { jobRuns } from '../../src/workflow/index.js';
import { job, printed, run, workflowRepository } from './support.js';

describe('jobs and their needs', () => {
  it('fans a job out over a matrix read with fromJSON from another job, and decides each job and step by its if:', async () => {
    const repository = await workflowRepository('graph.yml');
    const result = await run(repository, 'graph.yml');

    expect(result.jobs.map((j) => [j.name, j.result])).toEqual([
      ['plan', 'success'],
      ['apply ({"name":"shop","nodes":3})', 'success'],
      ['apply ({"name":"analytics","nodes":2})', 'failure'],
      ['report', 'success'],
      ['after-apply', 'skipped'],
      ['tolerant', 'success'],
      ['tolerated', 'success'],
    ]);
    expect(result.conclusion).toBe('failure');

    const [shop, analytics] = jobRuns(result, 'apply');
    expect(shop?.matrix).toEqual({ cluster: { name: 'shop', nodes: 3 } });
    expect(shop?.concurrency).toEqual({ group: 'apply-shop', cancelInProgress: false });
    expect(analytics?.concurrency).toEqual({ group: 'apply-analytics', cancelInProgress: false });
    expect(shop?.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['Run echo "applied=shop:3" >> "$GITHUB_OUTPUT"', 'success'],
      ['Fails for analytics', 'skipped'],
      ['Only after a failure', 'skipped'],
      ['Not after a failure', 'success'],
      ['Always', 'success'],
    ]);
    expect(analytics?.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['Run echo "applied=analytics:2" >> "$GITHUB_OUTPUT"', 'success'],
      ['Fails for analytics', 'failure'],
      ['Only after a failure', 'success'],
      ['Not after a failure', 'skipped'],
      ['Always', 'success'],
    ]);
    const lines = printed(result);
    expect(lines).toContain('cleaning up analytics');
    expect(lines).toContain('always shop success 0/2');
    expect(lines).toContain('always analytics failure 1/2');
    // A matrix job's outputs: the last combination that set one wins; its result is failure if any failed.
    expect(lines).toContain('apply was failure, applied analytics:2, plan was success');
    expect(job(result, 'after-apply').message).toBe('it needs apply, which did not succeed');
    expect(lines).toContain('flaky outcome=failure conclusion=success');
    // A job that fails under continue-on-error does not fail the run.
    expect(result.log).toContainEqual(
      expect.stringMatching(/^job tolerated: failure \(continue-on-error\) in .*: step 1 Run exit 2 failed: exit code 2$/),
    );
    expect(result.log).toContain('job apply: 2 matrix combinations, run one at a time (fail-fast false, max-parallel 1 noted)');
    expect(result.log).toContain(
      '  concurrency group apply-shop, cancel-in-progress false (noted: a local run neither waits for nor cancels other runs)',
    );
  });

  it('cancels the combinations not yet run when one fails under fail-fast, after include and exclude', async () => {
    const repository = await workflowRepository('fail-fast.yml');
    const result = await run(repository, 'fail-fast.yml');
    expect(result.jobs.map((j) => [j.name, j.result, j.message])).toEqual([
      ['legs (1)', 'failure', 'step 2 Run exit 1 failed: exit code 1'],
      ['legs (2, two)', 'cancelled', 'fail-fast: another combination failed'],
    ]);
    expect(printed(result)).toContain('leg 1 ');
  });

  it('runs one job and the jobs it needs with --job', async () => {
    const repository = await workflowRepository('graph.yml');
    const result = await run(repository, 'graph.yml', { job: 'tolerant' });
    expect(result.jobs.map((j) => j.name)).toEqual(['tolerant']);
    const withNeeds = await run(repository, 'graph.yml', { job: 'report' });
    expect(withNeeds.jobs.map((j) => j.id)).toEqual(['plan', 'apply', 'apply', 'report']);
    await expect(run(repository, 'graph.yml', { job: 'nope' })).rejects.toThrow(
      '--job nope: the workflow has no such job (its jobs: plan, apply, report, after-apply, tolerant, tolerated)',
    );
  });
});
