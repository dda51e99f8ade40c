import type { Sim } from '../context.js';
import { bodyObject, json, optionalString, type Reply, type RequestContext, requiredString } from '../context.js';
import { conflict, invalidRequest, missingField, notFound } from '../errors.js';
import { isSafePath, type TreeEntry } from '../git-store.js';
import { FILE_REQUEST_BODY_LIMIT } from '../limits.js';
import type { Route } from '../router.js';
import { apiRepoUrl, gitCommitShape, gitIdentity, htmlRepoUrl, type Schemas, urlPath } from '../shapes.js';
import { checkGitText, decodeBase64, personFrom, wrappedBase64, writeTree } from './git-data.js';

/**
 * The contents API: read a file or list a directory at a ref, and create, update or delete one
 * file as one commit on a branch. Updates carry the blob sha the client last read; a different
 * file there now is a 409, so two writers cannot silently overwrite each other.
 */

type ContentItem = Schemas['content-directory'][number];

function contentType(entry: TreeEntry): ContentItem['type'] {
  if (entry.type === 'tree') return 'dir';
  if (entry.type === 'commit') return 'submodule';
  return entry.mode === '120000' ? 'symlink' : 'file';
}

function itemShape(sim: Sim, entry: TreeEntry, ref: string): ContentItem {
  const api = apiRepoUrl(sim);
  const type = contentType(entry);
  const path = urlPath(entry.path);
  const self = `${api}/contents/${path}?ref=${encodeURIComponent(ref)}`;
  const git = type === 'dir' ? `${api}/git/trees/${entry.sha}` : type === 'submodule' ? null : `${api}/git/blobs/${entry.sha}`;
  const html = type === 'submodule' ? null : `${htmlRepoUrl(sim)}/${type === 'dir' ? 'tree' : 'blob'}/${urlPath(ref)}/${path}`;
  return {
    type,
    size: entry.size ?? 0,
    name: entry.path.split('/').at(-1) ?? entry.path,
    path: entry.path,
    sha: entry.sha,
    url: self,
    git_url: git,
    html_url: html,
    download_url: type === 'file' || type === 'symlink' ? `${sim.baseUrl}/raw/${sim.owner}/${sim.repo}/${urlPath(ref)}/${path}` : null,
    _links: { self, git, html },
  };
}

/** The raw media types GitHub honours on the contents API (octokit: `mediaType: { format: 'raw' }`). */
function wantsRaw(ctx: RequestContext): boolean {
  const accept = ctx.headers.accept;
  return typeof accept === 'string' && /application\/vnd\.github(\.v3)?\.raw/.test(accept);
}

async function getContents(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const ref = ctx.query.get('ref') ?? (await sim.store.defaultBranch());
  const commit = await sim.store.resolveCommitish(ref);
  if (!commit) throw notFound(`No commit found for the ref ${ref}`);
  const path = ctx.params.path ?? '';
  const entry = await sim.store.entryAt(commit, path);
  if (!entry) throw notFound();
  if (entry.type === 'tree') {
    const listing = await sim.store.readTree(entry.sha);
    return json(
      200,
      listing.map((child) => itemShape(sim, { ...child, path: path ? `${path}/${child.path}` : child.path }, ref)),
    );
  }
  const item = itemShape(sim, entry, ref);
  if (entry.type === 'commit') return json(200, { ...item, submodule_git_url: '' });
  const data = (await sim.store.readBlob(entry.sha)) ?? Buffer.alloc(0);
  if (wantsRaw(ctx)) return { status: 200, raw: { data, contentType: 'text/plain; charset=utf-8' } };
  const file: Schemas['content-file'] = {
    ...item,
    type: 'file',
    encoding: 'base64',
    size: data.length,
    content: wrappedBase64(data),
    ...(item.type === 'symlink' ? { target: data.toString('utf8') } : {}),
  };
  return json(200, item.type === 'symlink' ? { ...file, type: 'symlink' } : file);
}

/** The branch a write goes to: `branch` from the body, or the default branch. */
async function targetBranch(sim: Sim, body: Record<string, unknown>): Promise<{ branch: string; tip: string }> {
  const branch = optionalString(body, 'branch') ?? (await sim.store.defaultBranch());
  const tip = await sim.store.branchSha(branch);
  if (!tip) throw notFound(`Branch ${branch} not found`);
  return { branch, tip };
}

