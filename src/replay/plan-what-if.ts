/**
 * The what-if replay of a pull request's plan comment: for a cluster whose autoscaling settings
 * the pull request changes, the last week of the cluster's recording is replayed under the
 * settings before and after it (`whatIfSection`). The recording of cluster `aws/demo-shop` is
 * `<recordings>/aws/demo-shop.jsonl` (and its rotated older part `….jsonl.1`), read from the
 * checkout.
 *
 * The section informs a review; it is never a reason to fail the check. So nothing about the
 * recording throws: a missing one gives a line saying how to make one, and one that cannot be
 * replayed a line naming what is wrong (at its file:line when it is one line), plus a problem the
 * action reports as a warning.
 */
import { open } from 'node:fs/promises';
import { posix, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type ClusterConfig, clusterId, parseClusterConfig, WORKER_COMPONENT } from '../config/index.js';
import { UserError } from '../errors.js';
import { codeSpan, markdownText } from '../github/plan-comment.js';
import { lastRecordedTime, loadRecording, RecordingLineError, recordedCycles, recordingParts } from '../record/reader.js';
import { WHAT_IF_HEADING, whatIfSection } from './markdown.js';
import { type ConfigText, replayPolicy } from './policies.js';
import { differences } from './series.js';

/** How much of the recording is replayed: its last week, back from its last cycle. */
export const WHAT_IF_SPAN_MS = 7 * 86_400_000;

/** The default folder of the recordings in the repository (the plan action's `recordings` input). */
export const DEFAULT_RECORDINGS_DIR = 'recordings';

/** Where the recording of cluster `id` (`aws/demo-shop`) is: `<dir>/aws/demo-shop.jsonl`, `/`-separated as in the repository. */
export function recordingPathOf(dir: string, id: string): string {
  return posix.join(dir, `${id}.jsonl`);
}

/** A cluster on both sides of the change, autoscaled on both, whose workers' autoscaling entry is written differently. */
export interface AutoscalingChange {
  /** provider/prefix-name */
  id: string;
  before: ClusterConfig;
  after: ClusterConfig;
}

/**
 * The clusters whose workers' autoscaling entry differs, found from the parsed configs before any
 * text is read. A cluster added or removed, or one that gains or loses its entry, has no two
 * policies to compare, so it is not one of them.
 */
export function autoscalingChanges(before: readonly ClusterConfig[], after: readonly ClusterConfig[]): AutoscalingChange[] {
  const earlier = new Map(before.map((config) => [clusterId(config), config]));
  const changes: AutoscalingChange[] = [];
  for (const config of after) {
    const id = clusterId(config);
    const old = earlier.get(id);
    const from = old?.autoscaling[WORKER_COMPONENT];
    const to = config.autoscaling[WORKER_COMPONENT];
    if (old && from && to && !isDeepStrictEqual(from, to)) changes.push({ id, before: old, after: config });
  }
  return changes;
}

/** What the action reports as a warning, at the recording's line when there is one. */
export interface WhatIfProblem {
  message: string;
  file: string;
  line?: number | undefined;
}

/** A cluster's what-if section of the plan comment. */
export interface WhatIf {
  /** The cluster's provider/prefix-name id. */
  cluster: string;
  /** Markdown, starting with the section's heading. */
  markdown: string;
  /** Why there is no replay in it, when something is wrong with the recording. */
  problem?: WhatIfProblem | undefined;
}

export interface WhatIfOptions {
  id: string;
  before: ConfigText;
  after: ConfigText;
  /** The checkout, which `dir` is relative to. */
  root: string;
  /** The folder of the recordings, relative to the checkout (`recordings`). */
  dir: string;
  applyDelayMs?: number | undefined;
}

const section = (line: string): string => `${WHAT_IF_HEADING}\n\n${line}\n`;

/** The line of a cluster without a recording: where it was looked for, and how to make one. */
export function missingRecordingSection(id: string, path: string): string {
  return section(
    `No recording of ${codeSpan(id)} to replay this change over: ${codeSpan(path)} is not in the repository. ` +
      `Record with ${codeSpan('lambdastack-autoscaler watch --record FILE')} (the Helm chart's ${codeSpan('recording.enabled')}) and commit a copy there (README: “Recordings for pr.yml”).`,
  );
}

