// A workflow as plain data, with `${{ }}` kept as expressions to evaluate later (when the contexts
// they read exist): what github-parser.ts makes of the parser's token tree. Every node keeps its
// place in the file, so an error names the line.

interface At {
  line: number;
  column: number;
}

export type Template =
  | (At & { kind: 'literal'; value: string | number | boolean | null })
  | (At & { kind: 'expression'; expression: string })
  | (At & { kind: 'sequence'; items: Template[] })
  | (At & { kind: 'mapping'; entries: Array<[string, Template]> })
  /** Something the runner cannot evaluate (an insert expression, an expression as a key). */
  | (At & { kind: 'unsupported'; what: string });

export type MappingTemplate = Extract<Template, { kind: 'mapping' }>;

/** The value of `key` in a mapping, or undefined (also when `template` is not a mapping). */
export function entry(template: Template | undefined, key: string): Template | undefined {
  if (template?.kind !== 'mapping') return undefined;
  return template.entries.find(([name]) => name === key)?.[1];
}

/** The keys of a mapping, in file order. */
export function keys(template: Template | undefined): string[] {
  return template?.kind === 'mapping' ? template.entries.map(([name]) => name) : [];
}

/** A literal string (or number/boolean, as text), or undefined when absent or an expression. */
export function literalString(template: Template | undefined): string | undefined {
  if (template?.kind !== 'literal' || template.value === null) return undefined;
  return String(template.value);
}

/** A literal template of a value, for defaults the runner supplies. */
export function literal(value: string | number | boolean | null): Template {
  return { kind: 'literal', value, line: 0, column: 0 };
}
