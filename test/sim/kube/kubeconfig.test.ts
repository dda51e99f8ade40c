import { link, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Io } from '../../../src/cli/io.js';
import { simKubeCommand } from '../../../src/cli/sim-kube.js';
import { UserError } from '../../../src/errors.js';
import { startKubeSim } from '../../../src/sim/kube/index.js';
import { BIN } from '../../cli/run-cli.js';
import { withTempDir } from '../../support/temp.js';

const OLD = 'apiVersion: v1\nkind: Config\ncontexts:\n  - name: prod\nusers:\n  - name: prod-admin\n    user: { token: secret }\n';

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

describe('sim kube --kubeconfig', () => {
  it('refuses a file that exists, naming --force, and leaves it as it was', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'config');
      await writeFile(path, OLD, { mode: 0o644 });
      const started = startKubeSim({ timeScale: 0, kubeconfigPath: path });
      await expect(started).rejects.toThrow(UserError);
      await expect(started).rejects.toThrow(/already exists.*--force/);
      expect(await readFile(path, 'utf8')).toBe(OLD);
      expect(await mode(path)).toBe(0o644);
      expect(await readdir(dir)).toEqual(['config']);
    }));

  it('with --force replaces it by a new file of mode 0600 (a hard link to the old one keeps the old text)', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'config');
      await writeFile(path, OLD, { mode: 0o644 });
      await link(path, join(dir, 'backup'));
      const sim = await startKubeSim({ timeScale: 0, kubeconfigPath: path, overwriteKubeconfig: true });
      try {
        expect(await readFile(path, 'utf8')).toBe(sim.kubeConfigYaml);
        expect(await mode(path)).toBe(0o600);
        // Replaced by a rename, not rewritten in place: a reader (or a crash) never sees half a kubeconfig.
        expect(await readFile(join(dir, 'backup'), 'utf8')).toBe(OLD);
        expect((await readdir(dir)).sort()).toEqual(['backup', 'config']);
      } finally {
        await sim.close();
      }
    }));

  it('writes a new file with mode 0600 and leaves no temporary file behind', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'config');
      const sim = await startKubeSim({ timeScale: 0, kubeconfigPath: path });
      try {
        expect(await readFile(path, 'utf8')).toBe(sim.kubeConfigYaml);
        expect(await mode(path)).toBe(0o600);
        expect(await readdir(dir)).toEqual(['config']);
      } finally {
        await sim.close();
      }
    }));

  it('does not create missing folders: it names the one that is missing', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'kube', 'config');
      const started = startKubeSim({ timeScale: 0, kubeconfigPath: path });
      await expect(started).rejects.toThrow(UserError);
      await expect(started).rejects.toThrow(`the folder ${join(dir, 'kube')} does not exist`);
      expect(await readdir(dir)).toEqual([]);
    }));

  it('refuses a folder as the file, even with --force', () =>
    withTempDir(async (dir) => {
      await mkdir(join(dir, 'config'));
      await expect(startKubeSim({ timeScale: 0, kubeconfigPath: join(dir, 'config'), overwriteKubeconfig: true })).rejects.toThrow(
        /is a directory/,
      );
    }));

  it('the command passes --force through, and its help documents it', () =>
    withTempDir(async (dir) => {
      const path = join(dir, 'config');
      await writeFile(path, OLD);
      const out: string[] = [];
      const io: Io = { out: (t) => out.push(t), err: (t) => out.push(t) };
      await expect(simKubeCommand({ port: 0, kubeconfig: path, timeScale: 1, force: false }, io)).rejects.toThrow(/--force/);
      const serving = simKubeCommand({ port: 0, kubeconfig: path, timeScale: 1, force: true }, io);
      try {
        await expect.poll(() => out.length, { timeout: 10_000 }).toBeGreaterThan(0);
        expect(await readFile(path, 'utf8')).toMatch(/server: http:\/\/127\.0\.0\.1:\d+/);
      } finally {
        process.emit('SIGTERM');
        await serving;
      }
      const help = await execa(process.execPath, [BIN, 'sim', 'kube', '--help']);
      expect(help.stdout).toMatch(/--force\s+replace the --kubeconfig file when it exists/);
    }));
});
