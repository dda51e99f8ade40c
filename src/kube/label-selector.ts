/**
 * Label selectors, in both forms the API has them: the query syntax of `?labelSelector=`
 * (`app=web,tier in (a,b),!canary`) and `metav1.LabelSelector` objects (`matchLabels` and
 * `matchExpressions`, as PodDisruptionBudgets, Deployments and ReplicaSets carry them), plus the
 * plain `key: value` maps of a pod's `nodeSelector`.
 *
 * Both forms become one list of requirements, all of which must hold, so a selector means the
 * same whichever way it was written, and `formatRequirements` writes it back as the API prints
 * `status.selector`: requirements by key, set values sorted.
 */
import type { V1LabelSelectorRequirement } from '@kubernetes/client-node';
import { UserError } from '../errors.js';

export type Labels = Readonly<Record<string, string>>;

/** The operators of `k8s.io/apimachinery/pkg/selection`; `==` is read as `=`. */
export type LabelOperator = '=' | '!=' | 'in' | 'notin' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  /** One value for `=`, `!=`, `gt` and `lt`; a set for `in` and `notin`; none for `exists` and `!`. */
  values: readonly string[];
}

/** A `metav1.LabelSelector` (client-node's `V1LabelSelector` is one). */
export interface LabelSelector {
  matchLabels?: Labels;
  matchExpressions?: ReadonlyArray<Pick<V1LabelSelectorRequirement, 'key' | 'operator' | 'values'>>;
}

export type LabelMatcher = (labels: Labels | undefined) => boolean;

// `gt`/`lt` (and node affinity's `Gt`/`Lt`) read labels as int64 (`strconv.ParseInt`): digits with an optional sign, nothing else.
const INTEGER = /^[+-]?\d+$/;

/**
 * Whether a label value is above (or below) a bound, both read as whole numbers. A missing label,
 * or one that is not a whole number, is neither above nor below anything.
 */
export function integerLabelCompares(value: string | undefined, bound: string | undefined, above: boolean): boolean {
  if (value === undefined || !INTEGER.test(value) || bound === undefined || !INTEGER.test(bound)) return false;
  return above ? BigInt(value) > BigInt(bound) : BigInt(value) < BigInt(bound);
}

/** Whether one requirement holds for a set of labels (`labels.Requirement.Matches`). */
export function requirementMatches(requirement: LabelRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = has ? labels[requirement.key] : undefined;
  switch (requirement.operator) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return value !== undefined && requirement.values.includes(value);
    case '!=':
    case 'notin':
      return value === undefined || !requirement.values.includes(value);
    case 'gt':
    case 'lt':
      return integerLabelCompares(value, requirement.values[0], requirement.operator === 'gt');
  }
}

