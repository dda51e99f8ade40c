import { describe, expect, it } from 'vitest';
import { parseCommitMessage } from '../../src/history/commit-message.js';
import { isWrite, requestLog } from '../github/autoscale-support.js';
import { OWNER, REPO, worldWithoutServerErrors } from '../sim/github/support.js';
import { errorsOf, onlyJob, refsOf, runRepositoryWorkflow, stepOutcomes } from './support.js';

// .github/workflows/scale.yml, run by the local runner as GitHub runs it when someone submits the
// form in the Actions tab, against the GitHub simulator over a real bare repository whose main
// holds cluster-config/aws.yml: aws/prod-demo-shop, 3 workers within [2, 10], 1 master.

const world = worldWithoutServerErrors();

/** The form, submitted by `actor`. */
function dispatch(inputs: Record<string, string>, actor = 'alice', runId = 7001) {
  return runRepositoryWorkflow('scale.yml', 'workflow_dispatch', {
    inputs: { component: 'kubernetes_node', reason: 'a test', ...inputs },
    actor,
    runId,
    workspace: world.bare,
    apiUrl: world.sim.url,
  });
}

async function pullRequestCount(): Promise<number> {
  const { data } = await world.octokit.pulls.list({ owner: OWNER, repo: REPO, state: 'all' });
  return data.length;
}

describe('scale.yml (workflow_dispatch), run with the local runner against the GitHub simulator', () => {
  it('opens a pull request whose one commit changes the one count line, with the Autoscale-Reason trailer naming who asked', async () => {
    const run = await dispatch({ cluster: 'demo-shop', count: '5', reason: 'Black Friday traffic' }, 'alice', 7001);

    expect(run.conclusion, run.log.join('\n')).toBe('success');
    expect(run.log).toContain('  run-name: Scale demo-shop kubernetes_node to 5, asked by @alice');
    const job = onlyJob(run, 'scale');
    expect(stepOutcomes(job)).toEqual([
      'Run actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: success',
      'Run ./actions/scale: success',
    ]);
    expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    const outputs = job.steps[1]?.outputs ?? {};
    expect(outputs.branch).toBe('scale/demo-shop-5-7001');

    const { data: pull } = await world.octokit.pulls.get({ owner: OWNER, repo: REPO, pull_number: Number(outputs['pull-request-number']) });
    expect(pull.title).toBe('Scale demo-shop kubernetes_node 3 → 5');
    expect([pull.state, pull.base.ref, pull.head.ref]).toEqual(['open', 'main', 'scale/demo-shop-5-7001']);
    expect(pull.body).toContain('@alice asked for ` kubernetes_node 3 → 5 ` on cluster ` aws/prod-demo-shop `');

    // One commit on the branch, changing one line of one file, whose trailer names the user.
    expect(await world.git(['rev-list', '--count', 'main..scale/demo-shop-5-7001'])).toBe('1');
    expect(await world.git(['diff', '--numstat', 'main', 'scale/demo-shop-5-7001'])).toBe('1\t1\tcluster-config/aws.yml');
    expect(await world.git(['diff', '-U0', 'main', 'scale/demo-shop-5-7001'])).toMatch(/^-\s+count: 3\n\+\s+count: 5$/m);
    const message = await world.git(['log', '-1', '--format=%B', 'scale/demo-shop-5-7001']);
    expect(message).toBe('Scale demo-shop kubernetes_node 3 → 5\n\nAutoscale-Reason: requested by @alice: Black Friday traffic\n');
    expect(parseCommitMessage(message).reason).toBe('requested by @alice: Black Friday traffic');
  }, 60_000);

  it.each<[string, Record<string, string>, string]>([
    [
      'a count with a shell command after it',
      { cluster: 'demo-shop', count: '3; rm -rf /' },
      'input `count`: count "3; rm -rf /" refused: give a whole number, 0 or more (e.g. 5)',
    ],
    [
      'a count that is a command substitution',
      { cluster: 'demo-shop', count: '$(id)' },
      'input `count`: count "$(id)" refused: give a whole number, 0 or more (e.g. 5)',
    ],
    [
      'a negative count',
      { cluster: 'demo-shop', count: '-1' },
      'input `count`: count "-1" refused: give a whole number, 0 or more (e.g. 5)',
    ],
    [
      'a count above the maximum',
      { cluster: 'demo-shop', count: '11' },
      'input `count`: cluster-config/aws.yml: cluster demo-shop: kubernetes_node count 11 refused: outside the autoscaling bounds [2, 10] in the configuration/autoscaling document; change the bounds first if you mean it',
    ],
    [
      'an unknown cluster',
      { cluster: 'nope', count: '4' },
      'input `cluster`: no cluster "nope" under cluster-config on main (clusters: aws/prod-demo-shop (cluster-config/aws.yml)): give its specification.name or its provider/prefix-name id',
    ],
    [
      'a master scale-down',
      { cluster: 'aws/prod-demo-shop', component: 'kubernetes_master', count: '0' },
      'input `count`: cluster-config/aws.yml: cluster demo-shop: kubernetes_master count 1 → 0 refused: masters are never scaled down (LambdaStack cannot remove a control-plane node safely)',
    ],
  ])('refuses %s with a clear error, and pushes nothing: no branch, no pull request', async (_what, inputs, error) => {
    const refs = await refsOf(world.bare);
    const pulls = await pullRequestCount();
    const log = requestLog(world);

    const run = await dispatch(inputs, 'mallory', 7002);

    expect(run.conclusion).toBe('failure');
    const job = onlyJob(run, 'scale');
    expect(stepOutcomes(job)).toEqual([
      'Run actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1: success',
      'Run ./actions/scale: failure',
    ]);
    expect(errorsOf(run)).toEqual([error]);
    expect(log().filter(isWrite)).toEqual([]);
    expect(await refsOf(world.bare)).toBe(refs);
    expect(await pullRequestCount()).toBe(pulls);
    // The input stayed text: no shell ran it (the workflow passes it through `with:`, never into a script).
    expect(run.log.join('\n')).not.toMatch(/uid=\d+/);
  });
});
