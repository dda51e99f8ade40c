/**
 * The HTTP front of the simulated API server (node:http only): reads requests, routes them,
 * negotiates the representation, and answers in the API server's shapes — objects and lists,
 * Tables for kubectl, Status bodies for every error, chunked watch streams.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import YAML from 'yaml';
import { formatLabelSelector } from '../../kube/label-selector.js';
import { readBody } from './body.js';
import type { SimCluster } from './cluster.js';
import { apiGroup, apiGroupList, apiResourceList, apiVersions, versionInfo } from './discovery.js';
import { evict } from './eviction.js';
import { negotiate, type Output } from './negotiation.js';
import type { OpenApiDocs } from './openapi.js';
import { applyPatch } from './patch.js';
import { compileFilter, type DeleteOptions, matchesFilter } from './registry.js';
import { apiVersionOf, type ResourceInfo } from './resources.js';
import { findRoute, type KubeRoute, type ResourceTarget, resolveTarget, splitRequestTarget, type Target } from './routing.js';
import { checkShape } from './shapes.js';
import {
  badRequest,
  internalError,
  invalid,
  KubeError,
  methodNotAllowed,
  notAcceptable,
  notFound,
  pathNotFound,
  serviceUnavailable,
  staleConflict,
} from './status.js';
import { validateReplicas } from './strategies.js';
import { toTable } from './table.js';
import { clone, isRecord, type KubeObject } from './types.js';
import { serveWatch } from './watch.js';

export interface KubeServerOptions {
  cluster: SimCluster;
  /** Called once per request with a one-line summary (method, path, status, time). */
  log?: (line: string) => void;
  /** Real milliseconds between watch bookmarks (for clients that allow them). */
  bookmarkIntervalMs?: number;
}

export interface KubeServer {
  server: Server;
  /** Ends every open watch (before closing the server, so it does not wait for them). */
  endWatches(): void;
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  /** The query of the request target. */
  query: URLSearchParams;
  output: () => Output;
  pretty: boolean;
}

class Reply {
  constructor(
    readonly code: number,
    readonly body: unknown,
    readonly text = false,
  ) {}
}

/** One representation under a name: how GET reads it and how PUT (and PATCH, after patching what GET reads) writes it. */
interface View {
  read(): unknown;
  write(body: unknown): Reply;
}

function isPretty(req: IncomingMessage, query: URLSearchParams): boolean {
  const flag = query.get('pretty');
  if (flag !== null) return flag === 'true' || flag === '1';
  // The API server pretty-prints for humans: curl, wget and browsers.
  return /curl|Wget|Mozilla\//.test(req.headers['user-agent'] ?? '');
}

function stripTypeMeta(object: KubeObject): Record<string, unknown> {
  // Items of a typed list carry no apiVersion/kind, as the API server writes them.
  const { apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

function queryInt(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n)) throw badRequest(`${name}: ${JSON.stringify(value)} is not an integer`);
  return n;
}

function isDryRun(query: URLSearchParams): boolean {
  const values = query.getAll('dryRun');
  for (const v of values) if (v !== 'All' && v !== '') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return values.includes('All');
}

function deleteOptions(query: URLSearchParams, body: unknown): DeleteOptions {
  const options: DeleteOptions = {};
  const from = isRecord(body) ? clone(body) : {};
  checkShape('DeleteOptions', from, 'meta/v1');
  const grace = typeof from.gracePeriodSeconds === 'number' ? from.gracePeriodSeconds : queryInt(query, 'gracePeriodSeconds');
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = (from.propagationPolicy as string | undefined) ?? query.get('propagationPolicy') ?? undefined;
  const orphan = from.orphanDependents ?? (query.has('orphanDependents') ? query.get('orphanDependents') === 'true' : undefined);
  if (policy !== undefined) {
    if (!['Orphan', 'Background', 'Foreground'].includes(policy)) {
      throw badRequest(`propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`);
    }
    options.propagationPolicy = policy as DeleteOptions['propagationPolicy'];
  } else if (orphan === true) options.propagationPolicy = 'Orphan';
  if (isRecord(from.preconditions)) options.preconditions = from.preconditions as DeleteOptions['preconditions'];
  if ((Array.isArray(from.dryRun) && from.dryRun.includes('All')) || isDryRun(query)) options.dryRun = true;
  return options;
}

