import { posix } from 'node:path';
import { type ClusterConfig, readValidConfigs, resolveUserPath, WorkingTreeSource, type Workspace } from '../config/index.js';
import { UserError } from '../errors.js';
import { Git } from '../git/git.js';
import { GitTreeSource } from '../git/tree-source.js';

/**
 * The clusters a `--base`/`--head` argument names: a file or directory on disk, or else a git ref
 * whose `configDir` (relative to the repository root) is read from the repository. A path that
 * exists wins over a ref of the same name. Either way files are named relative to the repository
 * root, so both sides of a plan name a file the same from any directory.
 */
export async function clustersAt(spec: string, workspace: Workspace, configDir: string): Promise<ClusterConfig[]> {
  if ((await resolveUserPath(spec, workspace)) !== undefined) return readValidConfigs(new WorkingTreeSource([spec], workspace));
  // A bare repository has no `.git` folder to find; git itself finds it from the working directory.
  const git = new Git(workspace.root ?? workspace.cwd);
  const commit = await git.resolveCommit(spec);
  if (!commit) {
    throw new UserError(`"${spec}" is neither a file nor a git ref in ${workspace.cwd}: give a path, a branch, a tag or a commit`);
  }
  const dir = posix.normalize(configDir.replaceAll('\\', '/')).replace(/\/$/, '');
  return readValidConfigs(new GitTreeSource(git, commit, dir, spec));
}
