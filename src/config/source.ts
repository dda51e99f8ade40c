import { type Document, isAlias, isMap, isNode, isScalar, isSeq, LineCounter, type Node, parseAllDocuments, visit } from 'yaml';
import type { ConfigProblem } from '../errors.js';

/** Aliases beyond this many in one document are treated as an alias bomb ("billion laughs"). */
export const MAX_ALIAS_COUNT = 100;

/** One YAML document of a file, with its plain value and the parsed tree for locating problems. */
export interface SourceDocument {
  index: number;
  doc: Document.Parsed;
  value: unknown;
}

export interface ParsedSource {
  file: string;
  text: string;
  documents: SourceDocument[];
  problems: ConfigProblem[];
  locate(offset: number): { line: number; column: number };
  /** Maps an offset of a parsed node back to the original text (they differ when documents were skipped). */
  originalOffset(offset: number): number;
}

export interface ParseOptions {
  /**
   * Parse only the documents whose raw text passes this test; the others are read as empty.
   * Line numbers and columns stay those of the original text. Used where a caller needs a few
   * documents of a large file, since parsing YAML costs far more than finding document breaks.
   */
  onlyDocuments?: (rawDocument: string) => boolean;
}

/**
 * A line holding a document marker. YAML forbids such a line inside any scalar or collection
 * (the spec's c-forbidden), so it always separates documents.
 */
const DOCUMENT_MARKER = /^(?:---|\.\.\.)(?=[ \t]|\r?$)/gm;

interface Segment {
  maskedStart: number;
  originalStart: number;
  kept: boolean;
}

/**
 * Replaces the documents that fail `keep` with their line breaks only (after their `---`), so a
 * parser skips them at almost no cost while every kept document keeps its line numbers.
 */
function maskDocuments(text: string, keep: (raw: string) => boolean): { masked: string; segments: Segment[] } {
  const starts = [0];
  for (const match of text.matchAll(DOCUMENT_MARKER)) if (match.index > 0) starts.push(match.index);
  starts.push(text.length);
  let masked = '';
  const segments: Segment[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const start = starts[i] as number;
    const raw = text.slice(start, starts[i + 1]);
    const kept = keep(raw);
    segments.push({ maskedStart: masked.length, originalStart: start, kept });
    if (kept) {
      masked += raw;
    } else {
      const marker = raw.startsWith('---') ? '---' : '';
      masked += marker + (raw.match(/\r\n|\n|\r/g) ?? []).join('');
    }
  }
  return { masked, segments };
}

/**
 * Parses a multi-document YAML text. Syntax errors, duplicate keys and alias bombs become
 * located problems instead of exceptions, so the caller can report all of them at once.
 */
