import type { RequestContext } from './context.js';

/**
 * GitHub's page-based pagination: `per_page` (default 30, at most 100) and `page` (from 1), with a
 * `Link` header naming the `prev`, `next`, `first` and `last` pages. Like GitHub, the links use the
 * repository-id form (`/repositories/{id}/pulls?page=2`), which octokit's paginate follows as is.
 */
export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

function whole(value: string | null, fallback: number): number {
  const n = Number(value);
  return value !== null && Number.isInteger(n) && n > 0 ? n : fallback;
}

export function paginate<T>(ctx: RequestContext, items: readonly T[]): Page<T> {
  const perPage = Math.min(100, whole(ctx.query.get('per_page'), 30));
  const page = whole(ctx.query.get('page'), 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const repoPrefix = `/repos/${ctx.params.owner ?? ''}/${ctx.params.repo ?? ''}`;
  const path = ctx.url.pathname.startsWith(repoPrefix)
    ? `/repositories/${ctx.sim.repositoryId}${ctx.url.pathname.slice(repoPrefix.length)}`
    : ctx.url.pathname;
  const link = (n: number): string => {
    const query = new URLSearchParams(ctx.query);
    query.set('page', String(n));
    return `<${ctx.sim.baseUrl}${path}?${query.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${link(Math.min(page - 1, last))}; rel="prev"`);
  if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`);
  if (page > 1) links.push(`${link(1)}; rel="first"`);
  return {
    items: items.slice((page - 1) * perPage, page * perPage),
    headers: links.length > 0 ? { link: links.join(', ') } : {},
  };
}
