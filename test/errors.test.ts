import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  describeWithCauses,
  EXIT_INTERNAL,
  EXIT_REFUSED,
  EXIT_TRANSIENT,
  exitCodeOf,
  formatProblem,
  isTransientStatus,
  TransientError,
  UserError,
} from '../src/errors.js';
import { GitError } from '../src/git/git.js';

describe('the error taxonomy', () => {
  it('maps refusals and invalid configs to 1, retry-later to 75, anything else (a bug) to 70', () => {
    expect(exitCodeOf(new UserError('no'))).toBe(EXIT_REFUSED);
    expect(exitCodeOf(new ConfigError([{ file: 'a.yml', line: 1, column: 1, message: 'bad' }]))).toBe(EXIT_REFUSED);
    expect(exitCodeOf(new TransientError('later'))).toBe(EXIT_TRANSIENT);
    expect(exitCodeOf(new GitError(['log'], 128, 'fatal: bad object'))).toBe(EXIT_TRANSIENT);
    expect(exitCodeOf(new TypeError('oops'))).toBe(EXIT_INTERNAL);
    expect(exitCodeOf('thrown text')).toBe(EXIT_INTERNAL);
  });

  it('a ConfigError carries every problem, each as file:line:column: message', () => {
    const problems = [
      { file: 'a.yml', line: 3, column: 5, message: 'one' },
      { file: 'b.yml', line: 1, column: 1, message: 'two' },
    ];
    const error = new ConfigError(problems);
    expect(error.problems).toEqual(problems);
    expect(error.message).toBe('a.yml:3:5: one\nb.yml:1:1: two');
    expect(formatProblem(problems[0] as (typeof problems)[0])).toBe('a.yml:3:5: one');
  });

  it('a transient error keeps its cause and says what failed underneath', () => {
    const cause = new Error('connect ECONNREFUSED 127.0.0.1:6443');
    const error = new TransientError('cannot list nodes', { cause });
    expect(error.cause).toBe(cause);
    expect(describeWithCauses(error)).toBe('cannot list nodes: connect ECONNREFUSED 127.0.0.1:6443');
  });

  it('HTTP 5xx, 429 and 408 mean "not now"; other 4xx mean "no"', () => {
    expect([500, 502, 503, 429, 408].map(isTransientStatus)).toEqual([true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 422].map(isTransientStatus)).toEqual([false, false, false, false, false, false]);
  });

  it('a git failure names the command and quotes git; it knows "not a git repository"', () => {
    const error = new GitError(
      ['rev-parse', '--show-toplevel'],
      128,
      'fatal: not a git repository (or any of the parent directories): .git\n',
    );
    expect(error.message).toBe('git rev-parse --show-toplevel: fatal: not a git repository (or any of the parent directories): .git');
    expect(error.notARepository).toBe(true);
    expect(error).toBeInstanceOf(TransientError);
  });
});
