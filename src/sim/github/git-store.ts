import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { Git, type GitObject, type GitObjectType } from '../../git/git.js';
import { MAX_TREE_DEPTH } from './limits.js';

/**
 * The repository store: every object and ref the simulator serves lives in a real bare git
 * repository and is read and written with git plumbing, so whatever a client builds through the API
 * can be checked afterwards with `git log`, `git show` or `git fsck`.
 */

export type ObjectType = GitObjectType;
export type EntryType = 'blob' | 'tree' | 'commit';

/** An author or committer as the API shows it: the date is ISO 8601 in UTC. */
export interface GitPerson {
  name: string;
  email: string;
  date: string;
}

export interface CommitObject {
  sha: string;
  tree: string;
  parents: string[];
  author: GitPerson;
  committer: GitPerson;
  message: string;
  signature: string | null;
}

export interface TreeEntry {
  path: string;
  mode: string;
  type: EntryType;
  sha: string;
  /** Blobs only. */
  size?: number;
}

/** A change to a tree: `sha: null` removes the path. Paths may be nested (`a/b/c.yml`). */
export interface TreeEdit {
  path: string;
  mode: string;
  type: EntryType;
  sha: string | null;
}

export interface RefEntry {
  ref: string;
  sha: string;
  type: ObjectType;
}

export interface FileChange {
  filename: string;
  previousFilename?: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed';
  /** The blob at the new side, or null when the file was removed. */
  sha: string | null;
  additions: number;
  deletions: number;
  /** The hunks, from the first `@@`; absent for binary files and pure renames. */
  patch?: string;
}

export interface MergeResult {
  tree: string;
  clean: boolean;
  conflicts: string[];
}

/** The id of git's empty tree: what a directory becomes when its last file is removed. */
export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
const ZERO_SHA = '0000000000000000000000000000000000000000';
const FULL_SHA = /^[0-9a-f]{40}$/;

/** A full object id: the git data endpoints take nothing shorter. */
export function isFullSha(value: string): boolean {
  return FULL_SHA.test(value);
}

/**
 * Whether a full ref name is one git accepts (the rules of `git check-ref-format`), checked here
 * so that a name from a URL can never become an option or a revision expression for git.
 */
