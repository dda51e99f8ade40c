/**
 * `lambdastack-autoscaler demo`: the whole loop on one machine (see ./scenario.ts for the story and
 * ./world.ts for what runs). This module owns the demo's lifetime: the workdir, the stop request
 * (SIGINT, SIGTERM, or the caller's signal), and the guarantee that whatever happens, every server
 * and child process it started is stopped, and the workdir removed unless it is kept.
 */
import type { Io } from '../cli/io.js';
import { InterruptedError } from '../errors.js';
import { Processes } from './processes.js';
import { Reporter, seconds } from './report.js';
import { runScenario, type StageId, type Story } from './scenario.js';
import { prepareWorkdir } from './workdir.js';
import { type DemoWorld, startWorld } from './world.js';

export { STAGES, type StageId, type Story } from './scenario.js';
export type { DemoWorld } from './world.js';

export interface DemoOptions {
  /** Where to make the repository (new or empty); default: a new temporary directory. */
  workdir?: string | undefined;
  /** Keep the workdir (the repository, the servers' data, the logs) afterwards. */
  keep: boolean;
  /** Stops the demo as SIGINT does (tests). */
  signal?: AbortSignal;
  /** Called after each stage with the world (tests check it there). */
  after?: (stage: StageId, story: Story, world: DemoWorld) => Promise<void>;
}

export interface DemoResult {
  workdir: string;
  story: Story;
  durationMs: number;
}

export async function runDemo(options: DemoOptions, io: Io): Promise<DemoResult> {
  const started = performance.now();
  const workdir = await prepareWorkdir(options.workdir, options.keep);
  const stop = new AbortController();
  const processes = new Processes(stop.signal);
  const reporter = new Reporter(io, { logs: options.keep });

  // The first signal stops the demo in order; a second one, or an exit that cannot wait (a closed
  // pipe), kills what is left at once.
  const onExit = (): void => {
    processes.killAllNow();
    if (!workdir.keep) workdir.removeNow();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) {
      onExit();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    }
    io.err(`\n${signal}: stopping every server and process the demo started…`);
    stop.abort(signal);
  };
  const onCallerStop = (): void => stop.abort('abort');
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  options.signal?.addEventListener('abort', onCallerStop, { once: true });

  let world: DemoWorld | undefined;
  try {
    reporter.say(`Demo repository: ${workdir.dir}`);
    reporter.say('The whole loop on this machine: a kube simulator, a GitHub simulator over a real git repository,');
    reporter.say('s3rver and dynalite for the terraform state, local machines for ansible, and the watcher.');
    reporter.say();
    world = await startWorld({
      workdir: workdir.dir,
      processes,
      signal: stop.signal,
      progress: (part, ms) => reporter.timed(`started ${part}`, ms),
      note: (text) => reporter.note(text),
      workflowLine: (line) => reporter.workflowLine(line),
    });
    reporter.note(`kube simulator ${world.cluster.sim.url} (kubectl --kubeconfig ${world.cluster.kubeconfig})`);
    reporter.note(`GitHub simulator ${world.github.sim.url}/repos/${world.github.owner}/${world.github.repo}`);
    reporter.note(
      `terraform state s3://${world.state.bucket}/${world.stateKey} on ${world.state.s3}, lock table ${world.state.table} on ${world.state.dynamodb}`,
    );
    reporter.note(`workflows: .github/workflows/*.yml of the repository, on the ${world.workflows.label} (run-workflow)`);
    const current = world;
    const story = await runScenario(current, reporter, {
      signal: stop.signal,
      after: async (stage, told) => options.after?.(stage, told, current),
    });
    const durationMs = performance.now() - started;
    reporter.say(`\nThe demo took ${seconds(durationMs)}.`);
    return { workdir: workdir.dir, story, durationMs };
  } catch (error) {
    // Whatever the scenario threw on the way out, the reason it stopped is the signal.
    if (stop.signal.aborted) throw new InterruptedError(String(stop.signal.reason));
    throw error;
  } finally {
    try {
      await world?.close();
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      options.signal?.removeEventListener('abort', onCallerStop);
      if (workdir.keep) {
        reporter.say(`Kept ${workdir.dir}: \`cd ${workdir.dir} && npx lambdastack-autoscaler history\`; the runs' logs are in .demo/logs.`);
      } else {
        await workdir.remove();
        reporter.say(`Removed ${workdir.dir} (--keep keeps it: the repository, where \`history\` works, and the logs).`);
      }
      process.off('exit', onExit);
    }
  }
}
