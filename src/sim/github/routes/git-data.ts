import type { Sim } from '../context.js';
import { bodyObject, json, optionalString, type Reply, type RequestContext, requiredString } from '../context.js';
import { invalidRequest, notFound, unprocessable } from '../errors.js';
import { type EntryType, isFullSha, isSafePath, RejectedObjectError, rawFromIso, type TreeEdit, type TreeEntry } from '../git-store.js';
import { FILE_REQUEST_BODY_LIMIT } from '../limits.js';
import type { Route } from '../router.js';
import { apiRepoUrl, gitCommitShape, gitIdentity, nodeId, type Schemas } from '../shapes.js';

/**
 * Git data: blobs, trees and commits, written as real objects with `hash-object`, `mktree` and
 * `commit-tree`. This is how the watcher builds a commit without a clone: blob → tree with
 * `base_tree` → commit → ref.
 */

/** GitHub's base64: 60 characters a line, each line ending in a newline. */
export function wrappedBase64(data: Buffer): string {
  const flat = data.toString('base64');
  let out = '';
  for (let at = 0; at < flat.length; at += 60) out += `${flat.slice(at, at + 60)}\n`;
  return out;
}

/** Decodes base64 as GitHub accepts it (line breaks allowed); anything else is refused. */
export function decodeBase64(value: string, field: string): Buffer {
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) throw invalidRequest(`${field} is not valid Base64`);
  return Buffer.from(compact, 'base64');
}

async function getBlob(ctx: RequestContext): Promise<Reply> {
  const sha = ctx.params.sha ?? '';
  const data = isFullSha(sha) ? await ctx.sim.store.readBlob(sha) : undefined;
  if (!data) throw notFound();
  const blob: Schemas['blob'] = {
    sha,
    node_id: nodeId('Blob', `${ctx.sim.repositoryId}:${sha}`),
    size: data.length,
    url: `${apiRepoUrl(ctx.sim)}/git/blobs/${sha}`,
    content: wrappedBase64(data),
    encoding: 'base64',
  };
  return json(200, blob);
}

async function createBlob(ctx: RequestContext): Promise<Reply> {
  const body = bodyObject(ctx);
  const content = requiredString(body, 'content');
  const encoding = optionalString(body, 'encoding') ?? 'utf-8';
  let data: Buffer;
  if (encoding === 'base64') data = decodeBase64(content, 'content');
  else if (encoding === 'utf-8' || encoding === 'utf8') data = Buffer.from(content, 'utf8');
  else throw invalidRequest(`For 'properties/encoding', ${JSON.stringify(encoding)} is not one of ["utf-8", "base64"].`);
  const sha = await ctx.sim.store.writeBlob(data);
  const url = `${apiRepoUrl(ctx.sim)}/git/blobs/${sha}`;
  const blob: Schemas['short-blob'] = { url, sha };
  return json(201, blob, { location: url });
}

function treeShape(sim: Sim, sha: string, entries: readonly TreeEntry[]): Schemas['git-tree'] {
  const api = apiRepoUrl(sim);
  return {
    sha,
    url: `${api}/git/trees/${sha}`,
    tree: entries.map((entry) => ({
      path: entry.path,
      mode: entry.mode,
      type: entry.type,
      sha: entry.sha,
      ...(entry.size !== undefined ? { size: entry.size } : {}),
      // Submodule entries (type commit) point into another repository and have no URL here.
      ...(entry.type === 'blob'
        ? { url: `${api}/git/blobs/${entry.sha}` }
        : entry.type === 'tree'
          ? { url: `${api}/git/trees/${entry.sha}` }
          : {}),
    })),
    truncated: false,
  };
}

async function getTree(ctx: RequestContext): Promise<Reply> {
  const { store } = ctx.sim;
  // GitHub takes a tree sha, a commit sha or a branch name here.
  const sha = await store.resolveTreeish(ctx.params.sha ?? '');
  if (!sha) throw notFound();
  const recursive = ctx.query.has('recursive') && !['0', 'false', ''].includes(ctx.query.get('recursive') ?? '');
  return json(200, treeShape(ctx.sim, sha, await store.readTree(sha, recursive)));
}

