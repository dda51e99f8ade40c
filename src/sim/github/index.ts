import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { UserError } from '../../errors.js';
import type { Sim } from './context.js';
import { GitStore } from './git-store.js';
import type { Route } from './router.js';
import { commentRoutes } from './routes/comments.js';
import { contentsRoutes } from './routes/contents.js';
import { gitDataRoutes } from './routes/git-data.js';
import { issueRoutes } from './routes/issues.js';
import { labelRoutes } from './routes/labels.js';
import { pullRoutes } from './routes/pulls.js';
import { refRoutes } from './routes/refs.js';
import { repositoryRoutes } from './routes/repository.js';
import { type RequestRecord, serve } from './server.js';
import { STATE_FILE, StateStore } from './state.js';

export type { RequestRecord } from './server.js';
export { STATE_FILE } from './state.js';

/**
 * A GitHub REST API for one repository, served on 127.0.0.1 over a real bare git repository:
 * the endpoints the watcher, the workflows and the demo use, with GitHub's shapes, errors,
 * rate-limit headers and numbering. Point octokit at it with `baseUrl: sim.url`.
 */

export interface GithubSimOptions {
  /** A bare git repository (`git init --bare DIR`). Pull requests, comments and labels are kept in `DIR/github-sim.json`. */
  repoDir: string;
  /** `owner/repo`, e.g. `example/cluster-config`. */
  name: string;
  /** 0 (the default): any free port. */
  port?: number;
  host?: string;
  /** The login every token authenticates as. */
  login?: string;
  /** Requests per token per hour (GitHub's default for a user token: 5,000). */
  rateLimit?: number;
  /** The clock for timestamps and rate-limit windows (tests fix it). */
  clock?: () => Date;
  /** Called with any error that became a 500 answer. Default: printed to stderr. */
  onError?: (error: unknown) => void;
}

export interface GithubSim {
  /** The server's base URL, e.g. `http://127.0.0.1:38123`: octokit's `baseUrl` (no `/api/v3`). */
  url: string;
  /** How many HTTP requests reached the server (all of them: refused, 404 and 304 ones included). */
  requestCount(): number;
  /** Every request so far: method, path and status. */
  requests(): RequestRecord[];
  close(): Promise<void>;
}

export const DEFAULT_LOGIN = 'lambdastack-autoscaler[bot]';

const ROUTES: readonly Route[] = [
  ...repositoryRoutes,
  ...refRoutes,
  ...gitDataRoutes,
  ...contentsRoutes,
  ...pullRoutes,
  // Before the issue routes: `/issues/comments` must not be read as issue number "comments".
  ...commentRoutes,
  ...labelRoutes,
  ...issueRoutes,
];

/** A stable id for a repository name, so link URLs (`/repositories/{id}/...`) survive restarts. */
function repositoryId(fullName: string): number {
  let hash = 17;
  for (const char of fullName.toLowerCase()) hash = (hash * 31 + char.charCodeAt(0)) % 900_000_000;
  return 100_000_000 + hash;
}

export async function startGithubSim(options: GithubSimOptions): Promise<GithubSim> {
  const match = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/.exec(options.name);
  if (!match?.[1] || !match[2]) throw new UserError(`${options.name}: a repository name is owner/repo, e.g. example/cluster-config`);
  const repoDir = resolve(options.repoDir);
  if (!existsSync(repoDir))
    throw new UserError(`${repoDir} does not exist: create a bare repository there with  git init --bare ${repoDir}`);
  if (!(await GitStore.isBareRepository(repoDir))) {
    throw new UserError(`${repoDir} is not a bare git repository: create one with  git init --bare ${repoDir}`);
  }
  const clock = options.clock ?? (() => new Date());
  const state = await StateStore.open(repoDir, clock);
  const store = new GitStore(repoDir);
  const [, owner, repo] = match;
  const server = await serve({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    routes: ROUTES,
    rateLimit: options.rateLimit ?? 5000,
    clock,
    createSim: (baseUrl): Sim => ({
      baseUrl,
      owner,
      repo,
      repositoryId: repositoryId(options.name),
      store,
      state,
      login: options.login ?? DEFAULT_LOGIN,
    }),
    onError:
      options.onError ??
      ((error: unknown) =>
        process.stderr.write(`github sim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`)),
  });
  return server;
}

/** Where the simulator keeps pull requests, comments and labels for a repository. */
export function stateFile(repoDir: string): string {
  return resolve(repoDir, STATE_FILE);
}
