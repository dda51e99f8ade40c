import { readFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_REPLICAS } from '../../../src/sim/kube/index.js';
import { R } from '../../../src/sim/kube/resources.js';
import { parseScenario } from '../../../src/sim/kube/scenario.js';
import { BIN } from '../../cli/run-cli.js';
import { withTempDir } from '../../support/temp.js';
import { eventually, rawRequest, type SimHandle, startSim } from './support.js';

let handle: SimHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';

/**
 * One turn of the event loop: the cluster's next background sync, queued before this, runs first
 * (immediates run in order), so a test sees the state after each sync.
 */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function deployment(name: string, replicas: number, app = name): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app } },
      template: { metadata: { labels: { app } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27' }] } },
    },
  };
}

/** The pods of one namespace, counted by the API (a list of one item reports how many remain). */
async function podCount(url: string, namespace: string): Promise<number> {
  const res = await rawRequest(url, 'GET', `/api/v1/namespaces/${namespace}/pods?limit=1`);
  expect(res.status).toBe(200);
  const items = res.body.items?.length ?? 0;
  return items + Number((res.body.metadata as { remainingItemCount?: number } | undefined)?.remainingItemCount ?? 0);
}

describe('a scale to the replica limit', () => {
  it(`creates pods in batches (at most 500 a sync) and answers between them: GETs see the count grow, not wait for ${MAX_REPLICAS}`, async () => {
    // The clock stands still: only the controllers' own syncs happen between two answers.
    handle = await startSim({ timeScale: 0 });
    const { sim } = handle;
    await rawRequest(sim.url, 'POST', '/api/v1/namespaces', JSON.stringify({ metadata: { name: 'big' } }));
    const created = await rawRequest(
      sim.url,
      'POST',
      '/apis/apps/v1/namespaces/big/deployments',
      JSON.stringify({ ...deployment('big', 1), metadata: { name: 'big', namespace: 'big' } }),
    );
    expect(created.status).toBe(201);
    await eventually('the first pod', async () => ((await podCount(sim.url, 'big')) === 1 ? true : undefined));
    const scaled = await rawRequest(
      sim.url,
      'PATCH',
      '/apis/apps/v1/namespaces/big/deployments/big/scale',
      JSON.stringify({ spec: { replicas: MAX_REPLICAS } }),
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(scaled.status).toBe(200);
    const seen: number[] = [];
    for (;;) {
      const count = await podCount(sim.url, 'big');
      seen.push(count);
      if (count === MAX_REPLICAS) break;
      expect(seen.length, `counts seen so far: ${seen.join(', ')}`).toBeLessThan(1000);
    }
    // The first answer came while the scale-up was under way, and no answer waited for more than a
    // few syncs of 500 (one runs each turn of the event loop; a request and its answer take two or three).
    expect(seen[0]).toBeLessThan(MAX_REPLICAS / 2);
    const steps = seen.slice(1).map((count, i) => count - (seen[i] as number));
    expect(Math.max(...steps), `counts seen: ${seen.join(', ')}`).toBeLessThanOrEqual(1500);
    // The deployment's status catches up with its pods.
    await eventually('the status', async () => {
      const d = await rawRequest(sim.url, 'GET', '/apis/apps/v1/namespaces/big/deployments/big');
      return (d.body.status as { replicas?: number } | undefined)?.replicas === MAX_REPLICAS ? true : undefined;
    });
  }, 120_000);

  it('deletes pods in batches too when scaled back down: 500 a turn of the event loop', async () => {
    handle = await startSim({ timeScale: 0 });
    const { sim } = handle;
    sim.cluster.createDeployment({ name: 'big', namespace: 'big', replicas: 2000 });
    sim.cluster.settle();
    const active = (): number => sim.cluster.pods('big').filter((p) => !p.metadata.deletionTimestamp).length;
    expect(active()).toBe(2000);
    sim.cluster.scaleDeployment('big', 0, 'big');
    const seen: number[] = [];
    while (active() > 0 && seen.length < 100) {
      await turn();
      seen.push(active());
    }
    expect(seen).toEqual([1500, 1000, 500, 0]);
  });
});

describe('a DaemonSet on 600 nodes', () => {
  it('creates its pods 250 a turn of the event loop', async () => {
    handle = await startSim({ timeScale: 0, cluster: { system: false, timing: { nodeReadySeconds: 0 } } });
    const { sim } = handle;
    for (let i = 0; i < 600; i++) sim.cluster.addNode(`extra-${i}`, { size: 't3.small' });
    sim.cluster.settle();
    // Every node but the control plane's (its NoSchedule taint is not tolerated).
    const nodes = sim.cluster.nodes().filter((n) => !n.spec.taints?.length).length;
    expect(nodes).toBe(602);
    sim.cluster.registry.create(R.daemonsets, 'default', {
      metadata: { name: 'agent' },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox' }] } },
      },
    });
    const seen: number[] = [];
    while ((seen.at(-1) ?? 0) < nodes && seen.length < 100) {
      await turn();
      seen.push(sim.cluster.pods('default').length);
    }
    expect(seen).toEqual([250, 500, 602]);
  });
});

