import { z } from 'zod';
import { isYamlFile } from '../config/layout.js';
import type { ConfigFile, ConfigSource } from '../config/reader.js';
import { TransientError, UserError } from '../errors.js';
import { isRegularFile } from '../git/modes.js';
import type { GithubClient } from './client.js';
import { githubFailure } from './errors.js';

const treeSchema = z.object({
  sha: z.string(),
  truncated: z.boolean(),
  tree: z.array(z.object({ path: z.string(), mode: z.string(), type: z.string(), sha: z.string() })),
});

const blobSchema = z.object({ sha: z.string(), encoding: z.string(), content: z.string() });

export interface GithubTreeLocation {
  owner: string;
  repo: string;
  /** A branch, tag or commit id. */
  ref: string;
  /** The folder of the configs, relative to the repository root. */
  dir: string;
}

/**
 * Configs as GitHub holds them at a ref, read through the git data API (one recursive tree, then
 * the blobs of the YAML files under `dir`): what the watcher reads without a clone. Files are
 * named from the repository root, as on disk and in git.
 */
export class GithubTreeSource implements ConfigSource {
  readonly label: string;

  constructor(
    private readonly github: GithubClient,
    private readonly at: GithubTreeLocation,
  ) {
    this.label = at.ref;
  }

  async files(): Promise<ConfigFile[]> {
    const { owner, repo, ref } = this.at;
    const dir = this.at.dir.replace(/^\.?\/+|\/+$/g, '');
    const tree = parse(
      treeSchema,
      await this.github.git.getTree({ owner, repo, tree_sha: ref, recursive: 'true' }).catch((error: unknown) => {
        throw githubFailure(error, `read the tree of ${owner}/${repo} at ${ref}`);
      }),
      'tree',
    );
    if (tree.truncated) {
      throw new UserError(
        `GitHub: the tree of ${owner}/${repo} at ${ref} is too large to list in one call: keep cluster configs in a smaller repository`,
      );
    }
    const wanted = tree.tree.filter(
      (entry) =>
        entry.type === 'blob' && isRegularFile(entry.mode) && isYamlFile(entry.path) && (dir === '' || entry.path.startsWith(`${dir}/`)),
    );
    const files: ConfigFile[] = [];
    for (const entry of wanted.sort((a, b) => (a.path < b.path ? -1 : 1))) {
      const blob = parse(
        blobSchema,
        await this.github.git.getBlob({ owner, repo, file_sha: entry.sha }).catch((error: unknown) => {
          throw githubFailure(error, `read ${entry.path} at ${ref}`);
        }),
        `blob of ${entry.path}`,
      );
      if (blob.encoding !== 'base64') throw new TransientError(`GitHub: ${entry.path} came back in ${blob.encoding}, not base64`);
      files.push({ path: entry.path, bytes: Buffer.from(blob.content, 'base64') });
    }
    return files;
  }
}

/** Checks a response's shape, so a change on GitHub's side is a clear error rather than a wrong read. */
function parse<T>(schema: z.ZodType<T>, response: { data: unknown }, what: string): T {
  const result = schema.safeParse(response.data);
  if (!result.success) throw new TransientError(`GitHub: unexpected ${what} response: ${result.error.issues[0]?.message ?? 'wrong shape'}`);
  return result.data;
}
