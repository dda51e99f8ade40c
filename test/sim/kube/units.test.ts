import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parseClusterConfig } from '../../../src/config/index.js';
import { SimClock } from '../../../src/sim/kube/clock.js';
import { SimCluster } from '../../../src/sim/kube/cluster.js';
import { decodeProtobuf } from '../../../src/sim/kube/protobuf.js';
import { R } from '../../../src/sim/kube/resources.js';
import { findRoute, type KubeRoute, resolveTarget } from '../../../src/sim/kube/routing.js';
import { parseDuration, parseScenario } from '../../../src/sim/kube/scenario.js';
import { labelQueryMatcher, labelSelectorMatcher, parseFieldSelector } from '../../../src/sim/kube/selectors.js';
import { topologyFromConfig } from '../../../src/sim/kube/topology.js';
import type { Pod } from '../../../src/sim/kube/types.js';

describe('selectors', () => {
  it('answers a label selector the API server cannot parse with a 400 naming what it found', () => {
    expect(() => labelQueryMatcher('app in web')).toThrow(
      expect.objectContaining({ code: 400, message: expect.stringMatching(/unable to parse requirement: found 'web', expected: '\('/) }),
    );
    expect(() => labelSelectorMatcher({ matchExpressions: [{ key: 'a', operator: 'Equals' }] })).toThrow(
      expect.objectContaining({ code: 400 }),
    );
  });

  it('parses field selectors with escapes', () => {
    expect(parseFieldSelector('spec.nodeName=n1,status.phase!=Running')).toEqual([
      { field: 'spec.nodeName', op: '=', value: 'n1' },
      { field: 'status.phase', op: '!=', value: 'Running' },
    ]);
    expect(parseFieldSelector('metadata.name=a\\,b')).toEqual([{ field: 'metadata.name', op: '=', value: 'a,b' }]);
  });
});

describe('the route table', () => {
  const routes: KubeRoute<void, string>[] = [
    { method: 'GET', path: '/version', handle: async () => 'version' },
    { method: 'GET', path: 'watch/{resource}', verb: 'watch', handle: async () => 'watch' },
    { method: 'GET', path: '{resource}', verb: 'list', handle: async () => 'list' },
    { method: 'GET', path: '{resource}/{name}/{subresource*}', verb: 'get', handle: async (_, t) => `get ${t.subresource ?? ''}` },
    { method: 'PATCH', path: '{resource}/{name}/{subresource*}', verb: 'patch', handle: async (_, t) => `patch ${t.subresource ?? ''}` },
    { method: 'POST', path: '{resource}/{name}/eviction', verb: 'create', handle: async () => 'evict' },
  ];
  const answer = (method: string, path: string, watch = false): Promise<string> | undefined =>
    findRoute(routes, method, resolveTarget(path, watch))?.();

  it('reads paths as the API server does, namespaced or not, under /api/v1 and /apis/<group>/<version>', async () => {
    expect(resolveTarget('/api/v1/namespaces/default/pods/web-1/eviction')).toMatchObject({
      kind: 'resource',
      path: '{resource}/{name}/{subresource}',
      resource: { namespace: 'default', name: 'web-1', subresource: 'eviction', info: { resource: 'pods' } },
    });
    expect(resolveTarget('/api/v1/namespaces/default')).toMatchObject({ path: '{resource}/{name}', resource: { name: 'default' } });
    expect(resolveTarget('/api/v1/namespaces/kube-system/status')).toMatchObject({ path: '{resource}/{name}/{subresource}' });
    expect(resolveTarget('/apis/apps/v1/watch/namespaces/default/deployments')).toMatchObject({ path: 'watch/{resource}' });
    expect(resolveTarget('/apis/apps/v1/namespaces/default/deployments', true)).toMatchObject({ path: 'watch/{resource}' });
    expect(resolveTarget('/apis/apps/v1/namespaces/default/gadgets')).toEqual({ kind: 'unknownResource', group: 'apps', version: 'v1' });
    expect(resolveTarget('/api/v1/watch/nodes/n1/status')).toMatchObject({ kind: 'unknownResource' });
    expect(resolveTarget('/nowhere')).toEqual({ kind: 'notFound' });
  });

  it('serves an object and its subresources through one PATCH route, and refuses verbs a subresource lacks with 405', async () => {
    expect(await answer('PATCH', '/api/v1/nodes/n1')).toBe('patch ');
    expect(await answer('PATCH', '/api/v1/nodes/n1/status')).toBe('patch status');
    expect(await answer('PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale')).toBe('patch scale');
    expect(await answer('POST', '/api/v1/namespaces/default/pods/web-1/eviction')).toBe('evict');
    expect(() => answer('PATCH', '/api/v1/namespaces/default/pods/web-1/eviction')).toThrow(
      expect.objectContaining({ code: 405, message: 'the server does not allow this method on the requested resource' }),
    );
    expect(() => answer('POST', '/api/v1/nodes/n1')).toThrow(expect.objectContaining({ code: 405 }));
    expect(() => answer('PATCH', '/apis/metrics.k8s.io/v1beta1/nodes/n1')).toThrow(expect.objectContaining({ code: 405 }));
    expect(() => answer('GET', '/apis/metrics.k8s.io/v1beta1/nodes', true)).toThrow(expect.objectContaining({ code: 405 }));
  });

  it('serves HEAD as GET outside the resource tree, and leaves unknown paths to the caller', async () => {
    expect(await answer('HEAD', '/version')).toBe('version');
    expect(() => answer('POST', '/version')).toThrow(expect.objectContaining({ code: 405 }));
    expect(answer('GET', '/nowhere')).toBeUndefined();
    expect(answer('GET', '/api/v1/gadgets')).toBeUndefined();
  });
});