const MODE_TYPES: Record<string, EntryType> = {
  '100644': 'blob',
  '100755': 'blob',
  '120000': 'blob',
  '040000': 'tree',
  '160000': 'commit',
};

/** One `tree[]` entry of a create-tree body, checked as GitHub checks its form; `content` is still to be written. */
function treeEntry(value: unknown, index: number): TreeEdit & { content?: string } {
  if (typeof value !== 'object' || value === null) throw invalidRequest(`For 'items', ${JSON.stringify(value)} is not an object.`);
  const entry = value as Record<string, unknown>;
  const path = requiredString(entry, 'path');
  const rawMode = requiredString(entry, 'mode');
  const mode = rawMode === '40000' ? '040000' : rawMode;
  const type = MODE_TYPES[mode];
  if (!type)
    throw invalidRequest(
      `For 'properties/mode', ${JSON.stringify(rawMode)} is not one of ["100644", "100755", "040000", "160000", "120000"].`,
    );
  if (entry.type !== undefined && entry.type !== type)
    throw unprocessable(`tree.${index}.type ${String(entry.type)} does not match mode ${rawMode}`);
  if (!isSafePath(path)) throw unprocessable('tree.path contains a malformed path component');
  const hasSha = entry.sha !== undefined;
  const hasContent = entry.content !== undefined;
  if (hasSha && hasContent) throw unprocessable('Must supply either tree.sha or tree.content. Request had both.');
  if (hasContent) {
    if (type !== 'blob') throw unprocessable(`tree.content can only be used with a blob mode, not ${rawMode}`);
    return { path, mode, type, sha: null, content: requiredString(entry, 'content') };
  }
  if (!hasSha) throw unprocessable('Must supply either tree.sha or tree.content.');
  // `sha: null` deletes the path from base_tree.
  if (entry.sha === null) return { path, mode, type, sha: null };
  const sha = requiredString(entry, 'sha');
  if (type === 'commit' && !isFullSha(sha)) throw unprocessable(`tree.sha ${sha} is not a valid commit`);
  return { path, mode, type, sha };
}

/** Writes a tree; one that git refuses as its fsck would (an entry named `.GIT`, say) is 422. */
export async function writeTree(sim: Sim, base: string | undefined, edits: readonly TreeEdit[]): Promise<string> {
  try {
    return await sim.store.writeTree(base, edits);
  } catch (error) {
    if (error instanceof RejectedObjectError) throw unprocessable(error.message);
    throw error;
  }
}

/**
 * Every entry is checked before anything is written; the objects entries name are looked up, and
 * the blobs for `content` written, all at once (once per entry, 7,000 entries took minutes).
 */
async function createTree(ctx: RequestContext): Promise<Reply> {
  const body = bodyObject(ctx);
  const { store } = ctx.sim;
  if (body.tree === undefined) throw invalidRequest('"tree" wasn\'t supplied.');
  if (!Array.isArray(body.tree)) throw invalidRequest(`For 'properties/tree', ${JSON.stringify(body.tree)} is not an array.`);
  const baseTree = optionalString(body, 'base_tree');
  let base: string | undefined;
  if (baseTree !== undefined) {
    base = isFullSha(baseTree) ? await store.resolveTreeish(baseTree) : undefined;
    if (!base) throw unprocessable('base_tree is not a valid tree oid');
  }
  const entries = body.tree.map(treeEntry);
  // Submodule commits live in another repository; everything else must exist here, with its type.
  const named = entries.filter((entry) => entry.sha !== null && entry.type !== 'commit');
  const types = await store.objectTypes(named.map((entry) => entry.sha ?? ''));
  for (const { sha, type } of named) if (types.get(sha ?? '') !== type) throw unprocessable(`tree.sha ${sha} is not a valid ${type}`);
  const inline = entries.filter((entry) => entry.content !== undefined);
  const blobs = await store.writeObjects(inline.map((entry) => ({ type: 'blob', data: Buffer.from(entry.content ?? '', 'utf8') })));
  inline.forEach((entry, at) => {
    entry.sha = blobs[at] ?? null;
  });
  const sha = await writeTree(ctx.sim, base, entries);
  const shape = treeShape(ctx.sim, sha, await store.readTree(sha));
  return json(201, shape, { location: shape.url ?? '' });
}

