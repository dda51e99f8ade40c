import { describe, expect, it } from 'vitest';
import { patternToRegExp, selectedBy } from '../../src/workflow/filters.js';
import { notTriggeredBecause } from '../../src/workflow/triggers.js';

describe("GitHub's filter patterns", () => {
  it.each([
    ['cluster-config/**', 'cluster-config/shop.yml', true],
    ['cluster-config/**', 'cluster-config/eu/shop.yml', true],
    ['cluster-config/**', 'cluster-configs/shop.yml', false],
    ['cluster-config/*', 'cluster-config/eu/shop.yml', false],
    ['*.md', 'README.md', true],
    ['*.md', 'docs/README.md', false],
    ['**.md', 'docs/README.md', true],
    ['**/README.md', 'README.md', true],
    ['**/README.md', 'a/b/README.md', true],
    ['release/**', 'release/v1/hotfix', true],
    ['v[12].[0-9]+', 'v1.10', true],
    ['v[12].[0-9]+', 'v3.1', false],
    ['colou?r', 'color', true],
    ['colou?r', 'colour', true],
    ['a.b', 'axb', false],
    ['\\*', '*', true],
  ])('%s matches %s: %s', (pattern, value, expected) => {
    expect(patternToRegExp(pattern).test(value)).toBe(expected);
  });

  it('lets the last matching pattern decide, a ! pattern deselecting', () => {
    const patterns = ['cluster-config/**', '!cluster-config/*.md', 'cluster-config/KEEP.md'];
    expect(selectedBy('cluster-config/shop.yml', patterns)).toBe(true);
    expect(selectedBy('cluster-config/README.md', patterns)).toBe(false);
    expect(selectedBy('cluster-config/KEEP.md', patterns)).toBe(true);
    expect(selectedBy('src/x.ts', patterns)).toBe(false);
  });
});

describe('on: filters', () => {
  const push = (config: Record<string, string[]>) => ({ push: config });

  it('matches pushes by branch, tag and paths as GitHub does', () => {
    expect(notTriggeredBecause(push({}), { name: 'push', ref: 'refs/heads/anything' })).toBeUndefined();
    expect(notTriggeredBecause(push({ 'branches-ignore': ['dependabot/**'] }), { name: 'push', ref: 'refs/heads/dependabot/npm' })).toBe(
      'the branch dependabot/npm matches branches-ignore [dependabot/**]',
    );
    expect(notTriggeredBecause(push({ tags: ['v*'] }), { name: 'push', ref: 'refs/heads/main' })).toBe(
      'a push to the branch main: the workflow filters tags only',
    );
    expect(notTriggeredBecause(push({ branches: ['main'] }), { name: 'push', ref: 'refs/tags/v1' })).toBe(
      'a push of the tag v1: the workflow filters branches only',
    );
    expect(notTriggeredBecause(push({ tags: ['v*'] }), { name: 'push', ref: 'refs/tags/v1' })).toBeUndefined();
    expect(
      notTriggeredBecause(push({ 'paths-ignore': ['docs/**'] }), { name: 'push', ref: 'refs/heads/main', changedFiles: ['docs/a.md'] }),
    ).toBe('every changed file matches paths-ignore [docs/**]');
    expect(
      notTriggeredBecause(push({ 'paths-ignore': ['docs/**'] }), {
        name: 'push',
        ref: 'refs/heads/main',
        changedFiles: ['docs/a.md', 'src/a.ts'],
      }),
    ).toBeUndefined();
  });

  it('matches pull requests by activity type (opened, synchronize, reopened by default) and base branch', () => {
    const events = { pull_request: { branches: ['main'] } };
    expect(
      notTriggeredBecause(events, { name: 'pull_request', ref: 'refs/pull/1/merge', baseRef: 'main', action: 'synchronize' }),
    ).toBeUndefined();
    expect(notTriggeredBecause(events, { name: 'pull_request', ref: 'refs/pull/1/merge', baseRef: 'main', action: 'closed' })).toBe(
      'the pull request activity closed is not one of types [opened, synchronize, reopened]',
    );
    expect(notTriggeredBecause(events, { name: 'pull_request', ref: 'refs/pull/1/merge', baseRef: 'dev' })).toBe(
      'the base branch dev matches none of branches [main]',
    );
  });
});
