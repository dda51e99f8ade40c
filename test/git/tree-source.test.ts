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

describe('blobs read byte for byte', () => {
  it('keeps a final carriage return or line feed: it is data, not a line end', async () => {
    const repository = await newRepository();
    const git = new Git(repository.dir);
    const ids = await Promise.all(
      ['ends in CR\r', 'ends in LF\n', 'ends in CRLF\r\n'].map((text) => repository.git(['hash-object', '-w', '--stdin'], { input: text })),
    );
    // Each read alone, so each blob is the last thing git writes.
    const texts = await Promise.all(ids.map(async (id) => (await git.readNamedBlobs([id])).get(id)?.toString()));
    expect(texts).toEqual(['ends in CR\r', 'ends in LF\n', 'ends in CRLF\r\n']);
  });
});
