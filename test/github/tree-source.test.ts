import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfigs } from '../../src/config/index.js';
import { TransientError, UserError } from '../../src/errors.js';
import { githubFailure } from '../../src/github/errors.js';
import { GithubTreeSource } from '../../src/github/tree-source.js';
import { scalePlan } from '../../src/plan/index.js';
import { client, commitConfig, createBranch, mainSha, OWNER, REPO, startWorld, type World } from '../sim/github/support.js';

let world: World;

beforeAll(async () => {
  world = await startWorld();
});

afterAll(async () => {
  await world?.close();
});

describe('configs read through the GitHub API (GithubTreeSource)', () => {
  it('reads the configs under a folder at a ref, named from the repository root, as the git and disk readers name them', async () => {
    const result = await readConfigs(new GithubTreeSource(world.octokit, { owner: OWNER, repo: REPO, ref: 'main', dir: 'cluster-config' }));
    expect(result.problems).toEqual([]);
    expect(result.configs.map((c) => [c.file, c.name, c.counts.kubernetes_node])).toEqual([['cluster-config/aws.yml', 'demo-shop', 3]]);
  });

  it('gives the plan of a branch against main, as the watcher and the PR check will', async () => {
    const base = await mainSha(world.octokit);
    await createBranch(world.octokit, 'autoscale/plan', await commitConfig(world.octokit, base, 5, 'Scale to 5'));
    const at = (ref: string) => readConfigs(new GithubTreeSource(world.octokit, { owner: OWNER, repo: REPO, ref, dir: 'cluster-config/' }));
    const plan = scalePlan((await at('main')).configs, (await at('autoscale/plan')).configs);
    expect(plan.clusters.map((c) => c.components.map((x) => [x.from, x.to, x.add]))).toEqual([
      [[3, 5, ['prod-demo-shop-kubernetes-node-vm-3', 'prod-demo-shop-kubernetes-node-vm-4']]],
    ]);
  });

  it('refuses an unknown ref as not found, and a refused token as 401, naming the fix', async () => {
    const missing = new GithubTreeSource(world.octokit, { owner: OWNER, repo: REPO, ref: 'no-such-branch', dir: 'cluster-config' });
    await expect(missing.files()).rejects.toThrow(UserError);
    await expect(missing.files()).rejects.toThrow(/not found \(404\): check the repository name, the ref/);
    const anonymous = new GithubTreeSource(client(world.sim, { token: undefined }), {
      owner: OWNER,
      repo: REPO,
      ref: 'main',
      dir: 'cluster-config',
    });
    await expect(anonymous.files()).rejects.toThrow(/the token was refused \(401\)/);
  });
});

describe('GitHub failures in the error taxonomy', () => {
  it('server errors, rate limits and the network are "retry later", with the cause kept', () => {
    for (const status of [500, 502, 503, 429]) {
      const error = githubFailure({ status, message: 'Server Error' }, 'list pull requests');
      expect(error).toBeInstanceOf(TransientError);
      expect(error.message).toBe(`GitHub: cannot list pull requests (HTTP ${status}): Server Error`);
    }
    const network = new Error('connect ECONNREFUSED');
    expect(githubFailure(network, 'open the PR')).toMatchObject({ name: 'TransientError', cause: network });
  });

  it('403 and 422 are refusals quoting GitHub', () => {
    expect(githubFailure({ status: 403, message: 'Resource not accessible by integration' }, 'merge')).toBeInstanceOf(UserError);
    expect(githubFailure({ status: 422, message: 'Validation Failed' }, 'open the PR').message).toBe(
      'GitHub: cannot open the PR (HTTP 422): Validation Failed',
    );
  });
});
