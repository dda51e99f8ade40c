import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findRepositoryRoot, loadConfigs, readConfigFiles, WorkingTreeSource } from '../../src/config/index.js';
import { UserError } from '../../src/errors.js';
import { clusterConfig } from '../support/config-text.js';
import { newRepository } from '../support/git.js';
import { tempDir } from '../support/temp.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('reading config files (pure)', () => {
  it('reads every cluster, and lists files without a cluster document as skipped', () => {
    const result = readConfigFiles([
      { path: 'cluster-config/shop.yml', bytes: bytes(clusterConfig({ name: 'shop' })) },
      { path: 'cluster-config/defaults.yml', bytes: bytes('kind: configuration/kubernetes-node\nspecification: {}\n') },
    ]);
    expect(result.configs.map((c) => [c.file, c.name])).toEqual([['cluster-config/shop.yml', 'shop']]);
    expect(result.skipped).toEqual(['cluster-config/defaults.yml']);
    expect(result.problems).toEqual([]);
  });

  it('refuses the same cluster declared in two files, pointing at the first', () => {
    const result = readConfigFiles([
      { path: 'a.yml', bytes: bytes(clusterConfig({ name: 'shop' })) },
      { path: 'b.yml', bytes: bytes(clusterConfig({ name: 'Shop' })) },
    ]);
    expect(result.problems).toEqual([
      { file: 'b.yml', line: 1, column: 1, message: 'cluster aws/demo-shop is also defined in a.yml: each cluster belongs in one file' },
    ]);
  });

  it('names problems of a labelled source (a git ref) as label:file, and refuses text that is not UTF-8', () => {
    const result = readConfigFiles(
      [
        { path: 'cluster-config/shop.yml', bytes: bytes(clusterConfig({ nodes: -1 })) },
        { path: 'cluster-config/latin1.yml', bytes: Uint8Array.from([0x6b, 0x69, 0x6e, 0x64, 0x3a, 0x20, 0xe9]) },
      ],
      'HEAD~1',
    );
    expect(result.problems.map((p) => `${p.file}:${p.line}`)).toEqual([
      'HEAD~1:cluster-config/shop.yml:11',
      'HEAD~1:cluster-config/latin1.yml:1',
    ]);
  });
});

describe('reading configs from disk (WorkingTreeSource)', () => {
  async function repositoryWithConfigs(): Promise<string> {
    const repository = await newRepository({
      'cluster-config/shop.yml': clusterConfig({ name: 'shop' }),
      'cluster-config/aws/blog.yaml': clusterConfig({ name: 'blog' }),
      'docs/README.md': '# docs\n',
    });
    return repository.dir;
  }

  it('names files from the repository root, from the root and from any folder of the repository', async () => {
    const root = await repositoryWithConfigs();
    const expected = ['cluster-config/aws/blog.yaml', 'cluster-config/shop.yml'];
    for (const [cwd, path] of [
      [root, 'cluster-config'],
      [join(root, 'cluster-config'), '.'],
      [join(root, 'cluster-config', 'aws'), '..'],
      // `cluster-config` does not exist under docs/: it means the repository's folder.
      [join(root, 'docs'), 'cluster-config'],
    ] as const) {
      const result = await loadConfigs([path], cwd);
      expect(
        result.configs.map((c) => c.file),
        `${path} from ${cwd}`,
      ).toEqual(expected);
    }
  });

  it('finds the repository root from a folder inside it, without git; none outside a repository', async () => {
    const root = await repositoryWithConfigs();
    expect(await findRepositoryRoot(join(root, 'cluster-config', 'aws'))).toBe(root);
    expect(await findRepositoryRoot(await tempDir())).toBeUndefined();
  });

  it('outside a repository, names files from the working directory, and a path outside it as typed', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'work'));
    await mkdir(join(dir, 'other'));
    await writeFile(join(dir, 'work', 'shop.yml'), clusterConfig({ name: 'shop' }));
    await writeFile(join(dir, 'other', 'blog.yml'), clusterConfig({ name: 'blog' }));
    const result = await loadConfigs(['.', '../other'], join(dir, 'work'));
    expect(result.configs.map((c) => c.file)).toEqual(['shop.yml', '../other/blog.yml']);
  });

  it('follows a link to a config file, and reads a file named twice once', async () => {
    const root = await repositoryWithConfigs();
    await mkdir(join(root, 'shared'));
    await writeFile(join(root, 'shared', 'lab.yml'), clusterConfig({ name: 'lab' }));
    await symlink(join(root, 'shared', 'lab.yml'), join(root, 'cluster-config', 'lab.yml'));
    const all = await loadConfigs(['cluster-config'], root);
    expect(all.configs.map((c) => c.name)).toEqual(['blog', 'lab', 'shop']);
    expect(all.problems).toEqual([]);
    const twice = await loadConfigs(['cluster-config/shop.yml', './cluster-config/shop.yml', join(root, 'cluster-config/shop.yml')], root);
    expect(twice.configs.map((c) => c.file)).toEqual(['cluster-config/shop.yml']);
    expect(twice.problems).toEqual([]);
  });

  it('gives the absolute path of a file it named, whatever the working directory', async () => {
    const root = await repositoryWithConfigs();
    const source = await WorkingTreeSource.open(['.'], join(root, 'cluster-config'));
    expect(source.absolutePath('cluster-config/shop.yml')).toBe(join(root, 'cluster-config', 'shop.yml'));
  });

  it('refuses a path that exists nowhere, naming it', async () => {
    const root = await repositoryWithConfigs();
    const error = await loadConfigs(['nowhere.yml'], root).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as Error).message).toBe('nowhere.yml: no such file or directory');
  });
});
