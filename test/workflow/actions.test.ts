import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { type GithubSim, startGithubSim } from '../../src/sim/github/index.js';
import { runWorkflow } from '../../src/workflow/index.js';
import { ISOLATED_GIT_ENV } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { job, printed, run, testEnv, workflowRepository } from './support.js';

describe('uses: ./ actions', () => {
  let sim: GithubSim | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });

  it("runs a repository's JavaScript action with its inputs and action.yml defaults, and its API calls reach GITHUB_API_URL", async () => {
    const repository = await workflowRepository('local-action.yml');
    const bare = join(await tempDir('lsa-api-'), 'cluster-config.git');
    await execa('git', ['init', '-q', '--bare', '-b', 'main', bare], { env: ISOLATED_GIT_ENV });
    await repository.git(['push', '-q', bare, 'main']);
    sim = await startGithubSim({ repoDir: bare, name: 'example/cluster-config' });

    const result = await run(repository, 'local-action.yml', {
      actor: 'octocat',
      apiUrl: sim.url,
      secrets: { GITHUB_TOKEN: 'ghs_sometoken' },
    });

    const greet = job(result, 'greet');
    expect(greet.steps.map((step) => [step.name, step.kind, step.outcome])).toEqual([
      ['Run actions/checkout@v4', 'stand-in', 'success'],
      ['Run ./actions/hello', 'action', 'success'],
      ['Run echo "default branch from the API=main"', 'run', 'success'],
      ['Run ./actions/missing', 'action', 'failure'],
    ]);
    const lines = printed(result);
    // The defaults `hello` and `${{ github.token }}` of action.yml, evaluated; the token masked in the log.
    expect(lines).toContain(`hello, octocat! node ${process.versions.node}, token ***`);
    expect(greet.steps[1]?.outputs).toEqual({ message: 'hello octocat', 'default-branch': 'main' });
    expect(sim.requests()).toContainEqual(expect.objectContaining({ method: 'GET', path: '/repos/example/cluster-config', status: 200 }));
    // An input action.yml does not declare is passed on with GitHub's warning.
    expect(result.annotations).toContainEqual(
      expect.objectContaining({
        level: 'warning',
        message: "Unexpected input 'colour', valid inputs are [who, greeting, token, repository, call-api]",
      }),
    );
    expect(greet.steps[3]?.message).toMatch(
      /^uses: \.\/actions\/missing: no action\.yml in .*\/actions\/missing \(check out the repository first with actions\/checkout\)$/,
    );
    expect(greet.outputs).toEqual({ message: 'hello octocat' });
    expect(result.conclusion).toBe('failure');
  });
});

describe('third-party actions', () => {
  it('stands in for checkout, setup-node, setup-terraform and the cloud logins, saying so, whatever pins them', async () => {
    const repository = await workflowRepository('stand-ins.yml');
    await repository.commit('Second');
    await repository.commit('Third');
    const result = await run(repository, 'stand-ins.yml', {
      vars: { AZURE_CLIENT_ID: '00000000-0000-0000-0000-000000000000' },
      env: testEnv({ CHECKPOINT_DISABLE: '1' }),
    });

    expect(result.conclusion).toBe('success');
    const lines = printed(result);
    expect(lines).toContain('commits=3 shallow=false branch=main');
    expect(lines).toContain('commits=1 shallow=true');
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^stand-in: actions\/checkout → a fresh clone of .* at [0-9a-f]{12} on main, all history \(fetch-depth 0\), in /,
      ),
    );
    expect(lines).toContain(
      `stand-in: actions/setup-node → Node ${process.versions.node}, the Node running this runner, first on PATH; nothing is downloaded`,
    );
    expect(lines).toContain('  with.cache ignored: no dependency cache is restored or saved locally');
    expect(lines).toContain(`node=v${process.versions.node}`);
    expect(lines).toContainEqual(
      expect.stringMatching(/^stand-in: hashicorp\/setup-terraform → terraform \d+\.\d+\.\d+ already on PATH; nothing is downloaded$/),
    );
    expect(lines).toContain('stand-in: aws-actions/configure-aws-credentials → no AWS login happens and no role is assumed');
    expect(lines).toContain('  role-to-assume arn:aws:iam::123456789012:role/deploy is not assumed');
    expect(lines).toContain('stand-in: azure/login → no Azure login happens (no az CLI session)');
    expect(lines).toContain('region=eu-west-1 default=eu-west-1');
    expect(job(result, 'tools').steps.filter((step) => step.kind === 'stand-in')).toHaveLength(6);
  });

  it('refuses before anything runs every construct it cannot run, each at its line', async () => {
    const repository = await workflowRepository('unsupported.yml');
    const lines: string[] = [];
    const file = '.github/workflows/unsupported.yml';
    const error = await runWorkflow({
      file: join(repository.dir, file),
      event: 'push',
      env: testEnv(),
      onLine: (line) => lines.push(line),
    }).catch((caught: unknown) => caught as Error);
    const shown = join(repository.dir, file);
    expect((error as Error).message).toBe(
      [
        'the workflow uses what the local runner does not run (nothing was run):',
        `  ${shown}:7:7: service containers (\`services:\`)`,
        `  ${shown}:9:16: a job container (\`container:\`): steps run on this machine, not in Docker`,
        `  ${shown}:11:9: a Docker action (uses: docker://alpine:3.20): steps run on this machine, not in Docker`,
        `  ${shown}:12:9: the action actions/upload-artifact has no local stand-in (stand-ins: actions/checkout, actions/setup-node, hashicorp/setup-terraform, aws-actions/configure-aws-credentials, azure/login; or use a ./ action of the repository)`,
        `  ${shown}:16:9: shell: pwsh (bash, sh, or a command line with {0})`,
        `  ${shown}:19:11: a reusable workflow (job-level \`uses:\`)`,
      ].join('\n'),
    );
    expect(lines.filter((line) => line.startsWith('job '))).toEqual([]);
  });

  it('refuses a workflow GitHub would refuse, with each problem at its line', async () => {
    const repository = await workflowRepository('broken.yml');
    const error = await run(repository, 'broken.yml').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.objectContaining({ line: 5, column: 5, message: "Unexpected value 'stepz'" }),
      expect.objectContaining({ line: 7, column: 19, message: "Unexpected symbol: '('" }),
    ]);
  });
});
