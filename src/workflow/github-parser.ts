// The one module that loads GitHub's workflow parser (@actions/workflow-parser), and turns what it
// returns into plain data (template.ts), so the rest of the runner never touches its classes.
//
// The parser imports its JSON schema without an import attribute: bundlers accept that, plain
// Node 24 refuses it. So `npm run build` replaces tsc's output for this module with an esbuild
// bundle of it (scripts/build-workflow-parser.mjs), and vitest inlines the package
// (vitest.config.ts `server.deps.inline`).
import {
  convertWorkflowTemplate,
  isBasicExpression,
  isBoolean,
  isMapping,
  isNumber,
  isSequence,
  isString,
  NoOperationTraceWriter,
} from '@actions/workflow-parser';
import type { ObjectReader } from '@actions/workflow-parser/templates/object-reader';
import { TemplateContext, TemplateValidationErrors } from '@actions/workflow-parser/templates/template-context';
import { readTemplate } from '@actions/workflow-parser/templates/template-reader';
import { type LiteralToken, StringToken, type TemplateToken } from '@actions/workflow-parser/templates/tokens/index';
import { WORKFLOW_ROOT } from '@actions/workflow-parser/workflows/workflow-constants';
import { getWorkflowSchema } from '@actions/workflow-parser/workflows/workflow-schema';
import { YamlObjectReader } from '@actions/workflow-parser/workflows/yaml-object-reader';
import type { Json } from './json.js';
import type { Template } from './template.js';

/** A problem the parser found, at its place in the file (1-based). */
export interface ParserProblem {
  message: string;
  line: number;
  column: number;
}

/** What the parser knows that the raw tree does not: step ids it generated, `if:` with its implied success(). */
export interface ParsedJob {
  id: string;
  needs: string[];
  /** The condition as GitHub evaluates it: `success() && (…)` unless it names a status function. */
  if: string;
  steps: Array<{ id: string; if: string }>;
}

export interface ParsedWorkflow {
  /** The whole file as plain data, `${{ }}` kept as expressions (a string with several is one format() call). */
  root: Template;
  /** `on:` as the parser reads it (filters, workflow_dispatch inputs). */
  events: Record<string, Json>;
  jobs: ParsedJob[];
  problems: ParserProblem[];
}

const NULL_TOKEN_TYPE = 7;

/** The parser's token tree as plain data. Insert expressions (the `insert` directive) are left as an unsupported marker. */
function toTemplate(token: TemplateToken): Template {
  const at = { line: token.line ?? 0, column: token.col ?? 0 };
  if (isString(token)) return { kind: 'literal', value: token.value, ...at };
  if (isNumber(token) || isBoolean(token)) return { kind: 'literal', value: token.value, ...at };
  if (token.templateTokenType === NULL_TOKEN_TYPE) return { kind: 'literal', value: null, ...at };
  if (isBasicExpression(token)) return { kind: 'expression', expression: token.expression, ...at };
  if (isSequence(token)) return { kind: 'sequence', items: [...token].map(toTemplate), ...at };
  if (isMapping(token)) {
    const entries: Array<[string, Template]> = [];
    for (const pair of token) {
      const key = isString(pair.key) ? pair.key.value : undefined;
      if (key === undefined) return { kind: 'unsupported', what: `an expression as a mapping key (${pair.key.toDisplayString()})`, ...at };
      entries.push([key, toTemplate(pair.value)]);
    }
    return { kind: 'mapping', entries, ...at };
  }
  return { kind: 'unsupported', what: 'an insert expression (the `insert` directive)', ...at };
}

/**
 * The parser's YAML reader, but a string written over several lines (a `run: |` block) is given
 * without its YAML source text. This parser is GitHub's language service's: for a multi-line
 * string holding `${{ }}` it builds the format() expression from the source text, indentation and
 * all, which suits positions in an editor but not running the script. Without the source it uses
 * the string's value, as GitHub's runner does.
 */
class ValueObjectReader implements ObjectReader {
  constructor(private readonly reader: YamlObjectReader) {}

  allowLiteral(): LiteralToken | undefined {
    const token = this.reader.allowLiteral();
    if (token === undefined || !isString(token) || token.source === undefined) return token;
    const range = token.range;
    if (range === undefined || range.start.line === range.end.line) return token;
    return new StringToken(token.file, range, token.value, token.definitionInfo, undefined, token.blockScalarHeader);
  }
  allowSequenceStart = (): ReturnType<ObjectReader['allowSequenceStart']> => this.reader.allowSequenceStart();
  allowSequenceEnd = (): boolean => this.reader.allowSequenceEnd();
  allowMappingStart = (): ReturnType<ObjectReader['allowMappingStart']> => this.reader.allowMappingStart();
  allowMappingEnd = (): boolean => this.reader.allowMappingEnd();
  validateStart = (): void => this.reader.validateStart();
  validateEnd = (): void => this.reader.validateEnd();
}

/** The parser's parseWorkflow, reading through ValueObjectReader. */
function parseWorkflow(name: string, content: string): { context: TemplateContext; value: TemplateToken | undefined } {
  const context = new TemplateContext(new TemplateValidationErrors(), getWorkflowSchema(), new NoOperationTraceWriter());
  const fileId = context.getFileId(name);
  const reader = new YamlObjectReader(fileId, content);
  if (reader.errors.length > 0) {
    for (const error of reader.errors) context.error(fileId, error.message, error.range);
    return { context, value: undefined };
  }
  return { context, value: readTemplate(context, WORKFLOW_ROOT, new ValueObjectReader(reader), fileId) };
}

/** Parses and validates a workflow with GitHub's parser; `problems` is empty when the file is a valid workflow. */
export async function parseWorkflowText(name: string, content: string): Promise<ParsedWorkflow> {
  const parsed = parseWorkflow(name, content);
  const problems = (): ParserProblem[] =>
    parsed.context.errors.getErrors().map((error) => ({
      message: error.rawMessage,
      line: error.range?.start.line ?? 1,
      column: error.range?.start.column ?? 1,
    }));
  if (parsed.value === undefined)
    return { root: { kind: 'mapping', entries: [], line: 1, column: 1 }, events: {}, jobs: [], problems: problems() };
  const template = await convertWorkflowTemplate(parsed.context, parsed.value);
  const jobs: ParsedJob[] = (template.jobs ?? []).map((job) => ({
    id: job.id.value,
    needs: (job.needs ?? []).map((need) => need.value),
    if: job.if.expression,
    steps:
      job.type === 'job'
        ? job.steps.map((step) => ({ id: step.id, if: 'if' in step && step.if !== undefined ? step.if.expression : 'success()' }))
        : [],
  }));
  return {
    root: toTemplate(parsed.value),
    events: JSON.parse(JSON.stringify(template.events ?? {})) as Record<string, Json>,
    jobs,
    problems: problems(),
  };
}