async function getCommit(ctx: RequestContext): Promise<Reply> {
  const sha = ctx.params.sha ?? '';
  const commit = isFullSha(sha) ? await ctx.sim.store.readCommit(sha) : undefined;
  if (!commit) throw notFound();
  return json(200, gitCommitShape(ctx.sim, commit));
}

/** Text git would refuse or cut short in a commit: git stops at a NUL (and refuses one in a message). */
export function checkGitText(value: string | undefined, field: string): void {
  if (value?.includes('\0')) throw invalidRequest(`For 'properties/${field}', the text holds a NUL character, which git cannot store.`);
}

/** git's "crud": what it strips from both ends of a name, refusing a name that is nothing else. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: git counts every byte up to space as crud
const ONLY_CRUD = /^[\u0000-\u0020.,:;<>"\\']*$/;

/** An `author` or `committer` object from a request body; its `date` defaults to now. */
export function personFrom(value: unknown, field: string, now: string): { name: string; email: string; date: string } | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null)
    throw invalidRequest(`For 'properties/${field}', ${JSON.stringify(value)} is not an object.`);
  const person = value as Record<string, unknown>;
  const name = requiredString(person, 'name');
  const email = requiredString(person, 'email');
  const date = optionalString(person, 'date') ?? now;
  checkGitText(name, 'name');
  checkGitText(email, 'email');
  if (ONLY_CRUD.test(name)) throw invalidRequest(`For 'properties/name', ${JSON.stringify(name)} is not a name git can store.`);
  if (Number.isNaN(Date.parse(date))) throw invalidRequest(`For 'properties/date', ${JSON.stringify(date)} is not a date-time.`);
  if (rawFromIso(date) === undefined)
    throw invalidRequest(`For 'properties/date', ${JSON.stringify(date)} is before 1970, which git cannot store.`);
  return { name, email, date };
}

async function createCommit(ctx: RequestContext): Promise<Reply> {
  const body = bodyObject(ctx);
  const { sim } = ctx;
  const message = requiredString(body, 'message');
  checkGitText(message, 'message');
  const tree = requiredString(body, 'tree');
  const parents = body.parents ?? [];
  if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string')) {
    throw invalidRequest(`For 'properties/parents', ${JSON.stringify(parents)} is not an array of strings.`);
  }
  const types = await sim.store.objectTypes([tree, ...(parents as string[])]);
  if (types.get(tree) !== 'tree') throw unprocessable('Tree SHA does not exist');
  for (const parent of parents as string[]) {
    if (types.get(parent) !== 'commit') throw unprocessable('Parent SHA does not exist or is not a commit object');
  }
  const now = sim.state.now();
  // GitHub: the author defaults to the authenticated user, the committer to the author.
  const author = personFrom(body.author, 'author', now) ?? { ...gitIdentity(sim, sim.login), date: now };
  const committer = personFrom(body.committer, 'committer', now) ?? author;
  const sha = await sim.store.writeCommit({ tree, parents: parents as string[], message, author, committer });
  const commit = await sim.store.readCommit(sha);
  if (!commit) throw new Error(`commit ${sha} was written but cannot be read`);
  const shape = gitCommitShape(sim, commit);
  return json(201, shape, { location: shape.url });
}

export const gitDataRoutes: Route[] = [
  { method: 'GET', path: '/repos/{owner}/{repo}/git/blobs/{sha}', docs: 'git/blobs#get-a-blob', handle: getBlob },
  {
    method: 'POST',
    path: '/repos/{owner}/{repo}/git/blobs',
    docs: 'git/blobs#create-a-blob',
    maxBodyBytes: FILE_REQUEST_BODY_LIMIT,
    handle: createBlob,
  },
  { method: 'GET', path: '/repos/{owner}/{repo}/git/trees/{sha+}', docs: 'git/trees#get-a-tree', handle: getTree },
  { method: 'POST', path: '/repos/{owner}/{repo}/git/trees', docs: 'git/trees#create-a-tree', handle: createTree },
  { method: 'GET', path: '/repos/{owner}/{repo}/git/commits/{sha}', docs: 'git/commits#get-a-commit-object', handle: getCommit },
  { method: 'POST', path: '/repos/{owner}/{repo}/git/commits', docs: 'git/commits#create-a-commit', handle: createCommit },
];
