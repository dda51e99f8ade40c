// `lambdastack-autoscaler replay` as a user runs it (the built binary): a recorded business day,
// the cluster's config, and another version of it to compare.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, cli } from '../cli/run-cli.js';
import { tempDir } from '../support/temp.js';
import { demoConfig } from '../watcher/support.js';
import { businessDay, recordedLines } from './support.js';

let dir: string;
let recording: string;

beforeAll(async () => {
  dir = await tempDir('replay-cli-');
  recording = join(dir, 'shop.jsonl');
  await writeFile(
    recording,
    recordedLines(businessDay())
      .map((line) => `${JSON.stringify(line)}\n`)
      .join(''),
  );
  await writeFile(join(dir, 'a.yml'), demoConfig({ min: 2, max: 10 }));
  await writeFile(join(dir, 'b.yml'), demoConfig({ min: 2, max: 10, scale_down_unneeded_time: '1h', scale_down_max_step: 3 }));
});

const replay = (...args: string[]) => cli(['replay', '--recording', recording, ...args], dir);

describe('lambdastack-autoscaler replay', () => {
  it('prints two count curves, the PRs of each and the node-hours of each, side by side', async () => {
    const run = await replay('--config', 'a.yml', '--compare', 'b.yml');
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    const out = run.stdout;
    expect(out).toContain('Replay of shop: 2025-03-01 12:00 → 2025-03-01 19:59 UTC, 480 cycles (one every 1m)\n');
    expect(out).toContain('  B         b.yml: min 2, max 10; scale_down_unneeded_time 1h (A: 10m), scale_down_max_step 3 (A: 1)\n');
    expect(out).toContain('  time (UTC)        recorded    A    B\n');
    // The two curves part at 12:10 (A removes a node, B waits) and meet again at 16:00.
    expect(out).toContain('  2025-03-01 12:10         3    2    3\n');
    expect(out).toContain('  2025-03-01 16:00         2    2    2\n');
    expect(out).toMatch(/ {2}5 ┤[ *AB·]+\n/);
    expect(out).toContain('PRs A would have opened: 5\n');
    expect(out).toContain('PRs B would have opened: 2\n  2025-03-01 13:00  3 → 5  pending-pods: ');
    expect(out).toContain(
      'Node-hours (Ready workers × hours):\n  recorded        23.1\n  A               23.8\n  B               26.1   B − A: +2.3 (+9.4 %)\n',
    );
  });

  it('prints the same whatever the time zone and language of the machine', async () => {
    const here = await replay('--config', 'a.yml', '--compare', 'b.yml');
    const elsewhere = await execa(process.execPath, [BIN, 'replay', '--recording', recording, '--config', 'a.yml', '--compare', 'b.yml'], {
      cwd: dir,
      env: { TZ: 'Asia/Kathmandu', LANG: 'de_DE.UTF-8', LC_ALL: 'de_DE.UTF-8' },
      reject: false,
      stripFinalNewline: false,
    });
    expect(elsewhere.stdout).toBe(here.stdout);
  });

  it('replays one policy alone; --last keeps the end of the recording; --json and --markdown for tools and PR comments', async () => {
    const one = await replay('--config', 'a.yml', '--last', '2h');
    expect(one.exitCode).toBe(0);
    expect(one.stdout).toContain('Replay of shop: 2025-03-01 17:59 → 2025-03-01 19:59 UTC, 121 cycles');
    expect(one.stdout).not.toContain('PRs B');

    const json = JSON.parse((await replay('--config', 'a.yml', '--compare', 'b.yml', '--json')).stdout);
    expect(json.runs.map((run: { label: string; prs: unknown[] }) => [run.label, run.prs.length])).toEqual([
      ['A', 5],
      ['B', 2],
    ]);
    expect(json.runs[0].points).toHaveLength(480);

    const markdown = await replay('--config', 'a.yml', '--compare', 'b.yml', '--markdown');
    expect(markdown.stdout).toMatch(/^### What-if replay of the autoscaling settings\n/);
    expect(markdown.stdout).toContain('| node-hours (Ready workers × hours) | 23.8 | 26.1 | +2.3 (+9.4 %) |');
    // A pull request that leaves the settings alone gets a line, not a replay.
    const same = await replay('--config', 'a.yml', '--compare', 'a.yml', '--markdown');
    expect(same.stdout).toBe(
      '### What-if replay of the autoscaling settings\n\nThe autoscaling settings of **shop** are the same before and after this change: nothing to compare.\n',
    );
  });

  it('names the damaged line of a corrupt recording, without a stack trace (exit 1)', async () => {
    const damaged = join(dir, 'damaged.jsonl');
    const lines = recordedLines(businessDay())
      .slice(0, 3)
      .map((line) => JSON.stringify(line));
    await writeFile(damaged, `${lines[0]}\n${lines[1]}\n${lines[2]?.slice(0, 40)}\n`);
    const run = await cli(['replay', '--recording', damaged, '--config', 'a.yml'], dir);
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`^error: ${damaged}:3: not a JSON line \\(.+\\); the recording is damaged there: remove that line, or record again\\n$`),
    );
  });

  it('refuses a missing recording, a missing config, and --markdown without --compare, each saying what to do', async () => {
    const missing = await cli(['replay', '--recording', 'nope.jsonl', '--config', 'a.yml'], dir);
    expect([missing.exitCode, missing.stderr]).toEqual([
      1,
      'error: --recording nope.jsonl: no such file; record one with: lambdastack-autoscaler watch --record nope.jsonl\n',
    ]);
    const noConfig = await replay('--config', 'c.yml');
    expect([noConfig.exitCode, noConfig.stderr]).toEqual([1, 'error: c.yml: no such file or directory\n']);
    const markdown = await replay('--config', 'a.yml', '--markdown');
    expect([markdown.exitCode, markdown.stderr]).toEqual([
      1,
      'error: --markdown compares two policies: give the other config with --compare\n',
    ]);
    const last = await replay('--config', 'a.yml', '--last', 'yesterday');
    expect([last.exitCode, last.stderr]).toEqual([1, 'error: --last "yesterday": give a span such as 7d, 1w, 36h or 1d12h\n']);
  });
});
