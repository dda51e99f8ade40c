import { Git, type GitObject, type GitObjectType } from '../../git/git.js';

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
  return path.split('/').every((part) => part !== '' && part !== '.' && part !== '..' && part !== '.git');
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

interface EditNode {
  /** undefined: no edit at this name; null: remove it. */
  entry?: { mode: string; type: EntryType; sha: string } | null;
  children: Map<string, EditNode>;
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
    if (!isFullSha(sha)) return undefined;
    const result = await this.git.call(['cat-file', '-t', sha]);
    return result.exitCode === 0 ? (result.stdout.toString().trim() as ObjectType) : undefined;
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
    return this.git.readObjects([...wanted, ZERO_SHA]);
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
   * Builds a new tree from `base` (or from nothing) and a list of edits, bottom-up with `mktree`
   * (which also checks that every referenced object exists). Intermediate directories are created
   * as needed; a directory left empty disappears, as git cannot keep it.
   */
  async writeTree(base: string | undefined, edits: readonly TreeEdit[]): Promise<string> {
    const root: EditNode = { children: new Map() };
    for (const edit of edits) {
      let node = root;
      for (const part of edit.path.split('/')) {
        let child = node.children.get(part);
        if (!child) {
          child = { children: new Map() };
          node.children.set(part, child);
        }
        node = child;
      }
      node.entry = edit.sha === null ? null : { mode: edit.mode, type: edit.type, sha: edit.sha };
      // An explicit entry replaces what earlier edits built below it.
      node.children.clear();
    }
    return this.applyEdits(base, root);
  }

  private async applyEdits(base: string | undefined, node: EditNode): Promise<string> {
    const entries = new Map<string, { mode: string; type: EntryType; sha: string }>();
    if (base) for (const entry of await this.readTree(base)) entries.set(entry.path, entry);
    for (const [name, child] of node.children) {
      if (child.entry === null) entries.delete(name);
      else if (child.entry) entries.set(name, child.entry);
      if (child.children.size > 0) {
        const current = entries.get(name);
        const sub = await this.applyEdits(current?.type === 'tree' ? current.sha : undefined, child);
        if (sub === EMPTY_TREE) entries.delete(name);
        else entries.set(name, { mode: '040000', type: 'tree', sha: sub });
      }
    }
    const input = [...entries].map(([name, entry]) => `${entry.mode} ${entry.type} ${entry.sha}\t${name}\0`).join('');
    const result = await this.git.call(['mktree', '-z'], { input });
    if (result.exitCode !== 0) throw new Error(`git mktree: ${result.stderr.trim()}`);
    return result.stdout.toString().trim();
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
