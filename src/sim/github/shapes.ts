import type { components } from '@octokit/openapi-types';
import type { Sim } from './context.js';
import type { CommitObject, GitPerson, ObjectType, RefEntry } from './git-store.js';
import type { StoredComment, StoredIssue, StoredLabel } from './state.js';

/**
 * Response objects in the shapes of GitHub's OpenAPI description. The types come from
 * `@octokit/openapi-types`, so a required field left out is a compile error, not a client surprise.
 */
export type Schemas = components['schemas'];

/** The bot every token authenticates as, and GitHub's own committer for merges made on the server. */
const BOT_ID = 1001;
const OWNER_ID = 1000;
export const WEB_FLOW = { login: 'web-flow', id: 19864447, name: 'GitHub', email: 'noreply@github.com' } as const;

/** GitHub's legacy global node ids: base64 of `<length of type>:<type><id>`. */
export function nodeId(type: string, id: number | string): string {
  return Buffer.from(`${String(type.length).padStart(2, '0')}:${type}${id}`).toString('base64');
}

/**
 * A path of names (a ref such as `refs/heads/scale/東京`, a file path) as URL path segments: each
 * name percent-encoded as UTF-8, the slashes kept. A name may hold anything git allows (`#`, `?`,
 * `%`, non-ASCII), and the URL must still lead back to it (the router decodes each segment).
 */
export function urlPath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function apiRepoUrl(sim: Sim): string {
  return `${sim.baseUrl}/repos/${sim.owner}/${sim.repo}`;
}

/** Where GitHub's web pages would be. The simulator serves no HTML; the links keep GitHub's form. */
export function htmlRepoUrl(sim: Sim): string {
  return `${sim.baseUrl}/${sim.owner}/${sim.repo}`;
}

/** The noreply address GitHub gives an account, used as the git identity of API-made commits. */
export function noreplyEmail(login: string, id: number): string {
  return `${id}+${login}@users.noreply.github.com`;
}

interface Account {
  id: number;
  type: 'Bot' | 'Organization' | 'User';
}

function account(sim: Sim, login: string): Account {
  if (login === sim.login) return { id: BOT_ID, type: login.endsWith('[bot]') ? 'Bot' : 'User' };
  if (login === sim.owner) return { id: OWNER_ID, type: 'Organization' };
  if (login === WEB_FLOW.login) return { id: WEB_FLOW.id, type: 'User' };
  // Stable ids for any other login, so a user looks the same in every response.
  let hash = 7;
  for (const char of login) hash = (hash * 31 + char.charCodeAt(0)) % 900_000;
  return { id: 2000 + hash, type: 'User' };
}

/** The git identity of a login: what GitHub writes as author of a commit made through the API. */
export function gitIdentity(sim: Sim, login: string): { name: string; email: string } {
  return { name: login, email: noreplyEmail(login, account(sim, login).id) };
}

