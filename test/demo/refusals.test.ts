import { existsSync } from 'node:fs';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN, cli } from '../cli/run-cli.js';
import { tempDir } from '../support/temp.js';

// What the demo refuses before it starts anything, said plainly (exit 1, no stack).

const STACK_FRAME = /\n\s+at /;

describe('the demo refuses', () => {
  it('a --workdir that is not empty, and leaves it as it was', async () => {
    const dir = await tempDir('lsa-demo-busy-');
    await writeFile(join(dir, 'notes.txt'), 'mine\n');
    const result = await cli(['demo', '--workdir', dir], dir);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `error: --workdir ${dir}: ${dir} is not empty: give a new or empty directory (the demo makes a git repository there)\n`,
    );
    expect(await readdir(dir)).toEqual(['notes.txt']);
  });

  it('to start without a tool it runs, naming it and how to install it, and removes its workdir', async () => {
    // A PATH with every tool but terraform.
    const bin = await tempDir('lsa-demo-path-');
    for (const tool of ['git', 'kubectl', 'ansible-playbook', 'packer']) {
      const found = (await execa('sh', ['-c', `command -v ${tool}`])).stdout.trim();
      await symlink(found, join(bin, tool));
    }
    const workdir = join(await tempDir('lsa-demo-notools-'), 'work');
    await mkdir(workdir);
    const result = await execa(process.execPath, [BIN, 'demo', '--workdir', workdir], {
      reject: false,
      env: { PATH: bin },
      extendEnv: false,
    });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'error: the demo runs tools that are missing:\n  terraform: install it with  https://developer.hashicorp.com/terraform/install (1.5 or newer)',
    );
    expect(result.stderr).not.toMatch(STACK_FRAME);
    // It was given an empty directory: it is left empty.
    expect(existsSync(workdir) && (await readdir(workdir))).toEqual([]);
  });
});
