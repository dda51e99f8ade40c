import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeSim, startKubeSim } from '../../../src/sim/kube/index.js';
import { rawRequest } from './support.js';

let sim: KubeSim;
beforeAll(async () => {
  sim = await startKubeSim({ timeScale: 0 });
});
afterAll(async () => {
  await sim?.close();
});

const send = (method: string, path: string, body?: unknown) =>
  rawRequest(sim.url, method, path, body === undefined ? undefined : JSON.stringify(body));

const POD = { apiVersion: 'v1', kind: 'Pod', spec: { containers: [{ name: 'app', image: 'nginx' }] } };

describe('request paths are read as the API server reads them: never resolved', () => {
  it.each([
    ['/api/v1/namespaces/default/pods/%2e%2e', "may not be '..'", '..'],
    ['/api/v1/namespaces/default/pods/%2E%2E', "may not be '..'", '..'],
    ['/api/v1/namespaces/default/pods/..', "may not be '..'", '..'],
    ['/api/v1/namespaces/default/pods/.', "may not be '.'", '.'],
    ['/api/v1/namespaces/default/pods/%2e', "may not be '.'", '.'],
    ['/api/v1/namespaces/default/pods/a%2Fb', "may not contain '/'", 'a/b'],
    ['/api/v1/namespaces/default/pods/a%25b', "may not contain '%'", 'a%b'],
    ['/api/v1/namespaces/%2e%2e', "may not be '..'", '..'],
    ['/api/v1/nodes/..', "may not be '..'", '..'],
    ['/apis/apps/v1/namespaces/kube-system/deployments/%2e%2e/scale', "may not be '..'", '..'],
  ])('GET %s is a 400 naming the name (%s)', async (path, why, name) => {
    const res = await send('GET', path);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'BadRequest', code: 400 });
    expect(res.body.message).toBe(`Name parameter invalid: ${JSON.stringify(name)}: ${why}`);
  });

  it.each(['PUT', 'PATCH', 'DELETE'])('%s of a name such as .. is refused the same way', async (method) => {
    const res = await rawRequest(sim.url, method, '/api/v1/namespaces/default/pods/%2e%2e', '{}', {
      'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toBe(`Name parameter invalid: "..": may not be '..'`);
  });

  it.each([
    '/api/v1/namespaces/../nodes',
    '/api/v1/namespaces/%2e%2e/nodes',
    '/api/v1/namespaces/default/pods/../../nodes',
    '/apis/apps/v1/namespaces/default/../../../api/v1/nodes',
  ])('%s names nothing: 404, not the list a resolved path would name', async (path) => {
    const res = await send('GET', path);
    expect(res.status).toBe(404);
    expect(res.body.kind).not.toBe('NodeList');
  });

  it('a namespace named .. in a path holds nothing (as on the API server: no such namespace)', async () => {
    const res = await send('GET', '/api/v1/namespaces/%2e%2e/pods');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ kind: 'PodList', items: [] });
    expect((await send('GET', '/api/v1/namespaces/%2e%2e/pods/x')).status).toBe(404);
  });

  it('a request target in absolute form is read by its path; a malformed one is a 400, and the server keeps serving', async () => {
    const absolute = await send('GET', `${sim.url}/api/v1/namespaces/default`);
    expect(absolute.status).toBe(200);
    expect(absolute.body.metadata?.name).toBe('default');
    const malformed = await send('GET', 'http://[x');
    expect(malformed.status).toBe(400);
    expect((await send('GET', '/api/v1/namespaces/default')).status).toBe(200);
  });

  it('the query is read from the path as sent', async () => {
    const res = await send('GET', '/api/v1/namespaces?labelSelector=kubernetes.io%2Fmetadata.name%3Dkube-system');
    expect(res.status).toBe(200);
    expect((res.body.items as Array<{ metadata: { name: string } }>).map((n) => n.metadata.name)).toEqual(['kube-system']);
  });
});

