/**
 * How the demo talks: a header per stage, what runs with how long it took, the links (PRs,
 * commits), and a workflow run as its steps. Plain text, so it reads the same in a terminal, a CI
 * log and a file.
 */
import type { Io } from '../cli/io.js';
import type { WorkflowRun } from './workflows/types.js';

const WIDTH = 100;

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
export const short = (sha: string): string => sha.slice(0, 7);

/**
 * The lines of a run's log the demo shows as it runs: each job as it starts and ends, each step as
 * it ends (with its outcome and time, or why it was skipped), and the errors and warnings the steps
 * raise. The steps' own output (terraform's, ansible's), the summaries and the closing lines stay
 * in the run's log file.
 */
export function isProgressLine(line: string): boolean {
  return /^job |^ {2}[✓✗-] step |^ {4}(error|warning)\b|^not triggered: /.test(line);
}

export class Reporter {
  private stage = 0;

  /** `logs`: say where each run's logs are (when the workdir is kept). */
  constructor(
    private readonly io: Io,
    private readonly options: { logs: boolean } = { logs: false },
  ) {}

  /** A line as it is. */
  say(text = ''): void {
    this.io.out(text);
  }

  /** An indented line. */
  note(text: string): void {
    this.io.out(`  ${text}`);
  }

  /** The start of the next stage. */
  header(title: string): void {
    this.stage++;
    const head = `━━ ${this.stage}. ${title} `;
    this.io.out(`\n${head}${'━'.repeat(Math.max(3, WIDTH - head.length))}`);
  }

  /** Something that ran, with its time at the right. */
  timed(text: string, ms: number): void {
    const line = `  ${text}`;
    const time = seconds(ms);
    this.io.out(`${line}${' '.repeat(Math.max(2, WIDTH - line.length - time.length))}${time}`);
  }

  /** A workflow run about to start. */
  runStarts(title: string, what: string): void {
    this.note(`▶ ${title}: ${what}`);
  }

  /** A line of a workflow run, as it runs: the progress lines only (see progressLine). */
  workflowLine(line: string): void {
    if (isProgressLine(line)) this.note(`  ${line}`);
  }

  /** A workflow run once it ended: how, and what each step did (from its outputs). */
  run(title: string, run: WorkflowRun): void {
    this.timed(`${title}: run ${run.id} ${run.ok ? 'succeeded' : 'failed'}`, run.durationMs);
    for (const step of run.jobs.flatMap((job) => job.steps)) {
      if (step.status === 'success' && step.summary !== '') this.note(`  ${step.name}: ${step.summary}`);
    }
    if (this.options.logs) this.note(`  log and job summaries: ${run.logs}`);
  }

  /** The end of a stage: its time. */
  done(ms: number): void {
    this.io.out(`${' '.repeat(WIDTH - seconds(ms).length - 'stage: '.length)}stage: ${seconds(ms)}`);
  }
}
