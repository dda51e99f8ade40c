import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import { BIN, cli, exampleRepo, FIXTURES, git, REPO_ROOT } from './run-cli.js';

const STACK_FRAME = /^\s+at /m;

describe('lambdastack-autoscaler (the built binary)', () => {
  it.each([[], ['validate'], ['plan'], ['scale'], ['history'], ['demo']])('explains itself with --help: %j', async (...command) => {
    const result = await cli([...command, '--help'], REPO_ROOT);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/Usage: lambdastack-autoscaler/);
  });

  it('stops quietly when the reader of its output goes away (`| head -n 1`)', async () => {
    const piped = await execa(process.execPath, [BIN, 'demo'], { cwd: REPO_ROOT, reject: false }).pipe('head', ['-n', '1'], {
      reject: false,
    });
    const source = piped.pipedFrom[0];
    expect(piped.stdout).toMatch(/^Demo repository: /);
    expect(String(source?.stderr)).not.toMatch(/EPIPE|STACK|\n\s+at /);
  });

  it('exits 2 with usage for an unknown command or a missing argument', async () => {
    const unknown = await cli(['scael'], REPO_ROOT);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command 'scael'/);
    const missing = await cli(['scale', 'kubernetes_node'], REPO_ROOT);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/missing required argument 'count'/);
  });
});

describe('validate', () => {
  it('accepts the example clusters by default and says what each is', async () => {
    const result = await cli(['validate'], REPO_ROOT);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'ok cluster-config/aws-demo.yml: lambdastack-cluster aws/demo-shop, kubernetes_node 3, autoscaled 2..10, state in s3',
    );
    expect(result.stdout).toContain('ok cluster-config/azure-demo.yml: lambdastack-cluster azure/demo-analytics');
    expect(result.stdout).toContain('2 cluster config(s) valid');
  });

  it('reports every problem as file:line:column, exits 1, and shows no stack trace', async () => {
    const result = await cli(['validate', 'test/fixtures/cli/broken.yml'], REPO_ROOT);
    expect(result.exitCode).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^test\/fixtures\/cli\/broken\.yml:7:12: specification\.cloud\.credentials\.key holds an AWS access key id/),
      expect.stringMatching(
        /^test\/fixtures\/cli\/broken\.yml:8:15: specification\.cloud\.credentials\.secret looks like a real credential/,
      ),
      expect.stringMatching(
        /^test\/fixtures\/cli\/broken\.yml:13:14: specification\.components\.kubernetes_node\.count: must be 0 or more$/,
      ),
      expect.stringMatching(/^test\/fixtures\/cli\/broken\.yml:18:28: kubernetes_node: min 5 is greater than max 2$/),
      expect.stringMatching(/^test\/fixtures\/cli\/broken\.yml:19:5: kafka: the cluster has no such component/),
      '5 problem(s) in 1 file(s); nothing was changed',
    ]);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('accepts a hand-written config with comments, anchors, flow style and CRLF', async () => {
    const result = await cli(['validate', join(FIXTURES, 'handwritten-crlf.yml')], REPO_ROOT);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/aws\/hand-made, kubernetes_node 3, autoscaled 1\.\.8/);
  });

  it('names a path that does not exist', async () => {
    const result = await cli(['validate', 'no/such/dir'], REPO_ROOT);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe('error: no/such/dir: no such file or directory\n');
  });
});

