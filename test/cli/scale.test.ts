import { chmod, lstat, mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { clusterConfig } from '../support/config-text.js';
import { tempDir } from '../support/temp.js';
import { cli, cliUnprivileged, exampleRepo, git } from './run-cli.js';

// What a hostile or unlucky user does to `scale`, through the built binary.

const STACK_FRAME = /^\s+at /m;
const SHOP = join('cluster-config', 'aws-demo.yml');

let repo: string;
beforeEach(async () => {
  repo = await exampleRepo();
});

describe('scale never loses an update', () => {
  it('of several scale runs on one file at once, at most one edits the count it read first; the others refuse or build on it', async () => {
    for (let round = 0; round < 3; round++) {
      const targets = [4, 5, 6, 7];
      const runs = await Promise.all(targets.map((n) => cli(['scale', 'kubernetes_node', String(n), '--cluster', 'shop'], repo)));
      const succeeded = runs.filter((r) => r.exitCode === 0);
      const fromOriginal = succeeded.filter((r) => /shop kubernetes_node 3 → /.test(r.stdout));
      expect(fromOriginal.length, runs.map((r) => r.stdout + r.stderr).join('\n')).toBeLessThanOrEqual(1);
      for (const refused of runs.filter((r) => r.exitCode !== 0)) {
        expect(refused.stderr).toMatch(
          /was changed by someone else while this command ran|is being changed by another lambdastack-autoscaler/,
        );
      }
      // The file holds the count of the last run that succeeded, whichever it was.
      const final = Number(/count: (\d+) {2}#/.exec(await readFile(join(repo, SHOP), 'utf8'))?.[1]);
      expect(succeeded.some((r) => r.stdout.includes(`→ ${final}\n`))).toBe(true);
      await git(repo, 'checkout', '--', SHOP);
    }
  });
});

describe('scale and the file system', () => {
  it('writes through a symlinked config: the target changes, the link stays', async () => {
    await mkdir(join(repo, 'shared'));
    await rename(join(repo, SHOP), join(repo, 'shared', 'aws-demo.yml'));
    await symlink(join('..', 'shared', 'aws-demo.yml'), join(repo, SHOP));
    const result = await cli(['scale', 'kubernetes_node', '4', '--cluster', 'shop'], repo);
    expect(result.stderr).toBe('');
    expect(await readFile(join(repo, 'shared', 'aws-demo.yml'), 'utf8')).toMatch(/count: 4 {2}# managed/);
    expect((await lstat(join(repo, SHOP))).isSymbolicLink()).toBe(true);
  });

  it('refuses a read-only config, exit 1, file untouched', async () => {
    const before = await readFile(join(repo, SHOP), 'utf8');
    await chmod(join(repo, SHOP), 0o444);
    const result = await cli(['scale', 'kubernetes_node', '4', '--cluster', 'shop'], repo);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      'error: cluster-config/aws-demo.yml: the file is read-only (mode 0444): nothing was written; make it writable (chmod u+w) if you mean to change it\n',
    );
    expect(await readFile(join(repo, SHOP), 'utf8')).toBe(before);
  });

  it('says "permission denied" for a config it may not read: exit 1, no stack', async () => {
    const dir = await tempDir('lsa-perm-');
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'shop.yml'), clusterConfig());
    await chmod(join(dir, 'shop.yml'), 0o600);
    const result = await cliUnprivileged(['scale', 'kubernetes_node', '4', '--file', 'shop.yml'], dir);
    expect(result.stderr).toBe('error: shop.yml: permission denied\n');
    expect(result.exitCode).toBe(1);
    const validate = await cliUnprivileged(['validate', 'shop.yml'], dir);
    expect([validate.exitCode, validate.stderr]).toEqual([1, 'error: shop.yml: permission denied\n']);
    expect(validate.stderr).not.toMatch(STACK_FRAME);
    await mkdir(join(dir, 'private'), { mode: 0o700 });
    const folder = await cliUnprivileged(['validate', 'private'], dir);
    expect([folder.exitCode, folder.stderr]).toEqual([1, 'error: private: permission denied\n']);
  });
});

