import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeConfigFile, analyzeConfigText, type FileAnalysis, parseClusterConfig, setComponentCount } from '../../src/config/index.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { fixturesDir, withTempDir } from './support.js';

/**
 * Property: whatever it is given, the loader answers rather than throws. A config comes with no
 * problems; no config comes with at least one located problem (or is a file without a cluster).
 */

const FILE = 'cluster-config/fuzz.yml';

function checkAnalysis(analysis: FileAnalysis, text: string | undefined): void {
  if (analysis.config) {
    expect(analysis.problems).toEqual([]);
    expect(analysis.noCluster).toBe(false);
  } else if (analysis.noCluster) {
    expect(analysis.problems).toEqual([]);
  } else {
    expect(analysis.problems.length).toBeGreaterThanOrEqual(1);
  }
  const lines = text === undefined ? Number.POSITIVE_INFINITY : text.split(/\r\n|\r|\n/).length;
  for (const problem of analysis.problems) {
    expect(problem.file).toBe(analysis.file);
    expect(Number.isInteger(problem.line) && problem.line >= 1 && problem.line <= lines).toBe(true);
    expect(Number.isInteger(problem.column) && problem.column >= 1).toBe(true);
    expect(typeof problem.message === 'string' && problem.message.length > 0).toBe(true);
  }
}

/** analyzeConfigText, parseClusterConfig and setComponentCount on one text: answers or the project's own errors only. */
function checkText(text: string): void {
  checkAnalysis(analyzeConfigText(FILE, text), text);
  try {
    const config = parseClusterConfig(FILE, text);
    expect(config.file).toBe(FILE);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
  }
  try {
    const result = setComponentCount(FILE, text, 'kubernetes_node', 1);
    expect(result.config.counts.kubernetes_node).toBe(1);
  } catch (error) {
    if (!(error instanceof ConfigError) && !(error instanceof UserError)) throw error;
  }
}

/** Pieces of YAML and of cluster configs, put together at random. */
const FRAGMENTS = [
  'kind: ',
  'lambdastack-cluster',
  'epiphany-cluster',
  'configuration/autoscaling',
  'configuration/remote-state',
  'provider: aws',
  'specification:',
  'components:',
  'kubernetes_node:',
  'kubernetes_master:',
  'name: shop',
  'count: ',
  'min: ',
  'max: ',
  'backend: s3',
  'credentials:',
  'secret: ',
  'constructor',
  '---',
  '...',
  '\n',
  '\n',
  '\n',
  '\r\n',
  '  ',
  '    ',
  '\t',
  '- ',
  '? ',
  ': ',
  ', ',
  '&a ',
  '*a',
  '&b ',
  '*b',
  '<<: ',
  '{',
  '}',
  '[',
  ']',
  '"',
  "'",
  '#',
  '|',
  '>',
  '!!int ',
  '!!str ',
  '!tag ',
  '%YAML 1.2',
  '1',
  '3',
  '-1',
  '2.5',
  'AKIA',
  'IOSFODNN7EXAMPLE',
  '\uFEFF',
  '\u0000',
];
const yamlish = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 80 }).map((parts) => parts.join(''));

const realConfig = readFileSync(join(fixturesDir, 'lambdastack-aws-default.yml'), 'utf8');
/** A real config with a few fragments spliced in and a few characters cut out: mostly valid, sometimes not. */
const damagedConfig = fc
  .array(fc.tuple(fc.nat({ max: realConfig.length }), fc.constantFrom(...FRAGMENTS), fc.nat({ max: 6 })), { minLength: 1, maxLength: 4 })
  .map((edits) => edits.reduce((text, [at, fragment, cut]) => text.slice(0, at) + fragment + text.slice(at + cut), realConfig));

/**
 * Well-formed YAML with anchors and aliases anywhere: a random tree of mappings, sequences and
 * scalars under a `kind`, any node of which may carry an anchor (&a, &b) and any leaf may be an
 * alias (*a, *b), including one inside the very node its anchor is on.
 */
type Tree =
  | { t: 'scalar'; v: string }
  | { t: 'alias'; name: string }
  | { t: 'map' | 'seq'; anchor: string | undefined; items: [string, Tree][] };
const anchorName = fc.constantFrom('a', 'b');
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('1', '-1', '2.5', 'x', 'lambdastack-cluster', 'AKIAIOSFODNN7EXAMPL', '"q"').map((v): Tree => ({ t: 'scalar', v })),
    anchorName.map((name): Tree => ({ t: 'alias', name })),
    fc
      .record({
        t: fc.constantFrom('map' as const, 'seq' as const),
        anchor: fc.option(anchorName, { nil: undefined }),
        items: fc.array(
          fc.tuple(fc.constantFrom('count', 'min', 'max', 'specification', 'components', 'kubernetes_node', 'k'), tie('tree')),
          {
            maxLength: 3,
          },
        ),
      })
      .map((node): Tree => ({ ...node, items: node.t === 'map' ? uniqueKeys(node.items) : node.items })),
  ),
}));
function uniqueKeys(items: [string, Tree][]): [string, Tree][] {
  const seen = new Set<string>();
  return items.filter(([key]) => !seen.has(key) && seen.add(key));
}
function renderTree(node: Tree, indent: string): string {
  if (node.t === 'scalar') return ` ${node.v}`;
  if (node.t === 'alias') return ` *${node.name}`;
  const anchor = node.anchor ? ` &${node.anchor}` : '';
  if (node.items.length === 0) return `${anchor} ${node.t === 'map' ? '{}' : '[]'}`;
  const inner = `${indent}  `;
  const lines = node.items.map(([key, value]) => `\n${inner}${node.t === 'map' ? `${key}:` : '-'}${renderTree(value, inner)}`);
  return anchor + lines.join('');
}
const anchoredYaml = fc
  .array(fc.tuple(fc.constantFrom('lambdastack-cluster', 'configuration/autoscaling', 'infrastructure/virtual-machine'), tree), {
    minLength: 1,
    maxLength: 3,
  })
  .map((docs) => docs.map(([kind, body]) => `kind: ${kind}\nbody:${renderTree(body, '')}\n`).join('---\n'));

describe('the loader on arbitrary input (property)', () => {
  it('never throws on well-formed YAML with anchors and aliases anywhere (recursive ones included)', () => {
    fc.assert(fc.property(anchoredYaml, checkText), { numRuns: 200 });
  });

  it('never throws on arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), checkText), { numRuns: 200 });
  });

  it('never throws on YAML-ish text built from config fragments, anchors and aliases', () => {
    fc.assert(fc.property(yamlish, checkText), { numRuns: 300 });
  });

  it('never throws on a real config with random damage', () => {
    fc.assert(fc.property(damagedConfig, checkText), { numRuns: 100 });
  });

  it('never throws on arbitrary bytes read from a file', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'fuzz.yml');
      await fc.assert(
        fc.asyncProperty(
          fc.oneof(
            fc.uint8Array({ maxLength: 600 }),
            yamlish.map((text) => new TextEncoder().encode(text)),
          ),
          async (bytes) => {
            await writeFile(path, bytes);
            const analysis = await analyzeConfigFile(path, 'fuzz.yml');
            checkAnalysis(analysis, undefined);
            let valid = true;
            try {
              new TextDecoder('utf-8', { fatal: true }).decode(bytes);
            } catch {
              valid = false;
            }
            if (!valid) expect(analysis.problems).toEqual([{ file: 'fuzz.yml', line: 1, column: 1, message: 'not UTF-8 text' }]);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});
