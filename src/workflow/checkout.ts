// What actions/checkout does, locally: a fresh clone of the run's repository at the event's commit
// in the job's workspace (never the user's working tree), as shallow as fetch-depth says, with a
// branch checked out for a branch ref and a detached HEAD otherwise.
import { mkdir, readdir, rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { UserError } from '../errors.js';
import { Git } from '../git/git.js';

export interface CheckoutRequest {
  /** The repository to clone (a local path, bare or not). */
  repositoryDir: string;
  /** What to check out: a commit id, a ref (refs/heads/x, refs/pull/1/merge), or a branch or tag name. */
  ref: string;
  /** The ref the commit was reached by, when it is a branch: checked out as that branch. */
  branchRef?: string;
  /** 0: all history, branches and tags; N: the last N commits. */
  fetchDepth: number;
  fetchTags: boolean;
  /** Where the work tree goes; emptied first (actions/checkout's `clean: true`). */
  dest: string;
}

export interface CheckoutResult {
  commit: string;
  /** The branch checked out, or undefined for a detached HEAD. */
  branch: string | undefined;
  shallow: boolean;
}

/** The commit a ref names in the source repository (a branch or tag name, a full ref, or a commit id). */
async function resolveInSource(source: Git, ref: string, repositoryDir: string): Promise<{ commit: string; branch?: string }> {
  const candidates = ref.startsWith('refs/') || /^[0-9a-f]{40}$/i.test(ref) ? [ref] : [`refs/heads/${ref}`, `refs/tags/${ref}`, ref];
  for (const candidate of candidates) {
    const commit = await source.resolveCommit(candidate);
    if (commit !== undefined) {
      const branch = /^refs\/heads\/(.+)$/.exec(candidate)?.[1];
      return branch === undefined ? { commit } : { commit, branch };
    }
  }
  throw new UserError(`actions/checkout: ref ${ref} is not in ${repositoryDir}`);
}

export async function checkout(request: CheckoutRequest): Promise<CheckoutResult> {
  const source = new Git(request.repositoryDir);
  const target = await resolveInSource(source, request.ref, request.repositoryDir);
  const branch = target.branch ?? /^refs\/heads\/(.+)$/.exec(request.branchRef ?? '')?.[1];

  await mkdir(request.dest, { recursive: true });
  for (const name of await readdir(request.dest)) await rm(`${request.dest}/${name}`, { recursive: true, force: true });
  const git = new Git(request.dest);
  await git.run(['init', '-q']);
  // A file:// URL, so git honours --depth (a plain path clones locally, always whole).
  await git.run(['remote', 'add', 'origin', pathToFileURL(request.repositoryDir).href]);
  const remoteRef = branch === undefined ? 'refs/remotes/origin/HEAD-commit' : `refs/remotes/origin/${branch}`;
  if (request.fetchDepth > 0) {
    await git.run([
      'fetch',
      '-q',
      request.fetchTags ? '--tags' : '--no-tags',
      '--no-recurse-submodules',
      `--depth=${request.fetchDepth}`,
      'origin',
      `+${target.commit}:${remoteRef}`,
    ]);
  } else {
    await git.run([
      'fetch',
      '-q',
      '--prune',
      '--no-recurse-submodules',
      'origin',
      '+refs/heads/*:refs/remotes/origin/*',
      '+refs/tags/*:refs/tags/*',
    ]);
    // A pull request's merge commit is under no branch: fetch it by its id.
    if ((await git.resolveCommit(target.commit)) === undefined) await git.run(['fetch', '-q', 'origin', `+${target.commit}:${remoteRef}`]);
  }
  if (branch === undefined) await git.run(['checkout', '-q', '--force', '--detach', target.commit]);
  else await git.run(['checkout', '-q', '--force', '-B', branch, target.commit]);
  const shallow = (await git.run(['rev-parse', '--is-shallow-repository'])).trim() === 'true';
  return { commit: target.commit, branch, shallow };
}
