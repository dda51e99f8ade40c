import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { type GithubSim, startGithubSim } from '../../src/sim/github/index.js';
import { ISOLATED_GIT_ENV, type TestRepository } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { job, printed, run, workflowRepository } from './support.js';

describe('workflow_dispatch', () => {
  it('types the inputs, fills defaults, and passes a hostile value through env: as inert text', async () => {
    const repository = await workflowRepository('dispatch.yml');
    const marker = join(await tempDir('lsa-marker-'), 'pwned');
    const result = await run(repository, 'dispatch.yml', {
      event: 'workflow_dispatch',
      actor: 'alice',
      inputs: { cluster: `shop; rm -rf / #`, count: `$(touch ${marker}) \`touch ${marker}\`` },
    });
    expect(result.conclusion).toBe('success');
    const lines = printed(result);
    expect(lines).toContain(`cluster=[shop; rm -rf / #] count=[$(touch ${marker}) \`touch ${marker}\`]`);
    expect(existsSync(marker)).toBe(false);
    expect(lines).toContain('dry-run=false event-input=false component=kubernetes_node actor=alice');
    expect(job(result, 'scale').permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(job(result, 'read-only').permissions).toEqual({ contents: 'read' });
    expect(result.log).toContain('  permissions: contents: write, pull-requests: write (every other scope: none)');
    expect(result.concurrency).toEqual({ group: 'scale-shop; rm -rf / #', cancelInProgress: false });
  });

  it('refuses inputs the form would refuse, all at once, before anything runs', async () => {
    const repository = await workflowRepository('dispatch.yml');
    const lines: string[] = [];
    await expect(
      run(repository, 'dispatch.yml', {
        event: 'workflow_dispatch',
        inputs: { count: '3', component: 'etcd', 'dry-run': 'yes', colour: 'red' },
        onLine: (line) => lines.push(line),
      }),
    ).rejects.toThrow(
      [
        'workflow_dispatch inputs refused:',
        '  unexpected input(s) colour: the workflow declares cluster, count, dry-run, component',
        '  the input cluster is required: give it with --input cluster=…',
        '  the input dry-run is a boolean: give true or false, not "yes"',
        '  the input component is "etcd", not one of its options [kubernetes_node, kubernetes_master]',
      ].join('\n'),
    );
    expect(lines.filter((line) => line.startsWith('job '))).toEqual([]);
  });
});

describe('push', () => {
  it('runs when a changed file matches paths:, and not when only excluded or other files changed', async () => {
    const repository = await workflowRepository('paths.yml', { 'cluster-config/shop.yml': 'count: 3\n' });
    await repository.commit('Docs', { files: { 'README.md': '# docs\n', 'cluster-config/README.md': '# configs\n' } });
    const docs = await run(repository, 'paths.yml');
    expect(docs.conclusion).toBe('not-triggered');
    expect(docs.notTriggered).toBe(
      'no changed file matches paths [cluster-config/**, !cluster-config/README.md] (changed: README.md, cluster-config/README.md)',
    );
    expect(docs.jobs).toEqual([]);

    const before = await repository.git(['rev-parse', 'HEAD']);
    const after = await repository.commit('Scale shop', { files: { 'cluster-config/shop.yml': 'count: 4\n' } });
    const scale = await run(repository, 'paths.yml');
    expect(scale.conclusion).toBe('success');
    expect(printed(scale)).toContain(`applying ${before}..${after}`);
  });

  it('does not run for a branch its branches: filter leaves out, or for an event not in on:', async () => {
    const repository = await workflowRepository('paths.yml', { 'cluster-config/shop.yml': 'count: 3\n' });
    await repository.git(['branch', 'dev']);
    expect((await run(repository, 'paths.yml', { ref: 'dev' })).notTriggered).toBe('the branch dev matches none of branches [main]');
    expect((await run(repository, 'paths.yml', { event: 'workflow_dispatch' })).notTriggered).toBe(
      'the workflow is not triggered by workflow_dispatch (on: push)',
    );
  });
});

describe('pull_request', () => {
  let sim: GithubSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  /** A bare repository served by the GitHub simulator, with main and a branch `scale` that adds a config, and a PR from it. */
  async function pullRequestWorld(
    branchFiles: Record<string, string>,
  ): Promise<{ repository: TestRepository; bare: string; pull: Record<string, unknown> }> {
    const repository = await workflowRepository('pull-request.yml', { 'cluster-config/shop.yml': 'count: 3\n' });
    await repository.git(['checkout', '-q', '-b', 'scale']);
    await repository.commit('Change on a branch', { files: branchFiles });
    const bare = join(await tempDir('lsa-pr-'), 'cluster-config.git');
    await execa('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: ISOLATED_GIT_ENV });
    await repository.git(['push', '-q', bare, 'main', 'scale']);
    sim = await startGithubSim({ repoDir: bare, name: 'example/cluster-config' });
    const headers = { authorization: 'token test', 'content-type': 'application/json' };
    const url = `${sim.url}/repos/example/cluster-config/pulls`;
    const created = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ title: 'Scale', head: 'scale', base: 'main' }) });
    const { number } = (await created.json()) as { number: number };
    const pull = (await (await fetch(`${url}/${number}`, { headers })).json()) as Record<string, unknown>;
    return { repository, bare, pull };
  }

  it("checks out the pull request's test merge, with head_ref, base_ref and ref as GitHub sets them", async () => {
    const { repository, bare, pull } = await pullRequestWorld({ 'cluster-config/analytics.yml': 'count: 2\n' });
    const result = await run(repository, 'pull-request.yml', {
      event: 'pull_request',
      workspace: bare,
      eventPayload: { action: 'synchronize', number: pull.number as number, pull_request: pull as never },
      apiUrl: sim?.url as string,
    });
    expect(result.conclusion).toBe('success');
    expect(result.sha).toBe(pull.merge_commit_sha);
    expect(printed(result)).toContain('pr 1 scale -> main ref=refs/pull/1/merge action=synchronize files=analytics.yml shop.yml ');
  });

  it('does not run when the pull request changes no file under its paths:', async () => {
    const { repository, bare, pull } = await pullRequestWorld({ 'README.md': '# docs\n' });
    const result = await run(repository, 'pull-request.yml', {
      event: 'pull_request',
      workspace: bare,
      eventPayload: { number: pull.number as number, pull_request: pull as never },
    });
    expect(result.notTriggered).toBe('no changed file matches paths [cluster-config/**] (changed: README.md)');
  });
});
