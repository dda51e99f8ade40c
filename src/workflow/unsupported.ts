// What the local runner cannot run, found before anything runs: a run either runs every step it
// reaches as GitHub would, or is refused up front naming each construct and its line.
import type { JobDef, Located, WorkflowDef } from './parse.js';
import { isSupportedShell } from './shell.js';
import { actionName, STAND_IN_NAMES, standInFor } from './stand-ins.js';
import { entry, literalString, type Template } from './template.js';

function* unsupportedNodes(template: Template | undefined): Generator<Located & { what: string }> {
  if (template === undefined) return;
  if (template.kind === 'unsupported') yield { line: template.line, column: template.column, what: template.what };
  if (template.kind === 'sequence') for (const item of template.items) yield* unsupportedNodes(item);
  if (template.kind === 'mapping') for (const [, value] of template.entries) yield* unsupportedNodes(value);
}

function usesProblem(uses: string): string | undefined {
  if (uses.startsWith('./')) return undefined;
  if (uses.startsWith('docker://')) return `a Docker action (uses: ${uses}): steps run on this machine, not in Docker`;
  if (standInFor(uses)) return undefined;
  const action = actionName(uses);
  if (action === undefined) return `uses: ${uses}: not an action reference the local runner can run`;
  return `the action ${action.name}${action.path} has no local stand-in (stand-ins: ${STAND_IN_NAMES.join(', ')}; or use a ./ action of the repository)`;
}

function jobProblems(job: JobDef): Array<Located & { what: string }> {
  const problems: Array<Located & { what: string }> = [...job.unsupported];
  const runsOn = literalString(job.runsOn);
  if (runsOn !== undefined && /windows|macos/i.test(runsOn))
    problems.push({
      line: job.runsOn?.line ?? job.line,
      column: job.runsOn?.column ?? job.column,
      what: `runs-on ${runsOn}: the local runner is Linux`,
    });
  const defaultShell = literalString(entry(entry(job.defaults, 'run'), 'shell'));
  if (defaultShell !== undefined && !isSupportedShell(defaultShell)) problems.push({ ...job, what: `defaults.run.shell ${defaultShell}` });
  for (const template of [
    job.name,
    job.runsOn,
    job.env,
    job.strategy,
    job.outputs,
    job.permissions,
    job.timeoutMinutes,
    job.continueOnError,
    job.defaults,
    job.concurrency,
    job.environment,
  ]) {
    problems.push(...unsupportedNodes(template));
  }
  for (const step of job.steps) {
    const at = { line: step.line, column: step.column };
    for (const key of step.unknownKeys) problems.push({ ...at, what: `the step key \`${key}:\`` });
    if (step.uses !== undefined) {
      const problem = usesProblem(step.uses);
      if (problem) problems.push({ ...at, what: problem });
    }
    if (step.shell !== undefined && !isSupportedShell(step.shell))
      problems.push({ ...at, what: `shell: ${step.shell} (bash, sh, or a command line with {0})` });
    for (const template of [step.name, step.run, step.with, step.env, step.workingDirectory, step.timeoutMinutes, step.continueOnError]) {
      problems.push(...unsupportedNodes(template));
    }
  }
  return problems;
}

/** Every construct the runner cannot run in the given jobs (and the workflow's own settings), as `file:line:column: what`. */
export function unsupportedConstructs(workflow: WorkflowDef, jobIds: ReadonlySet<string>): string[] {
  const problems: Array<Located & { what: string }> = [];
  for (const template of [workflow.runName, workflow.env, workflow.permissions, workflow.defaults, workflow.concurrency])
    problems.push(...unsupportedNodes(template));
  const defaultShell = literalString(entry(entry(workflow.defaults, 'run'), 'shell'));
  if (defaultShell !== undefined && !isSupportedShell(defaultShell))
    problems.push({ line: 1, column: 1, what: `defaults.run.shell ${defaultShell}` });
  for (const job of workflow.jobs) if (jobIds.has(job.id)) problems.push(...jobProblems(job));
  return problems.map((problem) => `${workflow.file}:${problem.line}:${problem.column}: ${problem.what}`);
}
