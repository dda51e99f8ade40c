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

const MARK: Record<string, string> = { success: '✓', failure: '✗', skipped: '–' };

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

  /** A workflow run: one line per step. */
  run(title: string, run: WorkflowRun, label: string): void {
    this.timed(`${title}: run ${run.id} [${label}]`, run.durationMs);
    const width = Math.max(...run.steps.map((step) => step.name.length));
    for (const step of run.steps) {
      const text = `  ${MARK[step.status] ?? '?'} ${step.name.padEnd(width)}  ${step.summary}`;
      if (step.status === 'skipped') this.note(text);
      else this.timed(text, step.durationMs);
    }
    if (this.options.logs) this.note(`  logs and job summaries: ${run.logs}`);
  }

  /** The end of a stage: its time. */
  done(ms: number): void {
    this.io.out(`${' '.repeat(WIDTH - seconds(ms).length - 'stage: '.length)}stage: ${seconds(ms)}`);
  }
}