describe('a create the API server refuses does not stop the controllers', () => {
  it('a ReplicaSet with a long name gets pods named within 63 characters; a Deployment whose ReplicaSet name would be too long gets one Warning event', async () => {
    const errors: Error[] = [];
    handle = await startSim({ timeScale: 0, cluster: { onError: (error) => errors.push(error) } });
    const { sim } = handle;
    const long = `r${'e'.repeat(248)}`;
    const rs = { ...deployment(long, 2, 'long-rs'), kind: 'ReplicaSet' };
    expect((await rawRequest(sim.url, 'POST', '/apis/apps/v1/namespaces/default/replicasets', JSON.stringify(rs))).status).toBe(201);
    expect((await rawRequest(sim.url, 'POST', DEPLOYMENTS, JSON.stringify(deployment(`d${'e'.repeat(248)}`, 1, 'long-d')))).status).toBe(
      201,
    );
    expect((await rawRequest(sim.url, 'POST', DEPLOYMENTS, JSON.stringify(deployment('web', 1)))).status).toBe(201);
    sim.cluster.settle();
    const pods = sim.cluster.pods('default').map((p) => p.metadata.name);
    expect(pods.filter((name) => name.startsWith('web-'))).toHaveLength(1);
    const named = pods.filter((name) => name.startsWith('r'));
    expect(named).toHaveLength(2);
    for (const name of named) expect(name).toMatch(new RegExp(`^${long.slice(0, 58)}[a-z0-9]{5}$`));
    const events = await rawRequest(sim.url, 'GET', '/api/v1/namespaces/default/events?fieldSelector=reason%3DReplicaSetCreateError');
    const warnings = events.body.items as Array<{ count: number; message: string; type: string }>;
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning', count: 1 });
    expect(warnings[0]?.message).toMatch(
      /^Failed to create new replica set "de+-[a-z0-9]+": ReplicaSet\.apps "de+-[a-z0-9]+" is invalid: metadata\.name/,
    );
    expect(errors).toEqual([]);
  });
});

