import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/config/index.js';
import { historyChart } from '../../src/demo/chart.js';
import { isProgressLine } from '../../src/demo/report.js';
import { localBackendConfig } from '../../src/demo/state-servers.js';
import { describeStep } from '../../src/demo/workflows/describe.js';
import { eventPayload } from '../../src/demo/workflows/local-runner.js';
import type { WorkflowEnvironment } from '../../src/demo/workflows/types.js';
import { workersInState } from '../../src/demo/world.js';
import type { HistoryEntry } from '../../src/history/index.js';
import { overrideRemoteState } from '../../src/infra/backend.js';
import { REPO_ROOT } from '../actions/runner.js';

// The demo's small pure parts; the loop itself is test/demo/demo.test.ts.

const FILE = 'cluster-config/aws-demo.yml';
const EXAMPLE = readFileSync(join(REPO_ROOT, FILE), 'utf8');
const ENDPOINTS = { s3: 'http://127.0.0.1:4569', dynamodb: 'http://127.0.0.1:4570' };

describe("the demo's remote state (vars.STATE_BACKEND_CONFIG)", () => {
  it("points the example's S3 state at the local servers, keeping its bucket, key and lock table", () => {
    const state = parseClusterConfig(FILE, EXAMPLE).remoteState;
    if (!state) throw new Error(`${FILE} has no remote state`);
    const settings = JSON.parse(localBackendConfig(ENDPOINTS)) as Record<string, unknown>;
    // As the terraform and packer actions layer their backend-config input over the config's document.
    expect(overrideRemoteState(state, settings, 'backend-config')).toMatchObject({
      backend: 's3',
      bucket: 'shop-lambdastack-tfstate',
      key: state.key,
      dynamodb_table: state.dynamodb_table,
      endpoints: ENDPOINTS,
      use_path_style: true,
      skip_credentials_validation: true,
    });
    expect(JSON.stringify(settings)).not.toMatch(/access_key|secret/i);
  });
});

describe('the workflow events the demo delivers', () => {
  const env = { repository: 'example/cluster-config', actor: 'octocat' } as WorkflowEnvironment;

  it("carry what the workflows read: a push's commits and the default branch, a pull request's ends, a dispatch's actor", () => {
    expect(eventPayload({ name: 'push', ref: 'refs/heads/main', before: 'a'.repeat(40), after: 'b'.repeat(40) }, env)).toMatchObject({
      ref: 'refs/heads/main',
      before: 'a'.repeat(40),
      after: 'b'.repeat(40),
      repository: { full_name: 'example/cluster-config', default_branch: 'main' },
    });
    const pull = eventPayload(
      {
        name: 'pull_request',
        action: 'opened',
        number: 2,
        base: { ref: 'main', sha: 'c'.repeat(40) },
        head: { ref: 'autoscale/shop', sha: 'd'.repeat(40) },
      },
      env,
    );
    expect(pull).toMatchObject({
      action: 'opened',
      number: 2,
      pull_request: { number: 2, head: { ref: 'autoscale/shop' }, base: { ref: 'main' } },
    });
    const dispatch = eventPayload({ name: 'workflow_dispatch', ref: 'refs/heads/main', inputs: { count: '6' }, actor: 'alice' }, env);
    expect(dispatch).toMatchObject({ ref: 'refs/heads/main', sender: { login: 'alice' } });
    // The runner fills the inputs in from the form, typed as GitHub types them.
    expect(dispatch).not.toHaveProperty('inputs');
  });
});

