import { access } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import { DEFAULT_CONFIG_DIR, isYamlFile } from '../config/layout.js';
import { analyzeConfigText, clusterId, decodeConfigBytes } from '../config/load.js';
import type { Provider } from '../config/model.js';
import { CLUSTER_KINDS, clusterDocumentSchema } from '../config/schema.js';
import { UserError } from '../errors.js';
import { Git, GitError } from './git.js';

export { historyToJson, historyToMarkdown, historyToMermaid, historyToText } from '../history/format.js';

/** A component whose count a commit changed. */
export interface ComponentCountChange {
  component: string;
  from: number;
  to: number;
}

/**
 * What one commit did to one cluster file. `added`/`removed`: the cluster appeared or went away
 * (its counts read as 0 on the missing side); `scaled`: counts changed in place.
 */
export interface ClusterHistoryChange {
  file: string;
  name: string;
  provider: Provider;
  change: 'scaled' | 'added' | 'removed';
  components: ComponentCountChange[];
}

/** One mainline commit that changed at least one component count. */
export interface HistoryEntry {
  /** Full commit id. */
  commit: string;
  /** Committer date, strict ISO 8601 with the committer's offset. */
  date: string;
  /** Author name (after .mailmap). */
  author: string;
  authorEmail: string;
  pr: number | null;
  /** The `Autoscale-Reason:` trailer, or null when the commit (and a merged PR's head) has none. */
  reason: string | null;
  subject: string;
  clusters: ClusterHistoryChange[];
}

export interface ScaleHistoryOptions {
  /** Where to run: any directory inside the repository (or a bare repository). */
  cwd: string;
  /**
   * Files or directories to follow, relative to `cwd` (or absolute); a relative path that only
   * exists relative to the repository root is read that way. Default: the root's `cluster-config/`.
   */
  paths?: string[];
  /** Only commits newer than this date (any date git's `--since` accepts). */
  since?: string;
  /** The commit to walk back from. Default `HEAD`. */
  ref?: string;
}

export const REASON_TRAILER = 'Autoscale-Reason';
const NO_REPOSITORY = 'not a git repository: run history inside a clone of your cluster-config repository';

/**
 * The scale history of the mainline, newest first: one entry per commit that changed a component
 * count. Merged pull requests count once, as their merge commit (diffed against its first
 * parent); the commits of the merged branch are not walked.
 */
export async function scaleHistory(options: ScaleHistoryOptions): Promise<HistoryEntry[]> {
  const { root, prefix } = await locateRepository(options.cwd);
  const git = new Git(root);
  const commit = await resolveStart(git, options.ref ?? 'HEAD');
  const paths = options.paths?.length
    ? await Promise.all(options.paths.map((path) => repositoryPath(path, options.cwd, root, prefix)))
    : [`${DEFAULT_CONFIG_DIR}/`];
  if (options.since !== undefined) await checkSince(git, options.since);
  const commits = parseLog(await git.run(logArgs(commit, paths, options.since)));
  const isConfigFile = (file: string): boolean => isYamlFile(file) || paths.some((path) => posix.normalize(path) === file);
  for (const c of commits) c.changes = c.changes.filter((change) => isConfigFile(change.file));

  const refs = commits.flatMap((c) => c.changes.flatMap((change) => [change.before, change.after]));
  const blobs = await git.readBlobs(refs.filter(isBlob).map((ref) => ref.id));
  const reasons = await mergedReasons(git, commits);
  const read = snapshotReader(blobs);

  // Oldest first, so a side that cannot be read can fall back to the last version that could.
  const lastReadable = new Map<string, Side>();
  const entries: HistoryEntry[] = [];
  for (const c of commits.toReversed()) {
    const pairs: FilePair[] = [];
    for (const change of c.changes) {
      const after = read(change.after);
      let before = read(change.before);
      if (before === UNREADABLE) before = lastReadable.get(change.file) ?? UNREADABLE;
      const known = after !== UNREADABLE ? after : before;
      if (known !== UNREADABLE) lastReadable.set(change.file, known);
      pairs.push({ file: change.file, before, after });
    }
    const clusters = clusterChanges(pairs);
    if (clusters.length === 0) continue;
    entries.push({
      commit: c.commit,
      date: c.date,
      author: c.author,
      authorEmail: c.authorEmail,
      pr: pullRequestNumber(c.subject),
      reason: c.reason ?? (c.mergedHead ? (reasons.get(c.mergedHead) ?? null) : null),
      subject: c.subject,
      clusters,
    });
  }
  return entries.reverse();
}

