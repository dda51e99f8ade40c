import { readFile } from 'node:fs/promises';
import { onFile } from '../config/fs-errors.js';
import { UserError } from '../errors.js';
import { parseDuration } from '../policy/index.js';
import { lastRecordedTime, loadRecording, recordedCycles } from '../record/reader.js';
import { DEFAULT_APPLY_DELAY_MS, replayMarkdown, sameSettingsSection } from '../replay/markdown.js';
import { replayPolicy } from '../replay/policies.js';
import { Replay } from '../replay/replay.js';
import { formatReplay } from '../replay/report.js';
import { differences } from '../replay/series.js';
import type { Io } from './io.js';

export interface ReplayCommandOptions {
  recording: string;
  config: string;
  compare?: string | undefined;
  applyDelay?: string | undefined;
  last?: string | undefined;
  format: 'text' | 'json' | 'markdown';
}

const SPAN = /^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$/;
const UNIT_MS = [7 * 86_400_000, 86_400_000, 3_600_000, 60_000];

/** `--last`: weeks, days, hours and minutes (`7d`, `1w`, `36h`, `1d12h`). */
export function parseSpan(value: string): number {
  const match = SPAN.exec(value.trim());
  const ms = match ? UNIT_MS.reduce((total, unit, i) => total + Number(match[i + 1] ?? 0) * unit, 0) : 0;
  if (!match || ms === 0) throw new UserError(`--last ${JSON.stringify(value)}: give a span such as 7d, 1w, 36h or 1d12h`);
  return ms;
}

function applyDelayOf(value: string | undefined): number {
  if (value === undefined) return DEFAULT_APPLY_DELAY_MS;
  const ms = parseDuration(value);
  if (typeof ms === 'string') throw new UserError(`--apply-delay: ${ms}`);
  return ms;
}

/**
 * `replay`: runs the decision engine over a recording under the policy of one config (and of
 * another with `--compare`), and prints the count over time, the PRs, and the node-hours.
 */
export async function replayCommand(options: ReplayCommandOptions, io: Io): Promise<void> {
  if (options.format === 'markdown' && options.compare === undefined) {
    throw new UserError('--markdown compares two policies: give the other config with --compare');
  }
  const applyDelayMs = applyDelayOf(options.applyDelay);
  const span = options.last === undefined ? undefined : parseSpan(options.last);
  const configs = [options.config, ...(options.compare === undefined ? [] : [options.compare])];
  const texts = await Promise.all(configs.map((file) => onFile(file, () => readFile(file, 'utf8'))));
  const recording = await loadRecording(options.recording);
  const lastAt = lastRecordedTime(recording);
  const cycles = recordedCycles(recording, { since: span === undefined || lastAt === undefined ? undefined : lastAt - span });

  const first = cycles.next();
  if (first.done) throw new UserError(`--recording ${options.recording}: holds no cycle to replay`);
  const labels = options.format === 'markdown' ? ['before', 'after'] : ['A', 'B'];
  const policies = configs.map((file, i) => replayPolicy(labels[i] as string, { file, text: texts[i] as string }, first.value.cluster));
  if (options.format === 'markdown' && policies[0] && policies[1] && differences(policies[0], policies[1]).length === 0) {
    // A plan comment for a change that leaves the settings alone: nothing to replay.
    io.out(sameSettingsSection(first.value.cluster));
    return;
  }
  const replay = new Replay(policies, { applyDelayMs });
  replay.step(first.value);
  for (const cycle of cycles) replay.step(cycle);
  const result = replay.result();

  if (options.format === 'json') io.out(`${JSON.stringify({ ...result, notes: recording.notes }, null, 2)}\n`);
  else if (options.format === 'markdown') io.out(replayMarkdown(result));
  else io.out(formatReplay(result, recording.notes));
}
