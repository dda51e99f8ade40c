import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/config/support.ts). */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The always-present copies of real LambdaStack and Epiphany configs. */
export const fixturesDir = join(repoRoot, 'test', 'fixtures', 'config');

export { autoscalingLines, changedLines, clusterLines, yaml } from '../support/config-text.js';
export { withTempDir } from '../support/temp.js';
