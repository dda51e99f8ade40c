import { readFile } from 'node:fs/promises';
import { defineConfig, type Plugin } from 'vitest/config';

/**
 * GitHub's workflow parser ships source maps naming sources it does not ship, and vite warns about
 * each of its files when it inlines the package (below): loaded without the map comment, they are
 * transformed the same, in silence.
 */
const workflowParserWithoutSourceMaps: Plugin = {
  name: 'workflow-parser-without-source-maps',
  enforce: 'pre',
  async load(id) {
    if (!/[\\/]@actions[\\/]workflow-parser[\\/]dist[\\/].*\.js$/.test(id)) return null;
    const code = await readFile(id, 'utf8');
    return { code: code.replace(/^\/\/# sourceMappingURL=.*$/m, ''), map: null };
  },
};

export default defineConfig({
  plugins: [workflowParserWithoutSourceMaps],
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    globalSetup: ['test/setup/required-tools.ts'],
    // Removes the temporary directories a test file made, whatever its tests did.
    setupFiles: ['test/support/cleanup.ts', 'test/support/property-seed.ts'],
    // Product code runs git too: a developer's global or system git config must not change a result.
    env: { GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' },
    // GitHub's workflow parser imports its JSON schema without an import attribute, which Node
    // refuses: vite transforms it instead (the built CLI bundles it: scripts/build-workflow-parser.mjs).
    server: { deps: { inline: [/@actions\/workflow-parser/] } },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