export function userShape(sim: Sim, login: string): Schemas['simple-user'] {
  const { id, type } = account(sim, login);
  const url = `${sim.baseUrl}/users/${encodeURIComponent(login)}`;
  return {
    login,
    id,
    node_id: nodeId(type, id),
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url,
    html_url: `${sim.baseUrl}/${encodeURIComponent(login)}`,
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

/** `GET /user`: the authenticated account. */
export function privateUserShape(sim: Sim, createdAt: string): Schemas['private-user'] {
  return {
    ...userShape(sim, sim.login),
    name: sim.login,
    company: null,
    blog: '',
    location: null,
    email: null,
    hireable: null,
    bio: null,
    twitter_username: null,
    public_repos: 0,
    public_gists: 0,
    followers: 0,
    following: 0,
    created_at: createdAt,
    updated_at: createdAt,
    private_gists: 0,
    total_private_repos: 1,
    owned_private_repos: 0,
    disk_usage: 0,
    collaborators: 0,
    two_factor_authentication: false,
  };
}

/** The repository as PR heads and bases embed it (GitHub's `repository` schema). */
export function repositoryShape(sim: Sim, defaultBranch: string): Schemas['repository'] {
  const api = apiRepoUrl(sim);
  const html = htmlRepoUrl(sim);
  const openIssues = sim.state.issues.filter((issue) => issue.state === 'open').length;
  const host = new URL(sim.baseUrl).host;
  return {
    id: sim.repositoryId,
    node_id: nodeId('Repository', sim.repositoryId),
    name: sim.repo,
    full_name: `${sim.owner}/${sim.repo}`,
    license: null,
    forks: 0,
    permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
    owner: userShape(sim, sim.owner),
    private: true,
    html_url: html,
    description: 'Cluster configs for lambdastack-autoscaler (served by the GitHub simulator over a bare git repository)',
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${host}/${sim.owner}/${sim.repo}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${host}:${sim.owner}/${sim.repo}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    // GitHub's clone URL is HTTPS; the simulator does not speak git's HTTP protocol, so this is the
    // bare repository itself, which `git clone` accepts as it is.
    clone_url: `file://${sim.store.dir}`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 0,
    default_branch: defaultBranch,
    open_issues_count: openIssues,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: false,
    has_wiki: false,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: 'private',
    pushed_at: sim.state.createdAt,
    created_at: sim.state.createdAt,
    updated_at: sim.state.createdAt,
    allow_forking: false,
    web_commit_signoff_required: false,
    open_issues: openIssues,
    watchers: 0,
  };
}

/**
 * GitHub's defaults for a new repository's merge settings. The merge endpoint follows them when a
 * client gives no commit title or message.
 */
export const MERGE_SETTINGS = {
  allow_merge_commit: true,
  allow_squash_merge: true,
  allow_rebase_merge: true,
  allow_auto_merge: false,
  delete_branch_on_merge: false,
  allow_update_branch: false,
  use_squash_pr_title_as_default: false,
  squash_merge_commit_title: 'COMMIT_OR_PR_TITLE',
  squash_merge_commit_message: 'COMMIT_MESSAGES',
  merge_commit_title: 'MERGE_MESSAGE',
  merge_commit_message: 'PR_TITLE',
} as const;

/** `GET /repos/{owner}/{repo}`. */
export function fullRepositoryShape(sim: Sim, defaultBranch: string): Schemas['full-repository'] {
  return {
    ...repositoryShape(sim, defaultBranch),
    pushed_at: sim.state.createdAt,
    created_at: sim.state.createdAt,
    updated_at: sim.state.createdAt,
    has_downloads: true,
    has_discussions: false,
    temp_clone_token: null,
    ...MERGE_SETTINGS,
    subscribers_count: 0,
    network_count: 0,
    organization: userShape(sim, sim.owner),
    security_and_analysis: null,
  };
}

const OBJECT_PATH: Record<ObjectType, string> = { commit: 'commits', tree: 'trees', blob: 'blobs', tag: 'tags' };

export function gitRefShape(sim: Sim, ref: RefEntry): Schemas['git-ref'] {
  const api = apiRepoUrl(sim);
  return {
    ref: ref.ref,
    node_id: nodeId('Ref', `${sim.repositoryId}:${ref.ref}`),
    url: `${api}/git/${urlPath(ref.ref)}`,
    object: { type: ref.type, sha: ref.sha, url: `${api}/git/${OBJECT_PATH[ref.type]}/${ref.sha}` },
  };
}

const UNSIGNED = { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null };

function verification(commit: CommitObject): Schemas['verification'] {
  // The simulator checks no signatures; a signed commit is reported as GitHub reports an unknown key.
  return commit.signature ? { ...UNSIGNED, reason: 'unknown_key', signature: commit.signature } : UNSIGNED;
}

function person(p: GitPerson): { name: string; email: string; date: string } {
  return { name: p.name, email: p.email, date: p.date };
}

/** `GET /git/commits/{sha}`: a commit as git data. */
export function gitCommitShape(sim: Sim, commit: CommitObject): Schemas['git-commit'] {
  const api = apiRepoUrl(sim);
  return {
    sha: commit.sha,
    node_id: nodeId('Commit', `${sim.repositoryId}:${commit.sha}`),
    url: `${api}/git/commits/${commit.sha}`,
    html_url: `${htmlRepoUrl(sim)}/commit/${commit.sha}`,
    author: person(commit.author),
    committer: person(commit.committer),
    tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
    message: commit.message,
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/git/commits/${sha}`, html_url: `${htmlRepoUrl(sim)}/commit/${sha}` })),
    verification: verification(commit),
  };
}

/** The account GitHub links a git identity to: the bot by its noreply address, GitHub itself as web-flow. */
function linkedUser(sim: Sim, p: GitPerson): Schemas['simple-user'] | null {
  if (p.email === gitIdentity(sim, sim.login).email) return userShape(sim, sim.login);
  if (p.email === WEB_FLOW.email) return userShape(sim, WEB_FLOW.login);
  return null;
}

/** A commit as the repos and pulls endpoints list it (GitHub's `commit` schema). */
export function commitShape(sim: Sim, commit: CommitObject): Schemas['commit'] {
  const api = apiRepoUrl(sim);
  return {
    url: `${api}/commits/${commit.sha}`,
    sha: commit.sha,
    node_id: nodeId('Commit', `${sim.repositoryId}:${commit.sha}`),
    html_url: `${htmlRepoUrl(sim)}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    commit: {
      url: `${api}/git/commits/${commit.sha}`,
      author: person(commit.author),
      committer: person(commit.committer),
      message: commit.message,
      comment_count: 0,
      tree: { sha: commit.tree, url: `${api}/git/trees/${commit.tree}` },
      verification: verification(commit),
    },
    author: linkedUser(sim, commit.author),
    committer: linkedUser(sim, commit.committer),
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${htmlRepoUrl(sim)}/commit/${sha}` })),
  };
}

export function labelShape(sim: Sim, label: StoredLabel): Schemas['label'] {
  return {
    id: label.id,
    node_id: nodeId('Label', label.id),
    url: `${apiRepoUrl(sim)}/labels/${encodeURIComponent(label.name)}`,
    name: label.name,
    description: label.description,
    color: label.color,
    default: false,
  };
}

/** The labels of an issue as full label objects (names whose label was deleted are skipped). */
export function issueLabels(sim: Sim, issue: StoredIssue): Schemas['label'][] {
  return issue.labels.flatMap((name) => {
    const label = sim.state.label(name);
    return label ? [labelShape(sim, label)] : [];
  });
}

function issueHtmlUrl(sim: Sim, issue: StoredIssue): string {
  return `${htmlRepoUrl(sim)}/${issue.pull ? 'pull' : 'issues'}/${issue.number}`;
}

function reactions(url: string): Schemas['reaction-rollup'] {
  return { url, total_count: 0, '+1': 0, '-1': 0, laugh: 0, confused: 0, heart: 0, hooray: 0, eyes: 0, rocket: 0 };
}

export function commentShape(sim: Sim, comment: StoredComment): Schemas['issue-comment'] {
  const issue = sim.state.issue(comment.issue);
  const url = `${apiRepoUrl(sim)}/issues/comments/${comment.id}`;
  return {
    id: comment.id,
    node_id: nodeId('IssueComment', comment.id),
    url,
    html_url: `${issue ? issueHtmlUrl(sim, issue) : htmlRepoUrl(sim)}#issuecomment-${comment.id}`,
    body: comment.body,
    user: userShape(sim, comment.author),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    issue_url: `${apiRepoUrl(sim)}/issues/${comment.issue}`,
    author_association: authorAssociation(sim, comment.author),
    performed_via_github_app: null,
    reactions: reactions(`${url}/reactions`),
  };
}

export function authorAssociation(sim: Sim, login: string): Schemas['author-association'] {
  return login === sim.owner ? 'OWNER' : 'CONTRIBUTOR';
}

export function commentCount(sim: Sim, number: number): number {
  return sim.state.comments.filter((comment) => comment.issue === number).length;
}

/** An issue, or a pull request seen through the issues API (it then has a `pull_request` key). */
export function issueShape(sim: Sim, issue: StoredIssue): Schemas['issue'] {
  const api = `${apiRepoUrl(sim)}/issues/${issue.number}`;
  return {
    id: issue.id,
    node_id: nodeId(issue.pull ? 'PullRequest' : 'Issue', issue.id),
    url: api,
    repository_url: apiRepoUrl(sim),
    labels_url: `${api}/labels{/name}`,
    comments_url: `${api}/comments`,
    events_url: `${api}/events`,
    html_url: issueHtmlUrl(sim, issue),
    number: issue.number,
    state: issue.state,
    state_reason: issue.stateReason,
    title: issue.title,
    body: issue.body,
    user: userShape(sim, issue.author),
    labels: issueLabels(sim, issue),
    assignee: null,
    assignees: [],
    milestone: null,
    locked: false,
    active_lock_reason: null,
    comments: commentCount(sim, issue.number),
    ...(issue.pull
      ? {
          pull_request: {
            url: `${apiRepoUrl(sim)}/pulls/${issue.number}`,
            html_url: issueHtmlUrl(sim, issue),
            diff_url: `${issueHtmlUrl(sim, issue)}.diff`,
            patch_url: `${issueHtmlUrl(sim, issue)}.patch`,
            merged_at: issue.pull.mergedAt,
          },
          draft: issue.pull.draft,
        }
      : {}),
    closed_at: issue.closedAt,
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    closed_by: issue.closedBy ? userShape(sim, issue.closedBy) : null,
    timeline_url: `${api}/timeline`,
    author_association: authorAssociation(sim, issue.author),
    performed_via_github_app: null,
    reactions: reactions(`${api}/reactions`),
  };
}
