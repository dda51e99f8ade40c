// How a `run:` script is started, as GitHub's Linux runners start it: the script is written to a
// file and the shell's command line gets its path for `{0}`. No shell parses the command line.
import { UserError } from '../errors.js';

export interface ShellCommand {
  command: string;
  args: string[];
  /** The script file's extension (some interpreters care). */
  extension: string;
}

// GitHub's table (workflow syntax, jobs.<job_id>.steps[*].shell): no shell given means `bash -e`;
// `shell: bash`, given at the step or through defaults.run, adds --noprofile --norc and pipefail.
const KNOWN: Record<string, string> = {
  '': 'bash -e {0}',
  bash: 'bash --noprofile --norc -eo pipefail {0}',
  sh: 'sh -e {0}',
};

/** The command line for `shell` (undefined: not given) running the script at `scriptPath`. */
export function shellCommand(shell: string | undefined, scriptPath: string): ShellCommand {
  const name = (shell ?? '').trim();
  const template = KNOWN[name] ?? (name.includes('{0}') ? name : undefined);
  if (template === undefined) {
    throw new UserError(
      `shell: ${name} is not supported by the local runner (bash, sh, or a command line with {0} for the script, e.g. "bash -x {0}")`,
    );
  }
  const [command = 'bash', ...rest] = template.split(/\s+/).filter((part) => part !== '');
  return { command, args: rest.map((arg) => arg.replaceAll('{0}', scriptPath)), extension: '.sh' };
}

/** Whether a shell name can run here (for the check before the run). */
export function isSupportedShell(shell: string): boolean {
  const name = shell.trim();
  return name in KNOWN || name.includes('{0}');
}
