import * as core from '@actions/core';
import { ConfigError, type ConfigProblem, describeWithCauses, TransientError, UserError } from '../errors.js';

/** The title of a problem's annotation: GitHub shows it above the message on the file's line. */
const PROBLEM_TITLE = 'Invalid cluster config';

/**
 * Reports each problem as its own error annotation at its file, line and column. With the file
 * relative to the repository root, GitHub shows it on that line in a pull request's diff.
 */
function annotateProblems(problems: readonly ConfigProblem[]): void {
  for (const problem of problems) {
    core.error(problem.message, { title: PROBLEM_TITLE, file: problem.file, startLine: problem.line, startColumn: problem.column });
  }
}

/**
 * What a failed step says. Refusals and invalid configs are the user's to fix, so their message
 * is the whole story and a stack would bury it; anything unexpected is a bug in this tool, and
 * its stack is what a bug report needs.
 */
function failureMessage(error: unknown): string {
  if (error instanceof ConfigError) {
    const files = new Set(error.problems.map((problem) => problem.file)).size;
    return `${error.problems.length} problem(s) in ${files} cluster config file(s); each is annotated at its line`;
  }
  if (error instanceof UserError) return error.message;
  if (error instanceof TransientError) return `${describeWithCauses(error)} (a temporary failure: re-run the job)`;
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `unexpected failure: ${String(error)}`;
}

/**
 * Runs an action's body and turns anything it throws into a failed step (exit code 1 and an
 * error annotation), as actions/typescript-action's `run()` does. A ConfigError's problems are
 * annotated one by one first, so every action that loads configs reports them the same way.
 */
export async function runAction(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigError) annotateProblems(error.problems);
    core.setFailed(failureMessage(error));
  }
}
