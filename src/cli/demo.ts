import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Git } from '../git/git.js';
import type { Io } from './io.js';

/** The example clusters shipped with the package (`cluster-config/` at its root). */
export const EXAMPLES_DIR = fileURLToPath(new URL('../../cluster-config/', import.meta.url));

type RunCli = (args: string[]) => Promise<number>;

/**
 * `demo`: the tool's whole loop with no cloud, cluster or GitHub account. It makes a throw-away
 * git repository holding the example clusters, then validates them, scales one through a
 * merged "pull request" with a reason, shows the plan of that merge, hand-scales another,
 * shows a refused edit, and prints the history the commits left behind.
 */
export async function demoCommand(options: { keep: boolean }, io: Io, runCli?: RunCli): Promise<void> {
  const run: RunCli = runCli ?? (async (args) => (await import('../cli.js')).main(['node', 'lambdastack-autoscaler', ...args], io));
  const dir = await mkdtemp(join(tmpdir(), 'lambdastack-autoscaler-demo-'));
  const previous = process.cwd();
  const step = async (title: string, args: string[], expectFailure = false): Promise<void> => {
    io.out(`\n## ${title}\n$ lambdastack-autoscaler ${args.map((a) => (/\s/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
    const code = await run(args);
    if ((code !== 0) !== expectFailure) throw new Error(`demo step "${title}" exited ${code}`);
  };
  try {
    process.chdir(dir);
    const git = new Git(dir);
    const as = async (name: string, email: string): Promise<void> => {
      await git.run(['config', 'user.name', name]);
      await git.run(['config', 'user.email', email]);
    };
    await git.run(['init', '--quiet', '--initial-branch=main']);
    await as('Platform Team', 'platform@example.com');
    await cp(EXAMPLES_DIR, join(dir, 'cluster-config'), { recursive: true });
    await git.run(['add', 'cluster-config']);
    await git.run(['commit', '--quiet', '-m', 'Add the shop (AWS) and analytics (Azure) clusters']);
    const files = (await readdir(join(dir, 'cluster-config'))).sort();
    io.out(`Demo repository: ${dir}\nExample clusters: ${files.map((f) => `cluster-config/${f}`).join(', ')}`);

    await step('Validate the cluster configs', ['validate']);

    await git.run(['switch', '--quiet', '-c', 'autoscale/shop']);
    await as('lambdastack-autoscaler[bot]', 'lambdastack-autoscaler[bot]@users.noreply.github.com');
    await step('The watcher scales shop up on its branch (a one-line diff)', [
      'scale',
      'kubernetes_node',
      '5',
      '--cluster',
      'shop',
      '--reason',
      '7 pods pending for 120s; CPU requests at 92% of allocatable',
      '--commit',
    ]);
    io.out(await git.run(['diff', '--unified=0', 'main', '--', 'cluster-config']));
    await git.run(['switch', '--quiet', 'main']);
    await as('Dana Reviewer', 'dana@example.com');
    await git.run(['merge', '--quiet', '--no-ff', '-m', 'Merge pull request #1 from example/autoscale/shop', 'autoscale/shop']);

    await step('What the merge will apply: nodes added and removed', ['plan', '--base', 'HEAD~1', '--head', 'HEAD']);
    await step('The same plan as JSON, for the apply workflow', ['plan', '--base', 'HEAD~1', '--head', 'HEAD', '--json']);

    await as('Sam Operator', 'sam@example.com');
    await step('A hand scale-down of analytics', ['scale', 'kubernetes_node', '1', '--cluster', 'analytics']);
    await git.run([
      'commit',
      '--quiet',
      '-a',
      '-m',
      'Scale analytics down for the quiet season (#2)',
      '-m',
      'Autoscale-Reason: nightly batch jobs moved to the shop cluster',
    ]);

    await step(
      'Refused: above the autoscaling bounds, the file is left as it was',
      ['scale', 'kubernetes_node', '50', '--cluster', 'shop'],
      true,
    );
    const broken = (await readFile(join(dir, 'cluster-config', 'aws-demo.yml'), 'utf8'))
      .replace('key: XXXXXXXXXX', 'key: AKIAIOSFODNN7EXAMPLE')
      .replace('max: 10', 'max: 1');
    await mkdir(join(dir, 'scratch'));
    await writeFile(join(dir, 'scratch', 'shop-edited.yml'), broken);
    await step('Refused: a hand edit with a committed AWS key and max below min', ['validate', 'scratch/shop-edited.yml'], true);

    await step('Scale history', ['history']);
    await step('Scale history as Markdown', ['history', '--markdown']);
    await step('Workers over time (GitHub renders this Mermaid chart)', ['history', '--mermaid']);
  } finally {
    process.chdir(previous);
    if (options.keep) io.out(`\nKept the demo repository at ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}
