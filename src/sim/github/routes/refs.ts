import { bodyObject, json, noContent, optionalBoolean, type Reply, type RequestContext, requiredString } from '../context.js';
import { notFound, unprocessable } from '../errors.js';
import { isValidRefName } from '../git-store.js';
import { closePullsOfBranch } from '../pull-requests.js';
import type { Route } from '../router.js';
import { gitRefShape } from '../shapes.js';

/**
 * Git refs. In URLs a ref is written without `refs/` (`heads/main`); in a create body it is full
 * (`refs/heads/main`). Every write is a compare-and-swap on the ref (`git update-ref` with the old
 * value), and status codes follow GitHub: 422 for all of `Reference already exists`,
 * `Reference does not exist`, `Object does not exist` and `Update is not a fast forward`.
 */

async function getRef(ctx: RequestContext): Promise<Reply> {
  const ref = await ctx.sim.store.readRef(`refs/${ctx.params.ref ?? ''}`);
  if (!ref) throw notFound();
  return json(200, gitRefShape(ctx.sim, ref));
}

/** `matching-refs/heads/feat` lists `feat`, `feat-a` and `feat/b`: a string prefix, `[]` when none. */
async function matchingRefs(ctx: RequestContext): Promise<Reply> {
  const refs = await ctx.sim.store.listRefs(`refs/${ctx.params.ref ?? ''}`);
  return json(
    200,
    refs.map((ref) => gitRefShape(ctx.sim, ref)),
  );
}

/**
 * The older `GET /git/refs/{ref}`, which octokit no longer calls but scripts still do: one ref when
 * the name is exact, the refs under it when it is a namespace (`heads`), 404 otherwise.
 */
async function legacyRefs(ctx: RequestContext): Promise<Reply> {
  const name = ctx.params.ref ? `refs/${ctx.params.ref}` : 'refs/';
  const refs = await ctx.sim.store.listRefs(name);
  const exact = refs.find((ref) => ref.ref === name);
  if (exact) return json(200, gitRefShape(ctx.sim, exact));
  const under = refs.filter((ref) => ref.ref.startsWith(name.endsWith('/') ? name : `${name}/`));
  if (under.length === 0) throw notFound();
  return json(
    200,
    under.map((ref) => gitRefShape(ctx.sim, ref)),
  );
}

async function createRef(ctx: RequestContext): Promise<Reply> {
  const body = bodyObject(ctx);
  const name = requiredString(body, 'ref');
  const sha = requiredString(body, 'sha');
  if (name.split('/').length < 3) throw unprocessable('Reference name must contain at least three slash-separated components.');
  if (!isValidRefName(name)) throw unprocessable(`${name} is not a valid ref name.`);
  const { store } = ctx.sim;
  if (await store.readRef(name)) throw unprocessable('Reference already exists');
  const type = await store.objectType(sha);
  if (!type) throw unprocessable('Object does not exist');
  // git refuses what GitHub refuses too: a branch pointing at a non-commit, or `a/b` beside `a`.
  if (!(await store.updateRef(name, sha, null))) throw unprocessable('Reference update failed');
  // The answer is built from what was just written, not read back: once the ref exists, nothing
  // may turn this request into an error.
  const shape = gitRefShape(ctx.sim, { ref: name, sha, type });
  return json(201, shape, { location: shape.url });
}

async function updateRef(ctx: RequestContext): Promise<Reply> {
  const body = bodyObject(ctx);
  const sha = requiredString(body, 'sha');
  const force = optionalBoolean(body, 'force') ?? false;
  const { store } = ctx.sim;
  const name = `refs/${ctx.params.ref ?? ''}`;
  const current = await store.readRef(name);
  if (!current) throw unprocessable('Reference does not exist');
  const type = await store.objectType(sha);
  if (!type) throw unprocessable('Object does not exist');
  if (!force && current.sha !== sha && !(await store.isAncestor(current.sha, sha))) throw unprocessable('Update is not a fast forward');
  if (!(await store.updateRef(name, sha, current.sha))) throw unprocessable('Reference update failed');
  return json(200, gitRefShape(ctx.sim, { ref: name, sha, type }));
}

async function deleteRef(ctx: RequestContext): Promise<Reply> {
  const { store } = ctx.sim;
  const name = `refs/${ctx.params.ref ?? ''}`;
  const current = await store.readRef(name);
  if (!current) throw unprocessable('Reference does not exist');
  if (!(await store.deleteRef(name, current.sha))) throw unprocessable('Reference update failed');
  if (name.startsWith('refs/heads/')) closePullsOfBranch(ctx.sim, name.slice('refs/heads/'.length), ctx.sim.login);
  return noContent;
}

export const refRoutes: Route[] = [
  { method: 'GET', path: '/repos/{owner}/{repo}/git/ref/{ref+}', docs: 'git/refs#get-a-reference', handle: getRef },
  {
    method: 'GET',
    path: '/repos/{owner}/{repo}/git/matching-refs/{ref*}',
    docs: 'git/refs#list-matching-references',
    handle: matchingRefs,
  },
  { method: 'GET', path: '/repos/{owner}/{repo}/git/refs/{ref*}', docs: 'git/refs#get-a-reference', handle: legacyRefs },
  { method: 'POST', path: '/repos/{owner}/{repo}/git/refs', docs: 'git/refs#create-a-reference', handle: createRef },
  { method: 'PATCH', path: '/repos/{owner}/{repo}/git/refs/{ref+}', docs: 'git/refs#update-a-reference', handle: updateRef },
  { method: 'DELETE', path: '/repos/{owner}/{repo}/git/refs/{ref+}', docs: 'git/refs#delete-a-reference', handle: deleteRef },
];
