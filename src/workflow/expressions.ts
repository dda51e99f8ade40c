// `${{ }}` evaluation with GitHub's own expression engine (@actions/expressions): the contexts as
// the engine's data, the status functions and hashFiles() as extension functions, and the
// evaluation of a template (template.ts) into JSON or a string.
import { data, Evaluator, Lexer, Parser } from '@actions/expressions';
import type { FunctionDefinition, FunctionInfo } from '@actions/expressions/funcs/info';
import { type Token, TokenType } from '@actions/expressions/lexer';
import { truthy } from '@actions/expressions/result';
import { UserError } from '../errors.js';
import type { Json, JsonObject } from './json.js';
import type { Template } from './template.js';

export const CONTEXT_NAMES = [
  'github',
  'env',
  'vars',
  'secrets',
  'inputs',
  'needs',
  'steps',
  'matrix',
  'strategy',
  'job',
  'jobs',
  'runner',
] as const;

export type ContextName = (typeof CONTEXT_NAMES)[number];

/** The status functions' view of the job (for a step's `if`) or of a job's needs (for a job's `if`). */
export interface Status {
  success(): boolean;
  failure(): boolean;
  cancelled(): boolean;
}

/** Everything an expression may read. Contexts left out are empty objects, as on GitHub where they do not apply. */
export interface Scope {
  /** The workflow file, for error messages. */
  file: string;
  contexts: Partial<Record<ContextName, Json>>;
  status?: Status;
  /** hashFiles(): the workspace's files matching the patterns, hashed; '' when none match. */
  hashFiles?: (patterns: string[]) => string;
}

const EXTENSION_FUNCTIONS: FunctionInfo[] = [
  { name: 'success', minArgs: 0, maxArgs: 0 },
  { name: 'failure', minArgs: 0, maxArgs: 0 },
  { name: 'cancelled', minArgs: 0, maxArgs: 0 },
  { name: 'always', minArgs: 0, maxArgs: 0 },
  { name: 'hashFiles', minArgs: 1, maxArgs: 255 },
];

function functionsOf(scope: Scope): Map<string, FunctionDefinition> {
  const status = scope.status;
  const define = (info: FunctionInfo, call: FunctionDefinition['call']): [string, FunctionDefinition] => [
    info.name.toLowerCase(),
    { ...info, call },
  ];
  const [success, failure, cancelled, always, hashFiles] = EXTENSION_FUNCTIONS as [
    FunctionInfo,
    FunctionInfo,
    FunctionInfo,
    FunctionInfo,
    FunctionInfo,
  ];
  return new Map([
    define(success, () => new data.BooleanData(status?.success() ?? true)),
    define(failure, () => new data.BooleanData(status?.failure() ?? false)),
    define(cancelled, () => new data.BooleanData(status?.cancelled() ?? false)),
    define(always, () => new data.BooleanData(true)),
    define(hashFiles, (...args) => {
      if (!scope.hashFiles) throw new Error('hashFiles() is only available in steps');
      return new data.StringData(scope.hashFiles(args.map((arg) => arg.coerceString())));
    }),
  ]);
}

function dictionaryOf(scope: Scope): data.Dictionary {
  const contexts: JsonObject = {};
  for (const name of CONTEXT_NAMES) contexts[name] = scope.contexts[name] ?? {};
  return JSON.parse(JSON.stringify(contexts), data.reviver) as data.Dictionary;
}

/** The engine's value as JSON (a filtered array `a.*.b` is an array too). */
export function toJson(value: data.ExpressionData): Json {
  switch (value.kind) {
    case data.Kind.Null:
      return null;
    case data.Kind.Boolean:
      return (value as data.BooleanData).value;
    case data.Kind.Number:
      return value.number();
    case data.Kind.String:
      return value.coerceString();
    case data.Kind.Array:
      return (value as data.Array).values().map(toJson);
    default: {
      const object: JsonObject = {};
      for (const pair of (value as data.Dictionary).pairs()) object[pair.key] = toJson(pair.value);
      return object;
    }
  }
}

function located(scope: Scope, at: { line: number; column: number } | undefined): string {
  return at && at.line > 0 ? `${scope.file}:${at.line}:${at.column}` : scope.file;
}

