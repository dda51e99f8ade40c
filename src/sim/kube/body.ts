/**
 * Request bodies as the API server reads them: at most 3 MiB, JSON (YAML when the client says so)
 * or Kubernetes protobuf, and nested at most `MAX_DEPTH` levels. The depth is checked while the
 * text is read, before anything is built from it: a body of `[[[[…` 200,000 levels deep is refused
 * at once, where building it would exhaust the stack of whatever walks it next (a copy, a patch, a
 * comparison). The API server's decoder stops at 10,000 levels; objects of the kinds the simulator
 * serves nest under 20 (a Deployment's node affinity values are at level 13), so 100 refuses nothing real.
 */
import type { IncomingMessage } from 'node:http';
import YAML, { Lexer } from 'yaml';
import { decodeProtobuf, isProtobuf } from './protobuf.js';
import { badRequest, KubeError } from './status.js';

/** The API server refuses bodies over 3 MiB. */
export const MAX_BODY = 3 * 1024 * 1024;

/** Objects and arrays inside one another, the outermost counting 1. */
export const MAX_DEPTH = 100;

function tooDeep(): KubeError {
  return badRequest(
    `the request body nests objects and arrays more than ${MAX_DEPTH} levels deep, which no object of these kinds does: it was refused before parsing`,
  );
}

/** Whether JSON text nests deeper than `limit`: one pass over the characters, strings skipped, stopping at the first level too deep. */
export function jsonNestsDeeper(text: string, limit = MAX_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * Whether YAML text may nest deeper than `limit`, from its tokens (the `yaml` lexer, stopped at
 * the first sign): flow collections open (`[`, `{`) plus the block indicators (`-`, `?`, `:`) on
 * one line bound the depth a line reaches beyond its indentation. Deep block nesting needs deep
 * indentation, which the parser refuses by itself; what it builds is measured again afterwards.
 */
export function yamlNestsDeeper(text: string, limit = MAX_DEPTH): boolean {
  let flow = 0;
  let onLine = 0;
  for (const token of new Lexer().lex(text)) {
    if (token === '[' || token === '{') flow++;
    else if (token === ']' || token === '}') flow = Math.max(0, flow - 1);
    else if (token === '-' || token === '?' || token === ':') onLine++;
    else if (token.startsWith('\n')) onLine = 0;
    if (flow + onLine > limit) return true;
  }
  return false;
}

/** The nesting depth of a parsed value, walked without recursion; stops counting past `limit`. */
export function depthOf(value: unknown, limit = MAX_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (node === null || typeof node !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Reads and decodes a request body (undefined when empty): 413 over 3 MiB, 400 when it does not parse or nests too deep. */
export async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new KubeError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${MAX_BODY}`);
    chunks.push(chunk as Buffer);
  }
  const type = (req.headers['content-type'] ?? '').toLowerCase();
  // Protobuf messages nest only as deep as their schema (protobuf.ts), which is shallow.
  if (isProtobuf(type)) return chunks.length === 0 ? undefined : decodeProtobuf(Buffer.concat(chunks));
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  const yaml = type.includes('yaml');
  if (yaml ? yamlNestsDeeper(text) : jsonNestsDeeper(text)) throw tooDeep();
  let value: unknown;
  try {
    value = yaml ? YAML.parse(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
  if (yaml && depthOf(value) > MAX_DEPTH) throw tooDeep();
  return value;
}
