/**
 * The demo's git repository, as a team adopting lambdastack-autoscaler would have it: the example
 * clusters, this project's workflows, actions, price table and infra (so the workflows run in it),
 * and the cluster's inventory. The working clone is the workdir itself (so `lambdastack-autoscaler
 * history` works there); the GitHub simulator serves the bare repository it pushes to, under
 * <workdir>/.demo/github, which the clone's .git/info/exclude keeps out of its status.
 */
import { existsSync } from 'node:fs';
import { appendFile, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { Git } from '../git/git.js';

/** The package's root: where cluster-config/, actions/, infra/ and .github/ are. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Git as the demo runs it: no user or system config (a signing setting must not stop a commit), English messages. */
export const DEMO_GIT_ENV: Readonly<Record<string, string>> = { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };

export interface Person {
  name: string;
  email: string;
}

export const PLATFORM_TEAM: Person = { name: 'Platform Team', email: 'platform@example.com' };

export interface DemoRepository {
  /** The working clone: the workdir. */
  dir: string;
  /** The bare repository the GitHub simulator serves. */
  bare: string;
  git: Git;
  /** Brings the clone's main up to GitHub's (after a merge); returns its head. */
  pull(): Promise<string>;
  head(): Promise<string>;
}

export interface RepositoryOptions {
  workdir: string;
  demoDir: string;
  /** owner/name */
  name: string;
  /** Path in the repository → text: the cluster configs (as the demo edited them) and the inventory. */
  files: Readonly<Record<string, string>>;
}

// data/: the plan action's price table (data/prices.yml of the action's own repository).
const COPIED = ['actions', 'data', 'infra', '.github/workflows'] as const;

export function withIdentity(who: Person): Record<string, string> {
  return {
    ...DEMO_GIT_ENV,
    GIT_AUTHOR_NAME: who.name,
    GIT_AUTHOR_EMAIL: who.email,
    GIT_COMMITTER_NAME: who.name,
    GIT_COMMITTER_EMAIL: who.email,
  };
}

/** The example clusters as the package ships them: cluster-config/<file> → text. */
export async function exampleClusters(): Promise<Record<string, string>> {
  const dir = join(PACKAGE_ROOT, 'cluster-config');
  const files = (await readdir(dir)).filter((file) => /\.ya?ml$/.test(file)).sort();
  return Object.fromEntries(
    await Promise.all(files.map(async (file) => [`cluster-config/${file}`, await readFile(join(dir, file), 'utf8')])),
  );
}

/** Makes the repository: one commit on main, pushed to the bare repository. */
export async function createDemoRepository(options: RepositoryOptions): Promise<DemoRepository> {
  for (const part of ['actions', 'infra']) {
    if (!existsSync(join(PACKAGE_ROOT, part))) {
      throw new UserError(
        `${PACKAGE_ROOT} has no ${part}/: the demo runs from a checkout of lambdastack-autoscaler (git clone, then npm run setup)`,
      );
    }
  }
  const dir = options.workdir;
  const bare = join(options.demoDir, 'github', `${options.name}.git`);
  await mkdir(bare, { recursive: true });
  await new Git(bare, DEMO_GIT_ENV).run(['init', '--quiet', '--bare', '--initial-branch=main']);

  const git = new Git(dir, withIdentity(PLATFORM_TEAM));
  await git.run(['init', '--quiet', '--initial-branch=main']);
  await mkdir(join(dir, '.git', 'info'), { recursive: true });
  await appendFile(join(dir, '.git', 'info', 'exclude'), '# the demo servers and machines\n/.demo/\n');
  for (const part of COPIED) {
    const from = join(PACKAGE_ROOT, part);
    // The terraform modules link their shared contract (infra/terraform/shared): links are kept as they are.
    if (existsSync(from)) await cp(from, join(dir, part), { recursive: true, verbatimSymlinks: true });
  }
  for (const [path, text] of Object.entries(options.files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  await git.run(['add', '--all']);
  await git.run([
    'commit',
    '--quiet',
    '-m',
    'Add the shop (AWS) and analytics (Azure) clusters, with the pipeline',
    '-m',
    [
      'cluster-config/: the example clusters, as lambdastack-autoscaler ships them (the repository variable',
      "STATE_BACKEND_CONFIG points the shop cluster's S3 state at this machine's s3rver and dynalite).",
      'inventory/: the demo machines ansible configures. actions/, data/, infra/ and .github/workflows/:',
      'the pipeline, as lambdastack-autoscaler ships it.',
    ].join('\n'),
  ]);
  await git.run(['remote', 'add', 'origin', bare]);
  await git.run(['push', '--quiet', 'origin', 'main']);
  // Packed, as GitHub keeps a repository: each workflow job's checkout (a fetch over file://) then
  // sends the stored objects as they are, instead of compressing the actions' bundles again (about
  // a second a checkout, nine times a demo).
  await new Git(bare, { ...DEMO_GIT_ENV, GIT_DIR: bare }).run(['repack', '-a', '-d', '-q']);
  await git.run(['branch', '--quiet', '--set-upstream-to=origin/main', 'main']);

  const head = async (): Promise<string> => (await git.run(['rev-parse', 'HEAD'])).trim();
  return {
    dir,
    bare,
    git,
    head,
    pull: async () => {
      await git.run(['fetch', '--quiet', '--prune', 'origin']);
      await git.run(['merge', '--quiet', '--ff-only', 'origin/main']);
      return head();
    },
  };
}
