import { resolve } from 'node:path';
import { GitStore } from '../sim/github/git-store.js';
import { startGithubSim, stateFile } from '../sim/github/index.js';
import type { Io } from './io.js';
import { stopRequested } from './signals.js';

export interface SimGithubOptions {
  repo: string;
  name: string;
  port: number;
}

/**
 * `sim github`: serves the GitHub REST endpoints this project uses over a bare git repository
 * until Ctrl-C or SIGTERM, then closes the server cleanly. `until` lets tests stop it without a signal.
 */
export async function simGithubCommand(options: SimGithubOptions, io: Io, until?: AbortSignal): Promise<void> {
  const repoDir = resolve(options.repo);
  const sim = await startGithubSim({
    repoDir,
    name: options.name,
    port: options.port,
    onError: (error) => io.err(`github sim: request failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  const branches = await new GitStore(repoDir).listRefs('refs/heads/');
  io.out(
    [
      `GitHub API simulator for ${options.name} over ${repoDir}`,
      `  url:    ${sim.url}   (octokit: new Octokit({ baseUrl: '${sim.url}', auth: 'any-token' }))`,
      `  state:  ${stateFile(repoDir)}   (pull requests, comments, labels)`,
      ...(branches.length === 0 ? [`  note:   the repository has no branches yet: push one first, e.g.  git push ${repoDir} main`] : []),
      `  try:    curl -H "Authorization: token x" ${sim.url}/repos/${options.name}/pulls`,
      'Serving until Ctrl-C (SIGINT) or SIGTERM.',
    ].join('\n'),
  );
  const reason = await stopRequested(until);
  await sim.close();
  io.out(`Stopped (${reason}) after ${sim.requestCount()} request(s).`);
}
