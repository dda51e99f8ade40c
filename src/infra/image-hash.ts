import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join, posix, relative, sep } from 'node:path';

/**
 * The content hash of a worker image: everything that decides what the image holds, and nothing
 * else, so an unchanged input reuses the image and any change bakes a new one.
 *
 * It covers the packer template, the files of the node playbooks the template bakes in, the
 * Kubernetes release, the base image and the template's provider settings. Files are named by their path relative to the
 * workspace (the repository root), so the same commit gives the same hash on any runner.
 */
export interface ImageInputs {
  /** The repository checkout every path is relative to. */
  workspace: string;
  /** The packer template, relative to the workspace. */
  template: string;
  /** Playbook files and directories (read recursively) the image bakes in, relative to the workspace. */
  playbooks: readonly string[];
  kubernetesVersion: string;
  baseImage: string;
  /**
   * The template's other variables (the provider settings: region, instance type, …). Where an
   * image is made is part of what it is: an AMI exists in one region only, so a bake in another
   * region is another image.
   */
  variables: Readonly<Record<string, string>>;
}

/** One file that went into the hash. */
export interface HashedFile {
  path: string;
  sha256: string;
}

export interface ImageHash {
  /** sha256, hex, of the canonical description below. */
  hash: string;
  /** The files hashed, sorted by path (the template included). */
  files: HashedFile[];
  /** The text the hash is taken of: one line per input, for a reader who wants to see why two hashes differ. */
  description: string;
}

/**
 * The first line of the description. Changing how the hash is made changes this, so an image
 * recorded under the old scheme is never mistaken for one of the new.
 */
const SCHEME = 'lambdastack-autoscaler worker image v1';

/**
 * What is never part of an image even when it sits among the playbooks: Python's byte-code caches
 * (ansible leaves __pycache__ beside a callback plugin it loaded, which would change the hash
 * after a local run), ansible's .retry files, and version control.
 */
function ignored(name: string): boolean {
  return name === '__pycache__' || name === '.git' || name.endsWith('.pyc') || name.endsWith('.retry');
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** The workspace-relative, `/`-separated name of a path. */
function nameOf(workspace: string, path: string): string {
  return relative(workspace, path).split(sep).join(posix.sep);
}

/**
 * Every file under `path` (or `path` itself), hashed. A symbolic link is hashed as the text of
 * its target, not followed: what the repository holds is the link.
 */
async function hashTree(workspace: string, path: string, into: Map<string, string>): Promise<void> {
  const info = await lstat(path);
  if (info.isSymbolicLink()) {
    into.set(nameOf(workspace, path), sha256(`symlink ${await readlink(path)}`));
  } else if (info.isDirectory()) {
    const entries = await readdir(path);
    for (const entry of entries.sort()) {
      if (!ignored(entry)) await hashTree(workspace, join(path, entry), into);
    }
  } else if (info.isFile()) {
    into.set(nameOf(workspace, path), sha256(await readFile(path)));
  }
}

/** The content hash of an image made from `inputs`; the paths must exist (the caller checked them). */
export async function imageHash(inputs: ImageInputs): Promise<ImageHash> {
  const files = new Map<string, string>();
  await hashTree(inputs.workspace, join(inputs.workspace, inputs.template), files);
  const template = nameOf(inputs.workspace, join(inputs.workspace, inputs.template));
  for (const playbook of inputs.playbooks) await hashTree(inputs.workspace, join(inputs.workspace, playbook), files);
  const sorted = [...files]
    .map(([path, hash]) => ({ path, sha256: hash }))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  // JSON strings for the free-text values: a line break in a base image name cannot forge a line.
  const description = [
    SCHEME,
    `kubernetes-version ${JSON.stringify(inputs.kubernetesVersion)}`,
    `base-image ${JSON.stringify(inputs.baseImage)}`,
    `template ${JSON.stringify(template)}`,
    ...sorted.map((file) => `file ${JSON.stringify(file.path)} ${file.sha256}`),
    // Values by their hash: the description is logged (in debug), and a setting may be private.
    ...Object.keys(inputs.variables)
      .sort()
      .map((name) => `variable ${JSON.stringify(name)} ${sha256(inputs.variables[name] ?? '')}`),
  ].join('\n');
  return { hash: sha256(`${description}\n`), files: sorted, description };
}
