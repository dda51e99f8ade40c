import type { Reply, RequestContext } from './context.js';

/**
 * A route table in GitHub's own path notation. `{name}` is one path segment; `{name+}` is the rest
 * of the path (one segment or more: a ref such as `heads/feature/x`); `{name*}` may also be empty
 * (a contents path, where empty means the root directory).
 */
export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  path: string;
  /** The anchor under https://docs.github.com/rest/ that GitHub's errors for this endpoint cite. */
  docs: string;
  /** Served without authentication and without spending rate limit (`GET /rate_limit`). */
  free?: boolean;
  /** The largest request body taken (default REQUEST_BODY_LIMIT, see limits.ts). */
  maxBodyBytes?: number;
  handle(ctx: RequestContext): Promise<Reply>;
}

type Segment = { literal: string } | { param: string; rest?: 'one-or-more' | 'zero-or-more' };

interface CompiledRoute {
  route: Route;
  segments: Segment[];
}

export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
}

function compile(route: Route): CompiledRoute {
  const segments = route.path
    .split('/')
    .slice(1)
    .map((part): Segment => {
      const param = /^\{(\w+)([+*]?)\}$/.exec(part);
      if (!param?.[1]) return { literal: part };
      if (param[2] === '+') return { param: param[1], rest: 'one-or-more' };
      if (param[2] === '*') return { param: param[1], rest: 'zero-or-more' };
      return { param: param[1] };
    });
  return { route, segments };
}

/**
 * Matches raw (still percent-encoded) segments, then decodes each parameter: octokit encodes `/`
 * in a parameter as `%2F` (`git/ref/heads%2Fmain`), and decoding before splitting would turn a
 * label named `area/ci` into two segments.
 */
function matchSegments(segments: readonly Segment[], parts: readonly string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i];
    if (!segment) return undefined;
    if ('literal' in segment) {
      if (parts[i] !== segment.literal) return undefined;
      continue;
    }
    if (segment.rest) {
      const rest = parts.slice(i);
      if (rest.length === 0 && segment.rest === 'one-or-more') return undefined;
      if (rest.some((part) => part === '')) return undefined;
      const decoded = decodeAll(rest);
      if (decoded === undefined) return undefined;
      params[segment.param] = decoded.join('/');
      return params;
    }
    const part = parts[i];
    if (part === undefined || part === '') return undefined;
    const decoded = decodeAll([part]);
    if (decoded?.[0] === undefined) return undefined;
    params[segment.param] = decoded[0];
  }
  return parts.length === segments.length ? params : undefined;
}

function decodeAll(parts: readonly string[]): string[] | undefined {
  try {
    return parts.map((part) => decodeURIComponent(part));
  } catch {
    return undefined;
  }
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map(compile);
  }

  /** The route for a method and raw path. HEAD is served by the GET route, as on GitHub. */
  match(method: string, rawPath: string): RouteMatch | undefined {
    const wanted = method === 'HEAD' ? 'GET' : method;
    // GitHub treats `/repos/o/r/pulls/` like `/repos/o/r/pulls`.
    const path = rawPath.length > 1 && rawPath.endsWith('/') ? rawPath.slice(0, -1) : rawPath;
    const parts = path.split('/').slice(1);
    for (const { route, segments } of this.compiled) {
      if (route.method !== wanted) continue;
      const params = matchSegments(segments, parts);
      if (params) return { route, params };
    }
    return undefined;
  }
}