describe('names that are not valid for their kind are refused on create (422 naming metadata.name)', () => {
  it.each([
    ['pods', 'a/b', 'a lowercase RFC 1123 subdomain'],
    ['pods', '..', 'a lowercase RFC 1123 subdomain'],
    ['pods', 'a%2e', 'a lowercase RFC 1123 subdomain'],
    ['namespaces', 'a.b', 'a lowercase RFC 1123 label'],
    ['services', '1abc', 'a DNS-1035 label'],
    ['events', 'a/b', "may not contain '/'"],
    ['events', '..', "may not be '..'"],
    ['events', '%41', "may not contain '%'"],
  ])('%s named %s', async (resource, name, why) => {
    const objects: Record<string, [string, Record<string, unknown>]> = {
      pods: ['/api/v1/namespaces/default/pods', POD],
      namespaces: ['/api/v1/namespaces', { kind: 'Namespace' }],
      services: ['/api/v1/namespaces/default/services', { kind: 'Service', spec: { ports: [{ port: 80 }] } }],
      events: ['/api/v1/namespaces/default/events', { kind: 'Event' }],
    };
    const [path, object] = objects[resource] ?? ['', {}];
    const res = await send('POST', path, { ...object, metadata: { name } });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422 });
    expect(res.body.details?.causes?.[0]).toMatchObject({ field: 'metadata.name', reason: 'FieldValueInvalid' });
    expect(res.body.details?.causes?.[0]?.message).toContain(why);
  });

  it('a name too long says so', async () => {
    const res = await send('POST', '/api/v1/namespaces', { metadata: { name: 'a'.repeat(64) } });
    expect(res.status).toBe(422);
    expect(res.body.details?.causes?.map((c) => c.message)).toContainEqual(expect.stringContaining('must be no more than 63 characters'));
  });

  it('a generateName that cannot start a valid name is refused with the field named', async () => {
    const res = await send('POST', '/api/v1/namespaces/default/pods', { ...POD, metadata: { generateName: 'a/' } });
    expect(res.status).toBe(422);
    expect(res.body.details?.causes?.map((c) => c.field)).toContain('metadata.generateName');
  });

  it('an event may have a name that is no DNS name (as the API server allows), and reads back by it', async () => {
    const created = await send('POST', '/api/v1/namespaces/default/events', {
      metadata: { name: 'web.Abc:1' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default' },
      reason: 'Test',
    });
    expect(created.status).toBe(201);
    expect((await send('GET', '/api/v1/namespaces/default/events/web.Abc:1')).body.metadata?.name).toBe('web.Abc:1');
  });
});

describe('the HTTP front', () => {
  it('answers an exception in a handler with a 500 Status and keeps serving', async () => {
    const original = sim.cluster.nodeMetrics;
    sim.cluster.nodeMetrics = () => {
      throw new Error('a bug in the metrics model');
    };
    try {
      const res = await send('GET', '/apis/metrics.k8s.io/v1beta1/nodes');
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({
        kind: 'Status',
        reason: 'InternalError',
        message: 'Internal error occurred: a bug in the metrics model',
      });
    } finally {
      sim.cluster.nodeMetrics = original;
    }
    expect((await send('GET', '/apis/metrics.k8s.io/v1beta1/nodes')).status).toBe(200);
  });

  it('keeps a watch open for a timeoutSeconds longer than a timer can hold (it used to end at once)', async () => {
    const { hostname, port } = new URL(sim.url);
    const ended = await new Promise<boolean>((resolve, reject) => {
      const req = request({ host: hostname, port, path: '/api/v1/namespaces?watch=1&timeoutSeconds=100000000000' }, (res) => {
        let first = true;
        res.on('data', () => {
          if (!first) return;
          first = false;
          // Past the 1 ms an overflowing timer fires after, and many event-loop turns later.
          setTimeout(() => {
            resolve(res.readableEnded);
            req.destroy();
          }, 200);
        });
        res.on('end', () => resolve(true));
      });
      req.on('error', reject);
      req.end();
    });
    expect(ended).toBe(false);
  });
});
