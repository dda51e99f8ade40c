// The event a run is for: its payload with what GitHub would have put in it (filled from the
// repository the run checks out where the caller gave less), its ref and commit, and the files it
// changes (for `paths:` filters).

import { UserError } from '../errors.js';
import { Git } from '../git/git.js';
import { isJsonObject, type Json, type JsonObject, stringAt } from './json.js';

export const SUPPORTED_EVENTS = ['push', 'pull_request', 'workflow_dispatch'] as const;

const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface EventRequest {
  name: string;
  /** The payload as given (--event-path); defaults fill what it leaves out. */
  payload?: JsonObject;
  /** github.ref (a branch name is read as refs/heads/NAME). */
  ref?: string;
  sha?: string;
  /** The repository the commits are in (checkout clones it). */
  repositoryDir: string;
  /** owner/name. */
  repository: string;
  actor: string;
  serverUrl: string;
  /** github.event.inputs of a workflow_dispatch. */
  dispatchInputs?: Record<string, string>;
  /** The workflow file, relative to the repository (workflow_dispatch's `workflow`). */
  workflowPath: string;
}

export interface ResolvedEvent {
  name: string;
  payload: JsonObject;
  ref: string;
  sha: string;
  /** Pull requests: the base and head branch names. */
  baseRef?: string;
  headRef?: string;
  /** Pull requests: the activity type. */
  action?: string;
  /** What the commit (range) changes; read lazily, only a paths filter needs it. */
  changedFiles(): Promise<string[]>;
}

function fullRef(ref: string): string {
  return ref.startsWith('refs/') ? ref : `refs/heads/${ref}`;
}

async function defaultBranchRef(git: Git): Promise<string> {
  const result = await git.call(['symbolic-ref', '--quiet', 'HEAD']);
  const ref = result.stdout.toString().trim();
  return result.exitCode === 0 && ref !== '' ? ref : 'refs/heads/main';
}

async function commitOf(git: Git, ref: string, what: string, repositoryDir: string): Promise<string> {
  const sha = await git.resolveCommit(ref);
  if (sha === undefined)
    throw new UserError(`${what} ${ref} is not a commit in ${repositoryDir}: push it there, or give the ${what} that is`);
  return sha;
}

async function names(git: Git, args: string[]): Promise<string[]> {
  return (await git.run(args)).split('\n').filter((line) => line !== '');
}

function repositoryPayload(request: EventRequest, defaultBranch: string): JsonObject {
  const [owner = '', name = ''] = request.repository.split('/');
  return {
    full_name: request.repository,
    name,
    owner: { login: owner },
    default_branch: defaultBranch,
    html_url: `${request.serverUrl}/${request.repository}`,
    clone_url: `${request.serverUrl}/${request.repository}.git`,
  };
}

/** Merges a given payload over the defaults: what the caller gave wins, objects merged key by key. */
function merged(defaults: JsonObject, given: JsonObject | undefined): JsonObject {
  const result: JsonObject = { ...defaults };
  for (const [key, value] of Object.entries(given ?? {})) {
    const base = result[key];
    result[key] = isJsonObject(base) && isJsonObject(value) ? merged(base, value) : value;
  }
  return result;
}

export async function resolveEvent(request: EventRequest): Promise<ResolvedEvent> {
  const git = new Git(request.repositoryDir);
  const defaultRef = await defaultBranchRef(git);
  const defaultBranch = defaultRef.replace(/^refs\/heads\//, '');
  const common: JsonObject = { repository: repositoryPayload(request, defaultBranch), sender: { login: request.actor } };
  const given = request.payload;

  if (request.name === 'pull_request') {
    const pull = given?.pull_request;
    const number = given?.number ?? (isJsonObject(pull) ? pull.number : undefined);
    if (typeof number !== 'number') {
      throw new UserError(
        'a pull_request event needs its payload: give --event-path with a JSON file holding at least ' +
          '{"number": N, "pull_request": {"head": {"ref": "branch"}, "base": {"ref": "main"}}}',
      );
    }
    const baseRef = stringAt(pull, 'base', 'ref') ?? defaultBranch;
    const headRef = stringAt(pull, 'head', 'ref');
    const headSha =
      stringAt(pull, 'head', 'sha') ??
      (await git.resolveCommit(`refs/pull/${number}/head`)) ??
      (headRef === undefined ? undefined : await git.resolveCommit(`refs/heads/${headRef}`));
    if (headSha === undefined) {
      throw new UserError(
        `pull request #${number}: its head commit is not known: give pull_request.head.sha (or head.ref of a branch in ${request.repositoryDir})`,
      );
    }
    const baseSha =
      stringAt(pull, 'base', 'sha') ?? (await commitOf(git, `refs/heads/${baseRef}`, 'the base branch', request.repositoryDir));
    const mergeSha = request.sha ?? stringAt(pull, 'merge_commit_sha') ?? (await git.resolveCommit(`refs/pull/${number}/merge`)) ?? headSha;
    const action = stringAt(given, 'action') ?? 'opened';
    const payload = merged(
      {
        action,
        number,
        ...common,
        pull_request: {
          number,
          state: 'open',
          merge_commit_sha: mergeSha,
          head: { ref: headRef ?? '', sha: headSha },
          base: { ref: baseRef, sha: baseSha },
          user: { login: request.actor },
        },
      },
      given,
    );
    return {
      name: request.name,
      payload,
      ref: request.ref === undefined ? `refs/pull/${number}/merge` : fullRef(request.ref),
      sha: mergeSha,
      baseRef,
      headRef: headRef ?? '',
      action,
      changedFiles: () => names(git, ['diff', '--name-only', '--no-renames', `${baseSha}...${headSha}`, '--']),
    };
  }

  const ref = fullRef(request.ref ?? stringAt(given, 'ref') ?? defaultRef);
  const sha = request.sha ?? stringAt(given, 'after') ?? (await commitOf(git, ref, 'the ref', request.repositoryDir));
  if (request.name === 'push') {
    const before = stringAt(given, 'before') ?? (await git.resolveCommit(`${sha}^`)) ?? ZERO_SHA;
    const payload = merged(
      {
        ref,
        before,
        after: sha,
        created: before === ZERO_SHA,
        deleted: false,
        forced: false,
        base_ref: null,
        ...common,
        pusher: { name: request.actor },
        head_commit: { id: sha },
      },
      given,
    );
    const changedFiles = (): Promise<string[]> =>
      /^0+$/.test(before)
        ? names(git, ['diff-tree', '--no-commit-id', '--name-only', '--no-renames', '-r', '--root', sha])
        : names(git, ['diff', '--name-only', '--no-renames', before, sha, '--']);
    return { name: request.name, payload, ref, sha, changedFiles };
  }
  if (request.name === 'workflow_dispatch') {
    const payload = merged({ inputs: request.dispatchInputs ?? {}, ref, workflow: request.workflowPath, ...common }, given);
    return { name: request.name, payload, ref, sha, changedFiles: async () => [] };
  }
  throw new UserError(`--event ${request.name}: the local runner runs ${SUPPORTED_EVENTS.join(', ')} events`);
}

/** The `payload` JSON read from --event-path's file. */
export function parseEventPayload(text: string, file: string): JsonObject {
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (error) {
    throw new UserError(`--event-path ${file}: not JSON (${(error as Error).message})`);
  }
  if (!isJsonObject(value)) throw new UserError(`--event-path ${file}: the payload must be a JSON object`);
  return value;
}
