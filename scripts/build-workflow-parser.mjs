// Run by `npm run build` after tsc: replaces tsc's dist/workflow/github-parser.js with an esbuild
// bundle of its source that has @actions/workflow-parser inside it.
//
// The parser imports its JSON schema without an import attribute (`import Schema from
// "../workflow-v1.0.min.json"`): bundlers accept that, plain Node 24 refuses it ("needs an import
// attribute of type json"), so the built CLI could not load it from node_modules. In the bundle the
// schema is a plain object. Every other package (@actions/expressions, yaml, cronstrue) stays an
// import from node_modules, so the runner and the parser share one expression engine.
import { resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const INLINED = /^@actions\/workflow-parser(\/|$)/;

/** Leaves every bare import but the parser's own to Node. */
const externalExceptParser = {
  name: 'external-except-parser',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => (INLINED.test(args.path) ? undefined : { path: args.path, external: true }));
  },
};

await build({
  absWorkingDir: ROOT,
  entryPoints: ['src/workflow/github-parser.ts'],
  outfile: 'dist/workflow/github-parser.js',
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: 'linked',
  plugins: [externalExceptParser],
  logLevel: 'warning',
});