describe('scale', () => {
  let repo: string;
  beforeEach(async () => {
    repo = await exampleRepo();
  });

  it('changes one line, lists the new nodes, and commits with the reason as a trailer', async () => {
    const result = await cli(['scale', 'kubernetes_node', '5', '--cluster', 'shop', '--reason', '7 pods pending', '--commit'], repo);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('cluster-config/aws-demo.yml:34: shop kubernetes_node 3 → 5');
    expect(result.stdout).toContain('  + demo-shop-kubernetes-node-vm-3\n  + demo-shop-kubernetes-node-vm-4');
    expect(await git(repo, 'diff', '--numstat', 'HEAD~1', 'HEAD')).toBe('1\t1\tcluster-config/aws-demo.yml');
    expect(await git(repo, 'diff', '-U0', 'HEAD~1', 'HEAD')).toMatch(
      /- {6}count: 3 {2}# managed by lambdastack-autoscaler within the bounds below\n\+ {6}count: 5 {2}# managed by lambdastack-autoscaler within the bounds below/,
    );
    expect(await git(repo, 'log', '-1', '--format=%s%n%(trailers:key=Autoscale-Reason,valueonly)')).toBe(
      'Scale shop kubernetes_node 3 → 5\n7 pods pending\n',
    );
  });

  it('from a subdirectory edits and commits the file of the repository it runs in', async () => {
    const result = await cli(['scale', 'kubernetes_node', '4', '--cluster', 'shop', '--commit'], join(repo, 'cluster-config'));
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('cluster-config/aws-demo.yml:34: shop kubernetes_node 3 → 4');
    expect(await git(repo, 'diff', '--numstat', 'HEAD~1', 'HEAD')).toBe('1\t1\tcluster-config/aws-demo.yml');
  });

  it('says the file was changed and left uncommitted when the commit itself fails', async () => {
    await writeFile(join(repo, '.git', 'hooks', 'pre-commit'), '#!/bin/sh\necho "policy: no commits today" >&2\nexit 1\n', { mode: 0o755 });
    const result = await cli(['scale', 'kubernetes_node', '4', '--cluster', 'shop', '--commit'], repo);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^error: cluster-config\/aws-demo\.yml was changed \(3 → 4\) but not committed: git commit .*policy: no commits today/,
    );
    expect(await git(repo, 'diff', '--numstat')).toBe('1\t1\tcluster-config/aws-demo.yml');
  });

  it('without --commit leaves the change in the working tree and prints the commit to make', async () => {
    const result = await cli(['scale', 'kubernetes_node', '1', '--cluster', 'analytics'], repo);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('  - demo-analytics-kubernetes-node-vm-1');
    expect(result.stdout).toContain('git commit -F-');
    expect(await git(repo, 'diff', '--numstat')).toBe('1\t1\tcluster-config/azure-demo.yml');
  });

  it.each([
    [['kubernetes_node', '11', '--cluster', 'shop'], /count 11 refused: outside the autoscaling bounds \[2, 10\]/],
    [['kubernetes_master', '0', '--cluster', 'shop'], /kubernetes_master count 1 → 0 refused: masters are never scaled down/],
    [['kubernetes_node', '4'], /holds several clusters .*choose one with --cluster NAME or --file FILE/],
    [['kubernetes_node', '4', '--cluster', 'nope'], /no cluster named "nope"/],
    [['kubernetes_node', 'five', '--cluster', 'shop'], /count "five" refused: give a whole number/],
    [['kubernetes_node', '-1', '--cluster', 'shop'], /./],
    [['kafka', '2', '--cluster', 'shop'], /has no component "kafka"/],
  ])('refuses %j and leaves the file byte-identical', async (args, message) => {
    const before = await readFile(join(repo, 'cluster-config', 'aws-demo.yml'), 'utf8');
    const result = await cli(['scale', ...args], repo);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_FRAME);
    expect(await readFile(join(repo, 'cluster-config', 'aws-demo.yml'), 'utf8')).toBe(before);
    expect(await git(repo, 'status', '--porcelain')).toBe('');
  });

  it('edits a hand-written CRLF file with flow style and anchors in one line, bytes elsewhere untouched', async () => {
    const file = join(repo, 'hand.yml');
    await copyFile(join(FIXTURES, 'handwritten-crlf.yml'), file);
    const before = await readFile(file, 'utf8');
    const result = await cli(['scale', 'kubernetes_node', '7', '--file', 'hand.yml'], repo);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('hand.yml:12: Hand-Made kubernetes_node 3 → 7');
    expect(result.stdout).toContain('  + hand-made-kubernetes-node-vm-3');
    const after = await readFile(file, 'utf8');
    expect(after).toBe(before.replace('kubernetes_node: {count: 3, machine: x}', 'kubernetes_node: {count: 7, machine: x}'));
  });

  it('refuses to edit a file with a problem anywhere in it, even in a document the edit does not touch', async () => {
    const file = join(repo, 'cluster-config', 'aws-demo.yml');
    await writeFile(file, `${await readFile(file, 'utf8')}---\nkind: infrastructure/load-balancer\nname: a: b\n`);
    const before = await readFile(file, 'utf8');
    const result = await cli(['scale', 'kubernetes_node', '4', '--file', 'cluster-config/aws-demo.yml'], repo);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/^cluster-config\/aws-demo\.yml:\d+:\d+: YAML syntax error/m);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('refuses a count written as an alias', async () => {
    const file = join(repo, 'alias.yml');
    await writeFile(
      file,
      'kind: lambdastack-cluster\nprovider: any\nspecification:\n  name: a\n  n: &n 2\n  components:\n    kubernetes_node:\n      count: *n\n',
    );
    const result = await cli(['scale', 'kubernetes_node', '3', '--file', 'alias.yml'], repo);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/kubernetes_node\.count is an alias \(\*n\)/);
  });
});

