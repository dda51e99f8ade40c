import { json, type RequestContext } from '../context.js';
import { notFound } from '../errors.js';
import { paginate } from '../pagination.js';
import type { Route } from '../router.js';
import { apiRepoUrl, commitShape, fullRepositoryShape, htmlRepoUrl, privateUserShape, type Schemas, urlPath } from '../shapes.js';

/** The repository itself, its branches, the authenticated user and the rate-limit status. */

async function getRepository(ctx: RequestContext): Promise<ReturnType<typeof json>> {
  return json(200, fullRepositoryShape(ctx.sim, await ctx.sim.store.defaultBranch()));
}

async function getBranch(ctx: RequestContext): Promise<ReturnType<typeof json>> {
  const { sim } = ctx;
  const name = ctx.params.branch ?? '';
  const sha = await sim.store.branchSha(name);
  const commit = sha ? await sim.store.readCommit(sha) : undefined;
  // GitHub's message for a missing branch is `Branch not found`, with status 404.
  if (!commit) throw notFound('Branch not found');
  const self = `${apiRepoUrl(sim)}/branches/${encodeURIComponent(name)}`;
  const branch: Schemas['branch-with-protection'] = {
    name,
    commit: commitShape(sim, commit),
    _links: { self, html: `${htmlRepoUrl(sim)}/tree/${urlPath(name)}` },
    protected: false,
    protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
    protection_url: `${self}/protection`,
  };
  return json(200, branch);
}

async function listBranches(ctx: RequestContext): Promise<ReturnType<typeof json>> {
  const { sim } = ctx;
  const branches: Schemas['short-branch'][] = (await sim.store.listRefs('refs/heads/')).map((ref) => ({
    name: ref.ref.slice('refs/heads/'.length),
    commit: { sha: ref.sha, url: `${apiRepoUrl(sim)}/commits/${ref.sha}` },
    protected: false,
  }));
  const page = paginate(ctx, branches);
  return json(200, page.items, page.headers);
}

async function getUser(ctx: RequestContext): Promise<ReturnType<typeof json>> {
  return json(200, privateUserShape(ctx.sim, ctx.sim.state.createdAt));
}

async function getRateLimit(ctx: RequestContext): Promise<ReturnType<typeof json>> {
  const { limit, remaining, reset, used } = ctx.rateLimit;
  const core = { limit, remaining, reset, used };
  const overview: Schemas['rate-limit-overview'] = {
    resources: { core, search: { limit: 30, remaining: 30, reset, used: 0 }, graphql: { limit: 5000, remaining: 5000, reset, used: 0 } },
    rate: core,
  };
  return json(200, overview);
}

export const repositoryRoutes: Route[] = [
  { method: 'GET', path: '/repos/{owner}/{repo}', docs: 'repos/repos#get-a-repository', handle: getRepository },
  { method: 'GET', path: '/repos/{owner}/{repo}/branches', docs: 'branches/branches#list-branches', handle: listBranches },
  { method: 'GET', path: '/repos/{owner}/{repo}/branches/{branch+}', docs: 'branches/branches#get-a-branch', handle: getBranch },
  { method: 'GET', path: '/user', docs: 'users/users#get-the-authenticated-user', handle: getUser },
  {
    method: 'GET',
    path: '/rate_limit',
    docs: 'rate-limit/rate-limit#get-rate-limit-status-for-the-authenticated-user',
    free: true,
    handle: getRateLimit,
  },
];
