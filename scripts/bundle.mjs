// Builds the bundle of every GitHub Action: actions/<name>/dist/index.js from src/actions/<name>.ts,
// for each actions/<name>/action.yml. The bundles are committed, because the runner executes an
// action from the checkout as it is, with no `npm ci`: everything the action imports is inside.
//
//   node scripts/bundle.mjs           rebuild every bundle (npm run bundle)
//   node scripts/bundle.mjs --check   build in memory and compare byte for byte with the committed
//                                     files; exit 1 naming each stale one (npm run bundle:check)
//   --actions-dir DIR                 read the action.yml files and committed bundles from DIR
//                                     instead of actions/ (the tests check the checker with it)
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '..');
const RUNTIME = 'node24';
const MAIN = 'dist/index.js';

// ESM, as the sources and @actions/core 3 (ESM-only) are. Bundled CommonJS dependencies (yaml)
// call `require` for Node's built-ins, which an ES module does not have: esbuild's shim uses this
// one instead of throwing "Dynamic require of … is not supported".
const banner = (name) =>
  [
    `// Built by scripts/bundle.mjs from src/actions/${name}.ts: do not edit; run \`npm run bundle\` and commit.`,
    "import { createRequire as __bundleCreateRequire } from 'node:module';",
    'const require = __bundleCreateRequire(import.meta.url);',
  ].join('\n');

// Written beside each bundle so Node reads index.js as an ES module by itself, whatever
// package.json (if any) is above it: the repository's root one says "module" today, but a bundle
// must not depend on anything outside its directory.
const DIST_PACKAGE_JSON = `${JSON.stringify({ type: 'module' })}\n`;

/**
 * A plugin that marks the module an import `filter` matches, when `importer` (a path ending)
 * imports it, as free of side effects: esbuild then leaves it out of a bundle that uses none of
 * its exports, and keeps it in one that does.
 */
function onlyWhenUsed(name, filter, importer) {
  return {
    name,
    setup(builder) {
      builder.onResolve({ filter }, async (args) => {
        if (args.pluginData === 'resolving' || !args.importer.endsWith(importer)) return undefined;
        const { path, errors } = await builder.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          pluginData: 'resolving',
        });
        return errors.length > 0 ? { errors } : { path, sideEffects: false };
      });
    },
  };
}

/**
 * @actions/core imports its OIDC client (@actions/http-client, and with it undici: 800 kB of
 * CommonJS that runs when loaded) for `getIDToken` alone.
 */
const oidcOnlyWhenUsed = onlyWhenUsed(
  'oidc-only-when-used',
  /^\.\/oidc-utils\.js$/,
  join('node_modules', '@actions', 'core', 'lib', 'core.js'),
);

/**
 * @actions/github's entry module imports its octokit (@octokit/core and, for the proxy agent,
 * @actions/http-client with undici: ~1 MB, +70 ms of start-up) beside `context`. The actions use
 * `context` alone and make their calls with the product's client (src/github/client.ts).
 */
const githubOctokitOnlyWhenUsed = onlyWhenUsed(
  'github-octokit-only-when-used',
  /^\.\/utils\.js$/,
  join('node_modules', '@actions', 'github', 'lib', 'github.js'),
);

/**
 * The actions to build: each directory of `actionsDir` with an action.yml. `wrong` says which
 * action.yml cannot run a bundle of this script, or has no src/actions/<name>.ts to build it from.
 */
