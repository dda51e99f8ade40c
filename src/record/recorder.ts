/**
 * `watch --record FILE`: appends one line per cycle (./format.ts) to FILE, and keeps it bounded:
 * a line that would take FILE past `maxBytes` first moves FILE to FILE.1 (replacing the older
 * one), so the recording never takes more than twice `maxBytes` on disk. Each line is written
 * with one append, so a reader never sees half a line except the last one of a process that
 * died while writing; the next start cuts that one off.
 *
 * A failure to record (a full disk, a permission) never fails a cycle: autoscaling matters more
 * than its recording. It is logged, once while it stays the same.
 */
import { constants } from 'node:fs';
import { appendFile, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { UserError } from '../errors.js';
import type { MetricInput } from '../policy/metric-signal.js';
import type { ClusterSnapshot } from '../policy/snapshot.js';
import type { Logger } from '../watcher/log.js';
import { encodeCycle, type RecordedConfig } from './format.js';
import { LineWriter } from './lines.js';

/** The default bound of each file: a week of a 20-node cluster at one cycle a minute fits in the two. */
export const DEFAULT_RECORD_MAX_BYTES = 64 * 1024 * 1024;
/** The smallest bound taken: a few cycles of a small cluster. */
export const MIN_RECORD_MAX_BYTES = 64 * 1024;

export interface RecorderOptions {
  path: string;
  maxBytes: number;
  /** Keep pod and PodDisruptionBudget names (`--record-pod-names`). */
  podNames: boolean;
}

/** Refuses, before anything runs, a recording path whose folder is missing or a bound too small. */
export async function checkRecorderOptions(options: RecorderOptions): Promise<void> {
  if (!Number.isInteger(options.maxBytes) || options.maxBytes < MIN_RECORD_MAX_BYTES) {
    throw new UserError(`--record-max-bytes ${options.maxBytes}: give a whole number of bytes, at least ${MIN_RECORD_MAX_BYTES}`);
  }
  const folder = dirname(options.path);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory())
    throw new UserError(`--record ${options.path}: the folder ${folder} does not exist; create it or record elsewhere`);
  const file = await stat(options.path).catch(() => undefined);
  if (file && !file.isFile()) throw new UserError(`--record ${options.path}: not a regular file; give a file path`);
}

export class SnapshotRecorder {
  /** FILE's size; undefined until the first record opens it. */
  private size: number | undefined;
  private lastFailure: string | undefined;
  private readonly writer = new LineWriter();

  constructor(
    private readonly options: RecorderOptions,
    private readonly log: Logger,
  ) {}

  /** Appends the cycle; resolves with the bytes written (0 when it could not be), never rejects. */
  async record(at: number, config: RecordedConfig, snapshot: ClusterSnapshot, metric?: MetricInput): Promise<number> {
    const { path, maxBytes } = this.options;
    try {
      const line = encodeCycle({ at, config, snapshot, metric, podNames: this.options.podNames });
      let text = this.writer.text(line);
      this.size ??= await repairTail(path);
      if (this.size + Buffer.byteLength(text) > maxBytes && this.size > 0) {
        await rename(path, `${path}.1`);
        this.size = 0;
        this.log.info('recording rotated', { file: path, older: `${path}.1` });
        // A file's first line is whole.
        this.writer.reset();
        text = this.writer.text(line);
      }
      const bytes = Buffer.byteLength(text);
      if (bytes > maxBytes) {
        this.writer.reset();
        this.failed(`a cycle's line is larger than --record-max-bytes (${maxBytes}): not recorded; raise the bound`, { bytes });
        return 0;
      }
      await appendFile(path, text, { mode: 0o640 });
      this.size += bytes;
      this.lastFailure = undefined;
      return bytes;
    } catch (error) {
      // The size is read again next time (the file may have moved or been cut short meanwhile),
      // and the next line is whole: this one may not have been written.
      this.size = undefined;
      this.writer.reset();
      this.failed(`cannot record the cycle: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }

  private failed(message: string, fields: Record<string, unknown> = {}): void {
    if (message !== this.lastFailure) this.log.warn(message, { file: this.options.path, ...fields });
    this.lastFailure = message;
  }
}

/**
 * FILE's size after cutting off an unfinished last line (a process that died while appending),
 * so the next line does not continue it. 0 when there is no file.
 */
async function repairTail(path: string): Promise<number> {
  const handle = await open(path, constants.O_RDWR).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (!handle) return 0;
  try {
    const { size } = await handle.stat();
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    // Back from the end to the last newline.
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const { bytesRead } = await handle.read(chunk, 0, end - start, start);
      const newline = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
      if (newline !== -1) {
        const keep = start + newline + 1;
        if (keep < size) await handle.truncate(keep);
        return keep;
      }
      end = start;
    }
    if (size > 0) await handle.truncate(0);
    return 0;
  } finally {
    await handle.close();
  }
}
