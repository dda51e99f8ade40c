import { joinReasons, REASON_TRAILER } from './commit-message.js';
import { gitSince } from './since.js';

// `git log` as history asks for it, and the parser of its output: pure, so every corner of the
// format is tested without git. src/git/history.ts runs the commands.

export interface BlobRef {
  id: string;
  mode: string;
}

/** One file a commit changed; a side is undefined when the file did not exist on it. */
export interface RawChange {
  file: string;
  before: BlobRef | undefined;
  after: BlobRef | undefined;
}

export interface LogCommit {
  commit: string;
  /** The second parent of a merge: the head of the branch it merged. */
  mergedHead: string | undefined;
  /** Committer date, strict ISO 8601 with the committer's offset. */
  date: string;
  author: string;
  authorEmail: string;
  subject: string;
  /** The commit's own `Autoscale-Reason` trailer, or null. */
  reason: string | null;
  changes: RawChange[];
}

// Header fields of each commit, NUL-separated; the record separator marks where a commit starts.
const HEADER = ['%H', '%P', '%cI', '%aN', '%aE', '%s', `%(trailers:key=${REASON_TRAILER},valueonly,unfold,separator=%x1f)`];
const FORMAT = `%x1e${HEADER.join('%x00')}%x00`;

/**
 * The arguments of the mainline log of `paths` (root-relative) from `commit`; with `since`
 * (milliseconds since the epoch, see since.ts), only the commits at or after it.
 */
export function logArgs(commit: string, paths: readonly string[], since: number | undefined): string[] {
  const after = since === undefined ? undefined : gitSince(since);
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
    ...(after === undefined ? [] : [`--since=${after}`]),
    commit,
    '--',
    ...paths.map((path) => `:(top,literal)${path}`),
  ];
}

const ABSENT_ID = /^0+$/;

/** Reads `git log -z --raw` with FORMAT. Positional, so no byte inside a subject or path can derail it. */
export function parseLog(out: string): LogCommit[] {
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
      ...tokens.slice(i + 1, i + HEADER.length),
    ];
    commits.push({
      commit,
      mergedHead: parents.split(' ')[1],
      date,
      author,
      authorEmail,
      subject,
      reason: splitTrailers(trailers),
      changes: [],
    });
    i += HEADER.length;
  }
  return commits;
}

function rawChange(meta: string, file: string): RawChange {
  // `:<old mode> <new mode> <old id> <new id> <status>`
  const [oldMode = '', newMode = '', oldId = '', newId = ''] = meta.slice(1).split(' ');
  const side = (mode: string, id: string): BlobRef | undefined => (ABSENT_ID.test(id) ? undefined : { id, mode });
  return { file, before: side(oldMode, oldId), after: side(newMode, newId) };
}

const splitTrailers = (trailers: string): string | null => joinReasons(trailers.split('\x1f'));

/** The heads whose reason a merge without one inherits: GitHub's merge message drops the PR's trailer. */
export function headsNeedingReasons(commits: readonly LogCommit[]): string[] {
  return commits.filter((c) => c.reason === null && c.mergedHead && c.changes.length > 0).map((c) => c.mergedHead as string);
}

// One record per commit, `<id> <trailers>`, NUL-terminated (trailer values never hold a NUL).
const REASONS_FORMAT = `%H %(trailers:key=${REASON_TRAILER},valueonly,unfold,separator=%x1f)`;

/** The arguments that print the reasons of the commits given on stdin. */
export function reasonsArgs(): string[] {
  return ['log', '--no-walk=unsorted', '--stdin', '-z', '--encoding=UTF-8', `--format=${REASONS_FORMAT}`];
}

/** Reads the output of `reasonsArgs`: commit id → reason, for the commits that have one. */
export function parseReasons(out: string): Map<string, string> {
  const reasons = new Map<string, string>();
  for (const record of out.split('\0')) {
    const space = record.indexOf(' ');
    const reason = space > 0 ? splitTrailers(record.slice(space + 1)) : null;
    if (reason !== null) reasons.set(record.slice(0, space).trim(), reason);
  }
  return reasons;
}
