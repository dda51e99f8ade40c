#!/usr/bin/env node
// The built CLI needs Node 24 (the GitHub Actions node24 runtime). Say so plainly on an older one
// instead of failing on some missing API later.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `lambdastack-autoscaler needs Node.js 24 or newer; this is ${process.version}.\n` +
      'Run it through npm (npx lambdastack-autoscaler, npm start), which uses the Node 24 from the `node` devDependency.\n',
  );
  process.exit(1);
}
// `lambdastack-autoscaler history | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}
const { main } = await import('../dist/cli.js').catch((error) => {
  process.stderr.write(`lambdastack-autoscaler is not built (${error.message}): run \`npm run build\`.\n`);
  process.exit(1);
});
process.exitCode = await main(process.argv);
