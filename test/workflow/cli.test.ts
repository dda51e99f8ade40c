import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BIN } from '../cli/run-cli.js';
import { testEnv, workflowRepository } from './support.js';

/** The built binary (dist/, built by `npm test`'s pretest) in `cwd`, with only the test environment. */
async function runCli(args: string[], cwd: string, env: Record<string, string> = {}) {
  const result = await execa(process.execPath, [BIN, ...args], { cwd, env: testEnv(env), extendEnv: false, reject: false });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('lambdastack-autoscaler run-workflow (the built binary)', () => {
  it('runs a workflow, says what ran and how it ended, masks a secret read from the environment, and exits 0', async () => {
    const repository = await workflowRepository('cli.yml');
    const result = await runCli(
      ['run-workflow', '.github/workflows/cli.yml', '--event', 'workflow_dispatch', '--secret', 'PASSWORD', '--var', 'GREETING=hi'],
      repository.dir,
      { PASSWORD: 'correct-horse' },
    );
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^workflow CLI \(\.github\/workflows\/cli\.yml\) on workflow_dispatch to refs\/heads\/main at [0-9a-f]{12}, repository local\/lsa-repo-\w+$/,
    );
    expect(lines).toContain('job hello');
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}stand-in: actions\/checkout → a fresh clone of /));
    expect(lines).toContain('    password ***, variable hi');
    expect(lines).toContain('  - step 3 Fail when asked: skipped: if: success() && (inputs.fail)');
    expect(lines.at(-1)).toMatch(/^workflow CLI: success in .* \(1 job\(s\): 1 success\)$/);
    expect(result.stdout).not.toContain('correct-horse');
  });

  it('exits 1 naming the failed job when the workflow fails, and when the event does not trigger it, without a stack trace', async () => {
    const repository = await workflowRepository('cli.yml');
    const failed = await runCli(
      ['run-workflow', '.github/workflows/cli.yml', '--event', 'workflow_dispatch', '--input', 'fail=true'],
      repository.dir,
    );
    expect(failed.exitCode).toBe(1);
    expect(failed.stdout).toContain('  ✗ step 3 Fail when asked: failure in');
    expect(failed.stderr).toBe('error: the run failed: hello');

    const push = await runCli(['run-workflow', '.github/workflows/cli.yml', '--event', 'push'], repository.dir);
    expect(push.exitCode).toBe(1);
    expect(push.stderr).toBe(
      'error: .github/workflows/cli.yml does not run for this push event: the workflow is not triggered by push (on: workflow_dispatch)',
    );

    const missing = await runCli(['run-workflow', '.github/workflows/nope.yml', '--event', 'push'], repository.dir);
    expect(missing.stderr).toBe('error: .github/workflows/nope.yml: no such workflow file');
    expect([failed.stderr, push.stderr, missing.stderr].join('\n')).not.toMatch(/^\s+at /m);
  });

  it('explains itself with --help, and refuses an event it does not run with usage (exit 2)', async () => {
    const repository = await workflowRepository('cli.yml');
    const help = await runCli(['run-workflow', '--help'], repository.dir);
    expect(help.exitCode).toBe(0);
    expect(help.stdout).toContain('Usage: lambdastack-autoscaler run-workflow [options] <file>');
    expect(help.stdout).toContain('Stand-ins, said in the output: actions/checkout');
    const wrong = await runCli(['run-workflow', '.github/workflows/cli.yml', '--event', 'schedule'], repository.dir);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain(
      "error: option '--event <name>' argument 'schedule' is invalid. Allowed choices are push, pull_request, workflow_dispatch.",
    );
  });
});
