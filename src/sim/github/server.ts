import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tokenFrom } from './auth.js';
import type { Reply, RequestContext, Sim } from './context.js';
import { ApiError, badJson, DOCS_ROOT, notFound } from './errors.js';
import { MAX_JSON_DEPTH, payloadTooLarge, REQUEST_BODY_LIMIT } from './limits.js';
import { RateLimiter, type RateLimitStatus, rateLimitHeaders } from './rate-limit.js';
import { type Route, type RouteMatch, Router } from './router.js';

/** One request as the simulator saw it: what tests assert "0 calls in an idle cycle" against. */
export interface RequestRecord {
  method: string;
  /** Path and query as sent. */
  path: string;
  status: number;
}

interface Answer {
  reply: Reply;
  rate: RateLimitStatus;
  free: boolean;
  /** The request body was left unread: close the connection once the answer is out. */
  close?: boolean;
}

export interface ApiServer {
  url: string;
  requestCount(): number;
  requests(): RequestRecord[];
  close(): Promise<void>;
}

export interface ServeOptions {
  host: string;
  port: number;
  routes: readonly Route[];
  /** Requests per token per hour (GitHub: 5,000 for a user token). */
  rateLimit: number;
  clock: () => Date;
  /** Builds the repository context once the port, and so the base URL, is known. */
  createSim(baseUrl: string): Sim;
  /** A handler failed with something other than an API error: GitHub would answer 500. */
  onError(error: unknown): void;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** How long, and how much of a refused upload, a closing connection goes on reading and discarding. */
const LINGER_MS = 2000;
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * The request body, or undefined when it is larger than `limit`: refused by its `Content-Length`
 * before a byte is read, or as soon as a chunked body passes the limit, the rest left unread.
 */
async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  if (Number(req.headers['content-length']) > limit) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  // Leaving the loop early must not destroy the request: that resets the connection, and the
  // client would never see the 413.
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > limit) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Closes a connection whose request body was left unread, once the answer is out. Node would
 * destroy the socket as soon as the answer is written; with the upload still arriving, the kernel
 * then resets the connection, and a client still sending can lose the answer. Instead the server
 * half-closes, reads and discards what the client still sends (at most LINGER_BYTES, for at most
 * LINGER_MS), and closes when the client does: nothing of the refused body is kept.
 */