describe('plan', () => {
  let repo: string;
  beforeEach(async () => {
    repo = await exampleRepo();
  });

  it('between two refs prints the exact nodes added and removed, as text and as JSON', async () => {
    await cli(['scale', 'kubernetes_node', '5', '--cluster', 'shop', '--commit'], repo);
    await cli(['scale', 'kubernetes_node', '1', '--cluster', 'analytics', '--commit'], repo);
    const text = await cli(['plan', '--base', 'HEAD~2', '--head', 'HEAD'], repo);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toBe(
      [
        'cluster-config/aws-demo.yml: aws cluster shop',
        '  kubernetes_node 3 → 5',
        '    + demo-shop-kubernetes-node-vm-3',
        '    + demo-shop-kubernetes-node-vm-4',
        'cluster-config/azure-demo.yml: azure cluster analytics',
        '  kubernetes_node 2 → 1',
        '    - demo-analytics-kubernetes-node-vm-1',
        '',
      ].join('\n'),
    );
    const json = await cli(['plan', '--base', 'HEAD~2', '--head', 'HEAD', '--json'], repo);
    expect(JSON.parse(json.stdout)).toEqual({
      clusters: [
        {
          file: 'cluster-config/aws-demo.yml',
          name: 'shop',
          provider: 'aws',
          change: 'scaled',
          counts: { kubernetes_master: 1, kubernetes_node: 5, load_balancer: 1, repository: 1 },
          components: [
            {
              component: 'kubernetes_node',
              from: 3,
              to: 5,
              add: ['demo-shop-kubernetes-node-vm-3', 'demo-shop-kubernetes-node-vm-4'],
              remove: [],
            },
          ],
        },
        {
          file: 'cluster-config/azure-demo.yml',
          name: 'analytics',
          provider: 'azure',
          change: 'scaled',
          counts: { kubernetes_master: 1, kubernetes_node: 1, load_balancer: 1 },
          components: [{ component: 'kubernetes_node', from: 2, to: 1, add: [], remove: ['demo-analytics-kubernetes-node-vm-1'] }],
        },
      ],
    });
  });

  it('by default compares HEAD with the working tree', async () => {
    await cli(['scale', 'kubernetes_node', '2', '--cluster', 'shop'], repo);
    const result = await cli(['plan'], repo);
    expect(result.stdout).toContain('kubernetes_node 3 → 2\n    - demo-shop-kubernetes-node-vm-2');
  });

  it('reports a renamed cluster as renamed, not as scaling', async () => {
    const file = join(repo, 'cluster-config', 'aws-demo.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('name: shop', 'name: store'));
    const result = await cli(['plan', '--json'], repo);
    const plan = JSON.parse(result.stdout);
    expect(plan.clusters).toEqual([
      expect.objectContaining({
        name: 'store',
        change: 'renamed',
        previous: { id: 'aws/demo-shop', file: 'cluster-config/aws-demo.yml' },
        components: [],
      }),
    ]);
  });

  it('gives the same answer from the repository root and from cluster-config/', async () => {
    await cli(['scale', 'kubernetes_node', '5', '--cluster', 'shop', '--commit'], repo);
    const fromRoot = await cli(['plan', '--base', 'HEAD~1', '--head', 'HEAD', '--json'], repo);
    const configDir = join(repo, 'cluster-config');
    for (const args of [
      ['--base', 'HEAD~1', '--head', 'HEAD'],
      ['--base', 'HEAD~1', '--head', '.'],
      ['--base', 'HEAD~1'],
    ]) {
      const fromConfigDir = await cli(['plan', ...args, '--json'], configDir);
      expect(fromConfigDir.stderr).toBe('');
      expect(fromConfigDir.stdout, args.join(' ')).toBe(fromRoot.stdout);
    }
    expect(JSON.parse(fromRoot.stdout).clusters.map((c: { file: string; change: string }) => [c.file, c.change])).toEqual([
      ['cluster-config/aws-demo.yml', 'scaled'],
    ]);
  });

  it('a committed rename reads as renamed in plan and in history alike', async () => {
    const file = join(repo, 'cluster-config', 'aws-demo.yml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('name: shop', 'name: store'));
    await git(repo, 'commit', '--quiet', '-am', 'Rename shop to store');
    const plan = await cli(['plan', '--base', 'HEAD~1', '--head', 'HEAD'], repo);
    const history = await cli(['history'], repo);
    const said =
      'cluster renamed from aws/demo-shop in cluster-config/aws-demo.yml (every VM name changes: this replaces the cluster, it is not scaling)';
    expect(plan.stdout).toBe(`cluster-config/aws-demo.yml: aws cluster store: ${said}\n`);
    expect(history.stdout).toContain(`  Rename shop to store\n  store (cluster-config/aws-demo.yml): ${said}\n`);
  });

  it('says so when nothing changes, and refuses a ref that does not exist', async () => {
    expect((await cli(['plan'], repo)).stdout).toBe('No scale changes between HEAD and cluster-config.\n');
    const bad = await cli(['plan', '--base', 'no-such-branch'], repo);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/"no-such-branch" is neither a file nor a git ref/);
  });
});

describe('history', () => {
  it('lists the scale commits with their reasons, in every format', async () => {
    const repo = await exampleRepo();
    await cli(['scale', 'kubernetes_node', '5', '--cluster', 'shop', '--reason', 'queue backlog', '--commit'], repo);
    const text = await cli(['history'], repo);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain('kubernetes_node 3 → 5');
    expect(text.stdout).toContain('queue backlog');
    const json = JSON.parse((await cli(['history', '--json'], repo)).stdout);
    expect(json.entries[0]).toMatchObject({
      reason: 'queue backlog',
      clusters: [{ name: 'shop', components: [{ component: 'kubernetes_node', from: 3, to: 5 }] }],
    });
    expect((await cli(['history', '--markdown'], repo)).stdout).toMatch(/^\|/m);
    expect((await cli(['history', '--mermaid'], repo)).stdout).toContain('xychart-beta');
    const both = await cli(['history', '--json', '--markdown'], repo);
    expect(both.exitCode).toBe(2);
    expect((await cli(['history', '--since', '1 day ago'], repo)).stdout).toContain('kubernetes_node 3 → 5');
    expect((await cli(['history', '--since', '2030-01-01'], repo)).stdout).not.toContain('kubernetes_node 3 → 5');
  });

  it('--file follows the cluster a file holds across a move, and gives the old path the same history', async () => {
    const repo = await exampleRepo();
    await cli(['scale', 'kubernetes_node', '5', '--cluster', 'shop', '--reason', 'queue backlog', '--commit'], repo);
    await git(repo, 'mv', 'cluster-config/aws-demo.yml', 'cluster-config/shop.yml');
    await git(repo, 'commit', '--quiet', '-m', 'Name the file after its cluster');
    const moved = await cli(['history', '--file', 'cluster-config/shop.yml'], repo);
    expect(moved.exitCode).toBe(0);
    expect(moved.stdout).toContain('  shop (cluster-config/aws-demo.yml): kubernetes_node 3 → 5\n  reason: queue backlog\n');
    expect(moved.stdout).toContain('  shop (cluster-config/aws-demo.yml): cluster added with');
    expect(moved.stdout).not.toContain('Name the file after its cluster');
    expect(moved.stdout).not.toContain('analytics');
    expect((await cli(['history', '--file', 'cluster-config/aws-demo.yml'], repo)).stdout).toBe(moved.stdout);
  });

  it('refuses a --since that is not a date (exit 1, quoting it, with the accepted forms) instead of printing a shorter history', async () => {
    const repo = await exampleRepo();
    const forms =
      'give a date (2026-11-01, midnight UTC), a date and time with Z or an offset (2026-11-01T09:00:00Z, 2026-11-01T09:00+02:00), ' +
      'or "N units ago" with a whole number N and a unit second, minute, hour, day, week, month or year ("2 weeks ago")';
    for (const since of ['banana', '5 dasy ago', 'yesterday', '']) {
      const refused = await cli(['history', '--since', since], repo);
      expect(refused.exitCode).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toBe(`error: --since "${since}" is not a date: ${forms}\n`);
    }
    const noSuchDay = await cli(['history', '--since', '2026-13-45'], repo);
    expect(noSuchDay.exitCode).toBe(1);
    expect(noSuchDay.stderr).toBe('error: --since "2026-13-45" is not a date: there is no month 13\n');
    const second = await cli(['history', '--since', '1 second ago'], repo);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe('No scale changes found.\n');
  });
});

describe('failures that are not the input', () => {
  it('a git failure is reported as temporary (exit 75), not as a refusal, and without a stack', async () => {
    const repo = await exampleRepo();
    // A repository whose objects are gone: git fails, whatever the user asked.
    const head = await git(repo, 'rev-parse', 'HEAD:cluster-config/aws-demo.yml');
    await rm(join(repo, '.git', 'objects', head.slice(0, 2), head.slice(2)));
    const result = await cli(['history'], repo);
    expect(result.exitCode).toBe(75);
    expect(result.stderr).toMatch(/^error \(temporary, try again\): the repository at .* is missing 1 object\(s\) it refers to/);
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });
});
