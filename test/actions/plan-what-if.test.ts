// The plan action's what-if replay in comment mode, as pr.yml runs it on a pull request that
// changes the autoscaling settings: a checkout of the pull request merged into main holding a
// recording under recordings/, the GitHub simulator over a real bare repository, and the action
// bundled from the current sources into a temporary folder (so this tests the source, whether
// or not actions/plan/dist/ has been rebuilt yet; test/actions/bundle.test.ts holds the two equal).
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { PLAN_COMMENT_MARKER } from '../../src/github/plan-comment.js';
import { businessDay, recordedLines } from '../replay/support.js';
import { NAME, OWNER, REPO, worldWithoutServerErrors } from '../sim/github/support.js';
import { git, ISOLATED_GIT_ENV } from '../support/git.js';
import { tempDir } from '../support/temp.js';
import { demoConfig } from '../watcher/support.js';
import { type ActionRun, REPO_ROOT, runBundledAction } from './runner.js';

const TOKEN = 'ghs_whatIfTestToken0123456789abcdef';
const FILE = 'cluster-config/aws-demo.yml';
const RECORDING = 'recordings/aws/demo-shop.jsonl';
const HEADING = '### What-if replay of the autoscaling settings';

const world = worldWithoutServerErrors();
let script: string;
let work: string;
let pullNumber: number;
let recording: string;

/** The plan action bundled from src/ as `npm run bundle` does, beside the price table it reads from its repository. */
async function bundleFromSource(): Promise<string> {
  const copy = await tempDir('lsa-plan-bundle-');
  await mkdir(join(copy, 'actions', 'plan'), { recursive: true });
  await mkdir(join(copy, 'data'));
  await copyFile(join(REPO_ROOT, 'actions', 'plan', 'action.yml'), join(copy, 'actions', 'plan', 'action.yml'));
  await copyFile(join(REPO_ROOT, 'data', 'prices.yml'), join(copy, 'data', 'prices.yml'));
  await execa(process.execPath, [join(REPO_ROOT, 'scripts', 'bundle.mjs'), '--actions-dir', join(copy, 'actions')], { cwd: REPO_ROOT });
  return join(copy, 'actions', 'plan', 'dist', 'index.js');
}

async function commitToBranch(branch: string, files: Record<string, string>, message: string): Promise<void> {
  await git(work, ['checkout', '-q', branch]);
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(work, path, '..'), { recursive: true });
    await writeFile(join(work, path), text);
  }
  await git(work, ['add', ...Object.keys(files)]);
  await git(work, ['commit', '-qm', message]);
  await git(work, ['push', '-q', 'origin', branch]);
}

beforeAll(async () => {
  script = await bundleFromSource();
  recording = recordedLines(businessDay())
    .map((line) => `${JSON.stringify(line)}\n`)
    .join('');
  work = await tempDir('lsa-what-if-work-');
  await git(work, ['clone', '-q', '-b', 'main', world.bare, '.']);
  await commitToBranch(
    'main',
    { [FILE]: demoConfig({ min: 2, max: 10 }), [RECORDING]: recording },
    'The shop cluster and its recorded day',
  );
  await git(work, ['checkout', '-q', '-b', 'patient-scale-down']);
  await commitToBranch(
    'patient-scale-down',
    { [FILE]: demoConfig({ min: 2, max: 10, scale_down_unneeded_time: '1h', scale_down_max_step: 3 }) },
    'Scale shop down after an hour, three at a time',
  );
  const { data } = await world.octokit.pulls.create({
    owner: OWNER,
    repo: REPO,
    title: 'Patient scale-down',
    head: 'patient-scale-down',
    base: 'main',
  });
  pullNumber = data.number;
});

/** pr.yml's checkout (the pull request merged into main, with history) and its event, then the action in comment mode. */
async function planComment(inputs: Record<string, string> = {}): Promise<ActionRun> {
  const dir = await tempDir('lsa-what-if-checkout-');
  await git(dir, ['clone', '-q', world.bare, '.']);
  const base = await git(dir, ['rev-parse', 'origin/main']);
  const head = await git(dir, ['rev-parse', 'origin/patient-scale-down']);
  await git(dir, ['checkout', '-q', '--detach', base]);
  await git(dir, ['merge', '-q', '--no-ff', '-m', `Merge ${head} into ${base}`, head]);
  const merge = await git(dir, ['rev-parse', 'HEAD']);
  const event = join(await tempDir('lsa-what-if-event-'), 'event.json');
  await writeFile(
    event,
    JSON.stringify({
      action: 'synchronize',
      number: pullNumber,
      pull_request: {
        number: pullNumber,
        base: { ref: 'main', sha: base, repo: { full_name: NAME } },
        head: { ref: 'patient-scale-down', sha: head, repo: { full_name: NAME } },
      },
      repository: { name: REPO, full_name: NAME, owner: { login: OWNER }, default_branch: 'main' },
    }),
  );
  return runBundledAction('plan', {
    script,
    workspace: dir,
    inputs: {
      base: '',
      head: '',
      path: 'cluster-config',
      comment: 'true',
      token: TOKEN,
      'pull-request': '',
      prices: '',
      recordings: 'recordings',
      ...inputs,
    },
    env: {
      PATH: process.env.PATH ?? '',
      ...ISOLATED_GIT_ENV,
      GITHUB_API_URL: world.sim.url,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: NAME,
      GITHUB_EVENT_NAME: 'pull_request',
      GITHUB_EVENT_PATH: event,
      GITHUB_SHA: merge,
      GITHUB_RUN_ID: '78',
    },
  });
}

