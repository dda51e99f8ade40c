import { appendFile, cp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { REPO_ROOT } from './runner.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'bundle.mjs');

const check = (...args: string[]) => execa(process.execPath, [SCRIPT, '--check', ...args], { cwd: REPO_ROOT, reject: false });

describe('the committed action bundles (scripts/bundle.mjs --check, as CI runs it)', () => {
  it('are what `npm run bundle` builds from the current sources', async () => {
    const result = await check();
    // On failure the message names the stale file and says to run `npm run bundle`.
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toMatch(/^\d+ action bundle\(s\) up to date: .*validate/);
  });

  it('are reported stale when a file differs, is missing, or is not made by the build', async () => {
    const actions = await tempDir('lsa-actions-');
    await cp(join(REPO_ROOT, 'actions'), actions, { recursive: true });
    await appendFile(join(actions, 'validate', 'dist', 'index.js'), '// edited by hand\n');
    await rm(join(actions, 'validate', 'dist', 'package.json'));
    await writeFile(join(actions, 'validate', 'dist', 'leftover.js'), '');

    const result = await check('--actions-dir', actions);

    expect(result.exitCode).toBe(1);
    const dist = join(actions, 'validate', 'dist');
    expect(String(result.stderr)).toBe(
      [
        'stale action bundle(s):',
        `  ${join(dist, 'index.js')} differs from a build of the current sources`,
        `  ${join(dist, 'package.json')} is missing`,
        `  ${join(dist, 'leftover.js')} is not made by the build`,
        'run `npm run bundle` and commit actions/*/dist/',
      ].join('\n'),
    );
  });

  it('refuses an action whose action.yml does not run the bundle, or has no source to build', async () => {
    const actions = await tempDir('lsa-actions-');
    await cp(join(REPO_ROOT, 'actions', 'validate'), join(actions, 'validate'), { recursive: true });
    await cp(join(REPO_ROOT, 'actions', 'validate'), join(actions, 'nosource'), { recursive: true });
    await writeFile(join(actions, 'validate', 'action.yml'), 'name: x\nruns:\n  using: node20\n  main: index.js\n');

    const result = await check('--actions-dir', actions);

    expect(result.exitCode).toBe(1);
    expect(String(result.stderr)).toContain(`${join(actions, 'nosource', 'action.yml')}: no entry point src/actions/nosource.ts to bundle`);
    expect(String(result.stderr)).toContain(
      `${join(actions, 'validate', 'action.yml')}: runs must be \`using: node24\` and \`main: dist/index.js\``,
    );
  });
});
