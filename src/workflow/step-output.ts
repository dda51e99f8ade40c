// A step's output, line by line: workflow commands handled (annotations collected, `::add-mask::`
// masking from then on, groups shown, `::stop-commands::` honoured), everything else printed.
import type { RunState } from './state.js';
import { annotationOf, formatAnnotation, parseCommand } from './workflow-commands.js';

export interface StepOutput {
  line(raw: string): void;
  /** Commands that fail the step (GitHub's disabled `set-env` and `add-path`). */
  readonly failures: string[];
  /** Outputs set with the deprecated `::set-output`. */
  readonly legacyOutputs: Record<string, string>;
}

const INDENT = '    ';

export function stepOutput(run: RunState, where: { job: string; step: string }): StepOutput {
  const failures: string[] = [];
  const legacyOutputs: Record<string, string> = {};
  let stopToken: string | undefined;
  const warn = (message: string): void => {
    run.annotations.push({ level: 'warning', message, ...where });
    run.print(`${INDENT}warning: ${message}`);
  };
  return {
    failures,
    legacyOutputs,
    line(raw: string): void {
      if (stopToken !== undefined) {
        if (raw.trim() === `::${stopToken}::`) stopToken = undefined;
        else run.print(`${INDENT}${raw}`);
        return;
      }
      const command = parseCommand(raw);
      if (command === undefined) {
        run.print(`${INDENT}${raw}`);
        return;
      }
      const annotation = annotationOf(command, where);
      if (annotation) {
        annotation.message = run.masker.mask(annotation.message);
        run.annotations.push(annotation);
        run.print(`${INDENT}${formatAnnotation(annotation)}`);
        return;
      }
      switch (command.command) {
        case 'add-mask':
          run.masker.add(command.message);
          return;
        case 'group':
          run.print(`${INDENT}▸ ${command.message}`);
          return;
        case 'endgroup':
        case 'debug':
        case 'echo':
          return;
        case 'stop-commands':
          stopToken = command.message;
          return;
        case 'set-output': {
          const name = command.properties.name ?? '';
          legacyOutputs[name] = command.message;
          warn(`::set-output is deprecated (output ${name}): write name=value to $GITHUB_OUTPUT`);
          return;
        }
        case 'save-state':
          warn('::save-state is deprecated, and the local runner runs no post steps: write to $GITHUB_STATE');
          return;
        case 'set-env':
        case 'add-path':
          failures.push(`the \`${command.command}\` command is disabled (GitHub refuses it): use $GITHUB_ENV or $GITHUB_PATH`);
          run.print(`${INDENT}error: ${failures.at(-1)}`);
          return;
        case 'add-matcher':
        case 'remove-matcher':
          run.print(`${INDENT}(problem matcher not applied by the local runner)`);
          return;
        default:
          run.print(`${INDENT}${raw}`);
      }
    },
  };
}
