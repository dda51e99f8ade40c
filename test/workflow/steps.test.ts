import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/temp.js';
import { job, printed, run, testEnv, workflowRepository } from './support.js';

describe('a job of run: steps', () => {
  it('layers env (workflow, job, GITHUB_ENV, step), runs bash in defaults.run, and reads the file commands back', async () => {
    const repository = await workflowRepository('basics.yml', { 'sub/data.txt': 'some data\n', 'sub/more.txt': 'more\n' });
    const result = await run(repository, 'basics.yml', { actor: 'octocat' });

    expect(result.conclusion).toBe('success');
    const basics = job(result, 'The basics');
    expect(basics.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['Run actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683', 'success'],
      ['Levels of env', 'success'],
      ['File commands', 'success'],
      ['After the file commands', 'success'],
      ['Contexts', 'success'],
      ['Own working directory', 'success'],
      ['hashFiles', 'success'],
    ]);
    const lines = printed(result);
    // shell: bash (from defaults) is GitHub's `bash --noprofile --norc -eo pipefail {0}`, in defaults.run's directory.
    expect(lines).toContainEqual(
      expect.stringMatching(/^level=step workflow=from-workflow dir=sub options=[^ ]*e[^ ]* pipefail=pipefail on$/),
    );
    expect(basics.outputs).toEqual({ greeting: 'hello', letter: "Dear reader,\nit's two lines" });
    // GITHUB_ENV wins over the job's env: for the steps after it; GITHUB_PATH puts a directory first on PATH.
    expect(lines).toContain('env=exported level=from-github-env tool=tool ran env-context=exported');
    expect(lines.join('\n')).toContain("letter=Dear reader,\nit's two lines|");
    expect(lines).toContain('event=push ref=main os=Linux repo=example/cluster-config sha-matches=true');
    expect(lines).toContain('workspace ok');
    expect(lines).toContain('own dir=cluster-config');
    // As on GitHub, the token reaches a step only through an expression.
    expect(lines).toContain('api=https://api.github.com token-in-env=none ci=true actions=true');
    expect(basics.summary).toBe('## Basics\n');
    expect(result.annotations).toEqual([
      { level: 'warning', message: 'look here', file: 'sub/data.txt', line: 1, column: 2, title: 'Heads up', job: 'The basics', step: '3' },
    ]);
    expect(lines).toContain('▸ Details');
    expect(lines).not.toContain('::group::Details');
    expect(result.log).toContain('  run-name: Basics for octocat');
  });

  it('computes hashFiles() as the runner does: the hash of each matching file, hashed in path order', async () => {
    const repository = await workflowRepository('basics.yml', { 'sub/data.txt': 'some data\n', 'sub/more.txt': 'more\n' });
    const result = await run(repository, 'basics.yml');
    const all = createHash('sha256');
    for (const text of ['some data\n', 'more\n']) all.update(createHash('sha256').update(text).digest());
    expect(printed(result)).toContain(`hash=${all.digest('hex')} none=|`);
  });

  it('masks every secret, the token and ::add-mask:: values in the log, annotations and summaries, and keeps a secret out of job outputs', async () => {
    const repository = await workflowRepository('masking.yml');
    const result = await run(repository, 'masking.yml', {
      secrets: { PASSWORD: 'hunter2-secret', CERT: '-----BEGIN-----\nline-one-of-cert\n-----END-----', GITHUB_TOKEN: 'ghs_abcdefTOKEN' },
    });
    const everything = JSON.stringify(result);
    for (const secret of ['hunter2-secret', 'line-one-of-cert', 'ghs_abcdefTOKEN', 'generated-value-42'])
      expect(everything).not.toContain(secret);
    const lines = printed(result);
    expect(lines).toContain('the password is ***');
    expect(lines).toContain('the token is ***');
    expect(lines).toContain('later: ***');
    expect(lines).toContain('***');
    expect(result.annotations.map((annotation) => annotation.message)).toEqual([
      'failed to log in with ***',
      'output leaked of job mask is left out: it may contain a secret',
    ]);
    const mask = job(result, 'mask');
    expect(mask.summary).toBe('summary with ***\n');
    expect(mask.outputs).toEqual({ fine: 'ok' });
  });

  it('stops a step at its timeout-minutes and a job at its own, runs if: always() steps after, and stops what a job left running', async () => {
    const repository = await workflowRepository('timeout.yml');
    const pidFile = join(await tempDir('lsa-pid-'), 'background.pid');
    const result = await run(repository, 'timeout.yml', { env: testEnv({ PID_FILE: pidFile }) });

    const stepTimeout = job(result, 'step-timeout');
    expect(stepTimeout.result).toBe('failure');
    expect(stepTimeout.steps.map((step) => [step.outcome, step.message])).toEqual([
      ['failure', 'timed out: stopped when timeout-minutes 0.01 (600 ms) ran out'],
      ['success', undefined],
    ]);
    const jobTimeout = job(result, 'job-timeout');
    expect(jobTimeout.result).toBe('failure');
    expect(jobTimeout.message).toBe('the job ran past its timeout-minutes and was stopped');
    expect(jobTimeout.steps.map((step) => [step.name, step.outcome, step.message])).toEqual([
      ['Run sleep 30', 'failure', "timed out: stopped when the job's timeout-minutes 0.01 (600 ms) ran out"],
      ['Clean-up', 'success', undefined],
      ['Skipped once the job timed out', 'skipped', 'if: success()'],
    ]);

    expect(job(result, 'background').result).toBe('success');
    const pid = Number(await readFile(pidFile, 'utf8'));
    await expect.poll(() => processGone(pid), { timeout: 5_000 }).toBe(true);
  });
});

describe('a cancelled run', () => {
  it('stops the running step, skips the rest but if: always() steps, and ends cancelled', async () => {
    const repository = await workflowRepository('cancel.yml');
    const cancel = new AbortController();
    const result = await run(repository, 'cancel.yml', {
      signal: cancel.signal,
      onLine: (line) => {
        if (line === '    started') cancel.abort();
      },
    });
    expect(result.conclusion).toBe('cancelled');
    const long = job(result, 'long');
    expect(long.result).toBe('cancelled');
    expect(long.steps.map((step) => [step.name, step.outcome])).toEqual([
      ['Long', 'cancelled'],
      ['Not after a cancel', 'skipped'],
      ['Always, even cancelled', 'success'],
    ]);
    expect(printed(result)).toContain('clean-up, job status cancelled');
    expect(job(result, 'later').result).toBe('cancelled');
  });
});

/** Whether a process has ended (gone, or a zombie its new parent has not reaped yet). */
async function processGone(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat === undefined || / Z /.test(stat);
}
