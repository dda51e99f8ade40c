// The what-if replay of the plan comment, from the recordings folder of a checkout: which clusters
// changed their autoscaling settings, and for each the section over its recording's last week, a
// line when there is no recording, or a line naming what is wrong with one (never a throw).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/config/index.js';
import type { RecordLine } from '../../src/record/format.js';
import { autoscalingChanges, recordingPathOf, type WhatIfOptions, whatIf } from '../../src/replay/plan-what-if.js';
import { tempDir } from '../support/temp.js';
import { demoConfig } from '../watcher/support.js';
import { businessDay, recordedLines } from './support.js';

const FILE = 'cluster-config/aws-demo.yml';
const ID = 'aws/demo-shop';
const RECORDING = 'recordings/aws/demo-shop.jsonl';
const DAY = 86_400_000;
const before = { file: FILE, text: demoConfig({ min: 2, max: 10 }) };
const after = { file: FILE, text: demoConfig({ min: 2, max: 10, scale_down_unneeded_time: '1h', scale_down_max_step: 3 }) };

/** The business day's lines, `days` earlier. */
function shifted(lines: readonly RecordLine[], days: number): RecordLine[] {
  return lines.map((line) => ({ ...line, at: new Date(Date.parse(line.at) - days * DAY).toISOString() }));
}

const jsonl = (lines: readonly RecordLine[]): string => lines.map((line) => `${JSON.stringify(line)}\n`).join('');

/** A checkout holding these files (path in the repository → text). */
async function checkout(files: Record<string, string> = {}): Promise<string> {
  const root = await tempDir('lsa-what-if-');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  }
  return root;
}

const options = (root: string, more: Partial<WhatIfOptions> = {}): WhatIfOptions => ({
  id: ID,
  before,
  after,
  root,
  dir: 'recordings',
  ...more,
});

describe('the clusters whose autoscaling settings a change touches', () => {
  const config = (text: string, file = FILE) => parseClusterConfig(file, text);

  it('are those on both sides, autoscaled on both, whose workers entry differs', () => {
    expect(autoscalingChanges([config(before.text)], [config(after.text)]).map((c) => c.id)).toEqual([ID]);
    // A count change alone, or a comment, leaves the entry as it was.
    expect(autoscalingChanges([config(before.text)], [config(before.text.replace('count: 3', 'count: 5'))])).toEqual([]);
    expect(autoscalingChanges([config(before.text)], [config(`${before.text}# reviewed\n`)])).toEqual([]);
  });

  it('leave out a cluster added or removed: there are not two policies to compare', () => {
    expect(autoscalingChanges([], [config(after.text)])).toEqual([]);
    expect(autoscalingChanges([config(before.text)], [])).toEqual([]);
  });

  it('put each recording at <recordings>/<cluster id>.jsonl', () => {
    expect(recordingPathOf('recordings', ID)).toBe(RECORDING);
    expect(recordingPathOf('.', 'azure/shop')).toBe('azure/shop.jsonl');
  });
});