export function isValidRefName(ref: string): boolean {
  if (!ref.startsWith('refs/') || ref.split('/').length < 3 || !ref.isWellFormed()) return false;
  if (ref.endsWith('/') || ref.endsWith('.') || ref.endsWith('.lock')) return false;
  if (ref.includes('..') || ref.includes('//') || ref.includes('@{') || ref === '@') return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what git forbids in ref names
  if (/[\u0000-\u0020\u007f~^:?*[\\]/.test(ref)) return false;
  return ref.split('/').every((part) => part.length > 0 && !part.startsWith('.') && !part.endsWith('.lock'));
}

/**
 * Whether a path from a client can name a file in a tree: no empty, `.`, `..` or `.git` parts (git
 * itself refuses those) and no control characters (a NUL would end a `mktree -z` record early).
 */
export function isSafePath(path: string): boolean {
  if (path === '' || !path.isWellFormed()) return false;
  for (const char of path) if ((char.codePointAt(0) ?? 0) < 0x20) return false;
  const parts = path.split('/');
  return parts.length <= MAX_TREE_DEPTH && parts.every((part) => part !== '' && part !== '.' && part !== '..' && part !== '.git');
}

/** `1700000000 +0100` (git's raw date) → `2023-11-14T22:13:20Z` (GitHub's). */
function isoFromRaw(epoch: string): string {
  return new Date(Number(epoch) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * An ISO 8601 date → git's raw `@<epoch> <offset>`, keeping the offset the client gave; undefined
 * when git cannot store it. The `@` matters: without it git reads a bare number as a raw date only
 * between 1973 and 2099, and refuses 1970-01-01 or 2100. Before 1970 git refuses either way.
 */
export function rawFromIso(iso: string): string | undefined {
  const millis = Date.parse(iso);
  if (Number.isNaN(millis) || millis < 0) return undefined;
  const offset = /([+-])(\d{2}):?(\d{2})$/.exec(iso);
  const tz = offset ? `${offset[1]}${offset[2]}${offset[3]}` : '+0000';
  return `@${Math.floor(millis / 1000)} ${tz}`;
}

function parsePerson(value: string): GitPerson {
  const match = /^(.*) <([^>]*)> (\d+) ([+-]\d{4})$/.exec(value);
  if (!match) return { name: value, email: '', date: isoFromRaw('0') };
  return { name: match[1] ?? '', email: match[2] ?? '', date: isoFromRaw(match[3] ?? '0') };
}

/** Parses a raw commit object (`git cat-file commit`). */
function parseCommit(sha: string, raw: string): CommitObject {
  const split = raw.indexOf('\n\n');
  const headerText = split < 0 ? raw : raw.slice(0, split);
  const message = split < 0 ? '' : raw.slice(split + 2);
  const commit: CommitObject = {
    sha,
    tree: '',
    parents: [],
    author: parsePerson(''),
    committer: parsePerson(''),
    // Git stores a message with a final newline; the API shows it without.
    message: message.endsWith('\n') ? message.slice(0, -1) : message,
    signature: null,
  };
  const headers: Array<[string, string]> = [];
  for (const line of headerText.split('\n')) {
    const last = headers.at(-1);
    if (line.startsWith(' ') && last) last[1] += `\n${line.slice(1)}`;
    else {
      const space = line.indexOf(' ');
      headers.push([line.slice(0, space), line.slice(space + 1)]);
    }
  }
  for (const [key, value] of headers) {
    if (key === 'tree') commit.tree = value;
    else if (key === 'parent') commit.parents.push(value);
    else if (key === 'author') commit.author = parsePerson(value);
    else if (key === 'committer') commit.committer = parsePerson(value);
    else if (key === 'gpgsig') commit.signature = value;
  }
  return commit;
}

interface Entry {
  mode: string;
  type: EntryType;
  sha: string;
}

/** A directory a tree edit passes through. Names are keys: UTF-8 bytes read as Latin-1, as git stores them. */
interface DirNode {
  /** What an edit put at this very name (null: removed); undefined when edits only pass through. */
  entry?: Entry | null;
  children: Map<string, DirNode>;
  /** The tree this directory starts from, when there is one. */
  source?: string;
  /** Its entries, read from `source`, then edited. */
  entries?: Map<string, Entry>;
}

/** A name as a key of DirNode and of a tree read from git: its UTF-8 bytes as Latin-1. */
function nameKey(name: string): string {
  return Buffer.from(name, 'utf8').toString('latin1');
}

function typeOfMode(mode: string): EntryType {
  return mode === '40000' ? 'tree' : mode === '160000' ? 'commit' : 'blob';
}

/** A raw tree object's entries (`<mode> SP <name> NUL <20-byte id>`, repeated). */
function parseTree(data: Buffer): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  for (let at = 0; at < data.length; ) {
    const space = data.indexOf(0x20, at);
    const nul = data.indexOf(0, space);
    if (space < 0 || nul < 0) break;
    const mode = data.toString('latin1', at, space);
    entries.set(data.toString('latin1', space + 1, nul), { mode, type: typeOfMode(mode), sha: data.toString('hex', nul + 1, nul + 21) });
    at = nul + 21;
  }
  return entries;
}

/**
 * A tree object as git writes it: entries sorted by name bytes, a directory compared as if its
 * name ended in `/`; modes without leading zeros (`40000`).
 */
function treeObject(entries: ReadonlyMap<string, Entry>): Buffer {
  const sortKey = ([name, entry]: [string, Entry]): string => (entry.type === 'tree' ? `${name}/` : name);
  const sorted = [...entries].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1));
  return Buffer.concat(
    sorted.flatMap(([name, entry]) => [Buffer.from(`${entry.mode.replace(/^0+/, '')} ${name}\0`, 'latin1'), Buffer.from(entry.sha, 'hex')]),
  );
}