describe('scale where the user may not write', () => {
  async function sharedDir(): Promise<string> {
    const dir = await tempDir('lsa-perm-');
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'shop.yml'), clusterConfig());
    return dir;
  }

  it('says "permission denied" for a file others own, and leaves it', async () => {
    const dir = await sharedDir();
    await chmod(join(dir, 'shop.yml'), 0o644);
    const result = await cliUnprivileged(['scale', 'kubernetes_node', '4', '--file', 'shop.yml'], dir);
    expect([result.exitCode, result.stderr]).toEqual([
      1,
      'error: shop.yml: permission denied: you may not write this file; nothing was written\n',
    ]);
    expect(await readFile(join(dir, 'shop.yml'), 'utf8')).toBe(clusterConfig());
  });

  it.runIf(process.geteuid?.() === 0)(
    'edits a writable file in a folder it may not write, in place (no temporary file needed)',
    async () => {
      const dir = await sharedDir();
      await chmod(join(dir, 'shop.yml'), 0o666);
      const result = await cliUnprivileged(['scale', 'kubernetes_node', '4', '--file', 'shop.yml'], dir);
      expect(result.stderr).toBe('');
      expect(await readFile(join(dir, 'shop.yml'), 'utf8')).toBe(clusterConfig({ nodes: 4 }));
    },
  );
});

describe('scale --commit commits only its own change', () => {
  it('refuses when the file has other uncommitted changes, writing nothing', async () => {
    const path = join(repo, SHOP);
    const edited = (await readFile(path, 'utf8')).replace('max: 10', 'max: 12');
    await writeFile(path, edited);
    const result = await cli(['scale', 'kubernetes_node', '4', '--cluster', 'shop', '--commit'], repo);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^error: cluster-config\/aws-demo\.yml has uncommitted changes: commit or stash them first/);
    expect(await readFile(path, 'utf8')).toBe(edited);
    expect(await git(repo, 'log', '--format=%s')).toBe('Add clusters');
  });

  it('refuses a file git does not track', async () => {
    await writeFile(join(repo, 'cluster-config', 'lab.yml'), clusterConfig({ name: 'lab' }));
    const result = await cli(['scale', 'kubernetes_node', '4', '--cluster', 'lab', '--commit'], repo);
    expect(result.stderr).toBe('error: cluster-config/lab.yml is not tracked by git: add and commit it first, or run without --commit\n');
    expect(await readFile(join(repo, 'cluster-config', 'lab.yml'), 'utf8')).toBe(clusterConfig({ name: 'lab' }));
  });
});

describe('scale with extreme counts and names', () => {
  it('refuses a count above the limit before reading anything', async () => {
    const result = await cli(['scale', 'kubernetes_node', String(2 ** 53 - 1), '--cluster', 'shop'], repo);
    expect(result.stderr).toBe(
      `error: count "${2 ** 53 - 1}" refused: at most 10000 (LambdaStack clusters are a few thousand VMs at most)\n`,
    );
  });

  it('lists at most 50 node names, then how many more', async () => {
    await writeFile(join(repo, 'cluster-config', 'lab.yml'), clusterConfig({ name: 'lab', nodes: 0 }));
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-qm', 'Add lab');
    const result = await cli(['scale', 'kubernetes_node', '10000', '--cluster', 'lab'], repo);
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n').filter((line) => line.startsWith('  +'));
    expect(lines).toHaveLength(51);
    expect(lines.at(-1)).toBe('  + … and 9950 more');
    const plan = await cli(['plan', '--base', 'HEAD', '--head', 'cluster-config'], repo);
    expect(plan.stdout).toContain('    + demo-lab-kubernetes-node-vm-49\n    + … and 9950 more\n');
  });

  it('edits a component named __proto__ like any other', async () => {
    const text = clusterConfig({ name: 'lab', extra: [] }).replace(
      '    kubernetes_node:',
      '    __proto__:\n      count: 1\n    kubernetes_node:',
    );
    await writeFile(join(repo, 'cluster-config', 'lab.yml'), text);
    await git(repo, 'add', '.');
    await git(repo, 'commit', '-qm', 'Add lab');
    const result = await cli(['scale', '__proto__', '2', '--cluster', 'lab'], repo);
    expect(result.stdout).toContain('cluster-config/lab.yml:11: lab __proto__ 1 → 2\n  + demo-lab---proto---vm-1\n');
    const plan = JSON.parse((await cli(['plan', '--json'], repo)).stdout);
    expect(plan.clusters[0].components.map((c: { component: string }) => c.component)).toEqual(['__proto__']);
  });

  it('quotes a path with spaces in the commit command it suggests', async () => {
    await mkdir(join(repo, 'my configs'));
    await writeFile(join(repo, 'my configs', "lab's.yml"), clusterConfig({ name: 'lab' }));
    const result = await cli(['scale', 'kubernetes_node', '4', '--file', "my configs/lab's.yml"], repo);
    expect(result.stdout).toContain(`  git commit -F- -- 'my configs/lab'\\''s.yml' <<'EOF'\n`);
  });
});
