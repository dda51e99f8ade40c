import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/cli/io.js';
import { simGithubCommand } from '../../../src/cli/sim-github.js';
import { BIN } from '../../cli/run-cli.js';
import { tempDir } from '../../support/temp.js';
import { seededBareRepository } from './support.js';

// `sim github`: in-process for the output and the clean stop, and through the built binary (built by
// `npm test`'s pretest) for the exit code and SIGTERM.

function capture(): Io & { text(): string } {
  const lines: string[] = [];
  return { out: (t) => lines.push(t), err: (t) => lines.push(t), text: () => lines.join('\n') };
}

async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!check()) throw new Error('timed out');
}

describe('sim github', () => {
  it('refuses a directory that is not a bare repository, naming the fix', async () => {
    const plain = await tempDir('not-bare-');
    await expect(simGithubCommand({ repo: plain, name: 'example/cluster-config', port: 0 }, capture())).rejects.toThrow(
      `${plain} is not a bare git repository: create one with  git init --bare ${plain}`,
    );
    // A working tree is not bare either, even though git would find a repository there.
    await execa('git', ['init', '-q', plain]);
    await expect(simGithubCommand({ repo: plain, name: 'example/cluster-config', port: 0 }, capture())).rejects.toThrow(
      'is not a bare git repository',
    );
  });

  it('prints the URL and a curl example, serves, and closes cleanly when stopped', async () => {
    const bare = await seededBareRepository();
    const io = capture();
    const stop = new AbortController();
    const running = simGithubCommand({ repo: bare, name: 'example/cluster-config', port: 0 }, io, stop.signal);
    await waitFor(() => io.text().includes('Serving until'));
    const url = /url:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(io.text())?.[1] ?? '';
    expect(io.text()).toContain(`curl -H "Authorization: token x" ${url}/repos/example/cluster-config/pulls`);
    expect((await fetch(`${url}/repos/example/cluster-config`, { headers: { authorization: 'token x' } })).status).toBe(200);
    stop.abort();
    await running;
    expect(io.text()).toContain('Stopped (abort) after 1 request(s).');
    await expect(fetch(`${url}/user`)).rejects.toThrow();
  });

  it('runs from the binary until SIGTERM, and exits 1 with the fix for a missing repository', async () => {
    const bare = await seededBareRepository();
    const child = execa(process.execPath, [BIN, 'sim', 'github', '--repo', bare, '--port', '0'], { reject: false, env: { NO_COLOR: '1' } });
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    await waitFor(() => out.includes('Serving until'));
    const url = /url:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    const response = await fetch(`${url}/repos/example/cluster-config/git/ref/heads/main`, { headers: { authorization: 'token x' } });
    expect(response.status).toBe(200);
    child.kill('SIGTERM');
    const result = await child;
    expect(result.exitCode).toBe(0);
    expect(out).toContain('Stopped (SIGTERM) after 1 request(s).');

    const missing = await execa(process.execPath, [BIN, 'sim', 'github', '--repo', join(bare, 'nope')], {
      reject: false,
      env: { NO_COLOR: '1' },
    });
    expect(missing.exitCode).toBe(1);
    expect(String(missing.stderr)).toContain('git init --bare');
  });
});