export function createKubeServer(options: KubeServerOptions): KubeServer {
  const cluster = options.cluster;
  // Built on first use: the schemas come from client-node's models, which take a moment to load.
  let openapiDocs: Promise<OpenApiDocs> | undefined;
  const openapi = (): Promise<OpenApiDocs> => {
    openapiDocs ??= import('./openapi.js').then((m) => m.buildOpenApi(cluster.kubernetesVersion));
    return openapiDocs;
  };
  const watches = new Set<() => void>();

  const asOutput = (info: ResourceInfo, output: Output, object: KubeObject): unknown => {
    if (output.format === 'table')
      return toTable(info.kind, [object], { apiVersion: output.apiVersion, includeObject: 'Metadata', now: cluster.clock.now() });
    if (output.format === 'partial') return { kind: 'PartialObjectMetadata', apiVersion: output.apiVersion, metadata: object.metadata };
    return object;
  };

  const includeObject = (query: URLSearchParams): 'None' | 'Metadata' | 'Object' => {
    const value = query.get('includeObject') ?? 'Metadata';
    if (value !== 'None' && value !== 'Metadata' && value !== 'Object')
      throw badRequest(`includeObject: Unsupported value: "${value}": supported values: "Metadata", "None", "Object"`);
    return value;
  };

  const listReply = (info: ResourceInfo, ctx: Ctx, items: KubeObject[], listMeta: Record<string, unknown>): Reply => {
    const output = ctx.output();
    if (output.format === 'table') {
      return new Reply(
        200,
        toTable(info.kind, items, {
          apiVersion: output.apiVersion,
          includeObject: includeObject(ctx.query),
          now: cluster.clock.now(),
          listMeta,
        }),
      );
    }
    if (output.format === 'partial') {
      return new Reply(200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: output.apiVersion,
        metadata: listMeta,
        items: items.map((o) => ({ kind: 'PartialObjectMetadata', apiVersion: output.apiVersion, metadata: o.metadata })),
      });
    }
    return new Reply(200, { kind: info.listKind, apiVersion: apiVersionOf(info), metadata: listMeta, items: items.map(stripTypeMeta) });
  };

  const metricsItems = (info: ResourceInfo, namespace: string | undefined): KubeObject[] =>
    info.kind === 'NodeMetrics' ? cluster.nodeMetrics() : cluster.podMetrics(namespace);

  const scaleOf = (object: KubeObject): Record<string, unknown> => {
    const spec = object.spec as { replicas?: number; selector?: Parameters<typeof formatLabelSelector>[0] };
    const status = (object.status ?? {}) as { replicas?: number };
    return {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: {
        name: object.metadata.name,
        namespace: object.metadata.namespace,
        uid: object.metadata.uid,
        resourceVersion: object.metadata.resourceVersion,
        creationTimestamp: object.metadata.creationTimestamp,
      },
      spec: { replicas: spec.replicas ?? 0 },
      status: { replicas: status.replicas ?? 0, selector: formatLabelSelector(spec.selector) },
    };
  };

  const writeScale = (info: ResourceInfo, namespace: string | undefined, name: string, scale: unknown, dryRun: boolean): Reply => {
    if (!isRecord(scale)) throw badRequest('the body must be an autoscaling/v1 Scale, e.g. {"spec":{"replicas":3}}');
    checkShape('Scale', clone(scale), 'autoscaling/v1');
    if (!isRecord(scale.spec)) throw badRequest('the body must be an autoscaling/v1 Scale, e.g. {"spec":{"replicas":3}}');
    const replicas = scale.spec.replicas;
    const causes = validateReplicas(replicas);
    if (causes.length > 0) throw invalid('autoscaling', 'Scale', name, causes);
    const current = cluster.registry.get(info, namespace, name);
    const rv = isRecord(scale.metadata) ? scale.metadata.resourceVersion : undefined;
    if (rv && rv !== current.metadata.resourceVersion) throw staleConflict(info.group, info.resource, name);
    const next = clone(current);
    (next.spec as { replicas?: number }).replicas = replicas as number;
    const updated = cluster.registry.update(info, namespace, name, next, { dryRun });
    return new Reply(200, scaleOf(updated));
  };

  /** `?labelSelector=` and `?fieldSelector=` as list options. */
  const selectors = (query: URLSearchParams): { labelSelector?: string; fieldSelector?: string } => ({
    ...(query.get('labelSelector') ? { labelSelector: query.get('labelSelector') as string } : {}),
    ...(query.get('fieldSelector') ? { fieldSelector: query.get('fieldSelector') as string } : {}),
  });

  const watch = async (ctx: Ctx, { info, namespace, name }: ResourceTarget): Promise<undefined> => {
    const query = ctx.query;
    const fieldSelector = [query.get('fieldSelector'), name ? `metadata.name=${name}` : undefined].filter(Boolean).join(',');
    const filter = compileFilter(info, query.get('labelSelector') ?? undefined, fieldSelector);
    const output = ctx.output();
    const stop = serveWatch(ctx.res, {
      store: cluster.store,
      info,
      namespace,
      filter,
      resourceVersion: query.get('resourceVersion') ?? undefined,
      timeoutSeconds: queryInt(query, 'timeoutSeconds'),
      allowBookmarks: query.get('allowWatchBookmarks') === 'true',
      sendInitialEvents: query.has('sendInitialEvents') ? query.get('sendInitialEvents') === 'true' : undefined,
      encode: (type, object) => (type === 'ERROR' || type === 'BOOKMARK' ? object : asOutput(info, output, object as KubeObject)),
      ...(options.bookmarkIntervalMs !== undefined ? { bookmarkIntervalMs: options.bookmarkIntervalMs } : {}),
    });
    watches.add(stop);
    ctx.res.on('close', () => watches.delete(stop));
    return undefined;
  };

  const list = async (ctx: Ctx, { info, namespace }: ResourceTarget): Promise<Reply> => {
    const query = ctx.query;
    if (info.aggregated) {
      const { labelSelector, fieldSelector } = selectors(query);
      const filter = compileFilter(info, labelSelector, fieldSelector);
      return listReply(
        info,
        ctx,
        metricsItems(info, namespace).filter((o) => matchesFilter(o, filter)),
        {},
      );
    }
    const limit = queryInt(query, 'limit');
    const result = cluster.registry.list(info, namespace, {
      ...selectors(query),
      ...(limit !== undefined ? { limit } : {}),
      ...(query.get('continue') ? { continue: query.get('continue') as string } : {}),
    });
    const meta: Record<string, unknown> = { resourceVersion: result.resourceVersion };
    if (result.continue) meta.continue = result.continue;
    if (result.remainingItemCount !== undefined) meta.remainingItemCount = result.remainingItemCount;
    return listReply(info, ctx, result.items, meta);
  };

  const create = async (ctx: Ctx, { info, namespace }: ResourceTarget): Promise<Reply> => {
    const body = await readBody(ctx.req);
    return new Reply(201, cluster.registry.create(info, namespace, body, { dryRun: isDryRun(ctx.query) }));
  };

  /**
   * What GET, PUT and PATCH address under a name: the object, its status (read as the object, written
   * as status only) or its Scale. PATCH is a read, a patch and a write through the same view, as
   * in the API server, so every PATCH takes one path whatever it patches.
   */
  const viewOf = ({ info, namespace, name = '', subresource }: ResourceTarget, dryRun: boolean): View => {
    if (subresource === 'scale') {
      return {
        read: () => scaleOf(cluster.registry.get(info, namespace, name)),
        write: (body) => writeScale(info, namespace, name, body, dryRun),
      };
    }
    if (info.aggregated) {
      return {
        read: () => {
          const found = metricsItems(info, namespace).find((o) => o.metadata.name === name);
          if (!found) throw notFound(info.group, info.resource, name);
          return { kind: info.kind, apiVersion: apiVersionOf(info), ...(found as Record<string, unknown>) } as KubeObject;
        },
        write: () => {
          throw methodNotAllowed(info.group, info.resource);
        },
      };
    }
    const subOpt = subresource === 'status' ? { subresource: 'status' as const } : {};
    return {
      read: () => cluster.registry.get(info, namespace, name),
      write: (body) => new Reply(200, cluster.registry.update(info, namespace, name, body, { dryRun, ...subOpt })),
    };
  };

  const read = async (ctx: Ctx, target: ResourceTarget): Promise<Reply> => {
    const object = viewOf(target, false).read();
    return new Reply(200, target.subresource === 'scale' ? object : asOutput(target.info, ctx.output(), object as KubeObject));
  };

  const replace = async (ctx: Ctx, target: ResourceTarget): Promise<Reply> => {
    const body = await readBody(ctx.req);
    return viewOf(target, isDryRun(ctx.query)).write(body);
  };

  const patch = async (ctx: Ctx, target: ResourceTarget): Promise<Reply> => {
    const body = await readBody(ctx.req);
    const view = viewOf(target, isDryRun(ctx.query));
    const patched = applyPatch(ctx.req.headers['content-type'], view.read(), body);
    if (!isRecord(patched) || !isRecord(patched.metadata)) {
      throw badRequest('the patch left no object with metadata: patches must keep metadata');
    }
    // The patch applies to the current object, so its resourceVersion is current unless the patch set one: then it is a precondition.
    return view.write(patched);
  };

  const remove = async (ctx: Ctx, { info, namespace, name = '' }: ResourceTarget): Promise<Reply> => {
    const opts = deleteOptions(ctx.query, await readBody(ctx.req));
    return new Reply(200, cluster.registry.delete(info, namespace, name, opts).body);
  };

  const deleteCollection = async (ctx: Ctx, { info, namespace }: ResourceTarget): Promise<Reply> => {
    const opts = deleteOptions(ctx.query, await readBody(ctx.req));
    // Every object the selectors match, each deleted as by a single DELETE.
    const matched = cluster.registry.list(info, namespace, selectors(ctx.query));
    const deleted = matched.items.map((o) => cluster.registry.delete(info, o.metadata.namespace, o.metadata.name, opts).object);
    return new Reply(200, {
      kind: info.listKind,
      apiVersion: apiVersionOf(info),
      metadata: { resourceVersion: String(cluster.store.revision) },
      items: deleted.map(stripTypeMeta),
    });
  };

  const eviction = async (ctx: Ctx, { namespace = 'default', name = '' }: ResourceTarget): Promise<Reply> => {
    const body = await readBody(ctx.req);
    const now = cluster.clock.now();
    return new Reply(201, evict(cluster.registry, namespace, name, body, now, cluster.clock.timestamp(now), isDryRun(ctx.query)));
  };

  const openapiDocument = async (_ctx: Ctx, { path }: Readonly<Record<string, string>>): Promise<Reply> => {
    const doc = (await openapi()).groupVersions.get(path ?? '');
    return doc ? new Reply(200, doc) : new Reply(404, '404 page not found', true);
  };

  const openapiV2 = async (ctx: Ctx): Promise<Reply> => {
    // The API server also serves v2 as protobuf; the simulator only as JSON, so a client that accepts nothing else gets 406.
    const accept = ctx.req.headers.accept ?? '*/*';
    if (!/application\/json|\*\/\*|application\/\*/.test(accept)) throw notAcceptable(['application/json']);
    return new Reply(200, (await openapi()).v2);
  };

  const resourceList = async (_ctx: Ctx, { group = '', version = '' }: Readonly<Record<string, string>>): Promise<Reply> => {
    if (group === 'metrics.k8s.io' && !cluster.metricsAvailable) throw serviceUnavailable(group, '', 'get');
    return new Reply(200, apiResourceList(group, version));
  };

  const group = async (_ctx: Ctx, params: Readonly<Record<string, string>>): Promise<Reply> => {
    const doc = apiGroup(params.group ?? '');
    return doc ? new Reply(200, doc) : new Reply(404, '404 page not found', true);
  };

  /** The route table: paths as the API reference writes them (resource paths relative to a group version). */
  const routes: readonly KubeRoute<Ctx, Reply | undefined>[] = [
    { method: 'GET', path: '/version', handle: async () => new Reply(200, versionInfo(cluster.kubernetesVersion)) },
    { method: 'GET', path: '/healthz', handle: async () => new Reply(200, 'ok', true) },
    { method: 'GET', path: '/api', handle: async (ctx) => new Reply(200, apiVersions(ctx.req.headers.host ?? '127.0.0.1')) },
    { method: 'GET', path: '/apis', handle: async () => new Reply(200, apiGroupList()) },
    { method: 'GET', path: '/apis/{group}', handle: group },
    { method: 'GET', path: '/apis/{group}/{version}', handle: resourceList },
    { method: 'GET', path: '/openapi/v2', handle: openapiV2 },
    { method: 'GET', path: '/openapi/v3', handle: async () => new Reply(200, (await openapi()).index) },
    { method: 'GET', path: '/openapi/v3/{path+}', handle: openapiDocument },
    { method: 'GET', path: 'watch/{resource}', verb: 'watch', handle: watch },
    { method: 'GET', path: 'watch/{resource}/{name}', verb: 'watch', handle: watch },
    { method: 'GET', path: '{resource}', verb: 'list', handle: list },
    { method: 'POST', path: '{resource}', verb: 'create', handle: create },
    { method: 'DELETE', path: '{resource}', verb: 'deletecollection', handle: deleteCollection },
    { method: 'GET', path: '{resource}/{name}/{subresource*}', verb: 'get', handle: read },
    { method: 'PUT', path: '{resource}/{name}/{subresource*}', verb: 'update', handle: replace },
    { method: 'PATCH', path: '{resource}/{name}/{subresource*}', verb: 'patch', handle: patch },
    { method: 'DELETE', path: '{resource}/{name}', verb: 'delete', handle: remove },
    { method: 'POST', path: '{resource}/{name}/eviction', verb: 'create', handle: eviction },
  ];

  const dispatch = async (ctx: Ctx, target: Target): Promise<Reply | undefined> => {
    const method = ctx.req.method ?? 'GET';
    if (target.kind === 'resource') {
      const { info } = target.resource;
      // The message client-go builds for a 503 from an unavailable aggregated API names the HTTP method ("get" for a list too).
      if (info.aggregated && !cluster.metricsAvailable) throw serviceUnavailable(info.group, info.resource, method.toLowerCase());
    }
    const handle = findRoute(routes, method, target);
    if (handle) return handle(ctx);
    if (target.kind === 'unknownResource') {
      if (target.group === 'metrics.k8s.io' && !cluster.metricsAvailable) throw serviceUnavailable(target.group, '', 'get');
      throw pathNotFound();
    }
    return new Reply(404, '404 page not found', true);
  };

  const send = (ctx: Ctx, reply: Reply, auditId: string): void => {
    const { res } = ctx;
    const headers: Record<string, string> = { 'Audit-Id': auditId, 'Cache-Control': 'no-cache, private' };
    if (reply.text) {
      res.writeHead(reply.code, { ...headers, 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      res.end(`${String(reply.body)}\n`);
      return;
    }
    let output: Output = { format: 'json' };
    try {
      output = ctx.output();
    } catch {
      // A Status for a client that accepts nothing we produce still goes out as JSON, as the API server does.
    }
    // The body is encoded before the head goes out, so an encoding failure can still be answered with a Status.
    const body =
      output.format === 'yaml' ? YAML.stringify(reply.body) : `${JSON.stringify(reply.body, null, ctx.pretty ? 2 : undefined)}\n`;
    res.writeHead(reply.code, { ...headers, 'Content-Type': output.format === 'yaml' ? 'application/yaml' : 'application/json' });
    res.end(body);
  };

  /** Answers a request that failed: its Status (a 500 InternalError for anything that is not a KubeError), logged. */
  const fail = (req: IncomingMessage, ctx: Ctx, error: unknown, auditId: string, finish: (code: number) => void): void => {
    const failure = error instanceof KubeError ? error : internalError(error instanceof Error ? error.message : String(error));
    if (!(error instanceof KubeError))
      options.log?.(`internal error on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`);
    if (ctx.res.headersSent) {
      ctx.res.end();
      return;
    }
    const status = { ...failure.status };
    // Status bodies are JSON (or YAML), never a Table.
    ctx.output = () => {
      const o = negotiate(req.headers.accept, false);
      return o.format === 'yaml' ? o : { format: 'json' };
    };
    try {
      send(ctx, new Reply(status.code, status), auditId);
    } catch {
      ctx.res.destroy();
    }
    finish(status.code);
  };

  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const auditId = randomUUID();
    const finish = (code: number): void => {
      options.log?.(`${req.method} ${req.url} ${code} ${(performance.now() - started).toFixed(1)}ms`);
    };
    const split = splitRequestTarget(req.url ?? '/');
    if (!split) {
      // What Go's server answers a request target it cannot parse, before any handler sees it.
      res.writeHead(400, { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' });
      res.end('400 Bad Request: malformed request target');
      finish(400);
      return;
    }
    const { path, query } = split;
    let negotiated: Output | undefined;
    const watching = req.method === 'GET' && ['true', '1'].includes(query.get('watch') ?? '');
    const target = resolveTarget(path, watching);
    const transformable = target.kind === 'resource';
    const ctx: Ctx = {
      req,
      res,
      query,
      pretty: isPretty(req, query),
      output: () => {
        negotiated ??= negotiate(req.headers.accept, transformable);
        return negotiated;
      },
    };
    dispatch(ctx, target)
      .then((reply) => {
        if (!reply) {
          finish(200);
          return;
        }
        send(ctx, reply, auditId);
        finish(reply.code);
      })
      .catch((error: unknown) => fail(req, ctx, error, auditId, finish));
  };

  // Every failure, thrown at once or later, becomes an answer: nothing a client sends can stop the server.
  const server = createServer((req, res) => {
    try {
      serve(req, res);
    } catch (error) {
      options.log?.(`internal error on ${req.method} ${req.url}: ${error instanceof Error ? error.stack : String(error)}`);
      if (res.headersSent) res.destroy();
      else {
        const status = internalError(error instanceof Error ? error.message : String(error)).status;
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(`${JSON.stringify(status)}\n`);
      }
    }
  });
  // Watches stay open for a long time; keep-alive sockets are ended by close().
  server.keepAliveTimeout = 5_000;

  return {
    server,
    endWatches: () => {
      for (const stop of [...watches]) stop();
      watches.clear();
    },
  };
}