/** The PR a mainline subject names: GitHub's merge commit, or a squash/rebase title ending `(#N)`. */
export function pullRequestNumber(subject: string): number | null {
  const match = /^Merge pull request #(\d+) from /.exec(subject) ?? /\(#(\d+)\)\s*$/.exec(subject);
  return match?.[1] ? Number(match[1]) : null;
}

async function locateRepository(cwd: string): Promise<{ root: string; prefix: string }> {
  try {
    await access(cwd);
  } catch {
    throw new UserError(`${cwd}: no such directory: run history inside a clone of your cluster-config repository`);
  }
  let out: string;
  try {
    // `--show-cdup` prints nothing in a bare repository, where paths are already root-relative.
    out = await new Git(cwd).run(['rev-parse', '--show-cdup', '--show-prefix']);
  } catch (error) {
    if (error instanceof GitError && error.notARepository) throw new UserError(NO_REPOSITORY);
    throw error;
  }
  const [cdup = '', prefix = ''] = out.split('\n');
  return { root: resolve(cwd, cdup), prefix };
}

/**
 * git reads any text as a date and falls back to "now" for what it cannot parse, which would
 * silently print an empty history; such a `--since` is refused instead.
 */
async function checkSince(git: Git, since: string): Promise<void> {
  const out = await git.run(['rev-parse', `--since=${since}`]);
  const seconds = Number(/--max-age=(\d+)/.exec(out)?.[1]);
  const meansNow = /^\s*(now|today|tomorrow)\s*$/i.test(since);
  if (!meansNow && Number.isFinite(seconds) && Math.abs(seconds - Date.now() / 1000) < 5) {
    throw new UserError(`--since "${since}" is not a date git understands: try 2026-11-01, "2 weeks ago" or yesterday`);
  }
}

async function resolveStart(git: Git, ref: string): Promise<string> {
  const commit = await git.resolveCommit(ref);
  if (commit) return commit;
  if ((await git.run(['rev-list', '-n', '1', '--all'])).trim() === '') {
    throw new UserError(`no commits yet in ${git.cwd}: commit your cluster-config first, or run history inside a clone that has them`);
  }
  throw new UserError(`unknown ref ${ref}: give a branch, tag or commit of this repository (\`git branch -a\` lists the branches)`);
}

