import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/config/support.ts). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The always-present copies of real LambdaStack and Epiphany configs. */
export const fixturesDir = join(repoRoot, 'test', 'fixtures', 'config');

/** A YAML text from its lines, LF-terminated: line `n` of the text is argument `n`. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/**
 * A small valid AWS cluster, 12 lines. Line 9 is `kubernetes_master.count` (value at column 14),
 * line 11 is `kubernetes_node.count` (value at column 14).
 */
export function clusterLines(nodeCount: string | number = 3, masterCount: string | number = 1): string[] {
  return [
    'kind: lambdastack-cluster', // 1
    'provider: aws', // 2
    'name: default', // 3
    'specification:', // 4
    '  prefix: demo', // 5
    '  name: shop', // 6
    '  components:', // 7
    '    kubernetes_master:', // 8
    `      count: ${masterCount}`, // 9
    '    kubernetes_node:', // 10
    `      count: ${nodeCount}`, // 11
    '      machine: kubernetes-node-machine', // 12
  ];
}

/** An autoscaling document, 7 lines starting with `---`: `min` is its line 5 and `max` its line 6. */
export function autoscalingLines(min: number, max: number, component = 'kubernetes_node'): string[] {
  return [
    '---',
    'kind: configuration/autoscaling',
    'specification:',
    '  components:',
    `    ${component}:`,
    `      min: ${min}`,
    `      max: ${max}`,
  ];
}

/** The lines of `after` that differ from `before` (both split on `\n`), with their 1-based numbers. */
export function changedLines(before: string, after: string): { line: number; before: string; after: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const changes: { line: number; before: string; after: string }[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) changes.push({ line: i + 1, before: a[i] ?? '<none>', after: b[i] ?? '<none>' });
  }
  return changes;
}

/** Runs `body` with a fresh temporary directory, removed afterwards. */
export async function withTempDir<T>(body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'lsa-test-'));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
