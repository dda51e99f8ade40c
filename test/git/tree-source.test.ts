import { describe, expect, it } from 'vitest';
import { readConfigs } from '../../src/config/index.js';
import { Git } from '../../src/git/git.js';
import { GitTreeSource } from '../../src/git/tree-source.js';
import { clusterConfig } from '../support/config-text.js';
import { newRepository } from '../support/git.js';

describe('configs as committed (GitTreeSource)', () => {
  it('reads the YAML files under a folder at a commit, named from the repository root, whatever the directory', async () => {
    const repository = await newRepository({
      'cluster-config/shop.yml': clusterConfig({ name: 'shop', nodes: 3 }),
      'cluster-config/notes.md': '# not a config\n',
      'elsewhere/blog.yml': clusterConfig({ name: 'blog' }),
    });
    const first = await repository.git(['rev-parse', 'HEAD']);
    await repository.commit('Scale shop', { files: { 'cluster-config/shop.yml': clusterConfig({ name: 'shop', nodes: 5 }) } });
    const git = new Git(`${repository.dir}/cluster-config`);
    const result = await readConfigs(new GitTreeSource(git, first, 'cluster-config', 'HEAD~1'));
    expect(result.configs.map((c) => [c.file, c.counts.kubernetes_node])).toEqual([['cluster-config/shop.yml', 3]]);
  });

  it('names problems with the ref, so nobody looks for them in the file on disk; a symlink in the tree is not read', async () => {
    const repository = await newRepository({ 'cluster-config/shop.yml': clusterConfig({ nodes: 'many' }) });
    await repository.git([
      'update-index',
      '--add',
      '--cacheinfo',
      `120000,${await repository.git(['hash-object', '-w', '--stdin'], { input: 'shop.yml' })},cluster-config/link.yml`,
    ]);
    await repository.git(['commit', '-q', '-m', 'Add a link']);
    const git = new Git(repository.dir);
    const result = await readConfigs(new GitTreeSource(git, 'HEAD', 'cluster-config', 'main'));
    expect(result.problems.map((p) => `${p.file}:${p.line}:${p.column}`)).toEqual(['main:cluster-config/shop.yml:11:14']);
  });
});
