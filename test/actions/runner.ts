// Runs a bundled action as the GitHub runner does: `node actions/<name>/dist/index.js` with the
// inputs as INPUT_* variables, the checkout in GITHUB_WORKSPACE (also the working directory), and
// the file commands (GITHUB_OUTPUT, GITHUB_STEP_SUMMARY) pointing at files read back afterwards.
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { parseKeyValueFile } from '../../src/workflow/file-commands.js';
import { type WorkflowCommand as ParsedCommand, parseCommand } from '../../src/workflow/workflow-commands.js';
import { tempDir } from '../support/temp.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** The committed bundle of an action. */
export function bundleOf(name: string): string {
  return join(REPO_ROOT, 'actions', name, 'dist', 'index.js');
}

/** A workflow command the action printed: `::name key=value,…::message`, unescaped. */
export interface WorkflowCommand extends ParsedCommand {
  /** The line as printed, escapes included. */
  raw: string;
}

export interface ActionRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  commands: WorkflowCommand[];
  /** What the action wrote to GITHUB_OUTPUT. */
  outputs: Record<string, string>;
  /** What it wrote to GITHUB_STEP_SUMMARY. */
  summary: string;
}

export interface RunOptions {
  /** GITHUB_WORKSPACE. */
  workspace: string;
  /** Input name → value, as `with:` gives them (the runner fills in defaults; a test names each). */
  inputs?: Record<string, string>;
  /** More environment, such as GITHUB_REPOSITORY; a value of undefined leaves the variable out. */
  env?: Record<string, string | undefined>;
  /** The script to run instead of the committed bundle (a copy elsewhere, say). */
  script?: string;
  /** The working directory; the runner's is the workspace. */
  cwd?: string;
}

/** Runs the bundled action `name`; never throws for a failing step, so tests can look at how it failed. */
export async function runBundledAction(name: string, options: RunOptions): Promise<ActionRun> {
  const files = await tempDir('lsa-action-files-');
  const outputFile = join(files, 'output');
  const summaryFile = join(files, 'summary');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  const env: Record<string, string | undefined> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    ...Object.fromEntries(Object.entries(options.inputs ?? {}).map(([input, value]) => [`INPUT_${input.toUpperCase()}`, value])),
    ...options.env,
  };
  // Only what the runner would set: nothing of this machine's environment (a GITHUB_* of the CI
  // running these tests, a NODE_OPTIONS, a node_modules on NODE_PATH) reaches the action.
  const result = await execa(process.execPath, [options.script ?? bundleOf(name)], {
    cwd: options.cwd ?? options.workspace,
    env: Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    extendEnv: false,
    stripFinalNewline: false,
    reject: false,
  });
  const stdout = String(result.stdout);
  return {
    exitCode: result.exitCode ?? -1,
    stdout,
    stderr: String(result.stderr),
    commands: parseCommands(stdout),
    outputs: parseOutputFile(await readFile(outputFile, 'utf8')),
    summary: await readFile(summaryFile, 'utf8'),
  };
}

/** The workflow commands in an action's stdout, read as the local workflow runner reads them. */
export function parseCommands(stdout: string): WorkflowCommand[] {
  return stdout.split(/\r?\n/).flatMap((raw) => {
    const command = parseCommand(raw);
    return command ? [{ ...command, raw }] : [];
  });
}

/**
 * A GITHUB_OUTPUT file, read as the local workflow runner reads it: `name<<DELIMITER`, the value's
 * lines, `DELIMITER` (what @actions/core writes), or `name=value` on one line (what a shell step writes).
 */
export function parseOutputFile(text: string): Record<string, string> {
  const { values, problems } = parseKeyValueFile(text, 'GITHUB_OUTPUT');
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return Object.fromEntries(values);
}
