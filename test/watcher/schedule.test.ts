import { afterEach, describe, expect, it } from 'vitest';
import type { Timer, TimerHandle } from '../../src/kube/backoff.js';
import type { KubeSim } from '../../src/sim/kube/index.js';
import { runWatch } from '../../src/watcher/index.js';
import { createLogger } from '../../src/watcher/log.js';
import { WatcherMetrics } from '../../src/watcher/metrics.js';
import { withoutRetries } from '../github/autoscale-support.js';
import { client } from '../sim/github/support.js';
import { eventually } from '../sim/kube/support.js';
import { branchDiff, demoConfig, FILE, githubWrites, OWNER, pullRequests, REPO, readerOf, startWorlds, WATCHER_TOKEN } from './support.js';

// A business-hours schedule against both simulators: weekdays 08:00 to 18:00 in Warsaw, min 6, a
// 15m lead, on the example cluster (3 workers, min 2). The simulated clock starts on Monday 3 March
// 2025 at 07:30 in Warsaw (06:30Z) and moves only when the test moves it.

const utc = (iso: string): number => Date.parse(`${iso}Z`);
const MONDAY_0730 = utc('2025-03-03T06:30:00');
const LEAD_STARTS = utc('2025-03-03T06:45:00'); // 07:45 in Warsaw
const CLOSES = utc('2025-03-03T17:00:00'); // 18:00

const SCHEDULE = [
  '      schedules:',
  '        - name: business-hours',
  '          start: "0 8 * * 1-5"',
  '          end: "0 18 * * 1-5"',
  '          timezone: Europe/Warsaw',
  '          min: 6',
  '          lead: 15m',
];
const config = demoConfig().replace('      max: 10\n', `      max: 10\n${SCHEDULE.join('\n')}\n`);

/** Moves the simulated clock to `at`. */
const advanceTo = (kube: KubeSim, at: number): void => kube.cluster.advance((at - kube.cluster.clock.now()) / 1000);

describe('a business-hours schedule', () => {
  it('opens the scale-up PR before the window, naming it; the next cycles leave it be', async () => {
    const w = await startWorlds({ config, start: MONDAY_0730 });
    const first = await w.cycle();
    expect(first.decision).toMatchObject({ current: 3, desired: 3, direction: 'hold' });
    expect(w.watcher.nextScheduleEdge()).toEqual({ at: LEAD_STARTS, min: 6 });

    advanceTo(w.kube, LEAD_STARTS);
    const writes = githubWrites(w.github);
    const report = await w.cycle();
    expect(report.decision).toMatchObject({
      current: 3,
      desired: 6,
      direction: 'up',
      rule: { kind: 'scheduled-min', min: 6, base: 2, window: { name: 'business-hours', opensAt: utc('2025-03-03T07:00:00') } },
    });
    expect(report.result).toMatchObject({ action: 'opened', number: 1 });
    expect(writes()).toEqual(['POST git/trees', 'POST git/commits', 'POST git/refs', 'POST pulls', 'POST issues/1/labels']);

    const [pr, ...others] = await pullRequests(w.octokit);
    expect(others).toEqual([]);
    expect(pr).toMatchObject({ title: 'Scale shop kubernetes_node 3 → 6', state: 'open', labels: ['autoscaler', 'scale-up'] });
    expect(await branchDiff(w.github.bare)).toEqual([
      '-      count: 3  # managed by lambdastack-autoscaler within the bounds below',
      '+      count: 6  # managed by lambdastack-autoscaler within the bounds below',
    ]);
    expect(pr?.body).toContain(
      '**Why:** window business-hours (2025-03-03 08:00 to 18:00 Europe/Warsaw) raises min to 6, 15m before it opens: 3 → 6',
    );
    expect(pr?.body).toContain(
      '- **Schedule:** window `business-hours` (start `0 8 * * 1-5`, end `0 18 * * 1-5`, Europe/Warsaw, lead 15m) keeps min at 6 ' +
        "from before it opens, 2025-03-03 08:00 to 18:00 Europe/Warsaw; the component's own min is 2",
    );
    expect(pr?.body).toContain('- **Rule:** `scheduled-min`');

    // The window opens: the same decision, which the PR already proposes.
    advanceTo(w.kube, utc('2025-03-03T07:00:00'));
    expect((await w.cycle()).result).toMatchObject({ action: 'unchanged', number: 1 });
    expect(writes()).toHaveLength(5);
    expect(w.watcher.nextScheduleEdge()).toEqual({ at: CLOSES, min: 2 });
  });

  it('merged and applied, holds the nodes through the window; at its close the usual rules remove one idle worker, 10 minutes on', async () => {
    const w = await startWorlds({ config, start: LEAD_STARTS });
    expect((await w.cycle()).result?.action).toBe('opened');
    await w.octokit.pulls.merge({ owner: OWNER, repo: REPO, pull_number: 1, merge_method: 'merge' });
    for (let i = 0; i < 3; i++) w.kube.cluster.addNode(w.kube.nextWorkerName());
    w.kube.cluster.advance(15);
    const reader = readerOf(w);
    await eventually('six Ready workers in the cache', () =>
      reader.caches.nodes.list().filter((e) => e.view.ready && e.view.name.includes('-kubernetes-node-vm-')).length === 6
        ? true
        : undefined,
    );
    const writes = githubWrites(w.github);
    advanceTo(w.kube, utc('2025-03-03T12:00:00'));
    const midday = await w.cycle();
    expect(midday.decision).toMatchObject({ current: 6, desired: 6, direction: 'hold' });
    expect(midday.decision.evidence?.scaleDown.gates).toContainEqual({ kind: 'at-min', min: 6 });

    // 18:00: min is 2 again, and six idle workers are more than needed; none goes before it has
    // been unneeded for scale_down_unneeded_time.
    advanceTo(w.kube, CLOSES);
    const closed = await w.cycle();
    expect(closed.decision).toMatchObject({ current: 6, desired: 6, direction: 'hold' });
    expect(closed.decision.evidence?.bounds).toEqual({ min: 2, max: 10 });
    expect(closed.decision.reason).toBe(
      'no change needed: stays at 6 (demo-shop-kubernetes-node-vm-5 unneeded, removable at 2025-03-03T17:10:00.000Z)',
    );
    expect(writes()).toEqual([]);

    // The usual scale-down: one idle worker, once unneeded for 10 minutes.
    advanceTo(w.kube, CLOSES + 10 * 60_000);
    const later = await w.cycle();
    expect(later.decision).toMatchObject({ current: 6, desired: 5, direction: 'down', rule: { kind: 'unneeded-nodes' } });
    expect(later.result).toMatchObject({ action: 'opened', number: 2 });
    expect((await pullRequests(w.octokit)).map((pr) => [pr.title, pr.state])).toEqual([
      ['Scale shop kubernetes_node 3 → 6', 'closed'],
      ['Scale shop kubernetes_node 6 → 5', 'open'],
    ]);
  });
});