/** Whether every requirement holds: an empty list selects everything. */
export function matchesRequirements(requirements: readonly LabelRequirement[], labels: Labels | undefined): boolean {
  return requirements.every((requirement) => requirementMatches(requirement, labels ?? {}));
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

const OPERATOR_CHARS = '=!,()<>';

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=') {
      tokens.push({ kind: 'op', text: two });
      i += 2;
      continue;
    }
    if (OPERATOR_CHARS.includes(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !` \t${OPERATOR_CHARS}`.includes(text[j] as string)) j++;
    tokens.push({ kind: 'id', text: text.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

function describe(token: Token | undefined): string {
  if (!token || token.kind === 'end') return "'end of string'";
  return `'${token.text}'`;
}

const isOp = (token: Token, text: string): boolean => token.kind === 'op' && token.text === text;
const isEndOfTerm = (token: Token): boolean => token.kind === 'end' || isOp(token, ',');

/**
 * Parses the query syntax (`labels.Parse`). A mistake is a UserError worded as the API server's
 * 400: what was found where, and what was expected instead.
 */
export function parseLabelSelector(text: string): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  const tokens = tokenize(text);
  let at = 0;
  const fail = (expected: string): never => {
    throw new UserError(
      `unable to parse requirement: found ${describe(tokens[at])}, expected: ${expected} (labelSelector ${JSON.stringify(text)})`,
    );
  };
  const next = (): Token => tokens[at++] ?? { kind: 'end' };
  const peek = (): Token => tokens[at] ?? { kind: 'end' };
  /** Takes the next token, which must be an identifier. */
  const identifier = (): string => {
    const token = peek();
    if (token.kind !== 'id') return fail('identifier');
    at++;
    return token.text;
  };
  if (peek().kind === 'end') return requirements;
  for (;;) {
    if (isOp(peek(), '!')) {
      next();
      requirements.push({ key: identifier(), operator: '!', values: [] });
    } else {
      const key = identifier();
      const op = peek();
      if (isEndOfTerm(op)) {
        requirements.push({ key, operator: 'exists', values: [] });
      } else if (op.kind === 'op' && ['=', '==', '!=', '>', '<'].includes(op.text)) {
        next();
        // `app=` selects an empty value.
        const value = isEndOfTerm(peek()) ? '' : identifier();
        const operator = ({ '=': '=', '==': '=', '!=': '!=', '>': 'gt', '<': 'lt' } as const)[op.text as '=' | '==' | '!=' | '>' | '<'];
        if ((operator === 'gt' || operator === 'lt') && !INTEGER.test(value)) fail('an integer');
        requirements.push({ key, operator, values: [value] });
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        next();
        if (!isOp(peek(), '(')) fail("'('");
        next();
        const values: string[] = [];
        for (;;) {
          values.push(identifier());
          const sep = peek();
          if (isOp(sep, ')')) break;
          if (!isOp(sep, ',')) fail("',' or ')'");
          next();
        }
        next();
        requirements.push({ key, operator: op.text, values });
      } else {
        fail("'=', '!=', '==', 'in', 'notin', ',' or 'end of string'");
      }
    }
    if (peek().kind === 'end') break;
    if (!isOp(peek(), ',')) fail("',' or 'end of string'");
    next();
  }
  return requirements;
}

const EXPRESSION_OPERATORS: Readonly<Record<string, LabelOperator>> = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' };

/**
 * The requirements of a `metav1.LabelSelector` (`LabelSelectorAsSelector`): `matchLabels` as
 * equalities, then `matchExpressions`. An operator other than In, NotIn, Exists and DoesNotExist is
 * a UserError.
 */
export function labelSelectorRequirements(selector: LabelSelector): LabelRequirement[] {
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) requirements.push({ key, operator: '=', values: [value] });
  for (const expression of selector.matchExpressions ?? []) {
    const operator = Object.hasOwn(EXPRESSION_OPERATORS, expression.operator) ? EXPRESSION_OPERATORS[expression.operator] : undefined;
    if (!operator) {
      throw new UserError(
        `${JSON.stringify(expression.operator)} is not a valid label selector operator: use In, NotIn, Exists or DoesNotExist`,
      );
    }
    requirements.push({ key: expression.key, operator, values: [...(expression.values ?? [])] });
  }
  return requirements;
}

/**
 * A `metav1.LabelSelector` as a matcher. An empty selector (`{}`) matches everything; a missing
 * one matches nothing, as `LabelSelectorAsSelector(nil)` does: a PodDisruptionBudget without a
 * selector covers no pods.
 */
export function labelSelectorMatcher(selector: LabelSelector | undefined | null): LabelMatcher {
  if (!selector) return () => false;
  const requirements = labelSelectorRequirements(selector);
  return (labels) => matchesRequirements(requirements, labels);
}

/** Whether labels carry every `key: value` of a `nodeSelector`-style map (an empty or missing map selects everything). */
export function matchesLabelMap(wanted: Labels | undefined, labels: Labels | undefined): boolean {
  const have = labels ?? {};
  return Object.entries(wanted ?? {}).every(([key, value]) => Object.hasOwn(have, key) && have[key] === value);
}

function formatRequirement(requirement: LabelRequirement): string {
  const { key, values } = requirement;
  switch (requirement.operator) {
    case 'exists':
      return key;
    case '!':
      return `!${key}`;
    case '=':
      return `${key}=${values[0] ?? ''}`;
    case '!=':
      return `${key}!=${values[0] ?? ''}`;
    case 'gt':
      return `${key}>${values[0] ?? ''}`;
    case 'lt':
      return `${key}<${values[0] ?? ''}`;
    case 'in':
    case 'notin':
      return `${key} ${requirement.operator} (${[...new Set(values)].sort().join(',')})`;
  }
}

/** Requirements in the query syntax, sorted by key as `labels.Selector.String()` writes them; `parseLabelSelector` reads it back. */
export function formatRequirements(requirements: readonly LabelRequirement[]): string {
  return [...requirements]
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(formatRequirement)
    .join(',');
}

/**
 * A `metav1.LabelSelector` as the API prints it in `status.selector` and `kubectl get -o wide`
 * ("app=web,tier in (a,b)"). Expressions with an unknown operator are left out: printing never
 * fails, and the API server refuses such selectors before anything is stored.
 */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const valid = (selector.matchExpressions ?? []).filter((e) => Object.hasOwn(EXPRESSION_OPERATORS, e.operator));
  return formatRequirements(labelSelectorRequirements({ ...selector, matchExpressions: valid }));
}
