/**
 * The tools the demo runs, checked before anything starts: a missing one is named with the command
 * that installs it, instead of failing half-way through the story.
 */
import { execa } from 'execa';
import { UserError } from '../errors.js';

const TOOLS: ReadonlyArray<{ command: string; args: string[]; install: string }> = [
  { command: 'git', args: ['--version'], install: 'npm run setup   (or: apt-get install git)' },
  { command: 'kubectl', args: ['version', '--client'], install: 'npm run setup   (or: apt-get install kubernetes-client)' },
  { command: 'ansible-playbook', args: ['--version'], install: 'npm run setup   (or: apt-get install ansible-core)' },
  { command: 'packer', args: ['version'], install: 'npm run setup   (or: apt-get install packer)' },
  { command: 'terraform', args: ['version'], install: 'https://developer.hashicorp.com/terraform/install (1.5 or newer)' },
];

/** Throws a UserError naming every missing tool, with its install command. */
export async function checkTools(path: string): Promise<void> {
  const results = await Promise.all(
    TOOLS.map(async (tool) => {
      const result = await execa(tool.command, tool.args, {
        reject: false,
        env: { PATH: path, CHECKPOINT_DISABLE: '1' },
        extendEnv: false,
      });
      return result.exitCode === 0 ? undefined : `  ${tool.command}: install it with  ${tool.install}`;
    }),
  );
  const missing = results.filter((line): line is string => line !== undefined);
  if (missing.length > 0) throw new UserError(`the demo runs tools that are missing:\n${missing.join('\n')}`);
}
