/**
 * The story the demo tells, stage by stage, on a started world: load rises, the watcher opens the
 * autoscale PR, pr.yml comments its plan, a reviewer merges it, apply.yml adds the nodes (packer,
 * terraform, ansible: the new kubelets register), the pending pods run; load falls, after the
 * window the watcher opens a scale-down PR, it is merged, apply.yml drains exactly the node the
 * plan destroys and applies; someone scales by hand from the Actions tab (scale.yml), that PR is
 * merged and applied (the image is reused); the scale history closes it.
 *
 * Each stage says what runs, how long it took and the links, and ends by telling `after` (the
 * end-to-end test checks the world there). A stage that does not go as told stops the demo.
 */
import { DEFAULT_CONFIG_DIR, WORKER_COMPONENT } from '../config/index.js';
import { InterruptedError, UserError } from '../errors.js';
import { scaleHistory } from '../git/history.js';
import { PLAN_COMMENT_MARKER } from '../github/plan-comment.js';
import { type HistoryEntry, historyToMarkdown } from '../history/index.js';
import type { CycleReport } from '../watcher/watcher.js';
import { historyChart } from './chart.js';
import { WORKLOAD } from './cluster.js';
import { type PullRequestView, shortPull } from './github.js';
import { type Reporter, short } from './report.js';
import { nodeList } from './workflows/describe.js';
import type { WorkflowEvent, WorkflowFile, WorkflowRun } from './workflows/types.js';
import { ACTOR, type DemoWorld } from './world.js';

export const STAGES = [
  'load-rises',
  'scale-up-pr',
  'scale-up-check',
  'scale-up-merge',
  'scale-up-apply',
  'pods-run',
  'load-falls',
  'scale-down-pr',
  'scale-down-check',
  'scale-down-merge',
  'scale-down-apply',
  'manual-scale',
  'manual-check',
  'manual-merge',
  'manual-apply',
  'history',
] as const;
export type StageId = (typeof STAGES)[number];

export type Change = 'up' | 'down' | 'manual';

const STAGE_PREFIX = { up: 'scale-up', down: 'scale-down', manual: 'manual' } as const satisfies Record<Change, string>;
/** The stage that checks, merges or applies a change's PR. */
const stageOf = (change: Change, step: 'check' | 'merge' | 'apply'): StageId => `${STAGE_PREFIX[change]}-${step}`;

/** What the stages found, for the stages after them and for the test. */
export interface Story {
  /** Workload replicas: at the start, at the peak, after the fall. */
  replicas: { start: number; peak: number; low: number };
  /** The manual scale's count, and why. */
  manual: { count: number; reason: string };
  pulls: Partial<Record<Change, number>>;
  merges: Partial<Record<Change, { before: string; after: string }>>;
  /** Every workflow run, in order. */
  runs: Array<{ workflow: WorkflowFile; change: Change; run: WorkflowRun }>;
  /** Simulated seconds from the load falling to the scale-down PR. */
  scaleDownAfter?: number;
  history: HistoryEntry[];
}

export interface ScenarioOptions {
  /** The demo's stop request: checked between stages (child processes are stopped by it at once). */
  signal?: AbortSignal;
  /** Called after each stage, with what the stages found so far. */
  after?: (stage: StageId, story: Story) => Promise<void>;
}

