/**
 * Label and field selectors, in the query-string syntax (`labelSelector=app=web,tier in (a,b)`,
 * `fieldSelector=spec.nodeName=n1`) and as `metav1.LabelSelector` objects. Parse errors are 400s
 * worded like the API server's.
 */
import { badRequest } from './status.js';
import type { LabelSelector } from './types.js';

export type LabelMatcher = (labels: Readonly<Record<string, string>> | undefined) => boolean;

interface Requirement {
  key: string;
  op: 'exists' | '!' | '=' | '!=' | 'in' | 'notin' | '>' | '<';
  values: string[];
}

function matchRequirement(req: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, req.key);
  const value = labels[req.key];
  switch (req.op) {
    case 'exists':
      return has;
    case '!':
      return !has;
    case '=':
    case 'in':
      return has && req.values.includes(value as string);
    case '!=':
    case 'notin':
      return !has || !req.values.includes(value as string);
    case '>':
    case '<': {
      const n = Number(value);
      const bound = Number(req.values[0]);
      return has && Number.isInteger(n) && (req.op === '>' ? n > bound : n < bound);
    }
  }
}

type Token = { kind: 'id'; text: string } | { kind: 'op'; text: string } | { kind: 'end' };

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
    if ('=!,()<>'.includes(c)) {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !' \t=!,()<>'.includes(text[j] as string)) j++;
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

/** Parses `labelSelector`; throws a 400 naming what was found where. */
export function parseLabelSelector(text: string): LabelMatcher {
  const requirements: Requirement[] = [];
  const tokens = tokenize(text);
  let at = 0;
  const fail = (expected: string): never => {
    throw badRequest(
      `unable to parse requirement: found ${describe(tokens[at])}, expected: ${expected} (labelSelector ${JSON.stringify(text)})`,
    );
  };
  const next = (): Token => tokens[at++] ?? { kind: 'end' };
  const peek = (): Token => tokens[at] ?? { kind: 'end' };
  if (peek().kind === 'end') return () => true;
  for (;;) {
    let token = next();
    if (token.kind === 'op' && token.text === '!') {
      const key = next();
      if (key.kind !== 'id') {
        at--;
        fail('identifier');
      }
      requirements.push({ key: (key as { text: string }).text, op: '!', values: [] });
    } else if (token.kind === 'id') {
      const key = token.text;
      const op = peek();
      if (op.kind === 'end' || (op.kind === 'op' && op.text === ',')) {
        requirements.push({ key, op: 'exists', values: [] });
      } else if (op.kind === 'op' && ['=', '==', '!=', '>', '<'].includes(op.text)) {
        next();
        const value = peek();
        let v = '';
        if (value.kind === 'id') {
          v = value.text;
          next();
        } else if (!(value.kind === 'end' || (value.kind === 'op' && value.text === ','))) fail('identifier');
        const kind = op.text === '==' ? '=' : (op.text as Requirement['op']);
        requirements.push({ key, op: kind, values: [v] });
      } else if (op.kind === 'id' && (op.text === 'in' || op.text === 'notin')) {
        next();
        token = next();
        if (!(token.kind === 'op' && token.text === '(')) {
          at--;
          fail("'('");
        }
        const values: string[] = [];
        for (;;) {
          const v = next();
          if (v.kind === 'id') values.push(v.text);
          else if (v.kind === 'op' && v.text === ')' && values.length === 0) break;
          else {
            at--;
            fail('identifier');
          }
          const sep = next();
          if (sep.kind === 'op' && sep.text === ')') break;
          if (!(sep.kind === 'op' && sep.text === ',')) {
            at--;
            fail("',' or ')'");
          }
        }
        requirements.push({ key, op: op.text, values });
      } else {
        fail("'=', '!=', '==', 'in', 'notin', ',' or 'end of string'");
      }
    } else {
      at--;
      fail('identifier');
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (!(sep.kind === 'op' && sep.text === ',')) {
      at--;
      fail("',' or 'end of string'");
    }
  }
  return (labels) => requirements.every((req) => matchRequirement(req, labels ?? {}));
}

/**
 * A `metav1.LabelSelector` as a matcher. An empty selector matches everything; a missing one
 * (`undefined`) matches nothing, as `metav1.LabelSelectorAsSelector(nil)` does.
 */
export function labelSelectorMatcher(selector: LabelSelector | undefined | null): LabelMatcher {
  if (!selector) return () => false;
  const requirements: Requirement[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) requirements.push({ key, op: '=', values: [value] });
  for (const expr of selector.matchExpressions ?? []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!' }[expr.operator] as Requirement['op'] | undefined;
    if (!op)
      throw badRequest(`${JSON.stringify(expr.operator)} is not a valid label selector operator: use In, NotIn, Exists or DoesNotExist`);
    requirements.push({ key: expr.key, op, values: expr.values ?? [] });
  }
  return (labels) => requirements.every((req) => matchRequirement(req, labels ?? {}));
}

/** A label selector as the API prints it in `status.selector` and `kubectl get -o wide` ("app=web,tier in (a,b)"). */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) parts.push(`${key}=${value}`);
  for (const expr of selector.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])].sort().join(',');
    if (expr.operator === 'In') parts.push(`${expr.key} in (${values})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${values})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.sort().join(',');
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on unescaped `sep`, keeping escapes (fields.Parse allows `\,` `\=` `\\` in values). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Parses `fieldSelector`; which fields a resource supports is checked by the caller. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  return splitUnescaped(text, ',').map((term) => {
    const match = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!match?.[1]) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field, op, value] = match as unknown as [string, string, string, string];
    return { field: field.trim(), op: op === '!=' ? '!=' : '=', value: unescapeValue(value) };
  });
}
