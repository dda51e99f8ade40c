/**
 * The commit message of a scale change, built and read in one place: the CLI's `scale`, the
 * watcher's autoscale PR and the manual-scale workflow write it; `history` reads it. The reason
 * travels as a git trailer, so `git interpret-trailers` and `git log --format=%(trailers)` see it too.
 */

export const REASON_TRAILER = 'Autoscale-Reason';

/** Reasons are one line in a trailer; longer ones are cut (the PR body carries the full evidence). */
export const MAX_REASON_LENGTH = 500;

export interface ScaleChange {
  cluster: string;
  component: string;
  from: number;
  to: number;
  reason?: string | undefined;
}

/** What `history` needs from a commit message. */
export interface ParsedCommitMessage {
  subject: string;
  /** The `Autoscale-Reason` trailer values joined with `; `, or null when there is none. */
  reason: string | null;
  /** The pull request a mainline subject names, or null. */
  pr: number | null;
}

/**
 * A reason as a trailer value: one line, no control characters, trimmed, at most
 * MAX_REASON_LENGTH characters; empty when there is nothing to say.
 */
export function normalizeReason(reason: string | undefined): string {
  const oneLine = (reason ?? '')
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return oneLine.length > MAX_REASON_LENGTH ? `${oneLine.slice(0, MAX_REASON_LENGTH - 1)}…` : oneLine;
}

/** The subject of a scale commit: `Scale shop kubernetes_node 3 → 5`. */
export function scaleSubject(change: Omit<ScaleChange, 'reason'>): string {
  return `Scale ${change.cluster} ${change.component} ${change.from} → ${change.to}`;
}

/** The whole message, ending in a newline; the reason (when given) is the trailer `history` shows. */
export function scaleCommitMessage(change: ScaleChange): string {
  const reason = normalizeReason(change.reason);
  return `${scaleSubject(change)}\n${reason ? `\n${REASON_TRAILER}: ${reason}\n` : ''}`;
}

/** The PR a mainline subject names: GitHub's merge commit, or a squash or rebase title ending `(#N)`. */
export function pullRequestNumber(subject: string): number | null {
  const match = /^Merge pull request #(\d+) from /.exec(subject) ?? /\(#(\d+)\)\s*$/.exec(subject);
  return match?.[1] ? Number(match[1]) : null;
}

/** Trailer values as git reports them (`%(trailers:valueonly,unfold,separator=…)`), joined, or null. */
export function joinReasons(values: readonly string[]): string | null {
  const kept = values.map((value) => value.trim()).filter((value) => value.length > 0);
  return kept.length > 0 ? kept.join('; ') : null;
}

/**
 * Reads a commit message as git does: the subject is the first paragraph joined into one line;
 * trailers are `Key: value` lines of the last paragraph (keys compared without case, values
 * folded over indented continuation lines), and only when that paragraph is not the subject.
 */
export function parseCommitMessage(message: string): ParsedCommitMessage {
  const paragraphs = message
    .replace(/\r\n/g, '\n')
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/^\n+|\n+$/g, ''))
    .filter((p) => p.trim().length > 0);
  const subject = (paragraphs[0] ?? '').split('\n').join(' ').trim();
  const last = paragraphs.length > 1 ? paragraphs.at(-1) : undefined;
  return { subject, reason: last === undefined ? null : joinReasons(trailerValues(last, REASON_TRAILER)), pr: pullRequestNumber(subject) };
}

/** The values of `key` among a paragraph's trailers, or none when the paragraph is not a trailer block. */
function trailerValues(paragraph: string, key: string): string[] {
  const entries: Array<{ key: string; value: string }> = [];
  for (const line of paragraph.split('\n')) {
    const current = entries.at(-1);
    if (/^[ \t]/.test(line) && current) {
      current.value += ` ${line.trim()}`;
      continue;
    }
    const match = /^([A-Za-z0-9-]+)[ \t]*:[ \t]*(.*)$/.exec(line);
    // git takes a paragraph as trailers only when (almost) every line is one; prose is not.
    if (!match?.[1]) return [];
    entries.push({ key: match[1], value: match[2] ?? '' });
  }
  return entries.filter((entry) => entry.key.toLowerCase() === key.toLowerCase()).map((entry) => entry.value);
}
