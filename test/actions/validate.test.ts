import { cp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigs } from '../../src/config/index.js';
import { clusterConfig, yaml } from '../support/config-text.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, bundleOf, REPO_ROOT, runBundledAction } from './runner.js';

const STACK_FRAME = /(^|%0A|\n)\s+at /m;

/** A checkout (GITHUB_WORKSPACE) holding `files` (path → text) under it. */
async function workspace(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('lsa-workspace-');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/** A checkout with a copy of the example clusters in cluster-config/. */
async function exampleWorkspace(): Promise<string> {
  const dir = await workspace({});
  await cp(join(REPO_ROOT, 'cluster-config'), join(dir, 'cluster-config'), { recursive: true });
  return dir;
}

const validate = (dir: string, path = 'cluster-config', env?: Record<string, string>): Promise<ActionRun> =>
  runBundledAction('validate', { workspace: dir, inputs: { path }, ...(env ? { env } : {}) });

const errors = (run: ActionRun) => run.commands.filter((command) => command.command === 'error');
/** The annotations that point at a line, as the problems they report. */
const annotated = (run: ActionRun) =>
  errors(run)
    .filter((command) => command.properties.file !== undefined)
    .map(({ properties, message }) => ({ file: properties.file, line: Number(properties.line), column: Number(properties.col), message }));

describe('the validate action (its committed bundle, run as the runner runs it)', () => {
  it('accepts valid configs: exit 0, the clusters and counts as outputs, a summary table of the clusters', async () => {
    const run = await validate(await exampleWorkspace());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(errors(run)).toEqual([]);
    expect(run.outputs.problems).toBe('0');
    expect(JSON.parse(run.outputs.skipped ?? '')).toEqual([]);
    expect(JSON.parse(run.outputs.clusters ?? '')).toEqual([
      {
        file: 'cluster-config/aws-demo.yml',
        id: 'aws/demo-shop',
        kind: 'lambdastack-cluster',
        provider: 'aws',
        prefix: 'demo',
        name: 'shop',
        counts: { kubernetes_master: 1, kubernetes_node: 3, load_balancer: 1, repository: 1 },
        autoscaling: { kubernetes_node: { min: 2, max: 10 } },
        remoteState: 's3',
      },
      {
        file: 'cluster-config/azure-demo.yml',
        id: 'azure/demo-analytics',
        kind: 'lambdastack-cluster',
        provider: 'azure',
        prefix: 'demo',
        name: 'analytics',
        counts: { kubernetes_master: 1, kubernetes_node: 2, load_balancer: 1 },
        autoscaling: { kubernetes_node: { min: 1, max: 6 } },
        remoteState: 'azurerm',
      },
    ]);
    expect(run.summary).toContain('✅ 2 cluster config(s) valid under cluster-config');
    expect(run.summary).toContain(
      '<tr><th>File</th><th>Cluster</th><th>Provider</th><th>kubernetes_node</th><th>Autoscaling</th><th>Remote state</th></tr>',
    );
    expect(run.summary).toContain(
      '<tr><td><code>cluster-config/aws-demo.yml</code></td><td>aws/demo-shop</td><td>aws</td><td>3</td><td>2..10</td>' +
        '<td>s3: shop-lambdastack-tfstate/clusters/demo-shop/terraform.tfstate</td></tr>',
    );
    expect(run.summary).toContain(
      '<tr><td><code>cluster-config/azure-demo.yml</code></td><td>azure/demo-analytics</td><td>azure</td><td>2</td><td>1..6</td>' +
        '<td>azurerm: analyticstfstate/tfstate/clusters/demo-analytics/terraform.tfstate</td></tr>',
    );
    expect(run.summary).not.toContain('Problems');
    expect(run.stdout).toContain('ok cluster-config/aws-demo.yml: lambdastack-cluster aws/demo-shop, kubernetes_node 3');
  });

  it('annotates a problem at its file, line and column (relative to the repository root) and fails the step', async () => {
    const run = await validate(await workspace({ 'cluster-config/x.yml': clusterConfig({ nodes: -1 }) }));

    expect(run.exitCode).toBe(1);
    // The exact line the runner reads: @actions/core writes title first, then file, line, col.
    expect(run.stdout).toContain(
      '::error title=Invalid cluster config,file=cluster-config/x.yml,line=11,col=14::specification.components.kubernetes_node.count: must be 0 or more\n',
    );
    expect(run.stdout).toContain('::error::1 problem(s) in 1 cluster config file(s); each is annotated at its line\n');
    expect(run.outputs.problems).toBe('1');
    expect(JSON.parse(run.outputs.clusters ?? '')).toEqual([]);
    expect(run.summary).toContain('❌ 1 problem(s) in 1 file(s) under cluster-config; 0 cluster(s) valid');
    expect(run.summary).toContain(
      '<tr><td><code>cluster-config/x.yml:11</code></td><td>specification.components.kubernetes_node.count: must be 0 or more</td></tr>',
    );
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
  });

  it('makes every problem its own annotation, in every file, and keeps the valid clusters', async () => {
    const files = {
      'cluster-config/a.yml': clusterConfig({ name: 'a', nodes: 1.5, autoscaling: { min: 5, max: 2 } }),
      'cluster-config/nested/b.yaml': clusterConfig({ name: 'b', provider: 'gcp', masters: -1 }),
      'cluster-config/ok.yml': clusterConfig({ name: 'ok', autoscaling: { min: 1, max: 4 }, remoteState: 's3' }),
    };
    const dir = await workspace(files);
    const expected = await loadConfigs(['cluster-config'], dir);
    expect(expected.problems.length).toBeGreaterThanOrEqual(4);

    const run = await validate(dir);

    expect(run.exitCode).toBe(1);
    expect(annotated(run)).toEqual(expected.problems);
    expect(new Set(annotated(run).map((problem) => problem.file))).toEqual(
      new Set(['cluster-config/a.yml', 'cluster-config/nested/b.yaml']),
    );
    expect(run.outputs.problems).toBe(String(expected.problems.length));
    expect(JSON.parse(run.outputs.clusters ?? '').map((cluster: { id: string }) => cluster.id)).toEqual(['aws/demo-ok']);
    // One line of the problems table per problem, even past the 10 annotations GitHub shows per step.
    expect(run.summary.match(/<tr><td><code>cluster-config\/(a\.yml|nested\/b\.yaml):\d+<\/code><\/td>/g)).toHaveLength(
      expected.problems.length,
    );
  });

  it('escapes what it prints: a file name with a comma in an annotation, markup in the summary', async () => {
    const text = clusterConfig({
      extra: ['---', 'kind: configuration/autoscaling', 'specification:', '  components:', '    "<b>kafka</b>": {min: 0, max: 1}'],
    });
    const run = await validate(await workspace({ 'cluster-config/a,b.yml': text }));

    expect(run.exitCode).toBe(1);
    const [annotation] = errors(run);
    expect(annotation?.raw).toContain('file=cluster-config/a%2Cb.yml,');
    expect(annotation?.properties.file).toBe('cluster-config/a,b.yml');
    expect(annotation?.message).toMatch(/^<b>kafka<\/b>: the cluster has no such component/);
    expect(run.summary).toContain('&lt;b&gt;kafka&lt;/b&gt;: the cluster has no such component');
    expect(run.summary).not.toContain('<b>kafka');
  });

  it('links each file and line in the summary to the commit when the runner names the repository', async () => {
    const dir = await workspace({ 'cluster-config/x.yml': clusterConfig({ nodes: -1 }) });
    const run = await validate(dir, 'cluster-config', {
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: 'example/clusters',
      GITHUB_SHA: '0123abc',
    });

    expect(run.summary).toContain(
      '<a href="https://github.com/example/clusters/blob/0123abc/cluster-config/x.yml#L11"><code>cluster-config/x.yml:11</code></a>',
    );
  });

  it('refuses a path that does not exist with a clear message and no stack', async () => {
    const run = await validate(await workspace({}), 'cluster-configs');

    expect(run.exitCode).toBe(1);
    expect(errors(run).map((command) => command.message)).toEqual([
      expect.stringMatching(
        /^input `path`: cluster-configs does not exist in .+: check the path .+and that actions\/checkout runs before this step$/,
      ),
    ]);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    expect(run.outputs).toEqual({});
  });

  it('refuses an empty path, and one outside the checkout whether absolute or relative', async () => {
    const dir = await exampleWorkspace();
    const outside = await tempDir();
    for (const [path, message] of [
      ['', /^input `path` is empty: set it to a file or directory of the repository, for example `path: cluster-config`$/],
      [outside, /^input `path`: .+ is outside the repository checkout .+: name a path inside it/],
      ['../elsewhere', /^input `path`: \.\.\/elsewhere is outside the repository checkout/],
    ] as const) {
      const run = await validate(dir, path);
      expect(run.exitCode, path).toBe(1);
      expect(errors(run).map((command) => command.message)).toEqual([expect.stringMatching(message)]);
      expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    }
  });

  it('takes an absolute path inside the checkout, or one file, and still names files from the repository root', async () => {
    const dir = await workspace({ 'cluster-config/x.yml': clusterConfig({ nodes: -1 }) });
    for (const path of [join(dir, 'cluster-config'), 'cluster-config/x.yml']) {
      const run = await validate(dir, path);
      expect(run.exitCode).toBe(1);
      expect(annotated(run)).toEqual([
        {
          file: 'cluster-config/x.yml',
          line: 11,
          column: 14,
          message: 'specification.components.kubernetes_node.count: must be 0 or more',
        },
      ]);
    }
  });

  it('lists files without a cluster as skipped, and warns when there is no cluster at all', async () => {
    const run = await validate(
      await workspace({ 'cluster-config/defaults.yml': yaml('kind: configuration/kubernetes-node', 'name: default') }),
    );

    expect(run.exitCode).toBe(0);
    expect(JSON.parse(run.outputs.skipped ?? '')).toEqual(['cluster-config/defaults.yml']);
    expect(run.commands.filter((command) => command.command === 'warning').map((command) => command.message)).toEqual([
      'no cluster configs under cluster-config: is `path` the directory that holds them?',
    ]);
    expect(run.summary).toContain('⚠️ no cluster configs under cluster-config');
    expect(run.summary).toContain('<li><code>cluster-config/defaults.yml</code></li>');
  });

  it('reports an unexpected failure with its stack (here: GITHUB_OUTPUT names a missing file)', async () => {
    const dir = await exampleWorkspace();
    const run = await validate(dir, 'cluster-config', { GITHUB_OUTPUT: join(dir, 'no-such-dir', 'output') });

    expect(run.exitCode).toBe(1);
    const [failure] = errors(run);
    expect(failure?.message).toMatch(/^Error: Missing file at path: .*no-such-dir\/output\n\s+at /);
  });

  it('runs standalone: a copy of its dist/ outside the repository, started from another directory', async () => {
    const copy = await tempDir('lsa-action-copy-');
    await cp(join(bundleOf('validate'), '..'), copy, { recursive: true });
    const run = await runBundledAction('validate', {
      workspace: await exampleWorkspace(),
      inputs: { path: 'cluster-config' },
      script: join(copy, 'index.js'),
      cwd: await tempDir(),
    });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(JSON.parse(run.outputs.clusters ?? '')).toHaveLength(2);
  });
});
