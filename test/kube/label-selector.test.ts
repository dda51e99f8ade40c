import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import {
  formatLabelSelector,
  formatRequirements,
  type LabelRequirement,
  labelSelectorMatcher,
  labelSelectorRequirements,
  matchesLabelMap,
  matchesRequirements,
  parseLabelSelector,
} from '../../src/kube/label-selector.js';

const matcher =
  (text: string) =>
  (labels: Record<string, string>): boolean =>
    matchesRequirements(parseLabelSelector(text), labels);

describe('label selectors in the query syntax', () => {
  it('selects by equality, inequality, sets and existence, all of which must hold', () => {
    const match = matcher('app=web,tier in (front, back),!canary,env!=prod,team');
    expect(match({ app: 'web', tier: 'front', team: 'a' })).toBe(true);
    expect(match({ app: 'web', tier: 'front', team: 'a', canary: '1' })).toBe(false);
    expect(match({ app: 'web', tier: 'db', team: 'a' })).toBe(false);
    expect(match({ app: 'web', tier: 'back', team: 'a', env: 'prod' })).toBe(false);
    expect(match({ app: 'web', tier: 'back' })).toBe(false);
  });

  it('reads == as =, an empty value as the empty string, and an empty selector as everything', () => {
    expect(parseLabelSelector('app==web')).toEqual([{ key: 'app', operator: '=', values: ['web'] }]);
    expect(matcher('app=')({ app: '' })).toBe(true);
    expect(matcher('app=')({ app: 'x' })).toBe(false);
    expect(parseLabelSelector('')).toEqual([]);
    expect(matcher('')({})).toBe(true);
  });

  it('selects labels absent from the set with notin and != (a missing label is not in any set)', () => {
    expect(matcher('env notin (prod,staging)')({})).toBe(true);
    expect(matcher('env notin (prod,staging)')({ env: 'dev' })).toBe(true);
    expect(matcher('env notin (prod,staging)')({ env: 'prod' })).toBe(false);
    expect(matcher('env!=prod')({})).toBe(true);
  });

  it('compares gt and lt as whole numbers, and a label that is not one matches neither', () => {
    expect(matcher('gen>3')({ gen: '4' })).toBe(true);
    expect(matcher('gen>3')({ gen: '3' })).toBe(false);
    expect(matcher('gen<10')({ gen: '9' })).toBe(true);
    expect(matcher('gen>3')({ gen: 'four' })).toBe(false);
    expect(matcher('gen>3')({ gen: '4.5' })).toBe(false);
    expect(matcher('gen<3')({ gen: '' })).toBe(false);
    expect(matcher('gen<3')({})).toBe(false);
  });

  it('never treats a property every object inherits as a label', () => {
    expect(matcher('constructor')({})).toBe(false);
    expect(matcher('!toString')({})).toBe(true);
  });

  it.each([
    ['app in web', "found 'web', expected: '('"],
    ['app in (a', "found 'end of string', expected: ',' or ')'"],
    ['app in ()', "found ')', expected: identifier"],
    ['app=web,', "found 'end of string', expected: identifier"],
    ['app=web env=prod', "found 'env', expected: ',' or 'end of string'"],
    ['=web', "found '=', expected: identifier"],
    ['gen>three', 'expected: an integer'],
  ])('refuses %j as a UserError saying what it found where', (text, message) => {
    expect(() => parseLabelSelector(text)).toThrow(UserError);
    expect(() => parseLabelSelector(text)).toThrow(message);
  });
});

