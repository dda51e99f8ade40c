import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

// A real HTTP server in front of the GitHub simulator that passes requests through and, when told,
// answers some of them itself: a 502 before the simulator sees the request (GitHub down), a 502
// after it did the work (the answer lost on the way back, as after a timeout), and GraphQL, which
// the simulator does not serve. The product's client talks HTTP to it as it would to GitHub.

export interface Fault {
  method: string;
  /** Matched against the path and query. */
  path: RegExp;
  /** `before`: the simulator never sees the request. `after`: it does the work, and the answer is lost. */
  when: 'before' | 'after';
  status?: number;
  /** How many matching requests fail. Default 1. */
  times?: number;
}

export interface GraphqlCall {
  query: string;
  variables: Record<string, unknown>;
}

export interface FaultProxy {
  url: string;
  fail(fault: Fault): void;
  /** Runs `action` before the next matching request reaches the simulator (a person pushing at that moment, say). */
  before(method: string, path: RegExp, action: () => Promise<unknown>): void;
  /** The faults and actions not used yet: a test whose failure never happened tests nothing. */
  unused(): string[];
  /** Every GraphQL request, in order. */
  graphqlCalls: GraphqlCall[];
  /** The answer to GraphQL requests. Default: `{ data: {} }`. */
  answerGraphql(answer: (call: GraphqlCall) => unknown): void;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'content-encoding']);

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const payload = Buffer.from(JSON.stringify(value));
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(payload.length) });
  res.end(payload);
}

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const faults: Array<Required<Fault>> = [];
  const graphqlCalls: GraphqlCall[] = [];
  const actions: Array<{ method: string; path: RegExp; action: () => Promise<unknown> }> = [];
  let graphqlAnswer: (call: GraphqlCall) => unknown = () => ({ data: {} });

  function takeFault(method: string, path: string): Required<Fault> | undefined {
    const fault = faults.find((f) => f.times > 0 && f.method === method && f.path.test(path));
    if (fault) fault.times--;
    return fault;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const body = await bodyOf(req);
    if (method === 'POST' && path === '/graphql') {
      const call = JSON.parse(body.toString('utf8')) as GraphqlCall;
      graphqlCalls.push(call);
      sendJson(res, 200, graphqlAnswer(call));
      return;
    }
    const hook = actions.findIndex((a) => a.method === method && a.path.test(path));
    if (hook >= 0) await actions.splice(hook, 1)[0]?.action();
    const fault = takeFault(method, path);
    const serverError = { message: 'Server Error' };
    if (fault?.when === 'before') {
      sendJson(res, fault.status, serverError);
      return;
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(`${target}${path}`, {
      method,
      headers,
      ...(body.length > 0 && method !== 'GET' && method !== 'HEAD' ? { body } : {}),
    });
    const payload = Buffer.from(await answer.arrayBuffer());
    if (fault?.when === 'after') {
      sendJson(res, fault.status, serverError);
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) out[name] = value;
    });
    if (payload.length > 0) out['content-length'] = String(payload.length);
    res.writeHead(answer.status, out);
    res.end(payload.length > 0 ? payload : undefined);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { message: `proxy: ${String(error)}` });
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    fail: (fault) => faults.push({ status: 502, times: 1, ...fault }),
    before: (method, path, action) => actions.push({ method, path, action }),
    unused: () => [
      ...faults.filter((f) => f.times > 0).map((f) => `${f.method} ${f.path} (${f.when})`),
      ...actions.map((a) => `${a.method} ${a.path} (action)`),
    ],
    graphqlCalls,
    answerGraphql: (answer) => {
      graphqlAnswer = answer;
    },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
