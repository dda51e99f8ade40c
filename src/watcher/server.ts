/**
 * The watcher's HTTP endpoints, for the kubelet's probes and Prometheus:
 * - `GET /healthz`: 200 while the process serves at all (the liveness probe);
 * - `GET /readyz`: 200 when ready, else 503, with a JSON body saying why either way;
 * - `GET /metrics`: the Prometheus text format.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError } from '../errors.js';
import type { Readiness } from './watcher.js';

export interface HealthServerOptions {
  /** Default 0.0.0.0: probes and scrapes come from outside the pod. */
  host?: string;
  /** 0: any free port. */
  port: number;
  readiness(): Readiness;
  metrics(): Promise<{ contentType: string; body: string }>;
  /** Applied to every body: masks secrets an error message might carry. */
  mask(text: string): string;
}

export interface HealthServer {
  /** `http://<host>:<port>` (127.0.0.1 when listening on every address). */
  url: string;
  port: number;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const JSON_TYPE = 'application/json; charset=utf-8';

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const json = (res: ServerResponse, status: number, value: unknown): void =>
    send(res, status, JSON_TYPE, options.mask(JSON.stringify(value)));
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').replace(/\?.*$/, '');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      json(res, 405, { error: `${req.method} is not allowed: the endpoints are read with GET` });
      return;
    }
    if (path === '/healthz') {
      json(res, 200, { status: 'ok' });
    } else if (path === '/readyz') {
      const readiness = options.readiness();
      json(res, readiness.ready ? 200 : 503, readiness);
    } else if (path === '/metrics') {
      const { contentType, body } = await options.metrics();
      send(res, 200, contentType, options.mask(body));
    } else {
      json(res, 404, { error: `no ${path} here: the endpoints are /healthz, /readyz and /metrics` });
    }
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { error: String(error) });
      else res.end();
    });
  });
  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new UserError(`port ${options.port} is in use: pick another with --port, or --port 0 for any free port`)
          : error,
      );
    });
    server.listen(options.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