describe('the watch loop with a schedule', () => {
  const running: Array<{ stop: AbortController; done: Promise<unknown> }> = [];
  afterEach(async () => {
    for (const run of running.splice(0)) {
      run.stop.abort();
      await run.done.catch(() => {});
    }
  });

  /** The simulator's clock as the watcher's, timers included: a wait ends only when the test moves the clock past it. */
  function simClockTimer(kube: KubeSim): Timer & { dues: number[] } {
    const { clock } = kube.cluster;
    const cancels = new Map<number, () => void>();
    let next = 0;
    const dues: number[] = [];
    return {
      dues,
      now: () => clock.now(),
      setTimeout: (callback, ms): TimerHandle => {
        const id = next++;
        dues.push(clock.now() + ms);
        cancels.set(id, clock.at(clock.now() + ms, callback));
        return id;
      },
      clearTimeout: (handle) => {
        cancels.get(handle as number)?.();
        cancels.delete(handle as number);
      },
    };
  }

  it('wakes at the lead of the window rather than at its interval, and opens the PR then', async () => {
    const w = await startWorlds({ config, start: MONDAY_0730 });
    const timer = simClockTimer(w.kube);
    const logs: Array<Record<string, unknown>> = [];
    const stop = new AbortController();
    const done = runWatch(
      { owner: OWNER, repo: REPO, configPath: FILE, dryRun: false, autoMerge: false, once: false, intervalMs: 3_600_000, port: 0 },
      {
        github: withoutRetries(client(w.github.sim)),
        kubeConfig: w.kubeConfig,
        log: createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)), secrets: [WATCHER_TOKEN] }),
        secrets: [WATCHER_TOKEN],
        stop: stop.signal,
        timer,
        random: () => 0.5,
        metrics: new WatcherMetrics({ processMetrics: false }),
      },
    );
    running.push({ stop, done });

    // After the first cycle, the loop waits for 07:45, not for the hour of its interval.
    await eventually('the loop waiting for the window', () => (timer.dues.includes(LEAD_STARTS) ? true : undefined));
    expect(logs.filter((line) => line.msg === 'cycle').map((line) => line.direction)).toEqual(['hold']);
    advanceTo(w.kube, LEAD_STARTS);
    const opened = await eventually('the PR opened at 07:45', () => logs.find((line) => line.msg === 'cycle' && line.pr === 'opened'));
    expect(opened).toMatchObject({ number: 1, current: 3, desired: 6, rule: 'scheduled-min' });
    expect((await pullRequests(w.octokit)).map((pr) => pr.title)).toEqual(['Scale shop kubernetes_node 3 → 6']);
    stop.abort();
    await done;
  });
});
