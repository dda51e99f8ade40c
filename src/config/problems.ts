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

/**
 * A config that cannot be used. It carries every problem found, not only the first, so one run
 * of `validate` shows a user everything to fix.
 */
export class ConfigError extends Error {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * A request the tool refuses (an edit outside the bounds, an unknown cluster, a bad argument).
 * The message says what was asked, why it was refused, and what to do instead.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