/**
 * The expression's tokens. @actions/expressions 0.3.61 unescapes only the first `''` of a string
 * literal (`value.replace("''", "'")`), so `format('echo ''a'' ''b''', …)`, which the parser makes
 * of a script quoting twice, would keep a doubled quote: each string is unescaped again from its
 * lexeme, whole.
 */
function tokens(expression: string): Token[] {
  return new Lexer(expression)
    .lex()
    .tokens.map((token) =>
      token.type === TokenType.STRING ? { ...token, value: token.lexeme.slice(1, -1).replaceAll("''", "'") } : token,
    );
}

/** Evaluates one expression (without `${{ }}`); a syntax or evaluation error is a UserError naming the place. */
export function evaluate(expression: string, scope: Scope, at?: { line: number; column: number }): data.ExpressionData {
  try {
    const tree = new Parser(tokens(expression), [...CONTEXT_NAMES], EXTENSION_FUNCTIONS).parse();
    const result = new Evaluator(tree, dictionaryOf(scope), functionsOf(scope)).evaluate();
    // A context the engine was not given reads as undefined rather than null.
    return result ?? new data.Null();
  } catch (error) {
    const reason =
      error instanceof Error ? `${error.message}${error.cause instanceof Error ? ` (${error.cause.message})` : ''}` : String(error);
    throw new UserError(`${located(scope, at)}: \${{ ${expression} }}: ${reason}`);
  }
}

/** An `if:` condition (as the parser wrote it, status function included) as GitHub decides it. */
export function evaluateCondition(expression: string, scope: Scope, at?: { line: number; column: number }): boolean {
  return truthy(evaluate(expression, scope, at));
}

/** A template as JSON: literals as they are, expressions evaluated, sequences and mappings recursively. */
export function evaluateTemplate(template: Template, scope: Scope): Json {
  switch (template.kind) {
    case 'literal':
      return template.value;
    case 'expression':
      return toJson(evaluate(template.expression, scope, template));
    case 'sequence':
      return template.items.map((item) => evaluateTemplate(item, scope));
    case 'mapping': {
      const object: JsonObject = {};
      for (const [key, value] of template.entries) object[key] = evaluateTemplate(value, scope);
      return object;
    }
    case 'unsupported':
      throw new UserError(`${located(scope, template)}: ${template.what} is not supported by the local runner`);
  }
}

/** A template where GitHub expects a string: a number or boolean becomes its text, null ''. An object or array is refused. */
export function evaluateString(template: Template, scope: Scope, what: string): string {
  if (template.kind === 'literal') return template.value === null ? '' : String(template.value);
  if (template.kind === 'expression') {
    const value = evaluate(template.expression, scope, template);
    if (value.primitive) return value.kind === data.Kind.Null ? '' : value.coerceString();
    throw new UserError(
      `${located(scope, template)}: ${what} must be a string, but \${{ ${template.expression} }} is ${value.kind === data.Kind.Array ? 'an array' : 'an object'}`,
    );
  }
  evaluateTemplate(template, scope); // reports an unsupported construct as such
  throw new UserError(`${located(scope, template)}: ${what} must be a string, not a ${template.kind}`);
}

/** A mapping of strings (env:, with:, outputs:); undefined gives {}. */
export function evaluateStringMap(template: Template | undefined, scope: Scope, what: string): Record<string, string> {
  if (template === undefined) return {};
  if (template.kind === 'expression') {
    const value = evaluateTemplate(template, scope);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new UserError(`${located(scope, template)}: ${what} must be a mapping`);
    }
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        item === null ? '' : typeof item === 'object' ? JSON.stringify(item) : String(item),
      ]),
    );
  }
  if (template.kind !== 'mapping') throw new UserError(`${located(scope, template)}: ${what} must be a mapping`);
  const result: Record<string, string> = {};
  for (const [key, value] of template.entries) result[key] = evaluateString(value, scope, `${what}.${key}`);
  return result;
}

/** Text with `${{ }}` in it (an action.yml input default), each expression's value put in its place. */
export function evaluateEmbedded(text: string, scope: Scope): string {
  let result = '';
  let from = 0;
  for (;;) {
    const start = text.indexOf('${{', from);
    const end = start < 0 ? -1 : text.indexOf('}}', start + 3);
    if (start < 0 || end < 0) return result + text.slice(from);
    result += text.slice(from, start);
    result += evaluateString({ kind: 'expression', expression: text.slice(start + 3, end).trim(), line: 0, column: 0 }, scope, 'the value');
    from = end + 2;
  }
}