describe('metav1.LabelSelector objects', () => {
  it('reads matchLabels as equalities and matchExpressions by their operators', () => {
    expect(
      labelSelectorRequirements({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'env', operator: 'NotIn', values: ['prod'] },
          { key: 'team', operator: 'Exists' },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toEqual([
      { key: 'app', operator: '=', values: ['web'] },
      { key: 'tier', operator: 'in', values: ['a', 'b'] },
      { key: 'env', operator: 'notin', values: ['prod'] },
      { key: 'team', operator: 'exists', values: [] },
      { key: 'canary', operator: '!', values: [] },
    ]);
  });

  it('matches everything with an empty selector and nothing without one (a PDB without a selector covers no pods)', () => {
    expect(labelSelectorMatcher({})({ app: 'web' })).toBe(true);
    expect(labelSelectorMatcher(undefined)({ app: 'web' })).toBe(false);
    expect(labelSelectorMatcher(null)({})).toBe(false);
  });

  it('refuses an operator the API does not have, naming the valid ones', () => {
    expect(() => labelSelectorMatcher({ matchExpressions: [{ key: 'a', operator: 'Equals', values: ['b'] }] })).toThrow(
      /"Equals" is not a valid label selector operator: use In, NotIn, Exists or DoesNotExist/,
    );
  });

  it('prints as status.selector does: by key, set values sorted', () => {
    expect(
      formatLabelSelector({
        matchLabels: { tier: 'web', app: 'shop' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod', 'dev'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      }),
    ).toBe('app=shop,!canary,env in (dev,prod),tier=web');
    expect(formatLabelSelector(undefined)).toBe('');
    expect(formatLabelSelector({ matchExpressions: [{ key: 'a', operator: 'Bogus' }] })).toBe('');
  });
});

describe('nodeSelector-style label maps', () => {
  it('requires every key with its exact value; an empty or missing map selects every node', () => {
    expect(matchesLabelMap({ pool: 'gpu' }, { pool: 'gpu', zone: 'a' })).toBe(true);
    expect(matchesLabelMap({ pool: 'gpu' }, { pool: 'cpu' })).toBe(false);
    expect(matchesLabelMap({ pool: 'gpu' }, undefined)).toBe(false);
    expect(matchesLabelMap({}, undefined)).toBe(true);
    expect(matchesLabelMap(undefined, { pool: 'gpu' })).toBe(true);
  });
});

describe('label selectors (properties)', () => {
  const name = fc.stringMatching(/^[a-z0-9]([a-z0-9._-]{0,8}[a-z0-9])?$/);
  const key = fc.oneof(
    name,
    fc.tuple(name, name).map(([prefix, n]) => `${prefix}.io/${n}`),
  );
  const integer = fc.integer({ min: -1000, max: 1000 }).map(String);
  const requirement: fc.Arbitrary<LabelRequirement> = fc.oneof(
    fc.record({ key, operator: fc.constantFrom('=' as const, '!=' as const), values: fc.tuple(fc.oneof(name, fc.constant(''))) }),
    fc.record({
      key,
      operator: fc.constantFrom('in' as const, 'notin' as const),
      values: fc.uniqueArray(name, { minLength: 1, maxLength: 4 }),
    }),
    fc.record({ key, operator: fc.constantFrom('exists' as const, '!' as const), values: fc.constant([]) }),
    fc.record({ key, operator: fc.constantFrom('gt' as const, 'lt' as const), values: fc.tuple(integer) }),
  );
  const labels = fc.dictionary(key, fc.oneof(name, integer, fc.constant('')), { maxKeys: 6 });

  it('parsing a formatted selector gives back its requirements, by key with set values sorted', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 6 }), (requirements) => {
        const sorted = [...requirements]
          .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
          .map((r) => (r.operator === 'in' || r.operator === 'notin' ? { ...r, values: [...r.values].sort() } : r));
        expect(parseLabelSelector(formatRequirements(requirements))).toEqual(sorted);
      }),
    );
  });

  it('formatting is idempotent: format(parse(format(s))) is format(s)', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 6 }), (requirements) => {
        const text = formatRequirements(requirements);
        expect(formatRequirements(parseLabelSelector(text))).toBe(text);
      }),
    );
  });

  it('a selector selects the same labels after a round trip through its text', () => {
    fc.assert(
      fc.property(fc.array(requirement, { maxLength: 6 }), labels, (requirements, set) => {
        const again = parseLabelSelector(formatRequirements(requirements));
        expect(matchesRequirements(again, set)).toBe(matchesRequirements(requirements, set));
      }),
    );
  });
});