async function findActions(actionsDir) {
  const entries = await readdir(actionsDir, { withFileTypes: true });
  const actions = [];
  const wrong = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const name = entry.name;
    let manifest;
    try {
      manifest = parse(await readFile(join(actionsDir, name, 'action.yml'), 'utf8'));
    } catch (error) {
      if (error.code === 'ENOENT') continue;
      throw error;
    }
    const source = join(ROOT, 'src', 'actions', `${name}.ts`);
    const shown = show(join(actionsDir, name, 'action.yml'));
    if (manifest?.runs?.using !== RUNTIME || manifest?.runs?.main !== MAIN) {
      wrong.push(`${shown}: runs must be \`using: ${RUNTIME}\` and \`main: ${MAIN}\` (the bundle this script builds)`);
      continue;
    }
    try {
      await stat(source);
    } catch {
      wrong.push(`${shown}: no entry point ${show(source)} to bundle`);
      continue;
    }
    actions.push({ name, source, dist: join(actionsDir, name, 'dist') });
  }
  return { actions, wrong };
}

/** The files of one action's dist/, in memory: path → bytes. */
async function bundle(action) {
  const result = await build({
    absWorkingDir: ROOT, // source paths in the bundle's comments are relative to it: the same on every machine
    // A checkout whose node_modules is a link to another one's (a git worktree) names modules as
    // node_modules/…, like any other checkout, so its bundles are byte for byte the same.
    preserveSymlinks: true,
    entryPoints: [action.source],
    outfile: join(action.dist, 'index.js'),
    bundle: true,
    platform: 'node',
    target: RUNTIME,
    format: 'esm',
    // Readable, so a reviewer can see what changed in a bundle's diff.
    minify: false,
    sourcemap: false,
    legalComments: 'eof',
    banner: { js: banner(action.name) },
    plugins: [oidcOnlyWhenUsed, githubOctokitOnlyWhenUsed],
    write: false,
    logLevel: 'warning',
  });
  const files = new Map(result.outputFiles.map((file) => [file.path, file.contents]));
  files.set(join(action.dist, 'package.json'), new TextEncoder().encode(DIST_PACKAGE_JSON));
  return files;
}

async function listFiles(dir) {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch (error) {
    if (error.code === 'ENOENT') return [];
    throw error;
  }
}

/** The stale files of one action: built bytes that differ from, or are missing in, its dist/, and files the build does not make. */
async function staleFiles(action, built) {
  const stale = [];
  for (const [path, bytes] of built) {
    let committed;
    try {
      committed = await readFile(path);
    } catch {
      stale.push(`${show(path)} is missing`);
      continue;
    }
    if (!committed.equals(bytes)) stale.push(`${show(path)} differs from a build of the current sources`);
  }
  for (const path of await listFiles(action.dist)) {
    if (!built.has(path)) stale.push(`${show(path)} is not made by the build`);
  }
  return stale;
}

async function write(action, built) {
  // Replaced as a whole, so nothing from an earlier build stays behind.
  await rm(action.dist, { recursive: true, force: true });
  for (const [path, bytes] of built) {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, bytes);
  }
}

function show(path) {
  const inside = relative(ROOT, path);
  return inside.startsWith('..') ? path : inside;
}

async function main() {
  const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, 'actions-dir': { type: 'string' } } });
  const actionsDir = resolve(values['actions-dir'] ?? join(ROOT, 'actions'));
  const { actions, wrong } = await findActions(actionsDir);
  if (wrong.length > 0) {
    console.error(wrong.join('\n'));
    process.exitCode = 1;
    return;
  }
  const stale = [];
  for (const action of actions) {
    const built = await bundle(action);
    if (values.check) {
      stale.push(...(await staleFiles(action, built)));
    } else {
      await write(action, built);
      const size = built.get(join(action.dist, 'index.js'))?.length ?? 0;
      console.log(`${show(join(action.dist, 'index.js'))}  ${(size / 1024).toFixed(0)} KiB`);
    }
  }
  if (stale.length > 0) {
    console.error(`stale action bundle(s):\n${stale.map((line) => `  ${line}`).join('\n')}`);
    console.error('run `npm run bundle` and commit actions/*/dist/');
    process.exitCode = 1;
  } else if (values.check) {
    console.log(`${actions.length} action bundle(s) up to date: ${actions.map((a) => a.name).join(', ')}`);
  }
}

await main();