export function parseSource(file: string, text: string, options: ParseOptions = {}): ParsedSource {
  const { masked, segments } = options.onlyDocuments
    ? maskDocuments(text, options.onlyDocuments)
    : { masked: text, segments: [{ maskedStart: 0, originalStart: 0, kept: true }] };
  const originalOffset = (offset: number): number => {
    let segment = segments[0] as Segment;
    for (const s of segments) {
      if (s.maskedStart > offset) break;
      segment = s;
    }
    return segment.kept ? segment.originalStart + (offset - segment.maskedStart) : segment.originalStart;
  };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(masked, {
    lineCounter,
    keepSourceTokens: true,
    // The library's own duplicate-key check compares every key with every other: quadratic in
    // the size of a mapping (40,000 keys: 15 s). `duplicateKeys` below does it in one pass.
    uniqueKeys: false,
    prettyErrors: false,
    strict: true,
  });
  const locate = (offset: number): { line: number; column: number } => {
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
  const problems: ConfigProblem[] = [];
  const documents: SourceDocument[] = [];
  // parseAllDocuments returns an EmptyStream (an array with extra fields) for empty input.
  const list = Array.isArray(docs) ? docs : [];
  list.forEach((doc, index) => {
    const errors = doc.errors;
    for (const error of errors) {
      const at = locate(error.pos[0]);
      problems.push({ file, ...at, message: describeYamlError(error.code, error.message) });
    }
    if (errors.length > 0) return;
    const duplicates = duplicateKeys(doc);
    for (const duplicate of duplicates) {
      const first = locate(duplicate.firstOffset).line;
      problems.push({
        file,
        ...locate(duplicate.offset),
        message: `duplicate key: ${duplicate.key} is already set at line ${first} of this mapping`,
      });
    }
    if (duplicates.length > 0) return;
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    try {
      const value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
      if (containsItself(value)) {
        problems.push({ file, ...locate(start), message: 'a value contains itself (an anchor used inside its own value): write it out' });
        return;
      }
      documents.push({ index, doc, value });
    } catch (error) {
      const message =
        error instanceof ReferenceError && /excessive alias count/i.test(error.message)
          ? `too many aliases in this document (more than ${MAX_ALIAS_COUNT}): refused as a possible alias bomb`
          : `cannot read this document: ${(error as Error).message}`;
      problems.push({ file, ...locate(start), message });
    }
  });
  return { file, text, documents, problems, locate, originalOffset };
}

/**
 * Keys written twice in one mapping, each pointing at the second, found in one pass with a set per
 * mapping. Keys are compared as YAML compares them: scalars by value and type (`1` and `"1"` are
 * different keys), other keys by identity.
 */
function duplicateKeys(doc: Document.Parsed): Array<{ key: string; offset: number; firstOffset: number }> {
  const found: Array<{ key: string; offset: number; firstOffset: number }> = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Map<string, number>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const value = pair.key.value;
        const identity = `${typeof value}:${String(value)}`;
        const offset = pair.key.range?.[0] ?? 0;
        const first = seen.get(identity);
        if (first === undefined) seen.set(identity, offset);
        else found.push({ key: JSON.stringify(String(value)), offset, firstOffset: first });
      }
    },
  });
  return found;
}

/** True when a structure reaches itself, as `a: &x {b: *x}` does; such a value has no finite form. */
function containsItself(value: unknown, ancestors = new Set<object>(), done = new Set<object>()): boolean {
  if (value === null || typeof value !== 'object' || done.has(value)) return false;
  if (ancestors.has(value)) return true;
  ancestors.add(value);
  const children = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : Object.values(value);
  for (const child of children) if (containsItself(child, ancestors, done)) return true;
  ancestors.delete(value);
  done.add(value);
  return false;
}

function describeYamlError(code: string, message: string): string {
  const firstLine = message.split('\n')[0] ?? message;
  if (code === 'DUPLICATE_KEY') return `duplicate key: ${firstLine}`;
  return `YAML syntax error: ${firstLine}`;
}

/**
 * The node at `path` in a document, or the deepest existing ancestor when the path does not
 * exist, so a problem about a missing key points at the mapping that should hold it. With
 * `key`, the key of the last step rather than its value (for problems about a whole entry).
 */
export function nodeAt(doc: Document.Parsed, path: readonly PropertyKey[], options: { key?: boolean } = {}): Node | undefined {
  let node: unknown = doc.contents;
  for (const [i, key] of path.entries()) {
    if (isAlias(node)) break;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      const last = i === path.length - 1;
      if (pair && last && options.key && isNode(pair.key)) return pair.key;
      if (!pair || !isNode(pair.value)) {
        // Point at the key when it exists with an empty value, else at the map.
        if (pair && isNode(pair.key)) return pair.key;
        return node;
      }
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (!isNode(item)) return node;
      node = item;
    } else {
      break;
    }
  }
  return isNode(node) ? node : undefined;
}

/** Start offset of the node at `path` (or its nearest ancestor), for problem locations. */
export function offsetOf(source: SourceDocument, path: readonly PropertyKey[], options: { key?: boolean } = {}): number {
  const node = nodeAt(source.doc, path, options);
  return node?.range?.[0] ?? source.doc.range[0];
}

/** 1-based line and column of an offset in `text`, counted as the YAML parser counts them. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}