describe('the what-if section of a cluster', () => {
  it('replays its recording under the settings before and after: both curves, the changed settings, the node-hours', async () => {
    const root = await checkout({ [RECORDING]: jsonl(recordedLines(businessDay())) });

    const section = await whatIf(options(root));

    expect(section?.problem).toBeUndefined();
    expect(section?.cluster).toBe(ID);
    const markdown = section?.markdown ?? '';
    expect(markdown).toMatch(/^### What-if replay of the autoscaling settings\n\n480 recorded cycles of \*\*shop\*\* /);
    expect(markdown).toContain('| `scale_down_unneeded_time` | 10m | 1h |');
    expect(markdown).toContain('```mermaid\nxychart-beta\n');
    expect(markdown).toContain('| node-hours (Ready workers × hours) | 23.8 | 26.1 | +2.3 (+9.4 %) |');
    expect(markdown).toMatch(/<sub>Replayed from `recordings\/aws\/demo-shop\.jsonl` \(up to its last 7 days\)\.<\/sub>\n$/);
  });

  it('replays only the last 7 days, reading the rotated older part first', async () => {
    const day = recordedLines(businessDay());
    // The older part holds a day 8 days before (left out) and one 3 days before (replayed).
    const root = await checkout({ [`${RECORDING}.1`]: jsonl([...shifted(day, 8), ...shifted(day, 3)]), [RECORDING]: jsonl(day) });

    const markdown = (await whatIf(options(root)))?.markdown ?? '';

    expect(markdown).toMatch(
      /^### What-if replay of the autoscaling settings\n\n960 recorded cycles of \*\*shop\*\* \(2025-02-26 12:00 → 2025-03-01 19:59 UTC\)/,
    );
    expect(markdown).toContain(
      'Replayed from `recordings/aws/demo-shop.jsonl.1` and `recordings/aws/demo-shop.jsonl` (up to its last 7 days).',
    );
  });

  it('is one line saying where the recording was looked for and how to make one, when there is none', async () => {
    const section = await whatIf(options(await checkout()));

    expect(section?.problem).toBeUndefined();
    expect(section?.markdown).toBe(
      '### What-if replay of the autoscaling settings\n\n' +
        'No recording of `aws/demo-shop` to replay this change over: `recordings/aws/demo-shop.jsonl` is not in the repository. ' +
        "Record with `lambdastack-autoscaler watch --record FILE` (the Helm chart's `recording.enabled`) and commit a copy there " +
        '(README: “Recordings for pr.yml”).\n',
    );
  });

  it('names the file and line of a damaged recording, and reports it as a problem there, without throwing', async () => {
    const lines = jsonl(recordedLines(businessDay())).split('\n');
    lines[2] = '{"v":1,"at":"2025-03-01T12:02:00.000Z", oops';
    const root = await checkout({ [RECORDING]: lines.join('\n') });

    const section = await whatIf(options(root));

    expect(section?.markdown).toMatch(
      /^### What-if replay of the autoscaling settings\n\n⚠️ The recording of `aws\/demo-shop` cannot be replayed: `recordings\/aws\/demo-shop\.jsonl:3`: not a JSON line \\\(.+\\\); the recording is damaged there: remove that line, or record again\.\n$/,
    );
    expect(section?.problem).toMatchObject({ file: RECORDING, line: 3 });
    expect(section?.problem?.message).toMatch(/^what-if replay of aws\/demo-shop: recordings\/aws\/demo-shop\.jsonl:3: not a JSON line/);
  });

  it('says a recording of another cluster, or a Git LFS pointer, cannot be replayed, and what to do', async () => {
    const books = recordedLines(businessDay()).map((line) => ({ ...line, cluster: 'books' }));
    const other = await whatIf(options(await checkout({ [RECORDING]: jsonl(books) })));
    expect(other?.problem).toEqual({
      file: RECORDING,
      message: `what-if replay of aws/demo-shop: ${RECORDING} is a recording of cluster books, not of shop (${FILE}): put shop's recording there`,
    });

    const pointer = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a2146\nsize 6920000\n';
    const lfs = await whatIf(options(await checkout({ [RECORDING]: pointer })));
    expect(lfs?.markdown).toContain('is a Git LFS pointer, not the recording: give actions/checkout \\`lfs: true\\`');
    expect(lfs?.problem?.file).toBe(RECORDING);
  });

  it('leaves out the unfinished last line of a copy taken while the watcher wrote, and says so', async () => {
    const text = jsonl(recordedLines(businessDay()));
    const root = await checkout({ [RECORDING]: `${text}{"v":1,"at":"2025-03-01T20:00:00.000Z","clus` });

    const section = await whatIf(options(root));

    expect(section?.problem).toBeUndefined();
    expect(section?.markdown).toContain('480 recorded cycles');
    expect(section?.markdown).toContain(
      'recordings/aws/demo-shop.jsonl:481: an unfinished last line \\(being written?\\) was left out.</sub>',
    );
  });

  it('is nothing when the settings the engine reads are the same (a default written out)', async () => {
    const root = await checkout({ [RECORDING]: jsonl(recordedLines(businessDay())) });
    const explicit = { file: FILE, text: demoConfig({ min: 2, max: 10, scale_down_unneeded_time: '10m' }) };

    expect(await whatIf(options(root, { after: explicit }))).toBeUndefined();
  });
});