function closeWhenAnswered(req: IncomingMessage): void {
  const socket = req.socket;
  socket.destroySoon = () => {
    socket.end();
    const close = (): void => {
      socket.destroy();
    };
    const timer = setTimeout(close, LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', close);
    let discarded = 0;
    req.on('data', (chunk: Buffer) => {
      discarded += chunk.length;
      if (discarded > LINGER_BYTES) close();
    });
    req.resume();
  };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Whether JSON text opens more than `max` arrays and objects inside one another. */
function nestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  for (let at = 0; at < text.length; at++) {
    const char = text.charCodeAt(at);
    if (char === 0x22) {
      // A string: skip to its closing quote, over escapes.
      for (at++; at < text.length; at++) {
        const inner = text.charCodeAt(at);
        if (inner === 0x5c) at++;
        else if (inner === 0x22) break;
      }
    } else if (char === 0x5b || char === 0x7b) {
      if (++depth > max) return true;
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return false;
}

/** Whether every string in a parsed JSON value, keys included, is well-formed UTF-16. */
function wellFormed(value: unknown): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (Array.isArray(value)) return value.every(wellFormed);
  if (typeof value === 'object' && value !== null)
    return Object.entries(value).every(([key, item]) => key.isWellFormed() && wellFormed(item));
  return true;
}

/**
 * The JSON body; 400 `Problems parsing JSON` for bytes that are not UTF-8 and for nesting deeper
 * than MAX_JSON_DEPTH (both refused by GitHub's parser), and for strings holding half a surrogate
 * pair (`"\ud800"`): no UTF-8 text, file name or ref name can hold one, and git would silently get
 * U+FFFD instead (a ref was created under another name than the one asked for).
 */
function parseJson(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  let value: unknown;
  try {
    const text = utf8.decode(raw);
    if (nestedDeeperThan(text, MAX_JSON_DEPTH)) throw badJson();
    value = JSON.parse(text);
  } catch {
    throw badJson();
  }
  if (!wellFormed(value)) throw badJson();
  return value;
}

/**
 * A header value Node will send. Node refuses (throws on) any character outside Latin-1 and sends
 * Latin-1 as raw bytes that clients read as mojibake, so every character outside printable ASCII
 * is percent-encoded as UTF-8, as a URL needs it: a `Location` or `Link` naming a branch such as
 * `scale/東京` comes out as `scale/%E6%9D%B1%E4%BA%AC`. Handlers build URLs already encoded; this
 * is what makes sure building an answer can never fail after a handler has changed something.
 */
export function headerValue(value: string): string {
  return value.replace(/[^\u0020-\u007e]+/g, (run) =>
    [...Buffer.from(run, 'utf8')].map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join(''),
  );
}

/** GitHub's request ids look like `C0DE:12AB:3C4D5E:6F7A8B:66A1B2C3`; unique per request is what matters. */
function requestId(sequence: number, started: number): string {
  const hex = (n: number, width: number): string => n.toString(16).toUpperCase().padStart(width, '0');
  return `${hex(process.pid & 0xffff, 4)}:${hex(sequence, 6)}:${hex(started & 0xffffff, 6)}:${hex((sequence * 2654435761) >>> 8, 6)}:${hex(Math.floor(started / 1000), 8)}`;
}

/** Starts the HTTP server on node:http and answers every request through the route table. */
export async function serve(options: ServeOptions): Promise<ApiServer> {
  const router = new Router(options.routes);
  const limiter = new RateLimiter(options.rateLimit, options.clock);
  const log: RequestRecord[] = [];
  let sim: Sim | undefined;

  /** Rate limits are kept per token, and per client address for requests without one. */
  function limitKey(req: IncomingMessage): { token: string | undefined; key: string } {
    const header = req.headers.authorization;
    const token = tokenFrom(Array.isArray(header) ? header[0] : header);
    return { token, key: token ? `token:${token}` : `anonymous:${req.socket.remoteAddress ?? ''}` };
  }

  /** The request URL, or undefined when it cannot be one (`GET http://[ HTTP/1.1`). */
  function requestUrl(req: IncomingMessage, current: Sim): URL | undefined {
    try {
      return new URL(req.url ?? '/', current.baseUrl);
    } catch {
      return undefined;
    }
  }

  function routeOf(method: string, url: URL, current: Sim): RouteMatch | undefined {
    // GitHub's link headers use `/repositories/{id}/...`; the simulator answers those as well.
    let path = url.pathname;
    const alias = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
    if (alias) path = Number(alias[1]) === current.repositoryId ? `/repos/${current.owner}/${current.repo}${alias[2] ?? ''}` : '/-';
    return router.match(method, path);
  }

  /** `invite`: sends `100 Continue`, for a client that waits for it before sending the body. */
  async function answer(req: IncomingMessage, url: URL | undefined, current: Sim, invite?: () => void): Promise<Answer> {
    const method = req.method ?? 'GET';
    const { token, key } = limitKey(req);
    let rate = limiter.peek(key);
    if (!url) return { reply: { status: 400, body: new ApiError(400, 'Bad Request').body(DOCS_ROOT) }, rate, free: false, close: true };
    const match = routeOf(method, url, current);
    const docs = match ? `${DOCS_ROOT}/${match.route.docs}` : DOCS_ROOT;
    const free = match?.route.free === true;
    // An oversized body is refused first, before authentication and rate limits, as GitHub's front
    // end does, and without reading it.
    const limit = match?.route.maxBodyBytes ?? REQUEST_BODY_LIMIT;
    if (invite && !(Number(req.headers['content-length']) > limit)) invite();
    const body = await readBody(req, limit);
    if (!body) return { reply: { status: 413, body: payloadTooLarge(limit).body(docs) }, rate, free, close: true };
    try {
      if (!free) {
        const spent = limiter.spend(key);
        if (!spent) {
          throw new ApiError(
            403,
            token
              ? 'API rate limit exceeded for user ID 1001.'
              : `API rate limit exceeded for ${req.socket.remoteAddress ?? 'this address'}.`,
            undefined,
            'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api',
          );
        }
        rate = spent;
      }
      if (!token && !free) throw new ApiError(401, 'Requires authentication');
      if (!match) throw notFound();
      const { owner, repo } = match.params;
      if (owner !== undefined && owner.toLowerCase() !== current.owner.toLowerCase()) throw notFound();
      if (repo !== undefined && repo.toLowerCase() !== current.repo.toLowerCase()) throw notFound();
      const ctx: RequestContext = {
        sim: current,
        method,
        params: match.params,
        query: url.searchParams,
        body: method === 'GET' || method === 'HEAD' ? undefined : parseJson(body),
        headers: req.headers,
        url,
        rateLimit: rate,
      };
      // One request at a time: reads refresh pull requests from their branches, and writes check
      // state before changing it; neither may interleave with another request's write.
      const reply = await current.state.exclusive(async () => {
        try {
          return await match.route.handle(ctx);
        } finally {
          if (method !== 'GET' && method !== 'HEAD') await current.state.save();
        }
      });
      return { reply, rate, free };
    } catch (error) {
      if (error instanceof ApiError) return { reply: { status: error.status, body: error.body(docs) }, rate, free };
      options.onError(error);
      return { reply: { status: 500, body: { message: 'Server Error', documentation_url: docs, status: '500' } }, rate, free };
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, expectsContinue = false): Promise<void> {
    const started = Date.now();
    const sequence = log.length + 1;
    const record: RequestRecord = { method: req.method ?? 'GET', path: req.url ?? '/', status: 0 };
    log.push(record);
    if (!sim) throw new Error('the simulator is not ready');
    const invite = expectsContinue ? () => res.writeContinue() : undefined;
    const { reply, rate, free, close } = await answer(req, requestUrl(req, sim), sim, invite);
    const headers: Record<string, string> = {
      'x-github-request-id': requestId(sequence, started),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
      vary: 'Accept, Authorization, Cookie, X-GitHub-OTP',
      ...rateLimitHeaders(rate),
      ...reply.headers,
    };
    let status = reply.status;
    let payload: Buffer | undefined;
    if (reply.raw) {
      payload = reply.raw.data;
      headers['content-type'] = reply.raw.contentType;
    } else if (reply.body !== undefined) {
      payload = Buffer.from(JSON.stringify(reply.body));
      headers['content-type'] = JSON_TYPE;
    }
    if (payload && status === 200 && (req.method === 'GET' || req.method === 'HEAD')) {
      const etag = `W/"${createHash('sha256').update(payload).digest('hex')}"`;
      headers.etag = etag;
      headers['cache-control'] = 'private, max-age=60, s-maxage=60';
      // A conditional request answered 304 costs no rate limit on GitHub: the cheap idle poll.
      if (req.headers['if-none-match'] === etag) {
        status = 304;
        payload = undefined;
        if (!free) {
          const { key } = limitKey(req);
          limiter.refund(key);
          Object.assign(headers, rateLimitHeaders(limiter.peek(key)));
        }
      }
    }
    record.status = status;
    if (payload) headers['content-length'] = String(payload.length);
    if (close) {
      headers.connection = 'close';
      closeWhenAnswered(req);
    }
    for (const [name, value] of Object.entries(headers)) headers[name] = headerValue(value);
    res.writeHead(status, headers);
    res.end(req.method === 'HEAD' ? undefined : payload);
  }

  function onRequest(req: IncomingMessage, res: ServerResponse, expectsContinue = false): void {
    handle(req, res, expectsContinue).catch((error: unknown) => {
      options.onError(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify({ message: 'Server Error', documentation_url: DOCS_ROOT, status: '500' }));
    });
  }
  const server = createServer(onRequest);
  // `Expect: 100-continue` (curl sends it for bodies over 1 MiB): the client waits for an invitation
  // before sending the body, which the server gives only when it will read the body, so an oversized
  // upload is answered 413 without ever being sent.
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;
  sim = options.createSim(url);

  let closing: Promise<void> | undefined;
  /**
   * Stops accepting connections, lets requests under way finish (their git writes and state saves
   * complete and their answers go out), then drops the keep-alive sockets that fetch and octokit
   * hold open, which would otherwise keep close() waiting.
   */
  async function close(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    server.closeIdleConnections();
    await sim?.state.exclusive(async () => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    server.closeAllConnections();
    await closed;
  }
  return {
    url,
    requestCount: () => log.length,
    requests: () => log.map((entry) => ({ ...entry })),
    // Idempotent: a test's afterAll may close a server the test already closed.
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