describe('protobuf request bodies', () => {
  it('decodes the Deployment kubectl create deployment sends', () => {
    // The bytes kubectl 1.32 sends for `kubectl create deployment web --image=nginx --replicas=3`.
    const dump = [
      '6b 38 73 00 0a 15 0a 07 61 70 70 73 2f 76 31 12',
      '0a 44 65 70 6c 6f 79 6d 65 6e 74 12 ab 01 0a 1f',
      '0a 03 77 65 62 12 00 1a 00 22 00 2a 00 32 00 38',
      '00 42 00 5a 0a 0a 03 61 70 70 12 03 77 65 62 12',
      '7a 08 03 12 0c 0a 0a 0a 03 61 70 70 12 03 77 65',
      '62 1a 60 0a 1c 0a 00 12 00 1a 00 22 00 2a 00 32',
      '00 38 00 42 00 5a 0a 0a 03 61 70 70 12 03 77 65',
      '62 12 40 12 22 0a 05 6e 67 69 6e 78 12 05 6e 67',
      '69 6e 78 2a 00 42 00 6a 00 72 00 80 01 00 88 01',
      '00 90 01 00 a2 01 00 1a 00 32 00 42 00 4a 00 52',
      '00 58 00 60 00 68 00 82 01 00 8a 01 00 9a 01 00',
      'c2 01 00 22 02 0a 00 28 00 38 00 1a 0c 08 00 10',
      '00 18 00 20 00 28 00 38 00 1a 00 22 00',
    ];
    const hex = dump.join(' ').replaceAll(' ', '');
    const object = decodeProtobuf(Buffer.from(hex, 'hex'));
    expect(object).toMatchObject({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx', resources: {} }] } },
      },
    });
    expect((object.metadata as Record<string, unknown>).namespace).toBeUndefined();
  });

  it('refuses what is not a Kubernetes protobuf envelope', () => {
    expect(() => decodeProtobuf(Buffer.from('{"kind":"Pod"}'))).toThrow(/magic/);
  });
});

