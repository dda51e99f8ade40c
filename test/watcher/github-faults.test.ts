import { describe, expect, it } from 'vitest';
import { TransientError } from '../../src/errors.js';
import { bigPods, githubWrites, pullRequests, startWorlds, unschedulableSeen } from './support.js';

// GitHub answering 5xx, through the fault proxy in front of the simulator (the watcher's client
// does not retry here: the next cycle is the retry). A failed cycle is a TransientError that
// writes nothing it should not, and the next one finishes the job with the same single PR.

describe('GitHub failing', () => {
  it('a 502 on the config read: the cycle fails as temporary, writes nothing, and the next one goes on', async () => {
    const w = await startWorlds({ faults: true });
    w.proxy?.fail({ method: 'GET', path: /\/contents\//, when: 'before' });
    const writes = githubWrites(w.github);
    await expect(w.cycle()).rejects.toBeInstanceOf(TransientError);
    expect(w.watcher.readiness()).toMatchObject({ ready: false, reason: expect.stringContaining('has not synced yet') });
    expect(writes()).toEqual([]);

    const next = await w.cycle();
    expect(next.decision.rule.kind).toBe('no-change');
    expect(w.watcher.readiness().ready).toBe(true);
    expect(w.proxy?.unused()).toEqual([]);
  });

  it('the answer to opening the PR lost (the PR was opened): the next cycle finds it and finishes it; still one PR', async () => {
    const w = await startWorlds({ faults: true });
    await w.cycle();
    bigPods(w);
    await unschedulableSeen(w, 3);
    w.proxy?.fail({ method: 'POST', path: /\/pulls$/, when: 'after' });
    await expect(w.cycle()).rejects.toThrow(/GitHub: cannot open the pull request for autoscale\/shop \(HTTP 502\)/);
    // A temporary failure keeps the watcher ready: it is retried, and nothing is wrong with the input.
    expect(w.watcher.readiness().ready).toBe(true);
    expect((await pullRequests(w.octokit)).map((pr) => [pr.number, pr.labels])).toEqual([[1, []]]);

    const writes = githubWrites(w.github);
    const retried = await w.cycle();
    expect(retried.result).toMatchObject({ action: 'updated', number: 1 });
    expect(writes()).toEqual(['POST issues/1/labels']);
    expect((await w.cycle()).result).toMatchObject({ action: 'unchanged', number: 1 });
    expect((await pullRequests(w.octokit)).map((pr) => [pr.number, pr.state, pr.labels])).toEqual([
      [1, 'open', ['autoscaler', 'scale-up']],
    ]);
    expect(w.proxy?.unused()).toEqual([]);
    expect(await w.metrics.registry.getSingleMetricAsString('lambdastack_autoscaler_api_errors_total')).toContain(
      'lambdastack_autoscaler_api_errors_total{api="github",kind="server"} 1',
    );
  });

  it('GitHub down while the branch is created: no PR, then one PR on the next cycle', async () => {
    const w = await startWorlds({ faults: true });
    await w.cycle();
    bigPods(w);
    await unschedulableSeen(w, 3);
    w.proxy?.fail({ method: 'POST', path: /\/git\/refs$/, when: 'before', status: 503 });
    await expect(w.cycle()).rejects.toBeInstanceOf(TransientError);
    expect(await pullRequests(w.octokit)).toEqual([]);

    expect((await w.cycle()).result).toMatchObject({ action: 'opened', number: 1 });
    expect((await pullRequests(w.octokit)).map((pr) => pr.number)).toEqual([1]);
  });
});