async function planCommentBody(): Promise<string> {
  const { data } = await world.octokit.issues.listComments({ owner: OWNER, repo: REPO, issue_number: pullNumber });
  const mine = data.filter((comment) => comment.body?.startsWith(PLAN_COMMENT_MARKER));
  expect(mine).toHaveLength(1);
  return mine[0]?.body ?? '';
}

describe('the plan comment of a pull request that changes the autoscaling settings', () => {
  it('replays the recorded week under the settings before and after: both count curves and the node-hours difference', async () => {
    const run = await planComment();

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const body = await planCommentBody();
    expect(body).toContain('No node count changes: merging this applies nothing.');
    expect(body).toContain(`${HEADING}\n\n480 recorded cycles of **shop** (2025-03-01 12:00 → 2025-03-01 19:59 UTC)`);
    expect(body).toContain('| `scale_down_unneeded_time` | 10m | 1h |\n| `scale_down_max_step` | 1 | 3 |');
    expect(body).toMatch(/```mermaid\nxychart-beta\n {2}title "shop workers \(config count\): before = first line, after = second line"\n/);
    expect(body).toContain('| node-hours (Ready workers × hours) | 23.8 | 26.1 | +2.3 (+9.4 %) |');
    expect(body).toContain('<sub>Replayed from `recordings/aws/demo-shop.jsonl` (up to its last 7 days).</sub>');
    // The what-if sits between the plan and the footer.
    expect(body.indexOf(HEADING)).toBeLessThan(body.indexOf('Updated in place on every push'));
    expect(run.summary).toContain('| node-hours (Ready workers × hours) | 23.8 | 26.1 | +2.3 (+9.4 %) |');
    expect(run.commands.filter((c) => c.command === 'warning')).toEqual([]);
  });

  it('is one line saying how to record, when the cluster has no recording, and the check passes', async () => {
    const run = await planComment({ recordings: 'elsewhere' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const body = await planCommentBody();
    const section = body.slice(body.indexOf(HEADING)).split('\n\n').slice(0, 2);
    expect(section).toEqual([
      HEADING,
      'No recording of `aws/demo-shop` to replay this change over: `elsewhere/aws/demo-shop.jsonl` is not in the repository. ' +
        "Record with `lambdastack-autoscaler watch --record FILE` (the Helm chart's `recording.enabled`) and commit a copy there " +
        '(README: “Recordings for pr.yml”).',
    ]);
    expect(body).not.toContain('```mermaid');
    expect(run.commands.filter((c) => c.command === 'warning')).toEqual([]);
  });

  it('names the line of a damaged recording in the comment and in a warning on that line, and the check passes', async () => {
    const lines = recording.split('\n');
    lines[2] = '{"v":1,"at":"2025-03-01T12:02:00.000Z", damaged';
    await commitToBranch('patient-scale-down', { [RECORDING]: lines.join('\n') }, 'A recording copied badly');

    const run = await planComment();

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const body = await planCommentBody();
    expect(body).toMatch(
      /### What-if replay of the autoscaling settings\n\n⚠️ The recording of `aws\/demo-shop` cannot be replayed: `recordings\/aws\/demo-shop\.jsonl:3`: not a JSON line /,
    );
    expect(body).not.toContain('```mermaid');
    const warnings = run.commands.filter((c) => c.command === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.properties).toMatchObject({ file: RECORDING, line: '3', title: 'What-if replay' });
    expect(warnings[0]?.message).toMatch(/^what-if replay of aws\/demo-shop: recordings\/aws\/demo-shop\.jsonl:3: not a JSON line/);
  });

  it('refuses a recordings folder outside the checkout before any GitHub call', async () => {
    const start = world.sim.requestCount();
    const run = await planComment({ recordings: '../elsewhere' });

    expect(run.exitCode).toBe(1);
    expect(run.commands.find((c) => c.command === 'error')?.message).toMatch(
      /^input `recordings`: \.\.\/elsewhere is outside the repository checkout .+: name a folder inside it, relative to the repository root \(the default is `recordings`\), or leave it empty for no what-if replay$/,
    );
    expect(world.sim.requestCount()).toBe(start);
  });
});
