/**
 * Reading a recording back: FILE.1 (the older part, when rotation made one) then FILE, line by
 * line, each checked against the format and decoded when it is reached, so a week of a large
 * cluster is never held decoded at once (a line the same as the one before in a part is decoded
 * to the same objects). A line that is not what the recorder writes stops the
 * reading with its file and line number; the one exception is an unfinished last line (a copy
 * taken while the watcher was appending), which is left out with a note.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { decodeLine, RECORDING_VERSION, type RecordedCycle, type RecordLine } from './format.js';
import { LineReader } from './lines.js';

export interface RecordingLine {
  file: string;
  /** 1-based. */
  line: number;
  text: string;
  /** The file's last line, without its newline. */
  unfinished: boolean;
}

export interface Recording {
  /** The files read, oldest first. */
  files: string[];
  lines: RecordingLine[];
  /** What was left out and why, for the report. */
  notes: string[];
}

/**
 * A recording refused at one of its lines: the message starts with `file:line:`, and the file and
 * line are kept apart too, so a caller can annotate the line (the plan action does).
 */
export class RecordingLineError extends UserError {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
    this.name = 'RecordingLineError';
  }
}

const exists = async (path: string): Promise<boolean> => (await stat(path).catch(() => undefined))?.isFile() ?? false;

/** The parts of a recording at `path` that exist: FILE.1 (the older, when rotation made one), then FILE. */
export async function recordingParts(path: string, options: { root?: string | undefined } = {}): Promise<string[]> {
  const present: string[] = [];
  for (const file of [`${path}.1`, path]) if (await exists(resolve(options.root ?? '', file))) present.push(file);
  return present;
}

/**
 * Reads FILE.1 (when there is one) and FILE. A missing recording is refused, naming the command
 * that makes one. With `root`, `path` is read relative to it, and messages name it as given (the
 * plan action names a recording by its path in the repository).
 */
export async function loadRecording(path: string, options: { root?: string | undefined } = {}): Promise<Recording> {
  const present = await recordingParts(path, options);
  if (present.length === 0) {
    throw new UserError(`--recording ${path}: no such file; record one with: lambdastack-autoscaler watch --record ${path}`);
  }
  const lines: RecordingLine[] = [];
  for (const file of present) {
    let text: string;
    try {
      text = await readFile(resolve(options.root ?? '', file), 'utf8');
    } catch (error) {
      throw new UserError(`--recording ${file}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, {
        cause: error,
      });
    }
    const parts = text.split('\n');
    const last = parts.pop() ?? '';
    parts.forEach((part, i) => {
      lines.push({ file, line: i + 1, text: part, unfinished: false });
    });
    if (last !== '') lines.push({ file, line: parts.length + 1, text: last, unfinished: true });
  }
  return { files: present, lines, notes: [] };
}

const AT = /^\{"v":\d+,"at":"([^"]+)"/;

/** A line's time without parsing it all (the recorder writes `v` and `at` first), or NaN. */
function quickTime(text: string): number {
  const match = AT.exec(text);
  return match?.[1] ? Date.parse(match[1]) : Number.NaN;
}

/** When the recording's last readable line was taken, or undefined for an empty one. */
export function lastRecordedTime(recording: Recording): number | undefined {
  for (let i = recording.lines.length - 1; i >= 0; i--) {
    const time = quickTime(recording.lines[i]?.text ?? '');
    if (Number.isFinite(time)) return time;
  }
  return undefined;
}

function refuse(line: RecordingLine, message: string): RecordingLineError {
  return new RecordingLineError(line.file, line.line, `${message}; the recording is damaged there: remove that line, or record again`);
}

/** One line parsed and checked, or a refusal naming it; undefined for an unfinished last line, left out. */
function parseLine(line: RecordingLine, reader: LineReader, recording: Recording): RecordLine | undefined {
  if (line.text.trim() === '') throw refuse(line, 'an empty line');
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    if (line.unfinished) {
      recording.notes.push(`${line.file}:${line.line}: an unfinished last line (being written?) was left out`);
      return undefined;
    }
    throw refuse(line, `not a JSON line (${(error as Error).message})`);
  }
  const version = (value as { v?: unknown } | null)?.v;
  if (version !== RECORDING_VERSION) {
    throw new RecordingLineError(
      line.file,
      line.line,
      `recording format version ${JSON.stringify(version)}: this lambdastack-autoscaler reads version ${RECORDING_VERSION}; replay with the version that recorded it`,
    );
  }
  const read = reader.read(value);
  if (typeof read === 'string') throw refuse(line, read);
  return read;
}

/**
 * The cycles in time order, decoded one at a time. Cycles before `since` are skipped unread; one
 * not later than the cycle before it (a clock set back) is left out with a note. All must be of
 * one cluster.
 */
export function* recordedCycles(recording: Recording, options: { since?: number | undefined } = {}): Generator<RecordedCycle> {
  let cluster: { name: string; line: RecordingLine } | undefined;
  let last = Number.NEGATIVE_INFINITY;
  let outOfOrder = 0;
  const reader = new LineReader();
  let file: string | undefined;
  let previous: { line: RecordLine; cycle: RecordedCycle } | undefined;
  for (const line of recording.lines) {
    if (line.file !== file) {
      // Each file reads alone: its first line is whole.
      file = line.file;
      reader.reset();
      previous = undefined;
    }
    const parsed = parseLine(line, reader, recording);
    // Read even when skipped: the next line may be written as its difference from this one.
    if (!parsed || (options.since !== undefined && quickTime(line.text) < options.since)) continue;
    const cycle = decodeLine(parsed, previous);
    if (typeof cycle === 'string') throw refuse(line, cycle);
    previous = { line: parsed, cycle };
    if (!cluster) cluster = { name: cycle.cluster, line };
    else if (cycle.cluster !== cluster.name) {
      throw new RecordingLineError(
        line.file,
        line.line,
        `a cycle of cluster ${cycle.cluster} in a recording of ${cluster.name} (${cluster.line.file}:${cluster.line.line}): replay one cluster's recording at a time`,
      );
    }
    if (cycle.at <= last) {
      outOfOrder++;
      continue;
    }
    last = cycle.at;
    yield cycle;
  }
  if (outOfOrder > 0) recording.notes.push(`${outOfOrder} cycle(s) not later than the one before (a clock set back) were left out`);
}
