/**
 * The error taxonomy of the whole tool, and what each means for a process's exit code.
 *
 * - `UserError`: refused. What was asked cannot be done as asked; the message names the input
 *   and the fix. Retrying the same thing gives the same answer.
 * - `ConfigError`: a cluster config cannot be used; it carries every problem, located as
 *   file:line:column, so one run shows a user everything to fix.
 * - `TransientError`: retry later. Something outside the input failed (git or the file system,
 *   an HTTP 5xx or 429, an API server answering 503); the same request may work next time.
 *   The underlying error is kept as `cause`.
 * - `InterruptedError`: stopped by SIGINT or SIGTERM, after cleaning up (the demo).
 * Anything else is a bug in this tool.
 */

/** One thing wrong with a cluster config, located in its source text (1-based line and column). */
export interface ConfigProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Renders a problem the way compilers do, so editors and CI annotations can jump to it. */
export function formatProblem(problem: ConfigProblem): string {
  return `${problem.file}:${problem.line}:${problem.column}: ${problem.message}`;
}

/** A request the tool refuses. The message says what was asked, why it was refused, and what to do instead. */
export class UserError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** A config that cannot be used, with every problem found (not only the first). */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * A failure that is not the input's fault and may pass: the caller (a watcher cycle, an action
 * step) retries, or reports it as "try again" rather than as a refusal.
 */
export class TransientError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/** Stopped by a signal (Ctrl-C, SIGTERM) after everything started was stopped: not a failure of the input or of the tool. */
export class InterruptedError extends Error {
  constructor(readonly signal: string) {
    super(`stopped by ${signal}`);
    this.name = 'InterruptedError';
  }
}

/** HTTP statuses that mean "not now" rather than "no": server errors, rate limits, timeouts. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

export const EXIT_OK = 0;
/** Invalid config, refused edit, or any other problem with what the user asked for. */
export const EXIT_REFUSED = 1;
/** Bad command line: unknown command or option, missing argument. */
export const EXIT_USAGE = 2;
/** A bug in this tool: reported with its stack so it can be fixed. */
export const EXIT_INTERNAL = 70;
/** Temporary failure (sysexits' EX_TEMPFAIL): git, the disk or a server failed; try again. */
export const EXIT_TRANSIENT = 75;
/** Stopped by SIGINT or SIGTERM: 128 + the signal's number, as a shell reports it. */
export const EXIT_INTERRUPTED: Readonly<Record<string, number>> = { SIGINT: 130, SIGTERM: 143 };

/** The exit code a process ends with for an error it could not handle. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UserError || error instanceof ConfigError) return EXIT_REFUSED;
  if (error instanceof TransientError) return EXIT_TRANSIENT;
  if (error instanceof InterruptedError) return EXIT_INTERRUPTED[error.signal] ?? EXIT_REFUSED;
  return EXIT_INTERNAL;
}

/** An error's message followed by the messages of its causes, so "retry later" says what failed underneath. */
export function describeWithCauses(error: Error): string {
  const parts = [error.message];
  let cause: unknown = error.cause;
  for (let depth = 0; cause !== undefined && depth < 5; depth++) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (!parts.includes(message)) parts.push(message);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return parts.join(': ');
}
