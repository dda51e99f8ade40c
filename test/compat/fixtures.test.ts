import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../config/support.js';
import { expectClusterLoadsAndEdits, expectNoClusterLoads, realConfigFiles } from './real-configs.js';

/**
 * The extra compatibility suite: every real LambdaStack and Epiphany config in ../shared/fixtures
 * (outside this repository). It runs when that folder exists and shows as skipped otherwise;
 * test/config/fixtures.test.ts checks copies of a few of them in every clone.
 */
const dir = resolve(repoRoot, '..', 'shared', 'fixtures');
const files = existsSync(dir) ? realConfigFiles(dir) : [];
const clusters = files.filter((f) => f.hasCluster);
const others = files.filter((f) => !f.hasCluster);

describe.runIf(existsSync(dir))('real LambdaStack and Epiphany configs in ../shared/fixtures', () => {
  it('include both projects, cluster files and files without a cluster', () => {
    expect(clusters.some((f) => f.name.startsWith('lambdastack'))).toBe(true);
    expect(clusters.some((f) => f.name.startsWith('epiphany'))).toBe(true);
    expect(others.length).toBeGreaterThan(0);
  });

  describe.each(clusters.map((f) => [f.name, f] as const))('%s', (_name, file) => {
    it('loads with no problems, and raising kubernetes_node.count by one is a one-line diff', async () => {
      await expectClusterLoadsAndEdits(file);
    });
  });

  it.each(others.map((f) => [f.name, f] as const))('%s (no cluster document) loads with no problems', async (_name, file) => {
    await expectNoClusterLoads(file);
  });
});
