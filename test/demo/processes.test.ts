import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { Processes } from '../../src/demo/processes.js';
import { InterruptedError } from '../../src/errors.js';

// The demo's child processes run in groups of their own, so what they start goes with them.

/** Whether a process is still there (a zombie waiting to be reaped counts as gone). */
async function alive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** Polls /proc until `pid` is gone: the kernel delivers the kill at once, the reaping is the parent's. */
async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100; i++) {
    if (!(await alive(pid))) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}

const ENV = { PATH: process.env.PATH ?? '' };

describe('the processes the demo starts', () => {
  it('returns the result of a command, and kills what it left running in its group', async () => {
    const processes = new Processes(new AbortController().signal);
    const result = await processes.run('sh', ['-c', 'sleep 300 & echo $!; echo done >&2; exit 3'], { cwd: '/', env: ENV });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe('done\n');
    const straggler = Number(result.stdout.trim());
    expect(await gone(straggler)).toBe(true);
    expect(processes.running).toBe(0);
  });

  it('stops a running group when the demo is stopped, and says so', async () => {
    const stop = new AbortController();
    const processes = new Processes(stop.signal);
    const running = processes.run('sh', ['-c', 'sleep 300 & echo $! > /dev/stderr; wait'], { cwd: '/', env: ENV });
    // Stopped as soon as the group is running: the test waits for that, not for a time.
    while (processes.running === 0) await new Promise((resolve) => setImmediate(resolve));
    stop.abort('SIGINT');
    const error = await running.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InterruptedError);
    expect((error as InterruptedError).signal).toBe('SIGINT');
    expect(processes.running).toBe(0);
    await expect(processes.run('true', [], { cwd: '/', env: ENV })).rejects.toThrow('stopped by SIGINT');
  });
});