/** A user's path as git's root-relative form, so the same `--file` works from any directory. */
async function repositoryPath(path: string, cwd: string, root: string, prefix: string): Promise<string> {
  const fromCwd = resolve(cwd, path);
  if (!isAbsolute(path) && !(await exists(fromCwd)) && (await exists(resolve(root, path)))) return posix.normalize(toPosix(path));
  const inRepository = posix.normalize(prefix + toPosix(relative(cwd, fromCwd)));
  if (inRepository === '..' || inRepository.startsWith('../')) {
    throw new UserError(`${path} is outside the repository at ${root}: give a file or directory inside it`);
  }
  return inRepository;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const toPosix = (path: string): string => path.split(sep).join('/');

// Header fields of each commit, NUL-separated; the record separator marks where a commit starts.
const FORMAT = `%x1e${['%H', '%P', '%cI', '%aN', '%aE', '%s', `%(trailers:key=${REASON_TRAILER},valueonly,unfold,separator=%x1f)`].join('%x00')}%x00`;

function logArgs(commit: string, paths: readonly string[], since: string | undefined): string[] {
  return [
    // User config must not change what is listed: `log.follow` would follow one file's renames
    // across clusters, and a signature check would print into the output.
    '-c',
    'log.follow=false',
    '-c',
    'log.showSignature=false',
    'log',
    '--first-parent',
    // git 2.39 already diffs merges against the first parent under --first-parent; say so
    // explicitly so `log.diffMerges` or a newer default cannot change it.
    '--diff-merges=first-parent',
    '--root',
    '--no-renames',
    '--no-relative',
    '--no-color',
    '--raw',
    '--no-abbrev',
    '-z',
    '--encoding=UTF-8',
    `--format=${FORMAT}`,
    ...(since === undefined ? [] : [`--since=${since}`]),
    commit,
    '--',
    ...paths.map((path) => `:(top,literal)${path}`),
  ];
}

interface BlobRef {
  id: string;
  mode: string;
}

interface RawChange {
  file: string;
  /** undefined: the file did not exist on that side. */
  before: BlobRef | undefined;
  after: BlobRef | undefined;
}

interface LogCommit {
  commit: string;
  /** The second parent of a merge: the head of the branch it merged. */
  mergedHead: string | undefined;
  date: string;
  author: string;
  authorEmail: string;
  subject: string;
  reason: string | null;
  changes: RawChange[];
}

const HEADER_FIELDS = 7;
const ABSENT_ID = /^0+$/;

/** Reads `git log -z --raw` with FORMAT. Positional, so no byte inside a subject or path can derail it. */
function parseLog(out: string): LogCommit[] {
  const tokens = out.split('\0');
  const commits: LogCommit[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = (tokens[i] ?? '').replace(/^\n+/, '');
    if (token === '') {
      i += 1;
      continue;
    }
    if (token.startsWith(':')) {
      const current = commits.at(-1);
      const file = tokens[i + 1];
      if (!current || file === undefined) throw new Error(`unexpected git log output near ${JSON.stringify(token)}`);
      current.changes.push(rawChange(token, file));
      i += 2;
      continue;
    }
    if (!token.startsWith('\x1e')) throw new Error(`unexpected git log output near ${JSON.stringify(token)}`);
    const [commit = '', parents = '', date = '', author = '', authorEmail = '', subject = '', trailers = ''] = [
      token.slice(1),
      ...tokens.slice(i + 1, i + HEADER_FIELDS),
    ];
    commits.push({
      commit,
      mergedHead: parents.split(' ')[1],
      date,
      author,
      authorEmail,
      subject,
      reason: joinTrailers(trailers),
      changes: [],
    });
    i += HEADER_FIELDS;
  }
  return commits;
}

function rawChange(meta: string, file: string): RawChange {
  // `:<old mode> <new mode> <old id> <new id> <status>`
  const [oldMode = '', newMode = '', oldId = '', newId = ''] = meta.slice(1).split(' ');
  const side = (mode: string, id: string): BlobRef | undefined => (ABSENT_ID.test(id) ? undefined : { id, mode });
  return { file, before: side(oldMode, oldId), after: side(newMode, newId) };
}

function joinTrailers(trailers: string): string | null {
  const values = trailers
    .split('\x1f')
    .map((value) => value.trim())
    .filter((value) => value.length > 0);
  return values.length > 0 ? values.join('; ') : null;
}

const isBlob = (ref: BlobRef | undefined): ref is BlobRef => ref !== undefined;

/**
 * Reasons of the branches merged by merge commits that carry none themselves: a PR's reason is
 * written in its commits (the watcher's trailer), and GitHub's merge commit message drops it.
 */
async function mergedReasons(git: Git, commits: readonly LogCommit[]): Promise<Map<string, string>> {
  const heads = commits.filter((c) => c.reason === null && c.mergedHead && c.changes.length > 0).map((c) => c.mergedHead as string);
  const reasons = new Map<string, string>();
  if (heads.length === 0) return reasons;
  // One record per commit, `<id> <trailers>`, NUL-terminated (trailer values never hold a NUL).
  const format = `%H %(trailers:key=${REASON_TRAILER},valueonly,unfold,separator=%x1f)`;
  const out = await git.run(
    ['log', '--no-walk=unsorted', '--stdin', '-z', '--encoding=UTF-8', `--format=${format}`],
    `${heads.join('\n')}\n`,
  );
  for (const record of out.split('\0')) {
    const space = record.indexOf(' ');
    const reason = space > 0 ? joinTrailers(record.slice(space + 1)) : null;
    if (reason !== null) reasons.set(record.slice(0, space).trim(), reason);
  }
  return reasons;
}

/** What a cluster file says on one side of a commit, as far as history needs it. */
interface Snapshot {
  name: string;
  provider: Provider;
  prefix: string | undefined;
  counts: Record<string, number>;
}

const ABSENT = 'absent';
const UNREADABLE = 'unreadable';
type Side = Snapshot | typeof ABSENT | typeof UNREADABLE;

interface FilePair {
  file: string;
  before: Side;
  after: Side;
}

const REGULAR_FILE = /^100(644|755)$/;

/** Parses each blob once, however many commits share it. */
function snapshotReader(blobs: ReadonlyMap<string, Buffer>): (ref: BlobRef | undefined) => Side {
  const cache = new Map<string, Side>();
  return (ref) => {
    if (!ref) return ABSENT;
    if (!REGULAR_FILE.test(ref.mode)) return UNREADABLE;
    let side = cache.get(ref.id);
    if (!side) {
      side = readSnapshot(ref.id, blobs.get(ref.id));
      cache.set(ref.id, side);
    }
    return side;
  };
}

/**
 * Counts are read leniently: a historic file that broke a rule checked today (a count outside
 * its bounds, a placeholder then thought a secret) still says how many nodes there were. Only a
 * cluster document that cannot be read at all makes the side unreadable.
 */
function readSnapshot(id: string, bytes: Buffer | undefined): Side {
  if (!bytes) return UNREADABLE;
  const text = decodeConfigBytes(id, bytes);
  if (typeof text !== 'string') return UNREADABLE;
  // Only counts matter here, so only the cluster and autoscaling documents are parsed: with
  // hundreds of versions of a large file, that is most of the cost of a history.
  const analysis = analyzeConfigText(id, text, { scalingOnly: true });
  if (analysis.config) {
    const { name, provider, prefix, counts } = analysis.config;
    return { name, provider, prefix, counts };
  }
  if (analysis.noCluster) return ABSENT;
  const clusterDocs = (analysis.source?.documents ?? []).filter((doc) => {
    const kind = (doc.value as { kind?: unknown }).kind;
    return typeof kind === 'string' && (CLUSTER_KINDS as readonly string[]).includes(kind);
  });
  const parsed = clusterDocs.length === 1 ? clusterDocumentSchema.safeParse(clusterDocs[0]?.value) : undefined;
  if (!parsed?.success) return UNREADABLE;
  const { provider, specification } = parsed.data;
  const counts: Record<string, number> = {};
  for (const [component, settings] of Object.entries(specification.components)) counts[component] = settings.count;
  return { name: specification.name, provider, prefix: specification.prefix ?? undefined, counts };
}

/**
 * The cluster changes of one commit. A cluster that moves to another file in the same commit
 * (same provider, prefix and name, so the same VMs) is one cluster, not a removal and an addition.
 */
function clusterChanges(pairs: readonly FilePair[]): ClusterHistoryChange[] {
  const readable = pairs.filter((p) => p.before !== UNREADABLE && p.after !== UNREADABLE);
  const removed = new Map<string, FilePair>();
  for (const pair of readable) {
    if (isSnapshot(pair.before) && pair.after === ABSENT) removed.set(clusterId(pair.before), pair);
  }
  const moved = new Set<FilePair>();
  const changes: ClusterHistoryChange[] = [];
  for (const { file, before, after } of readable) {
    if (isSnapshot(before) && isSnapshot(after)) {
      pushChange(changes, file, after, 'scaled', before.counts, after.counts);
    } else if (isSnapshot(after)) {
      const origin = removed.get(clusterId(after));
      if (origin && isSnapshot(origin.before)) {
        moved.add(origin);
        pushChange(changes, file, after, 'scaled', origin.before.counts, after.counts);
      } else {
        pushChange(changes, file, after, 'added', {}, after.counts);
      }
    }
  }
  for (const pair of removed.values()) {
    if (!moved.has(pair) && isSnapshot(pair.before)) pushChange(changes, pair.file, pair.before, 'removed', pair.before.counts, {});
  }
  return changes.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

const isSnapshot = (side: Side): side is Snapshot => typeof side === 'object';

function pushChange(
  changes: ClusterHistoryChange[],
  file: string,
  cluster: Snapshot,
  change: ClusterHistoryChange['change'],
  before: Record<string, number>,
  after: Record<string, number>,
): void {
  const components: ComponentCountChange[] = [];
  for (const component of new Set([...Object.keys(after), ...Object.keys(before)])) {
    const from = before[component] ?? 0;
    const to = after[component] ?? 0;
    if (from !== to) components.push({ component, from, to });
  }
  // A cluster appearing or going away is a change even if every count in it is 0.
  if (components.length > 0 || change !== 'scaled') {
    changes.push({ file, name: cluster.name, provider: cluster.provider, change, components });
  }
}
