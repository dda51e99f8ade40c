import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../src/config/index.js';
import { historyChart } from '../../src/demo/chart.js';
import { withLocalRemoteState } from '../../src/demo/remote-state.js';
import { commandMessages, errorAnnotations, parseOutputFile } from '../../src/demo/workflows/output-file.js';
import { workersInState } from '../../src/demo/world.js';
import { UserError } from '../../src/errors.js';
import type { HistoryEntry } from '../../src/history/index.js';
import { REPO_ROOT } from '../actions/runner.js';

// The demo's small pure parts; the loop itself is test/demo/demo.test.ts.

const FILE = 'cluster-config/aws-demo.yml';
const EXAMPLE = readFileSync(join(REPO_ROOT, FILE), 'utf8');
const ENDPOINTS = { s3: 'http://127.0.0.1:4569', dynamodb: 'http://127.0.0.1:4570' };

describe("the demo's remote state", () => {
  it('appends the local endpoints to the remote-state document, and changes nothing else', () => {
    const edited = withLocalRemoteState(FILE, EXAMPLE, ENDPOINTS);
    const state = parseClusterConfig(FILE, edited).remoteState as Record<string, unknown>;
    expect(state).toMatchObject({
      backend: 's3',
      bucket: 'shop-lambdastack-tfstate',
      endpoints: ENDPOINTS,
      use_path_style: true,
      skip_credentials_validation: true,
    });
    // Only lines added, all of them at the end of that document (the last one of the file).
    expect(edited.startsWith(EXAMPLE.trimEnd())).toBe(true);
    expect(edited.slice(EXAMPLE.trimEnd().length)).toMatch(/^\n {2}# lambdastack-autoscaler demo: [^\n]+\n {2}endpoints:\n/);
    expect(edited.endsWith('skip_region_validation: true\n')).toBe(true);
  });

  it('edits the document where it is, with CRLF line endings kept, when documents follow it', () => {
    const [head = '', stateDoc = ''] = EXAMPLE.split(/\n---\n(?=# Where the apply pipeline)/);
    const reordered = `${stateDoc.trimEnd()}\n---\n${head}`.replace(/\n/g, '\r\n');
    const edited = withLocalRemoteState(FILE, reordered, ENDPOINTS);
    expect(edited).not.toMatch(/[^\r]\n/);
    expect(parseClusterConfig(FILE, edited).remoteState).toMatchObject({ endpoints: ENDPOINTS });
    expect(parseClusterConfig(FILE, edited).counts.kubernetes_node).toBe(3);
  });

  it('refuses a config without an S3 remote state', () => {
    const without = EXAMPLE.slice(0, EXAMPLE.indexOf('# Where the apply pipeline'));
    expect(() => withLocalRemoteState(FILE, without, ENDPOINTS)).toThrow(UserError);
    const azure = readFileSync(join(REPO_ROOT, 'cluster-config/azure-demo.yml'), 'utf8');
    expect(() => withLocalRemoteState('cluster-config/azure-demo.yml', azure, ENDPOINTS)).toThrow(/not an S3 state/);
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

describe("a step's file commands", () => {
  it('reads GITHUB_OUTPUT in both forms, and the error annotations', () => {
    expect(parseOutputFile('plan<<ghadelimiter_1\n{"a":\n1}\nghadelimiter_1\nadds=true\n')).toEqual({ plan: '{"a":\n1}', adds: 'true' });
    expect(() => parseOutputFile('x<<EOF\nno end\n')).toThrow(/no closing EOF/);
    expect(errorAnnotations('::notice::hi\n::error title=Drain::pods left: a%0Ab\n::error::50%25\n')).toEqual(['pods left: a\nb', '50%']);
    expect(commandMessages('::add-mask::s3cr3t\n::error::x\n::add-mask::two%0Alines\n', 'add-mask')).toEqual(['s3cr3t', 'two\nlines']);
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
