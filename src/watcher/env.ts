/**
 * What the watcher reads from its environment, named as GitHub Actions names it, so the same
 * variables work in a workflow, in the Helm chart's pod and by hand: GITHUB_TOKEN,
 * GITHUB_REPOSITORY (owner/name), GITHUB_API_URL (GitHub Enterprise Server, or a simulator), and
 * LOG_LEVEL. Every problem is reported at once, each naming its variable.
 */
import { UserError } from '../errors.js';
import { type LogLevel, parseLogLevel } from './log.js';

export const PUBLIC_GITHUB_API = 'https://api.github.com';

export interface WatcherEnvironment {
  token: string;
  owner: string;
  repo: string;
  /** The REST API's base URL, without a trailing slash. */
  apiUrl: string;
  logLevel: LogLevel;
}

const REPOSITORY = /^([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)\/([A-Za-z0-9._-]+)$/;

/** Reads the environment, or throws one UserError listing every variable that is missing or wrong. */
export function watcherEnvironment(env: Readonly<Record<string, string | undefined>>): WatcherEnvironment {
  const problems: string[] = [];
  const token = env.GITHUB_TOKEN?.trim() ?? '';
  if (token === '') {
    problems.push('GITHUB_TOKEN is not set: give a token that may write contents and pull requests of the config repository');
  }
  const repository = env.GITHUB_REPOSITORY?.trim() ?? '';
  const match = REPOSITORY.exec(repository);
  if (repository === '') {
    problems.push(
      'GITHUB_REPOSITORY is not set: give the owner/name of the repository holding cluster-config/, e.g. example/cluster-config',
    );
  } else if (!match) {
    problems.push(`GITHUB_REPOSITORY=${JSON.stringify(repository)} is not owner/name, e.g. example/cluster-config`);
  }
  const apiUrl = (env.GITHUB_API_URL?.trim() || PUBLIC_GITHUB_API).replace(/\/+$/, '');
  if (!URL.canParse(apiUrl) || !/^https?:$/.test(new URL(apiUrl).protocol)) {
    problems.push(`GITHUB_API_URL=${JSON.stringify(apiUrl)} is not an http(s) URL (default ${PUBLIC_GITHUB_API})`);
  } else if (new URL(apiUrl).username || new URL(apiUrl).password) {
    // A URL with credentials would be logged with them; the token has its own variable.
    problems.push('GITHUB_API_URL must not hold credentials: give the token in GITHUB_TOKEN');
  }
  const logLevel = parseLogLevel(env.LOG_LEVEL);
  if (!logLevel) problems.push(`LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} is not one of debug, info, warn, error`);
  if (problems.length > 0 || !match?.[1] || !match[2] || !logLevel) {
    throw new UserError(`the watcher's environment is incomplete:\n  ${problems.join('\n  ')}`);
  }
  return { token, owner: match[1], repo: match[2], apiUrl, logLevel };
}