describe('scenarios', () => {
  it('reads durations', () => {
    expect(parseDuration('90s')).toBe(90);
    expect(parseDuration('1h30m')).toBe(5400);
    expect(parseDuration(12)).toBe(12);
    expect(parseDuration('soon')).toBeUndefined();
  });

  it('names the source and every bad field', () => {
    const bad = {
      workloads: [{ name: 'web', replicas: -1, requests: { cpu: 'lots' } }],
      pdbs: [{ name: 'p', selector: { app: 'web' }, minAvailable: 1, maxUnavailable: 1 }],
      timeline: [{ at: 'later', scale: { deployment: 'web', replicas: 2 } }],
    };
    let message = '';
    try {
      parseScenario(bad, 'load.yaml');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('load.yaml: workloads[0].replicas:');
    expect(message).toContain('load.yaml: workloads[0].requests.cpu: must be a quantity');
    expect(message).toContain('load.yaml: pdbs[0]: set minAvailable or maxUnavailable, not both');
    expect(message).toContain('load.yaml: timeline[0]');
  });
});

describe('topology from a cluster config', () => {
  it('names and sizes nodes as LambdaStack does', async () => {
    const config = parseClusterConfig('aws-demo.yml', await readFile('cluster-config/aws-demo.yml', 'utf8'));
    const topology = topologyFromConfig(config);
    expect(topology.nodes.map((n) => [n.name, n.role, n.size])).toEqual([
      ['demo-shop-kubernetes-master-vm-0', 'control-plane', 't3.medium'],
      ['demo-shop-kubernetes-node-vm-0', 'worker', 't3.medium'],
      ['demo-shop-kubernetes-node-vm-1', 'worker', 't3.medium'],
      ['demo-shop-kubernetes-node-vm-2', 'worker', 't3.medium'],
    ]);
    expect(topology.workerLabels).toEqual({ 'node-type': 'lambdastack' });
    const azure = topologyFromConfig(parseClusterConfig('azure-demo.yml', await readFile('cluster-config/azure-demo.yml', 'utf8')));
    expect(azure.workerSize).toBe('Standard_D2s_v3');
    expect(azure.controlPlaneSize).toBe('Standard_DS2_v2');
  });

  it('refuses an unknown worker size, naming the file and document', () => {
    const text = `kind: lambdastack-cluster
provider: aws
name: default
specification:
  name: x
  components:
    kubernetes_node: {count: 1, machine: big}
---
kind: infrastructure/virtual-machine
provider: aws
name: big
specification:
  size: z1.enormous
`;
    expect(() => topologyFromConfig(parseClusterConfig('big.yml', text))).toThrow(
      /unknown VM size "z1.enormous" \(big.yml: infrastructure\/virtual-machine big/,
    );
  });
});

describe('simulated time and controllers', () => {
  it('runs timers in order when time is advanced by hand', () => {
    const clock = new SimClock({ start: 0, timeScale: 0 });
    const seen: string[] = [];
    clock.after(10, () => seen.push('b'));
    clock.after(5, () => {
      seen.push('a');
      clock.after(1, () => seen.push('a+1'));
    });
    clock.advance(7);
    expect(seen).toEqual(['a', 'a+1']);
    clock.advance(3);
    expect(seen).toEqual(['a', 'a+1', 'b']);
    clock.close();
  });

  it('schedules least-allocated first and reports unschedulable pods as the scheduler does', () => {
    const cluster = new SimCluster({ clock: { timeScale: 0 }, system: false });
    cluster.bootstrap(() => {
      cluster.addNode('cp', { role: 'control-plane' });
      cluster.addNode('w1');
      cluster.addNode('w2');
      cluster.createDeployment({ name: 'web', replicas: 4, requests: { cpu: '500m', memory: '256Mi' } });
      cluster.createDeployment({ name: 'big', replicas: 1, requests: { cpu: '3' } });
    });
    const pods = cluster.pods('default');
    const web = pods.filter((p) => p.metadata.name.startsWith('web-'));
    expect(web.map((p) => p.spec.nodeName).sort()).toEqual(['w1', 'w1', 'w2', 'w2']);
    expect(web.every((p) => p.status.phase === 'Running')).toBe(true);
    const big = pods.find((p) => p.metadata.name.startsWith('big-')) as Pod;
    expect(big.status.phase).toBe('Pending');
    expect(big.status.conditions).toContainEqual(
      expect.objectContaining({
        type: 'PodScheduled',
        status: 'False',
        reason: 'Unschedulable',
        message:
          '0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 Insufficient cpu. ' +
          'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.',
      }),
    );
    cluster.close();
  });

  it('terminates deleted pods after their grace period and replaces them', () => {
    const cluster = new SimCluster({ clock: { timeScale: 0 }, system: false, timing: { podStartSeconds: 2 } });
    cluster.bootstrap(() => {
      cluster.addNode('w1');
      cluster.createDeployment({ name: 'web', replicas: 1, terminationGracePeriodSeconds: 20 });
    });
    const [first] = cluster.pods('default') as [Pod];
    const deleted = cluster.registry.delete(R.pods, 'default', first.metadata.name);
    expect((deleted.object as Pod).metadata.deletionTimestamp).toBeDefined();
    cluster.settle();
    expect(cluster.pods('default')).toHaveLength(2);
    cluster.advance(2);
    expect(cluster.pods('default').filter((p) => p.status.phase === 'Running')).toHaveLength(2);
    cluster.advance(18);
    expect(cluster.pods('default').map((p) => p.metadata.name)).not.toContain(first.metadata.name);
    expect(cluster.pods('default')).toHaveLength(1);
    cluster.close();
  });
});
