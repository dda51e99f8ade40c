import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { loadRecording, recordedCycles } from '../../src/record/reader.js';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../support/temp.js';
import { bigPods, startWorlds, unschedulableSeen } from './support.js';

// `watch --record`: each cycle of the watcher against the kube simulator is a line of the
// recording, holding what the decision read, and no pod name unless asked.

describe('watch --record', () => {
  it('records each cycle: the config count, the workers and the pending pods, without pod names', async () => {
    const path = join(await tempDir('watch-record-'), 'shop.jsonl');
    const w = await startWorlds({ watcher: { record: { path, maxBytes: 2 ** 20, podNames: false } } });
    await w.cycle();
    bigPods(w);
    await unschedulableSeen(w, 3);
    w.kube.cluster.advance(60);
    const report = await w.cycle();
    expect(report.decision.rule.kind).toBe('pending-pods');

    const text = await readFile(path, 'utf8');
    expect(text.split('\n').filter(Boolean)).toHaveLength(2);
    expect(text).not.toMatch(/big-|default\//);
    const cycles = [...recordedCycles(await loadRecording(path))];
    expect(cycles.map((c) => ({ cluster: c.cluster, count: c.count, min: c.min, max: c.max, vmSize: c.vmSize }))).toEqual([
      { cluster: 'shop', count: 3, min: 2, max: 10, vmSize: 't3.medium' },
      { cluster: 'shop', count: 3, min: 2, max: 10, vmSize: 't3.medium' },
    ]);
    const last = cycles[1]?.snapshot;
    expect(last?.nodes.filter((n) => n.worker && n.ready).length).toBe(3);
    expect(last?.pods.filter((p) => p.unschedulable).map((p) => p.requests.cpu)).toEqual([1200, 1200, 1200]);
    expect(last?.usage?.nodes.size).toBeGreaterThan(0);
  });

  it('keeps pod names with --record-pod-names', async () => {
    const path = join(await tempDir('watch-record-'), 'shop.jsonl');
    const w = await startWorlds({ watcher: { record: { path, maxBytes: 2 ** 20, podNames: true } } });
    await w.cycle();
    bigPods(w);
    await unschedulableSeen(w, 3);
    await w.cycle();
    expect(await readFile(path, 'utf8')).toMatch(/"default\/big-[a-z0-9]+-[a-z0-9]+"/);
  });

  it('is refused at start, naming the fix, for a folder that does not exist or a bound below 64 KiB', async () => {
    const home = await tempDir('watch-record-cli-');
    const watch = async (...args: string[]) => {
      const run = await execa(process.execPath, [BIN, 'watch', '--once', ...args], {
        cwd: home,
        reject: false,
        env: { HOME: home, GITHUB_TOKEN: 'test-token-1234', GITHUB_REPOSITORY: 'example/cluster-config', KUBECONFIG: join(home, 'none') },
        extendEnv: false,
      });
      return [run.exitCode, String(run.stderr)];
    };
    expect(await watch('--record', join(home, 'missing', 'shop.jsonl'))).toEqual([
      1,
      `error: --record ${join(home, 'missing', 'shop.jsonl')}: the folder ${join(home, 'missing')} does not exist; create it or record elsewhere`,
    ]);
    expect(await watch('--record', join(home, 'shop.jsonl'), '--record-max-bytes', '1000')).toEqual([
      1,
      'error: --record-max-bytes 1000: give a whole number of bytes, at least 65536',
    ]);
  });
});