export async function runScenario(world: DemoWorld, reporter: Reporter, options: ScenarioOptions = {}): Promise<Story> {
  const start = world.config.counts[WORKER_COMPONENT] ?? 0;
  const story: Story = {
    replicas: { start, peak: start + 2, low: Math.max(1, start - 1) },
    manual: { count: start + 3, reason: 'the Friday sale starts at noon: room for the traffic ahead of it' },
    pulls: {},
    merges: {},
    runs: [],
    history: [],
  };
  const { cluster, github, watcher } = world;

  const stopped = (): void => {
    if (options.signal?.aborted) throw new InterruptedError(String(options.signal.reason));
  };
  const stage = async (id: StageId, title: string, body: () => Promise<void>): Promise<void> => {
    stopped();
    reporter.header(title);
    const started = performance.now();
    await body();
    reporter.done(performance.now() - started);
    stopped();
    await options.after?.(id, story);
  };

  const scaleWorkload = async (replicas: number): Promise<void> => {
    const started = performance.now();
    const command = await cluster.scaleWorkload(replicas, world.processes);
    reporter.timed(`$ ${command}`, performance.now() - started);
  };

  const cycle = async (): Promise<CycleReport> => {
    const started = performance.now();
    const report = await watcher.cycle();
    const pr = report.result?.number ? `: PR #${report.result.number} ${report.result.action}` : '';
    reporter.timed(
      `watcher cycle: ${report.decision.direction} ${report.decision.current} → ${report.decision.desired}${pr}`,
      performance.now() - started,
    );
    reporter.note(`  ${report.decision.reason}`);
    return report;
  };

  const openedPull = async (report: CycleReport, change: Change): Promise<void> => {
    const number = report.result?.number;
    if (report.result?.action !== 'opened' || !number) {
      throw new UserError(`the watcher did not open the ${change === 'up' ? 'scale-up' : 'scale-down'} PR: ${report.decision.reason}`);
    }
    story.pulls[change] = number;
    const pull = await github.pull(number);
    reporter.note(`PR #${number} "${pull.title}": ${shortPull(pull)}`);
  };

  const check = (change: Change): Promise<void> =>
    stage(stageOf(change, 'check'), 'pr.yml checks the PR', async () => {
      const number = story.pulls[change] as number;
      const pull = await github.pull(number);
      const event: WorkflowEvent = {
        name: 'pull_request',
        action: 'opened',
        number,
        base: { ref: pull.base, sha: pull.baseSha },
        head: { ref: pull.head, sha: pull.headSha },
      };
      await workflow('pr.yml', change, event, `pr.yml on PR #${number}`);
      const comment = (await github.comments(number)).find((c) => c.body.includes(PLAN_COMMENT_MARKER));
      if (!comment) throw new UserError(`pr.yml left no plan comment on PR #${number}`);
      // The comment's first line of prose: what the plan adds and removes, and its monthly cost change.
      const headline = comment.body.split('\n').find((line) => line.includes('monthly cost change')) ?? '';
      reporter.note(`PR #${number}, plan comment by @${comment.user}: ${headline.replaceAll('**', '')}`);
    });

  const merge = (change: Change): Promise<void> =>
    stage(stageOf(change, 'merge'), 'A reviewer merges the PR', async () => {
      const number = story.pulls[change] as number;
      const started = performance.now();
      const merged = await github.merge(number);
      story.merges[change] = merged;
      const head = await world.repository.pull();
      reporter.timed(
        `merged PR #${number} through the GitHub simulator: main ${short(merged.before)} → ${short(merged.after)}`,
        performance.now() - started,
      );
      reporter.note(
        `the clone in the workdir is at ${short(head)}: ${(await world.repository.git.run(['log', '-1', '--format=%s'])).trim()}`,
      );
    });

  const apply = (change: Change): Promise<void> =>
    stage(stageOf(change, 'apply'), 'apply.yml applies the merge', async () => {
      const merged = story.merges[change] as { before: string; after: string };
      const event: WorkflowEvent = { name: 'push', ref: 'refs/heads/main', before: merged.before, after: merged.after };
      // The pipeline runs in processes of its own, on real time: simulated time runs with it (pods' grace periods pass).
      await cluster.withRunningClock(() =>
        workflow('apply.yml', change, event, `apply.yml on the push ${short(merged.before)}..${short(merged.after)}`),
      );
      const workers = await world.stateWorkers();
      reporter.note(`terraform state (s3://${world.state.bucket}/${world.stateKey}): ${nodeList(workers)}`);
      const removed = await world.machines.removeAllWorkersBut(workers);
      if (removed.length > 0) reporter.note(`machines of destroyed workers removed: ${nodeList(removed)}`);
      reporter.note(cluster.describeWorkers());
    });

  const workflow = async (file: WorkflowFile, change: Change, event: WorkflowEvent, title: string): Promise<WorkflowRun> => {
    reporter.runStarts(title, `.github/workflows/${file} on the ${world.workflows.label}`);
    const run = await world.workflows.run(file, event);
    story.runs.push({ workflow: file, change, run });
    reporter.run(title, run);
    if (!run.ok)
      throw new UserError(
        `${file} failed (run ${run.id}): ${run.error ?? 'a step failed'}; its log is in ${run.logs} (keep it with --keep)`,
      );
    return run;
  };

  await stage('load-rises', 'Load rises', async () => {
    reporter.note(cluster.describeWorkload());
    await scaleWorkload(story.replicas.peak);
    reporter.note(cluster.describeWorkload());
  });

  await stage('scale-up-pr', 'The watcher opens the autoscale PR', async () => {
    await openedPull(await cycle(), 'up');
  });
  await check('up');
  await merge('up');
  await apply('up');

  await stage('pods-run', 'The pending pods run', async () => {
    // The new nodes are Ready; the kubelets start the pods (simulated seconds).
    cluster.advance(cluster.sim.cluster.timing.podStartSeconds + 1);
    reporter.note(cluster.describeWorkload());
    await cycle();
  });

  await stage('load-falls', 'Load falls', async () => {
    await scaleWorkload(story.replicas.low);
    // The pods go after their grace period (simulated seconds).
    cluster.advance(WORKLOAD.terminationGracePeriodSeconds + 1);
    reporter.note(cluster.describeWorkload());
  });

  await stage('scale-down-pr', 'After the window, the watcher opens a scale-down PR', async () => {
    const from = cluster.sim.cluster.clock.now();
    let report = await cycle();
    // Cycles every 20 simulated seconds until the unneeded window has passed (1m for the demo): a bound, not a wait.
    for (let n = 0; n < 12 && report.result?.action !== 'opened'; n++) {
      cluster.advance(20);
      report = await watcher.cycle();
    }
    story.scaleDownAfter = Math.round((cluster.sim.cluster.clock.now() - from) / 1000);
    reporter.note(`after ${story.scaleDownAfter} s of simulated time:`);
    reporter.note(`  ${report.decision.reason}`);
    await openedPull(report, 'down');
  });
  await check('down');
  await merge('down');
  await apply('down');

  await stage('manual-scale', 'Someone scales by hand: scale.yml from the Actions tab', async () => {
    const inputs = {
      cluster: world.config.name,
      component: WORKER_COMPONENT,
      count: String(story.manual.count),
      reason: story.manual.reason,
    };
    reporter.note(
      `Run workflow (as @${ACTOR}): ${Object.entries(inputs)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' ')}`,
    );
    const before = new Set((await github.pulls()).map((pull) => pull.number));
    await workflow('scale.yml', 'manual', { name: 'workflow_dispatch', ref: 'refs/heads/main', inputs, actor: ACTOR }, 'scale.yml');
    const opened = (await github.pulls()).filter((pull: PullRequestView) => !before.has(pull.number));
    const [pull] = opened;
    if (!pull) throw new UserError('scale.yml opened no PR');
    story.pulls.manual = pull.number;
    reporter.note(`PR #${pull.number} "${pull.title}": ${shortPull(pull)}`);
  });
  await check('manual');
  await merge('manual');
  await apply('manual');

  await stage('history', 'The scale history', async () => {
    const started = performance.now();
    story.history = await scaleHistory({ cwd: world.workdir, paths: [DEFAULT_CONFIG_DIR] });
    reporter.timed(`$ lambdastack-autoscaler history --markdown   (in ${world.workdir})`, performance.now() - started);
    reporter.say();
    reporter.say(historyToMarkdown(story.history).trimEnd());
    reporter.say();
    reporter.say(historyChart(story.history).trimEnd());
  });
  return story;
}