describe(`replicas above ${MAX_REPLICAS} are refused with a 422 naming spec.replicas`, () => {
  const over = MAX_REPLICAS + 1;

  function expectInvalidReplicas(res: {
    status: number;
    body: { reason?: string; message?: string; details?: { causes?: Array<{ field?: string }> } };
  }): void {
    expect(res.status).toBe(422);
    expect(res.body.reason).toBe('Invalid');
    expect(res.body.details?.causes?.map((c) => c.field)).toEqual(['spec.replicas']);
    expect(res.body.message).toContain(`spec.replicas: Invalid value: ${over}: must be less than or equal to ${MAX_REPLICAS}`);
  }

  it('on create, update, patch and the scale subresource; 10^9 as well', async () => {
    handle = await startSim({ timeScale: 0 });
    const { sim } = handle;
    const send = (method: string, path: string, body: unknown, type = 'application/json') =>
      rawRequest(sim.url, method, path, JSON.stringify(body), { 'content-type': type });
    expectInvalidReplicas(await send('POST', DEPLOYMENTS, deployment('web', over)));
    expect((await send('POST', DEPLOYMENTS, deployment('web', 1e9))).status).toBe(422);
    const rs = { ...deployment('rs', over), kind: 'ReplicaSet' };
    expectInvalidReplicas(await send('POST', '/apis/apps/v1/namespaces/default/replicasets', rs));
    expect((await send('POST', DEPLOYMENTS, deployment('web', 2))).status).toBe(201);
    const current = (await rawRequest(sim.url, 'GET', `${DEPLOYMENTS}/web`)).body;
    expectInvalidReplicas(await send('PUT', `${DEPLOYMENTS}/web`, { ...current, spec: { ...(current.spec as object), replicas: over } }));
    expectInvalidReplicas(await send('PATCH', `${DEPLOYMENTS}/web`, { spec: { replicas: over } }, 'application/merge-patch+json'));
    expectInvalidReplicas(
      await send('PATCH', `${DEPLOYMENTS}/web`, { spec: { replicas: over } }, 'application/strategic-merge-patch+json'),
    );
    expectInvalidReplicas(await send('PUT', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: over } }));
    expectInvalidReplicas(await send('PATCH', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: over } }, 'application/merge-patch+json'));
    expect((await send('PATCH', `${DEPLOYMENTS}/web/scale`, { spec: { replicas: 1e9 } }, 'application/merge-patch+json')).status).toBe(422);
    sim.cluster.settle();
    expect(sim.cluster.pods('default')).toHaveLength(2);
  });

  it('kubectl scale says why', async () => {
    handle = await startSim();
    const { kubectl } = handle;
    expect((await kubectl(['create', 'deployment', 'web', '--image=nginx'])).exitCode).toBe(0);
    const scaled = await kubectl(['scale', 'deployment/web', `--replicas=${over}`]);
    expect(scaled.exitCode).toBe(1);
    expect(scaled.stderr).toContain(`spec.replicas: Invalid value: ${over}: must be less than or equal to ${MAX_REPLICAS}`);
  });

  it('in a scenario, before anything starts', () => {
    expect(() => parseScenario({ workloads: [{ name: 'web', replicas: over }] }, 'rush.yaml')).toThrow(
      `rush.yaml: workloads[0].replicas: must be at most ${MAX_REPLICAS}`,
    );
    expect(() => parseScenario({ timeline: [{ at: '1m', scale: { deployment: 'web', replicas: over } }] }, 'rush.yaml')).toThrow(
      `rush.yaml: timeline[0]`,
    );
  });
});

/** Counts the ADDED events of a watch until the server ends it. */
function watchAdded(url: string, path: string): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path }, (res) => {
      let added = 0;
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) if (line.startsWith('{"type":"ADDED"')) added++;
      });
      res.on('close', () => resolve(added));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('lambdastack-autoscaler sim kube under a big scale', () => {
  it(
    'keeps answering and stops on SIGTERM while the pods are being created',
    () =>
      withTempDir(async (dir) => {
        const kubeconfig = join(dir, 'config');
        const server = execa(process.execPath, [BIN, 'sim', 'kube', '--kubeconfig', kubeconfig, '--time-scale', '10'], {
          cwd: join(import.meta.dirname, '..', '..', '..'),
          reject: false,
        });
        try {
          await eventually('the server', async () =>
            (await readFile(kubeconfig, 'utf8').catch(() => '')).includes('server:') ? true : undefined,
          );
          const url = /server: (http:\/\/\S+)/.exec(await readFile(kubeconfig, 'utf8'))?.[1] as string;
          const watched = watchAdded(url, '/api/v1/namespaces/default/pods?watch=1');
          expect((await rawRequest(url, 'POST', DEPLOYMENTS, JSON.stringify(deployment('big', MAX_REPLICAS)))).status).toBe(201);
          // Answered while the scale-up is under way...
          expect(await podCount(url, 'default')).toBeLessThan(MAX_REPLICAS);
          server.kill('SIGTERM');
          const result = await server;
          expect(result.exitCode).toBe(0);
          expect(result.stdout).toContain('stopped (SIGTERM)');
          // ...and stopped a sync or two later, long before the last pod: the watch saw every pod made until the end.
          expect(await watched).toBeLessThan(MAX_REPLICAS);
        } finally {
          server.kill('SIGKILL');
        }
      }),
    60_000,
  );
});
