import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expect } from 'vitest';
import { analyzeConfigFile, setComponentCount } from '../../src/config/index.js';

const CLUSTER_KIND = /^kind:[ \t]*["']?(lambdastack|epiphany)-cluster["']?[ \t]*(#.*)?$/m;

export interface RealConfigFile {
  /** Path relative to the folder searched, for test names. */
  name: string;
  path: string;
  /** True when the text holds a `kind: lambdastack-cluster` or `kind: epiphany-cluster` document. */
  hasCluster: boolean;
}

/** Every .yml/.yaml file under `dir`, sorted, with whether it holds a cluster document. */
export function realConfigFiles(dir: string): RealConfigFile[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/i.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort()
    .map((path) => ({ name: relative(dir, path), path, hasCluster: CLUSTER_KIND.test(readFileSync(path, 'utf8')) }));
}

/**
 * A real cluster file loads with no problems, and raising its kubernetes_node count by one
 * changes exactly that one line (when it has a worker pool).
 */
export async function expectClusterLoadsAndEdits(file: RealConfigFile): Promise<void> {
  const analysis = await analyzeConfigFile(file.path, file.name);
  expect(analysis.problems).toEqual([]);
  const config = analysis.config;
  expect(config).toBeDefined();
  if (!config) return;
  expect(['lambdastack-cluster', 'epiphany-cluster']).toContain(config.kind);
  const from = config.counts.kubernetes_node;
  if (from === undefined) return;
  const text = readFileSync(file.path, 'utf8');
  const result = setComponentCount(file.name, text, 'kubernetes_node', from + 1);
  const before = text.split('\n');
  const after = result.text.split('\n');
  expect(after).toHaveLength(before.length);
  const differing = before.flatMap((line, i) => (line === after[i] ? [] : [i + 1]));
  expect(differing).toEqual([result.line]);
  expect(after[result.line - 1]).toBe((before[result.line - 1] as string).replace(`count: ${from}`, `count: ${from + 1}`));
  expect(result.config.counts).toEqual({ ...config.counts, kubernetes_node: from + 1 });
}

/** A real file without a cluster document loads with no problems and is marked `noCluster`. */
export async function expectNoClusterLoads(file: RealConfigFile): Promise<void> {
  const analysis = await analyzeConfigFile(file.path, file.name);
  expect(analysis.problems).toEqual([]);
  expect(analysis.config).toBeUndefined();
  expect(analysis.noCluster).toBe(true);
}