/** The first bytes of a Git LFS pointer: what a checkout without `lfs: true` holds in place of the file. */
const LFS_POINTER = 'version https://git-lfs.github.com/spec/';

async function startsWith(path: string, prefix: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(prefix.length);
    const { bytesRead } = await handle.read(buffer, 0, prefix.length, 0);
    return buffer.subarray(0, bytesRead).toString('latin1') === prefix;
  } finally {
    await handle.close();
  }
}

/** `first`, then the rest of `rest`: a generator read one ahead, handed on whole. */
function* prepend<T>(first: T, rest: Iterator<T>): Generator<T> {
  yield first;
  for (let next = rest.next(); !next.done; next = rest.next()) yield next.value;
}

/** The section and warning of a recording that cannot be replayed, naming the line when the problem is one. */
function unusable(id: string, path: string, error: unknown): WhatIf {
  if (error instanceof RecordingLineError) {
    const why = error.message.slice(`${error.file}:${error.line}: `.length);
    return {
      cluster: id,
      markdown: section(
        `⚠️ The recording of ${codeSpan(id)} cannot be replayed: ${codeSpan(`${error.file}:${error.line}`)}: ${markdownText(why)}.`,
      ),
      problem: { message: `what-if replay of ${id}: ${error.message}`, file: error.file, line: error.line },
    };
  }
  // A refusal names its input and fix; anything else is a bug, said as such, but still only a warning: the plan comes first.
  const message = error instanceof UserError ? error.message : `an unexpected error (a bug: please report it): ${String(error)}`;
  return {
    cluster: id,
    markdown: section(`⚠️ The recording of ${codeSpan(id)} (${codeSpan(path)}) cannot be replayed: ${markdownText(message)}`),
    problem: { message: `what-if replay of ${id}: ${message}`, file: path },
  };
}

/**
 * The what-if section of one cluster, or undefined when the change leaves the settings the
 * decision engine reads as they were (a comment, a key reordered, a default written out).
 */
export async function whatIf(options: WhatIfOptions): Promise<WhatIf | undefined> {
  const { id, root } = options;
  const path = recordingPathOf(options.dir, id);
  try {
    // Both configs were read and validated with the plan: what can go wrong here is the recording.
    const before = replayPolicy('before', options.before, undefined);
    const after = replayPolicy('after', options.after, undefined);
    if (differences(before, after).length === 0) return undefined;
    const parts = await recordingParts(path, { root });
    if (parts.length === 0) return { cluster: id, markdown: missingRecordingSection(id, path) };
    for (const part of parts) {
      if (await startsWith(resolve(root, part), LFS_POINTER)) {
        throw new UserError(
          `${part} is a Git LFS pointer, not the recording: give actions/checkout \`lfs: true\` in the workflow, so the checkout holds the file`,
        );
      }
    }
    const recording = await loadRecording(path, { root });
    const lastAt = lastRecordedTime(recording);
    const cycles = recordedCycles(recording, { since: lastAt === undefined ? undefined : lastAt - WHAT_IF_SPAN_MS });
    const first = cycles.next();
    // whatIfSection would refuse it too, but asking for another config: here it is the file that is wrong.
    const cluster = parseClusterConfig(options.after.file, options.after.text).name;
    if (!first.done && first.value.cluster !== cluster) {
      throw new UserError(
        `${path} is a recording of cluster ${first.value.cluster}, not of ${cluster} (${options.after.file}): put ${cluster}'s recording there`,
      );
    }
    const all = first.done ? [] : prepend(first.value, cycles);
    const markdown = whatIfSection({ cycles: all, before: options.before, after: options.after, applyDelayMs: options.applyDelayMs });
    // Read after the replay: the reader adds its notes (a line left out) as it goes.
    const notes = recording.notes.length > 0 ? ` ${recording.notes.map((note) => `${markdownText(note)}.`).join(' ')}` : '';
    return {
      cluster: id,
      markdown: `${markdown}\n<sub>Replayed from ${parts.map(codeSpan).join(' and ')} (up to its last 7 days).${notes}</sub>\n`,
    };
  } catch (error) {
    return unusable(id, path, error);
  }
}
