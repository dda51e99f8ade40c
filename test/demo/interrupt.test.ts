import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN } from '../cli/run-cli.js';
import { tempDir } from '../support/temp.js';
import { listening, localUrls, processesMentioning } from './support.js';

// Ctrl-C in the middle of the demo, as a user would press it: the demo binary, stopped while
// apply.yml's packer step runs (an action, packer under it, the bake's ansible under that), must
// stop every server and child process it started and remove its workdir.

/** Resolves once `check` holds, testing it every 100 ms; fails after `timeoutMs` (a deadline for a broken test, not a wait it relies on). */
async function until(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the demo stopped with Ctrl-C', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`stops every server and process it started, and removes its workdir (${signal} during packer)`, async () => {
      const workdir = join(await tempDir('lsa-demo-stop-'), 'work');
      const demo = execa(process.execPath, [BIN, 'demo', '--workdir', workdir], { reject: false, env: { CHECKPOINT_DISABLE: '1' } });
      let stdout = '';
      demo.stdout?.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
      });

      // The packer step of the first apply: a process tree three deep, all of it in the workdir.
      await until(
        'the packer build of apply.yml',
        async () => (await processesMentioning(workdir)).some((p) => p.includes('packer build')),
        120_000,
      );
      const running = await processesMentioning(workdir);
      demo.kill(signal);
      const result = await demo;

      expect(result.exitCode).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(String(result.stderr)).toContain(`stopped by ${signal}: everything it started is stopped`);
      expect(String(result.stderr)).not.toMatch(/\n\s+at /);
      expect(running.length).toBeGreaterThan(1);
      expect(await processesMentioning(workdir)).toEqual([]);
      // The kube and GitHub simulators, s3rver and dynalite: each address the demo printed is closed.
      const urls = localUrls(stdout);
      expect(urls.length).toBeGreaterThanOrEqual(4);
      for (const url of urls) expect(await listening(url), url).toBe(false);
      expect(existsSync(workdir)).toBe(false);
    }, 180_000);
  }
});
