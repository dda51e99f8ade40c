import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiException } from '@kubernetes/client-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransientError, UserError } from '../../src/errors.js';
import { kubeFailure, statusOf } from '../../src/kube/api-errors.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/kube/backoff.js';
import { loadKubeConfig } from '../../src/kube/kubeconfig.js';
import { usageFromNodeMetrics } from '../../src/kube/metrics-client.js';
import { tempDir } from '../support/temp.js';

const PODS = { resource: 'pods', group: '' };

describe('list and watch failures in the error taxonomy', () => {
  it('reads the status from client-node API exceptions and from Watch errors', () => {
    expect(statusOf(new ApiException(403, 'Forbidden', {}, {}))).toBe(403);
    expect(statusOf(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(statusOf(new TypeError('fetch failed'))).toBeUndefined();
    expect(statusOf(undefined)).toBeUndefined();
  });

  it('makes 403 a refusal naming the verb, resource and API group the ClusterRole must grant', () => {
    const error = kubeFailure(new ApiException(403, 'Forbidden', {}, {}), 'list', { resource: 'poddisruptionbudgets', group: 'policy' });
    expect(error).toBeInstanceOf(UserError);
    expect(error.message).toBe(
      `cannot list poddisruptionbudgets.policy: forbidden (403): the watcher's ClusterRole must grant "list" on "poddisruptionbudgets" in apiGroup "policy"`,
    );
    expect(error.cause).toBeInstanceOf(ApiException);
  });

  it('makes 401 a refusal about the credentials, and 404 one about the API not being served', () => {
    const unauthorized = kubeFailure(Object.assign(new Error('Unauthorized'), { statusCode: 401 }), 'watch', PODS);
    expect(unauthorized).toBeInstanceOf(UserError);
    expect(unauthorized.message).toMatch(/^cannot watch pods: the API server refused the credentials \(401\)/);
    expect(unauthorized.message).toContain('"watch" on "pods" in apiGroup ""');
    const missing = kubeFailure(new ApiException(404, 'Not Found', {}, {}), 'list', { resource: 'nodes', group: 'metrics.k8s.io' });
    expect(missing).toBeInstanceOf(UserError);
    expect(missing.message).toMatch(/^cannot list nodes\.metrics\.k8s\.io: the API server does not serve it \(404\)/);
  });

  it('makes server errors, throttling and network failures transient, saying what failed underneath', () => {
    const unavailable = kubeFailure(new ApiException(503, 'Service Unavailable', {}, {}), 'list', PODS);
    expect(unavailable).toBeInstanceOf(TransientError);
    expect(unavailable.message).toMatch(/^cannot list pods \(HTTP 503\)/);
    const cut = kubeFailure(new TypeError('terminated', { cause: new Error('other side closed') }), 'watch', PODS);
    expect(cut).toBeInstanceOf(TransientError);
    expect(cut.message).toBe('cannot watch pods: terminated: other side closed');
    expect(cut.cause).toBeInstanceOf(TypeError);
  });

  it('keeps an error that is already in the taxonomy', () => {
    const already = new TransientError('x');
    expect(kubeFailure(already, 'list', PODS)).toBe(already);
  });
});

describe('restart backoff', () => {
  const policy = { ...DEFAULT_BACKOFF, initialMs: 1000, maxMs: 8000, jitter: 0.5 };

  it('doubles from the first delay up to the cap', () => {
    expect([0, 1, 2, 3, 4, 60, 5000].map((attempt) => backoffDelay(policy, attempt, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000, 8000,
    ]);
  });

  it('takes up to the jitter share off each delay at random, never going over the cap', () => {
    expect(backoffDelay(policy, 0, () => 0.999_999)).toBe(500);
    expect(backoffDelay(policy, 2, () => 0.5)).toBe(3000);
    for (let attempt = 0; attempt < 10; attempt++) {
      const delay = backoffDelay(policy, attempt, Math.random);
      expect(delay).toBeGreaterThanOrEqual(Math.min(8000, 1000 * 2 ** attempt) / 2);
      expect(delay).toBeLessThanOrEqual(8000);
    }
  });
});

describe('node usage from metrics.k8s.io', () => {
  const sample = (name: string, cpu: string, memory: string, timestamp = '2026-03-01T10:00:00Z') => ({
    metadata: { name, selfLink: '', creationTimestamp: timestamp },
    timestamp,
    window: '20s',
    usage: { cpu, memory },
  });

  it('reads each node in millicores and bytes, at the newest sample time', () => {
    const usage = usageFromNodeMetrics({
      items: [sample('a', '250m', '1Gi', '2026-03-01T10:00:00Z'), sample('b', '1500000000n', '2048Ki', '2026-03-01T10:00:15Z')],
    });
    expect(usage).toEqual({
      at: Date.parse('2026-03-01T10:00:15Z'),
      nodes: new Map([
        ['a', { cpu: 250, memory: 2 ** 30 }],
        ['b', { cpu: 1500, memory: 2 * 2 ** 20 }],
      ]),
    });
  });

  it('leaves out unreadable samples, and gives no usage when none can be read (zero would look idle)', () => {
    const usage = usageFromNodeMetrics({
      items: [sample('a', 'lots', '1Gi'), sample('b', '1', '1Gi', 'yesterday'), sample('c', '1', '1')],
    });
    expect([...(usage?.nodes.keys() ?? [])]).toEqual(['c']);
    expect(usageFromNodeMetrics({ items: [] })).toBeUndefined();
    expect(usageFromNodeMetrics({ items: [sample('a', '', '')] })).toBeUndefined();
  });
});

describe('loading the kubeconfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('reads KUBECONFIG', async () => {
    const dir = await tempDir();
    const file = join(dir, 'config');
    await writeFile(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://10.0.0.1:6443"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: x, context: {cluster: c, user: u}}]',
        'current-context: x',
      ].join('\n'),
    );
    vi.stubEnv('KUBECONFIG', file);
    expect(loadKubeConfig().getCurrentCluster()?.server).toBe('https://10.0.0.1:6443');
  });

  it('refuses a KUBECONFIG it cannot read, naming it', async () => {
    const dir = await tempDir();
    vi.stubEnv('KUBECONFIG', join(dir, 'missing'));
    expect(() => loadKubeConfig()).toThrow(UserError);
    expect(() => loadKubeConfig()).toThrow(`cannot load the kubeconfig (KUBECONFIG=${join(dir, 'missing')})`);
  });

  it('refuses to fall back to an unauthenticated localhost:8080 when it finds no kubeconfig and no service account', async () => {
    const home = await tempDir();
    await mkdir(join(home, '.kube'));
    vi.stubEnv('KUBECONFIG', '');
    vi.stubEnv('HOME', home);
    expect(() => loadKubeConfig()).toThrow(/^no kubeconfig found: set KUBECONFIG, or run in a pod/);
  });
});