const PACK_TYPES = { commit: 1, tree: 2, blob: 3, tag: 4 } as const;

/** git's `transfer.unpackLimit` default: more objects than this are kept as a pack. */
const UNPACK_LIMIT = 100;

/** git's id of an object: the SHA-1 of `<type> <size>\0<bytes>`. */
function objectId(type: ObjectType, data: Buffer): string {
  return createHash('sha1').update(`${type} ${data.length}\0`).update(data).digest('hex');
}

/** A version 2 pack of whole objects (no deltas), as `git unpack-objects` reads one. */
function packOf(objects: readonly NewObject[]): Buffer {
  const header = Buffer.alloc(12);
  header.write('PACK', 0, 'latin1');
  header.writeUInt32BE(2, 4);
  header.writeUInt32BE(objects.length, 8);
  const parts = [header];
  for (const { type, data } of objects) {
    // Type and size: 4 bits of size in the first byte, 7 in each following one.
    const head: number[] = [];
    let size = Math.floor(data.length / 16);
    let byte = (PACK_TYPES[type] << 4) | (data.length & 0x0f);
    while (size > 0) {
      head.push(byte | 0x80);
      byte = size & 0x7f;
      size = Math.floor(size / 128);
    }
    head.push(byte);
    parts.push(Buffer.from(head), deflateSync(data));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([body, createHash('sha1').update(body).digest()]);
}

export interface NewObject {
  type: 'blob' | 'tree';
  data: Buffer;
}

/** git refused objects as its fsck would refuse them on a push (a tree entry named `.GIT`, say). */
export class RejectedObjectError extends Error {
  constructor(gitMessage: string) {
    super(gitMessage);
    this.name = 'RejectedObjectError';
  }
}

export class GitStore {
  private readonly git: Git;

  constructor(readonly dir: string) {
    // Literal pathspecs: a path from a URL is a file name, never a glob or `:(magic)`.
    this.git = new Git(dir, { GIT_DIR: dir, GIT_LITERAL_PATHSPECS: '1' });
  }

  /** Whether `dir` is itself a bare repository (not a directory inside some other repository). */
  static async isBareRepository(dir: string): Promise<boolean> {
    const probe = new Git(dir, { GIT_DIR: dir });
    const result = await probe.call(['rev-parse', '--is-bare-repository']);
    return result.exitCode === 0 && result.stdout.toString().trim() === 'true';
  }

  /** The branch HEAD names (`main`), as GitHub's `default_branch`. */
  async defaultBranch(): Promise<string> {
    const result = await this.git.call(['symbolic-ref', '--quiet', 'HEAD']);
    const ref = result.stdout.toString().trim();
    return ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : 'main';
  }

  /** Refs whose full name starts with `prefix` (a string prefix, as `matching-refs` is), sorted. */
  async listRefs(prefix = 'refs/'): Promise<RefEntry[]> {
    const out = await this.git.run(['for-each-ref', '--format=%(objectname) %(objecttype) %(refname)', 'refs/']);
    const refs: RefEntry[] = [];
    for (const line of out.split('\n')) {
      const [sha, type, ref] = line.split(' ');
      if (sha && type && ref?.startsWith(prefix)) refs.push({ ref, sha, type: type as ObjectType });
    }
    return refs;
  }

  async readRef(ref: string): Promise<RefEntry | undefined> {
    if (!isValidRefName(ref)) return undefined;
    return (await this.listRefs(ref)).find((entry) => entry.ref === ref);
  }

  /** The commit a branch points at. */
  async branchSha(branch: string): Promise<string | undefined> {
    return (await this.readRef(`refs/heads/${branch}`))?.sha;
  }

  /**
   * Compare-and-swap: moves `ref` to `sha` only if it still points at `expected` (`null`: only if
   * it does not exist yet). Two requests racing for one branch cannot both win.
   */
  async updateRef(ref: string, sha: string, expected: string | null): Promise<boolean> {
    const result = await this.git.call(['update-ref', '--no-deref', ref, sha, expected ?? ZERO_SHA]);
    return result.exitCode === 0;
  }

  async deleteRef(ref: string, expected: string): Promise<boolean> {
    const result = await this.git.call(['update-ref', '--no-deref', '-d', ref, expected]);
    return result.exitCode === 0;
  }

  /** The type of an object, or undefined when the repository does not have it. */
  async objectType(sha: string): Promise<ObjectType | undefined> {
    return (await this.objectTypes([sha])).get(sha);
  }

  /** The types of many objects with one `cat-file --batch-check`; ids the repository lacks are left out. */
  async objectTypes(shas: Iterable<string>): Promise<Map<string, ObjectType>> {
    const wanted = [...new Set(shas)].filter(isFullSha);
    const types = new Map<string, ObjectType>();
    if (wanted.length === 0) return types;
    const out = await this.git.run(['cat-file', '--batch-check'], `${wanted.join('\n')}\n`);
    for (const line of out.split('\n')) {
      // `<id> <type> <size>`, or `<id> missing`.
      const [sha, type] = line.split(' ');
      if (sha && isFullSha(sha) && type && type !== 'missing') types.set(sha, type as ObjectType);
    }
    return types;
  }

  /** Full object id of a commit-ish given by a client (a sha or a branch/tag name), or undefined. */
  async resolveCommitish(rev: string): Promise<string | undefined> {
    return this.resolve(rev, 'commit');
  }

  /** Full object id of a tree-ish (a tree, a commit, or a branch name: GitHub accepts all three). */
  async resolveTreeish(rev: string): Promise<string | undefined> {
    return this.resolve(rev, 'tree');
  }

  private async resolve(rev: string, type: 'commit' | 'tree'): Promise<string | undefined> {
    // Only plain names and hex ids: never `-option`, `a..b`, `x^{...}` or `:path` from a client.
    if (!/^[A-Za-z0-9_][A-Za-z0-9._/-]*$/.test(rev) || rev.includes('..')) return undefined;
    const result = await this.git.call(['rev-parse', '--verify', '--quiet', '--end-of-options', `${rev}^{${type}}`]);
    return result.exitCode === 0 ? result.stdout.toString().trim() : undefined;
  }

  async readCommit(sha: string): Promise<CommitObject | undefined> {
    return (await this.readCommits([sha])).get(sha);
  }

  /** Many commits in one `cat-file --batch`, so a pull request's commit list costs one spawn. */
  async readCommits(shas: readonly string[]): Promise<Map<string, CommitObject>> {
    const commits = new Map<string, CommitObject>();
    for (const [sha, object] of await this.readObjects(shas)) {
      if (object.type === 'commit') commits.set(sha, parseCommit(sha, object.data.toString('utf8')));
    }
    return commits;
  }

  async readBlob(sha: string): Promise<Buffer | undefined> {
    const object = (await this.readObjects([sha])).get(sha);
    return object?.type === 'blob' ? object.data : undefined;
  }

  private async readObjects(shas: readonly string[]): Promise<Map<string, GitObject>> {
    const wanted = shas.filter(isFullSha);
    if (wanted.length === 0) return new Map();
    // Asked last, an id no repository has: git answers it with a line of its own, so no object's
    // bytes end the output. Git.call lets execa strip a final "\n" or "\r\n" from the output, which
    // took the last byte of any object ending in "\r" (a blob `line\r` was served as `line`).
    return this.git.readObjects([...wanted, EMPTY_TREE]);
  }

  /** The entries of a tree (one level, or every level with trees included, as GitHub's `recursive=1`). */
  async readTree(tree: string, recursive = false): Promise<TreeEntry[]> {
    const args = ['ls-tree', '-z', '-l', ...(recursive ? ['-r', '-t'] : []), '--end-of-options', tree];
    const out = (await this.git.call(args)).stdout.toString('utf8');
    const entries: TreeEntry[] = [];
    for (const record of out.split('\0')) {
      const tab = record.indexOf('\t');
      if (tab < 0) continue;
      const [mode, type, sha, size] = record.slice(0, tab).split(/\s+/);
      if (!mode || !type || !sha) continue;
      const entry: TreeEntry = { path: record.slice(tab + 1), mode, type: type as EntryType, sha };
      if (type === 'blob' && size !== undefined && size !== '-') entry.size = Number(size);
      entries.push(entry);
    }
    return entries;
  }

  /** The entry at `path` in a commit's tree, or undefined when there is nothing there. */
  async entryAt(commit: string, path: string): Promise<TreeEntry | undefined> {
    // No tree can hold a NUL in a name (and no process can take one as an argument).
    if (path.includes('\0')) return undefined;
    if (path === '') {
      const tree = await this.resolveTreeish(commit);
      return tree ? { path: '', mode: '040000', type: 'tree', sha: tree } : undefined;
    }
    const out = (await this.git.call(['ls-tree', '-z', '-l', '--full-tree', '--end-of-options', commit, '--', path])).stdout.toString(
      'utf8',
    );
    for (const record of out.split('\0')) {
      const tab = record.indexOf('\t');
      if (tab < 0 || record.slice(tab + 1) !== path) continue;
      const [mode, type, sha, size] = record.slice(0, tab).split(/\s+/);
      if (!mode || !type || !sha) continue;
      return { path, mode, type: type as EntryType, sha, ...(type === 'blob' && size && size !== '-' ? { size: Number(size) } : {}) };
    }
    return undefined;
  }

  async writeBlob(content: Uint8Array): Promise<string> {
    const result = await this.git.call(['hash-object', '-w', '--stdin', '--no-filters'], { input: content });
    if (result.exitCode !== 0) throw new Error(`git hash-object: ${result.stderr.trim()}`);
    return result.stdout.toString().trim();
  }

  /**
   * Writes many objects with one git process, as a push would bring them, and answers their ids:
   * up to 100 as loose objects (`unpack-objects`), more kept as a pack (`index-pack`), git's own
   * `transfer.unpackLimit` rule. Either way `--strict`: git checks each object as its fsck does on
   * a push (a tree's order, modes and names, and that every object a tree names exists) and writes
   * none if one fails: RejectedObjectError, with git's reason.
   */
  async writeObjects(objects: readonly NewObject[]): Promise<string[]> {
    if (objects.length === 0) return [];
    const ids = objects.map(({ type, data }) => objectId(type, data));
    // Each object once: two equal subtrees are one object, and git refuses a pack that holds it twice.
    const distinct = new Map(objects.map((object, at) => [ids[at] ?? '', object]));
    const args = distinct.size > UNPACK_LIMIT ? ['index-pack', '--stdin', '--strict'] : ['unpack-objects', '-q', '--strict'];
    const result = await this.git.call(args, { input: packOf([...distinct.values()]) });
    if (result.exitCode !== 0) {
      const reason = /^error: (.*)$/m.exec(result.stderr)?.[1] ?? result.stderr.trim();
      throw new RejectedObjectError(`git refuses this tree: ${reason}`);
    }
    return ids;
  }

  /**
   * Builds a new tree from `base` (or from nothing) and a list of edits. Intermediate directories
   * are created as needed; a directory left empty disappears, as git cannot keep it. However many
   * entries and directories, it costs three git processes: the trees the edits start from are read
   * with two, the new trees are built here and written with one (see writeObjects).
   */
  async writeTree(base: string | undefined, edits: readonly TreeEdit[]): Promise<string> {
    const root: DirNode = { children: new Map(), ...(base ? { source: base } : {}) };
    for (const edit of edits) {
      let node = root;
      for (const part of edit.path.split('/')) {
        const key = nameKey(part);
        let child = node.children.get(key);
        if (!child) {
          child = { children: new Map() };
          node.children.set(key, child);
        }
        node = child;
      }
      node.entry = edit.sha === null ? null : { mode: edit.mode, type: edit.type, sha: edit.sha };
      // An explicit entry replaces what earlier edits built below it.
      node.children.clear();
    }
    // Top down: each directory's entries as they are now. Every tree the edits can start from is
    // read first, with two git processes however deep the edits go.
    const sources = new Set<string>(base ? [base] : []);
    for (const stack = [root]; stack.length > 0; ) {
      const node = stack.pop() as DirNode;
      if (node.entry?.type === 'tree' && node.children.size > 0) sources.add(node.entry.sha);
      for (const child of node.children.values()) stack.push(child);
    }
    const trees = await this.readTreesUnder([...sources]);
    const levels: DirNode[][] = [];
    for (let level = [root]; level.length > 0; ) {
      levels.push(level);
      const next: DirNode[] = [];
      for (const node of level) {
        node.entries = new Map(node.source ? trees.get(node.source) : undefined);
        for (const [name, child] of node.children) {
          if (child.children.size === 0) continue;
          // A directory edits pass through starts from what the edit or the base has there.
          const start = child.entry === undefined ? node.entries.get(name) : child.entry;
          if (start?.type === 'tree') child.source = start.sha;
          next.push(child);
        }
      }
      level = next;
    }
    // Bottom up: apply the edits, and build each tree from its finished subtrees.
    const built = new Map<DirNode, string | undefined>();
    const objects: NewObject[] = [];
    for (const level of levels.reverse()) {
      for (const node of level) {
        const entries = node.entries ?? new Map<string, Entry>();
        for (const [name, child] of node.children) {
          if (child.entry === null) entries.delete(name);
          else if (child.entry) entries.set(name, child.entry);
          if (child.children.size === 0) continue;
          const sub = built.get(child);
          if (sub === undefined) entries.delete(name);
          else entries.set(name, { mode: '40000', type: 'tree', sha: sub });
        }
        if (entries.size === 0 && node !== root) {
          built.set(node, undefined);
          continue;
        }
        const data = treeObject(entries);
        objects.push({ type: 'tree', data });
        built.set(node, objectId('tree', data));
      }
    }
    await this.writeObjects(objects);
    return built.get(root) ?? EMPTY_TREE;
  }

  /**
   * Every tree reachable from `roots`, parsed, by id: one `rev-list` names them, one `cat-file`
   * reads them. As many as the repository has at most, and never a git process per directory.
   */
  private async readTreesUnder(roots: readonly string[]): Promise<Map<string, Map<string, Entry>>> {
    const trees = new Map<string, Map<string, Entry>>();
    if (roots.length === 0) return trees;
    const listed = await this.git.run(
      ['rev-list', '--objects', '--filter=blob:none', '--no-object-names', '--stdin'],
      `${roots.join('\n')}\n`,
    );
    for (const [sha, object] of await this.readObjects(listed.split('\n'))) {
      if (object.type === 'tree') trees.set(sha, parseTree(object.data));
    }
    return trees;
  }

  /** Writes a commit object; dates are ISO 8601 and keep the offset given. */
  async writeCommit(commit: {
    tree: string;
    parents: readonly string[];
    message: string;
    author: { name: string; email: string; date: string };
    committer: { name: string; email: string; date: string };
  }): Promise<string> {
    const env = {
      GIT_AUTHOR_NAME: commit.author.name,
      GIT_AUTHOR_EMAIL: commit.author.email,
      GIT_AUTHOR_DATE: rawFromIso(commit.author.date) ?? commit.author.date,
      GIT_COMMITTER_NAME: commit.committer.name,
      GIT_COMMITTER_EMAIL: commit.committer.email,
      GIT_COMMITTER_DATE: rawFromIso(commit.committer.date) ?? commit.committer.date,
    };
    const args = ['commit-tree', '--no-gpg-sign', ...commit.parents.flatMap((p) => ['-p', p]), commit.tree];
    const message = commit.message.endsWith('\n') ? commit.message : `${commit.message}\n`;
    const result = await this.git.call(args, { input: message, env });
    if (result.exitCode !== 0) throw new Error(`git commit-tree: ${result.stderr.trim()}`);
    return result.stdout.toString().trim();
  }

  /** Whether `ancestor` is reachable from `descendant` (a fast-forward from one to the other). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    return (await this.git.call(['merge-base', '--is-ancestor', ancestor, descendant])).exitCode === 0;
  }

  async mergeBase(a: string, b: string): Promise<string | undefined> {
    const result = await this.git.call(['merge-base', a, b]);
    return result.exitCode === 0 ? result.stdout.toString().trim() : undefined;
  }

  /** A real three-way merge without a worktree (`git merge-tree --write-tree`). */
  async mergeTrees(ours: string, theirs: string): Promise<MergeResult> {
    const result = await this.git.call(['merge-tree', '--write-tree', '--name-only', '--no-messages', '-z', ours, theirs]);
    if (result.exitCode !== 0 && result.exitCode !== 1) throw new Error(`git merge-tree: ${result.stderr.trim()}`);
    const [tree = '', ...conflicts] = result.stdout.toString('utf8').split('\0');
    return { tree: tree.trim(), clean: result.exitCode === 0, conflicts: [...new Set(conflicts.filter((c) => c.length > 0))] };
  }

  /** Commits reachable from `head` but not from `base`, oldest first (a pull request's commits). */
  async commitsBetween(base: string, head: string): Promise<string[]> {
    const out = await this.git.run(['rev-list', '--reverse', head, `^${base}`]);
    return out.split('\n').filter((sha) => sha.length > 0);
  }

  /** The files changed from `from` to `to`, with GitHub's statuses, counts and per-file patches. */
  async diffFiles(from: string, to: string): Promise<FileChange[]> {
    const range = ['-M', '--no-color', '--no-ext-diff', from, to];
    const [raw, numstat, patch] = await Promise.all([
      this.git.call(['diff', '--raw', '-z', '--no-abbrev', ...range]),
      this.git.call(['diff', '--numstat', '-z', ...range]),
      this.git.call(['diff', '--patch', ...range]),
    ]);
    const changes: FileChange[] = [];
    const rawFields = raw.stdout.toString('utf8').split('\0');
    for (let i = 0; i < rawFields.length; ) {
      const meta = rawFields[i++];
      if (!meta?.startsWith(':')) continue;
      const [, , , newSha, status = 'M'] = meta.slice(1).split(' ');
      const letter = status[0];
      const first = rawFields[i++] ?? '';
      const second = letter === 'R' || letter === 'C' ? (rawFields[i++] ?? '') : undefined;
      const kind = { A: 'added', D: 'removed', M: 'modified', R: 'renamed', C: 'copied', T: 'changed' } as const;
      changes.push({
        filename: second ?? first,
        ...(second !== undefined ? { previousFilename: first } : {}),
        status: kind[letter as keyof typeof kind] ?? 'modified',
        sha: letter === 'D' || !newSha ? null : newSha,
        additions: 0,
        deletions: 0,
      });
    }
    // numstat -z: `add\tdel\tpath\0`, or `add\tdel\t\0old\0new\0` for a rename; `-` for binary.
    const stats = numstat.stdout.toString('utf8').split('\0');
    let index = 0;
    for (let i = 0; i < stats.length && index < changes.length; ) {
      const record = stats[i++] ?? '';
      const [added, deleted, path] = record.split('\t');
      if (added === undefined || deleted === undefined) continue;
      if (path === '') i += 2;
      const change = changes[index++];
      if (!change) break;
      change.additions = added === '-' ? 0 : Number(added);
      change.deletions = deleted === '-' ? 0 : Number(deleted);
    }
    const sections = patch.stdout
      .toString('utf8')
      .split(/^diff --git /m)
      .slice(1);
    sections.forEach((section, at) => {
      const hunks = section.indexOf('\n@@');
      const change = changes[at];
      if (change && hunks >= 0) change.patch = section.slice(hunks + 1).replace(/\n$/, '');
    });
    return changes;
  }
}