/** Writes the commit and moves the branch; the branch moving meanwhile is a conflict, as on GitHub. */
async function commitChange(
  ctx: RequestContext,
  body: Record<string, unknown>,
  target: { branch: string; tip: string },
  tree: string,
  message: string,
): Promise<Schemas['git-commit']> {
  const { sim } = ctx;
  const now = sim.state.now();
  // GitHub: the committer defaults to the authenticated user; the author to the committer.
  const committer = personFrom(body.committer, 'committer', now) ?? { ...gitIdentity(sim, sim.login), date: now };
  const author = personFrom(body.author, 'author', now) ?? committer;
  const sha = await sim.store.writeCommit({ tree, parents: [target.tip], message, author, committer });
  if (!(await sim.store.updateRef(`refs/heads/${target.branch}`, sha, target.tip))) {
    throw conflict(`${target.branch} was updated meanwhile: is at a different commit than ${target.tip}`);
  }
  const commit = await sim.store.readCommit(sha);
  if (!commit) throw new Error(`commit ${sha} was written but cannot be read`);
  return gitCommitShape(sim, commit);
}

function checkPath(path: string): void {
  if (!isSafePath(path)) throw invalidRequest(`path ${JSON.stringify(path)} is not a valid file path`);
}

async function putContents(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const body = bodyObject(ctx);
  const path = ctx.params.path ?? '';
  checkPath(path);
  const message = requiredString(body, 'message');
  checkGitText(message, 'message');
  const content = decodeBase64(requiredString(body, 'content'), 'content');
  const sha = optionalString(body, 'sha');
  const target = await targetBranch(sim, body);
  const tipTree = (await sim.store.readCommit(target.tip))?.tree;
  const existing = await sim.store.entryAt(target.tip, path);
  if (existing) {
    if (existing.type !== 'blob')
      throw invalidRequest(`path ${JSON.stringify(path)} is a ${existing.type === 'tree' ? 'directory' : 'submodule'}`);
    if (sha === undefined) throw missingField('sha');
    if (sha !== existing.sha) throw conflict(`${path} does not match ${sha}`);
  }
  const blob = await sim.store.writeBlob(content);
  const tree = await writeTree(sim, tipTree, [{ path, mode: existing?.mode ?? '100644', type: 'blob', sha: blob }]);
  const commit = await commitChange(ctx, body, target, tree, message);
  const entry = await sim.store.entryAt(commit.sha, path);
  if (!entry) throw new Error(`${path} is missing from the commit just written`);
  const result: Schemas['file-commit'] = { content: itemShape(sim, entry, target.branch) as Schemas['file-commit']['content'], commit };
  return json(existing ? 200 : 201, result);
}

async function deleteContents(ctx: RequestContext): Promise<Reply> {
  const { sim } = ctx;
  const body = bodyObject(ctx);
  const path = ctx.params.path ?? '';
  checkPath(path);
  const message = requiredString(body, 'message');
  checkGitText(message, 'message');
  const sha = requiredString(body, 'sha');
  const target = await targetBranch(sim, body);
  const existing = await sim.store.entryAt(target.tip, path);
  if (existing?.type !== 'blob') throw notFound();
  if (sha !== existing.sha) throw conflict(`${path} does not match ${sha}`);
  const tipTree = (await sim.store.readCommit(target.tip))?.tree;
  const tree = await writeTree(sim, tipTree, [{ path, mode: existing.mode, type: 'blob', sha: null }]);
  const commit = await commitChange(ctx, body, target, tree, message);
  const result: Schemas['file-commit'] = { content: null, commit };
  return json(200, result);
}

/**
 * `download_url` targets (GitHub serves them from raw.githubusercontent.com). The ref may contain
 * slashes, so the longest prefix that names a commit wins, as GitHub resolves it.
 */
async function getRaw(ctx: RequestContext): Promise<Reply> {
  const parts = (ctx.params.rest ?? '').split('/');
  for (let cut = parts.length - 1; cut >= 1; cut--) {
    const commit = await ctx.sim.store.resolveCommitish(parts.slice(0, cut).join('/'));
    if (!commit) continue;
    const entry = await ctx.sim.store.entryAt(commit, parts.slice(cut).join('/'));
    if (entry?.type !== 'blob') break;
    const data = (await ctx.sim.store.readBlob(entry.sha)) ?? Buffer.alloc(0);
    return { status: 200, raw: { data, contentType: 'text/plain; charset=utf-8' } };
  }
  throw notFound();
}

export const contentsRoutes: Route[] = [
  { method: 'GET', path: '/repos/{owner}/{repo}/contents/{path*}', docs: 'repos/contents#get-repository-content', handle: getContents },
  {
    method: 'PUT',
    path: '/repos/{owner}/{repo}/contents/{path+}',
    docs: 'repos/contents#create-or-update-file-contents',
    maxBodyBytes: FILE_REQUEST_BODY_LIMIT,
    handle: putContents,
  },
  { method: 'DELETE', path: '/repos/{owner}/{repo}/contents/{path+}', docs: 'repos/contents#delete-a-file', handle: deleteContents },
  { method: 'GET', path: '/raw/{owner}/{repo}/{rest+}', docs: 'repos/contents#get-repository-content', handle: getRaw },
];
