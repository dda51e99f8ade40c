import { isYamlFile } from '../config/layout.js';
import type { ConfigFile, ConfigSource } from '../config/reader.js';
import type { Git } from './git.js';
import { isRegularFile } from './modes.js';

/**
 * Configs as committed: the YAML files under `dir` (relative to the repository root) in the tree
 * of `commit`, named relative to the root as on disk, read in one `git cat-file --batch`.
 */
export class GitTreeSource implements ConfigSource {
  constructor(
    private readonly git: Git,
    private readonly commit: string,
    private readonly dir: string,
    /** How problems name this version, e.g. the ref the user typed. */
    readonly label: string,
  ) {}

  async files(): Promise<ConfigFile[]> {
    const listed = (await this.git.listBlobs(this.commit, this.dir)).filter((f) => isYamlFile(f.path) && isRegularFile(f.mode));
    const blobs = await this.git.readNamedBlobs(listed.map((f) => f.id));
    return listed.map((f) => ({ path: f.path, bytes: blobs.get(f.id) ?? new Uint8Array() }));
  }
}
