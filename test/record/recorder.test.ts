// Writing a recording (append, rotate by size, never more than two bounded files) and reading it
// back (FILE.1 then FILE; a damaged line refused by its file and line).
import { appendFile, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import type { ClusterSnapshot } from '../../src/policy/snapshot.js';
import { lastRecordedTime, loadRecording, RecordingLineError, recordedCycles } from '../../src/record/reader.js';
import { checkRecorderOptions, MIN_RECORD_MAX_BYTES, SnapshotRecorder } from '../../src/record/recorder.js';
import { createLogger } from '../../src/watcher/log.js';
import { many, master, running, snapshot, T0, workerName, workers } from '../policy/builders.js';
import { tempDir } from '../support/temp.js';

const config = { cluster: 'shop', prefix: 'demo', count: 3, min: 1, max: 10, vmSize: 't3.medium' };
const MINUTE = 60_000;

/** The demo cluster with `pods` pods on its three workers. */
function cluster(pods: number): ClusterSnapshot {
  return snapshot({ nodes: [master(), ...workers(3)], pods: many(pods, (i) => running(`shop/web-${i}`, workerName(i % 3))) });
}

function recorder(path: string, maxBytes: number, podNames = false) {
  const logs: Array<Record<string, unknown>> = [];
  const log = createLogger({ level: 'debug', write: (line) => logs.push(JSON.parse(line)) });
  return { recorder: new SnapshotRecorder({ path, maxBytes, podNames }, log), logs };
}

async function cyclesIn(path: string): Promise<number[]> {
  return [...recordedCycles(await loadRecording(path))].map((cycle) => (cycle.at - T0) / MINUTE);
}

describe('recording', () => {
  it('appends a line per cycle, rotates FILE to FILE.1 before it would pass the bound, and keeps two files at most', async () => {
    const dir = await tempDir('record-');
    const path = join(dir, 'shop.jsonl');
    const maxBytes = MIN_RECORD_MAX_BYTES;
    const { recorder: r, logs } = recorder(path, maxBytes);
    const rotations = () => logs.filter((l) => l.msg === 'recording rotated').length;
    let cycles = 0;
    // Pods come and go, so lines differ; until the recording has rotated three times.
    for (; rotations() < 3 && cycles < 10_000; cycles++) {
      expect(await r.record(T0 + cycles * MINUTE, config, cluster(20 + (cycles % 7)))).toBeGreaterThan(0);
      // Bounded at every moment: each file within the bound.
      for (const file of await readdir(dir)) expect((await stat(join(dir, file))).size).toBeLessThanOrEqual(maxBytes);
    }
    expect(rotations()).toBe(3);
    expect((await readdir(dir)).sort()).toEqual(['shop.jsonl', 'shop.jsonl.1']);

    // What is left is the most recent cycles, oldest first, without a gap; each file starts whole.
    const left = await cyclesIn(path);
    expect(left.at(-1)).toBe(cycles - 1);
    expect(left).toEqual(Array.from({ length: left.length }, (_, i) => cycles - left.length + i));
    for (const file of [path, `${path}.1`]) expect(await readFile(file, 'utf8')).not.toMatch(/^\{[^\n]*"same"/);
    // Later lines name what did not change rather than write it again.
    expect((await readFile(`${path}.1`, 'utf8')).split('\n')[1]).toMatch(
      /"same":\["labelSets","taintSets","tolerationSets","selectorSets","affinitySets","nodes"/,
    );
  });

  it('writes only what changed: a cycle like the one before is its header alone', async () => {
    const dir = await tempDir('record-');
    const { recorder: r } = recorder(join(dir, 'shop.jsonl'), MIN_RECORD_MAX_BYTES);
    const whole = await r.record(T0, config, cluster(20));
    const quiet = await r.record(T0 + MINUTE, config, cluster(20));
    expect(quiet).toBeLessThan(400);
    expect(whole).toBeGreaterThan(quiet * 2);
    const second = JSON.parse((await readFile(join(dir, 'shop.jsonl'), 'utf8')).split('\n')[1] ?? '');
    expect(second.same).toEqual([
      'labelSets',
      'taintSets',
      'tolerationSets',
      'selectorSets',
      'affinitySets',
      'nodes',
      'usage',
      'podShapes',
      'pods',
      'budgets',
      'prometheus',
    ]);
    expect(second).not.toHaveProperty('nodes');
  });

  it('holds no pod names unless asked', async () => {
    const dir = await tempDir('record-');
    await recorder(join(dir, 'anonymous.jsonl'), MIN_RECORD_MAX_BYTES).recorder.record(T0, config, cluster(6));
    await recorder(join(dir, 'named.jsonl'), MIN_RECORD_MAX_BYTES, true).recorder.record(T0, config, cluster(6));
    expect(await readFile(join(dir, 'anonymous.jsonl'), 'utf8')).not.toContain('web-');
    expect(await readFile(join(dir, 'named.jsonl'), 'utf8')).toContain('"shop/web-0","shop/web-3"');
    const [anonymous] = recordedCycles(await loadRecording(join(dir, 'anonymous.jsonl')));
    expect(anonymous?.snapshot.pods.map((p) => p.key).slice(0, 3)).toEqual(['pods/0-0', 'pods/0-1', 'pods/1-0']);
  });

  it('cuts off an unfinished last line (a process that died while writing) before appending', async () => {
    const dir = await tempDir('record-');
    const path = join(dir, 'shop.jsonl');
    await recorder(path, MIN_RECORD_MAX_BYTES).recorder.record(T0, config, cluster(3));
    await appendFile(path, '{"v":1,"at":"2025-03-01T12:01:00.000Z","clus');
    await recorder(path, MIN_RECORD_MAX_BYTES).recorder.record(T0 + 2 * MINUTE, config, cluster(3));
    expect(await cyclesIn(path)).toEqual([0, 2]);
  });

  it('does not write a line larger than the bound, and says so once', async () => {
    const dir = await tempDir('record-');
    const path = join(dir, 'shop.jsonl');
    const { recorder: r, logs } = recorder(path, MIN_RECORD_MAX_BYTES);
    // Pods of one shape cost one row per node, so it takes many nodes to pass 64 KiB.
    const large = snapshot({ nodes: [master(), ...workers(1000)] });
    expect(await r.record(T0, config, large)).toBe(0);
    expect(await r.record(T0 + MINUTE, config, large)).toBe(0);
    expect(await readdir(dir)).toEqual([]);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([
      expect.objectContaining({ msg: expect.stringMatching(/larger than --record-max-bytes \(65536\): not recorded; raise the bound$/) }),
    ]);
  });

  it('refuses a folder that does not exist, and a bound below the least', async () => {
    const dir = await tempDir('record-');
    await expect(checkRecorderOptions({ path: join(dir, 'no', 'x.jsonl'), maxBytes: 2 ** 20, podNames: false })).rejects.toThrow(
      new UserError(`--record ${join(dir, 'no', 'x.jsonl')}: the folder ${join(dir, 'no')} does not exist; create it or record elsewhere`),
    );
    await expect(checkRecorderOptions({ path: join(dir, 'x.jsonl'), maxBytes: 100, podNames: false })).rejects.toThrow(
      '--record-max-bytes 100: give a whole number of bytes, at least 65536',
    );
    await expect(checkRecorderOptions({ path: dir, maxBytes: 2 ** 20, podNames: false })).rejects.toThrow('not a regular file');
  });
});

describe('reading a recording', () => {
  async function withLines(...lines: string[]): Promise<string> {
    const path = join(await tempDir('recording-'), 'shop.jsonl');
    await writeFile(path, lines.join(''));
    return path;
  }

  async function goodLine(minute: number): Promise<string> {
    const dir = await tempDir('recording-');
    await recorder(join(dir, 'r'), MIN_RECORD_MAX_BYTES).recorder.record(T0 + minute * MINUTE, config, cluster(3));
    return readFile(join(dir, 'r'), 'utf8');
  }

  it('names the line that is damaged', async () => {
    const path = await withLines(await goodLine(0), '{"v":1,"at":\n', await goodLine(1));
    const recording = await loadRecording(path);
    const damaged = new RecordingLineError(
      path,
      2,
      'not a JSON line (Unexpected end of JSON input); the recording is damaged there: remove that line, or record again',
    );
    expect(() => [...recordedCycles(recording)]).toThrow(damaged);
    // A refusal like any other, whose file and line a caller can also read apart (the plan action annotates the line).
    expect(damaged).toBeInstanceOf(UserError);
    expect(damaged.message).toBe(
      `${path}:2: not a JSON line (Unexpected end of JSON input); the recording is damaged there: remove that line, or record again`,
    );
  });

  it('names the field that is wrong, and a reference out of range', async () => {
    const good = JSON.parse(await goodLine(0));
    const path = await withLines(await goodLine(0), `${JSON.stringify({ ...good, count: -1 })}\n`);
    const recording = await loadRecording(path);
    expect(() => [...recordedCycles(recording)]).toThrow(`${path}:2: count: Too small: expected number to be >=0`);
    const dangling = await withLines(`${JSON.stringify({ ...good, pods: [[0, 7, 1]] })}\n`);
    const danglingRecording = await loadRecording(dangling);
    expect(() => [...recordedCycles(danglingRecording)]).toThrow(`${dangling}:1: pods[0] shape: 7 is not a position in podShapes (1)`);
  });

  it('refuses another format version, a missing file and a mix of clusters', async () => {
    const good = JSON.parse(await goodLine(0));
    const future = await withLines(`${JSON.stringify({ ...good, v: 2 })}\n`);
    const futureRecording = await loadRecording(future);
    expect(() => [...recordedCycles(futureRecording)]).toThrow(
      `${future}:1: recording format version 2: this lambdastack-autoscaler reads version 1; replay with the version that recorded it`,
    );
    await expect(loadRecording('/nonexistent/shop.jsonl')).rejects.toThrow(
      '--recording /nonexistent/shop.jsonl: no such file; record one with: lambdastack-autoscaler watch --record /nonexistent/shop.jsonl',
    );
    const mixed = await withLines(
      await goodLine(0),
      `${JSON.stringify({ ...good, at: new Date(T0 + MINUTE).toISOString(), cluster: 'other' })}\n`,
    );
    const mixedRecording = await loadRecording(mixed);
    expect(() => [...recordedCycles(mixedRecording)]).toThrow(`${mixed}:2: a cycle of cluster other in a recording of shop (${mixed}:1)`);
  });

  it('leaves out an unfinished last line and cycles out of time order, with a note for each; --last starts from the end', async () => {
    const path = await withLines(await goodLine(0), await goodLine(2), await goodLine(1), await goodLine(3), '{"v":1,"at":"2025-03-01T12:');
    const recording = await loadRecording(path);
    expect([...recordedCycles(recording)].map((c) => (c.at - T0) / MINUTE)).toEqual([0, 2, 3]);
    expect(recording.notes).toEqual([
      `${path}:5: an unfinished last line (being written?) was left out`,
      '1 cycle(s) not later than the one before (a clock set back) were left out',
    ]);
    expect(lastRecordedTime(recording)).toBe(T0 + 3 * MINUTE);
    expect([...recordedCycles(await loadRecording(path), { since: T0 + 2 * MINUTE })].map((c) => (c.at - T0) / MINUTE)).toEqual([2, 3]);
  });
});
