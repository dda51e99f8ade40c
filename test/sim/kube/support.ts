import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { execa } from 'execa';
import { type KubeSim, type KubeSimOptions, startKubeSim } from '../../../src/sim/kube/index.js';
import { tempDir } from '../../support/temp.js';

export interface SimHandle {
  sim: KubeSim;
  kc: KubeConfig;
  dir: string;
  kubeconfig: string;
  /** Runs kubectl against the simulator (never throws: check exitCode). */
  kubectl(
    args: string[],
    options?: { timeoutMs?: number; input?: string },
  ): Promise<{ exitCode: number; stdout: string; stderr: string; ms: number }>;
  close(): Promise<void>;
}

/**
 * Starts a simulator with a fast clock (grace periods of 30 s take 0.3 s) and a private
 * kubeconfig and kubectl cache directory, so runs never share kubectl's discovery cache. The
 * directory is removed when the test file finishes (test/support/temp.ts).
 */
export async function startSim(options: KubeSimOptions = {}): Promise<SimHandle> {
  const dir = await tempDir('sim-kube-');
  const kubeconfig = join(dir, 'kubeconfig');
  const sim = await startKubeSim({ timeScale: 100, kubeconfigPath: kubeconfig, ...options });
  const kc = new KubeConfig();
  kc.loadFromString(sim.kubeConfigYaml);
  return {
    sim,
    kc,
    dir,
    kubeconfig,
    async kubectl(args, opts = {}) {
      const started = performance.now();
      const result = await execa('kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], {
        reject: false,
        timeout: opts.timeoutMs ?? 30_000,
        ...(opts.input !== undefined ? { input: opts.input } : {}),
        env: { HOME: dir },
      });
      return {
        exitCode: result.exitCode ?? -1,
        stdout: String(result.stdout),
        stderr: String(result.stderr),
        ms: performance.now() - started,
      };
    },
    async close() {
      await sim.close();
    },
  };
}

export async function writeTemp(dir: string, name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Polls until `check` returns a value other than undefined (real time), or fails naming what it waited for. */
export async function eventually<T>(what: string, check: () => T | undefined | Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** What tests read from an answer: a Status's fields, or an object's or a list's. */
export interface Answer {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { name?: string; kind?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
  metadata?: { name?: string; [key: string]: unknown };
  items?: unknown[];
  [key: string]: unknown;
}

export interface RawResponse {
  status: number;
  /** The body parsed as JSON ({} when it is not JSON: see `text`). */
  body: Answer;
  text: string;
}

/**
 * One HTTP request with the path sent exactly as given (fetch and URL would resolve `..` and
 * `%2e%2e` on the client side, so a server's own path handling could not be tested with them).
 */
export function rawRequest(
  serverUrl: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const { hostname, port } = new URL(serverUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: hostname,
        port,
        method,
        path,
        // A length always: Node sends the body of a DELETE without one (neither length nor chunks) otherwise.
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: Answer = {};
          try {
            parsed = JSON.parse(text) as Answer;
          } catch {}
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}