describe("a workflow run's lines as the demo shows them", () => {
  it('shows the jobs, the ends of the steps and the errors and warnings; the steps own output goes to the log only', () => {
    const shown = [
      'workflow Apply cluster config (/tmp/x/apply.yml) on push to refs/heads/main at 0123456789ab, repository example/cluster-config',
      '  commits from /tmp/x.git; GitHub API at http://127.0.0.1:1',
      'job Apply aws/demo-shop',
      '  runs-on: ubuntu-24.04 → this machine (Linux, x64)',
      '  ▶ step 7 Terraform plan against the remote state',
      '    with mode: plan',
      '    Plan: 2 to add, 0 to change, 0 to destroy.',
      '    error cluster-config/aws-demo.yml:3:5: no such thing',
      '    warning: Unexpected input',
      '  ✓ step 7 Terraform plan against the remote state: success in 1.1 s',
      '  ✗ step 8 Drain the nodes the saved plan destroys: failure in 2.0 s: exit code 1',
      '  - step 10 Join the created nodes: skipped: if: success()',
      'job Apply aws/demo-shop: failure in 9.0 s: step 8 Drain the nodes the saved plan destroys failed: exit code 1',
      'summary of Apply aws/demo-shop:',
      '  <h2>Drain</h2>',
      'annotations:',
      '  error cluster-config/aws-demo.yml:3: no such thing (Apply aws/demo-shop, step 7)',
      'workflow Apply cluster config: failure in 9.1 s (2 job(s): 1 success, 1 failure)',
    ].filter(isProgressLine);
    expect(shown).toEqual([
      'job Apply aws/demo-shop',
      '    error cluster-config/aws-demo.yml:3:5: no such thing',
      '    warning: Unexpected input',
      '  ✓ step 7 Terraform plan against the remote state: success in 1.1 s',
      '  ✗ step 8 Drain the nodes the saved plan destroys: failure in 2.0 s: exit code 1',
      '  - step 10 Join the created nodes: skipped: if: success()',
      'job Apply aws/demo-shop: failure in 9.0 s: step 8 Drain the nodes the saved plan destroys failed: exit code 1',
    ]);
  });

  it("says what this repository's actions did, from their outputs", () => {
    const node = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;
    const created = JSON.stringify([{ name: node(3), index: 3, address: null }]);
    expect(describeStep('./actions/terraform', { destroy: JSON.stringify([node(4)]), create: created })).toBe(
      'saved plan: create vm-3; destroy vm-4',
    );
    const workers = JSON.stringify([0, 1].map((i) => ({ name: node(i), index: i, address: `127.0.0.${i + 1}` })));
    expect(describeStep('./actions/terraform', { workers, records: '[{"written":true},{"written":false}]' })).toBe(
      'applied: 2 workers (vm-0, vm-1); 1 record(s) written beside the state',
    );
    expect(describeStep('./actions/packer', { 'image-id': 'local-1', 'cache-hit': 'true' })).toBe(
      'cache hit: image local-1 reused, nothing built',
    );
    expect(describeStep('./actions/drain', { drained: JSON.stringify([node(4)]) })).toBe('drained and deleted vm-4');
    expect(describeStep('./actions/scale', { 'pull-request-number': '3', branch: 'scale/shop-6-1' })).toBe(
      'opened PR #3 on scale/shop-6-1',
    );
    expect(describeStep('actions/checkout@v4', {})).toBe('');
    expect(describeStep(undefined, {})).toBe('');
  });
});

describe('the workers in a terraform state', () => {
  it('are the local module instances, by index', () => {
    const instance = (index: number) => ({ index_key: index, attributes: { input: { value: { name: `w-${index}` } } } });
    const state = { resources: [{ type: 'terraform_data', name: 'worker', instances: [instance(1), instance(0), instance(10)] }] };
    expect(workersInState(JSON.stringify(state))).toEqual(['w-0', 'w-1', 'w-10']);
    expect(workersInState(undefined)).toEqual([]);
    expect(workersInState('{"resources":[]}')).toEqual([]);
  });
});

describe('the history chart', () => {
  it('draws the workers before the first change and after each, with the PR and commit', () => {
    const entry = (commit: string, pr: number, from: number, to: number): HistoryEntry => ({
      commit,
      date: '2026-12-02T10:00:00+00:00',
      author: 'bot',
      authorEmail: 'bot@example.com',
      pr,
      reason: null,
      subject: `Merge pull request #${pr}`,
      clusters: [
        {
          file: FILE,
          name: 'shop',
          provider: 'aws',
          change: 'scaled',
          counts: { kubernetes_node: to },
          components: [{ component: 'kubernetes_node', from, to, add: [], remove: [] }],
        },
      ],
    });
    const chart = historyChart([entry('b'.repeat(40), 2, 5, 4), entry('a'.repeat(40), 1, 3, 5)]);
    expect(chart).toBe(
      [
        'shop (aws) workers',
        `  before         ${'█'.repeat(12)} 3`,
        `  PR #1 aaaaaaa  ${'█'.repeat(20)} 5`,
        `  PR #2 bbbbbbb  ${'█'.repeat(16)} 4`,
        '',
      ].join('\n'),
    );
    expect(historyChart([])).toBe('No worker count changes.\n');
  });
});
