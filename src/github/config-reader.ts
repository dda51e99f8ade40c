import { z } from 'zod';
import { decodeConfigBytes } from '../config/index.js';
import { ConfigError, TransientError, UserError } from '../errors.js';
import type { GithubClient } from './client.js';
import { getIfChanged } from './conditional-get.js';
import { githubFailure } from './errors.js';

export interface ClusterConfigLocation {
  owner: string;
  repo: string;
  /** The config file, from the repository root: `cluster-config/aws.yml`. */
  path: string;
  /** A branch, tag or commit id. Default: the repository's default branch. */
  ref?: string | undefined;
  /** The `etag` of the last read of the same path and ref: GitHub then answers 304 when the file is unchanged. */
  etag?: string | undefined;
}

export type ClusterConfigRead =
  | { unchanged: true }
  | {
      unchanged: false;
      path: string;
      text: string;
      /** The file's blob id. */
      sha: string;
      /** Pass it back as `etag` in the next cycle. Undefined when GitHub sent none (then the next read is a full one). */
      etag: string | undefined;
    };

const fileSchema = z.object({
  type: z.string(),
  sha: z.string(),
  encoding: z.string().optional(),
  content: z.string().optional(),
});

/**
 * Reads one cluster config through the contents API, conditionally: with the `etag` of the last
 * read, an unchanged file is a 304, which costs no rate limit (the watcher's idle cycle). The text
 * is decoded as every config reader decodes it (UTF-8 only, at most 1 MiB).
 */
export async function readClusterConfig(github: GithubClient, location: ClusterConfigLocation): Promise<ClusterConfigRead> {
  const { owner, repo, path, ref } = location;
  const where = `${path} in ${owner}/${repo}${ref === undefined ? '' : ` at ${ref}`}`;
  const read = await getIfChanged(location.etag, (headers) =>
    github.repos.getContent({ owner, repo, path, ...(ref === undefined ? {} : { ref }), headers }),
  ).catch((error: unknown) => {
    throw githubFailure(error, `read ${where}`);
  });
  if (read.unchanged) return read;
  if (Array.isArray(read.data)) {
    throw new UserError(`GitHub: ${where} is a directory: name one cluster config file in it, e.g. ${path.replace(/\/+$/, '')}/aws.yml`);
  }
  const parsed = fileSchema.safeParse(read.data);
  if (!parsed.success)
    throw new TransientError(`GitHub: unexpected answer for ${where}: ${parsed.error.issues[0]?.message ?? 'wrong shape'}`);
  const file = parsed.data;
  if (file.type !== 'file') {
    throw new UserError(
      `GitHub: ${where} is a ${file.type}, not a file: name the config file itself (links are not followed through the API)`,
    );
  }
  // GitHub sends files over 1 MB without content (encoding "none"); a config that large is refused anyway.
  if (file.encoding !== 'base64' || file.content === undefined) {
    throw new ConfigError([
      { file: path, line: 1, column: 1, message: 'too large to read through the contents API (over 1 MB): refused unread' },
    ]);
  }
  const text = decodeConfigBytes(path, Buffer.from(file.content, 'base64'));
  if (typeof text !== 'string') throw new ConfigError([text]);
  return { unchanged: false, path, text, sha: file.sha, etag: read.etag };
}
