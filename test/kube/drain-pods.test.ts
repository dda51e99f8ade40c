import { ApiException, type V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { TransientError, UserError } from '../../src/errors.js';
import { mapBounded } from '../../src/kube/bounded.js';
import { drainFailure } from '../../src/kube/drain-api.js';
import { budgetsInCauses, isTerminating, podDisposition, podName } from '../../src/kube/drain-pods.js';

function pod(options: { owner?: string; mirror?: boolean; phase?: string; emptyDir?: boolean; deleting?: boolean } = {}): V1Pod {
  return {
    metadata: {
      name: 'p',
      namespace: 'shop',
      ...(options.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: options.owner, name: 'o', uid: 'u', controller: true }] }
        : {}),
      ...(options.mirror ? { annotations: { 'kubernetes.io/config.mirror': 'hash' } } : {}),
      ...(options.deleting ? { deletionTimestamp: new Date() } : {}),
    },
    spec: { containers: [], ...(options.emptyDir ? { volumes: [{ name: 'scratch', emptyDir: {} }] } : {}) },
    status: { phase: options.phase ?? 'Running' },
  };
}

describe('what a drain does with a pod (kubectl drain --ignore-daemonsets --delete-emptydir-data)', () => {
  it('skips mirror and DaemonSet pods, evicts controlled and finished pods, and calls the rest unreplicated', () => {
    expect(podDisposition(pod({ mirror: true }))).toEqual({ action: 'skip', reason: 'mirror' });
    // A mirror pod is a mirror pod whatever owns it.
    expect(podDisposition(pod({ mirror: true, owner: 'DaemonSet' }))).toEqual({ action: 'skip', reason: 'mirror' });
    expect(podDisposition(pod({ owner: 'DaemonSet' }))).toEqual({ action: 'skip', reason: 'DaemonSet' });
    expect(podDisposition(pod({ owner: 'ReplicaSet' }))).toEqual({ action: 'evict', emptyDir: false });
    expect(podDisposition(pod({ owner: 'StatefulSet', emptyDir: true }))).toEqual({ action: 'evict', emptyDir: true });
    expect(podDisposition(pod())).toEqual({ action: 'unreplicated', emptyDir: false });
    expect(podDisposition(pod({ phase: 'Succeeded' }))).toEqual({ action: 'evict', emptyDir: false });
    expect(podDisposition(pod({ phase: 'Failed', emptyDir: true }))).toEqual({ action: 'evict', emptyDir: true });
  });

  it('reads an owner as the controller only when it says so', () => {
    const owned = pod();
    owned.metadata = { ...owned.metadata, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'o', uid: 'u' }] };
    expect(podDisposition(owned).action).toBe('unreplicated');
  });

  it('names pods namespace/name and tells a pod being deleted', () => {
    expect(podName(pod())).toBe('shop/p');
    expect(isTerminating(pod({ deleting: true }))).toBe(true);
    expect(isTerminating(pod())).toBe(false);
  });

  it('reads the budgets out of a refused eviction’s causes', () => {
    expect(
      budgetsInCauses(
        [
          { reason: 'DisruptionBudget', message: 'The disruption budget web needs 3 healthy pods and has 3 currently' },
          { reason: 'DisruptionBudget', message: 'The disruption budget api is still being processed by the server.' },
          { reason: 'DisruptionBudget', message: 'The disruption budget web needs 3 healthy pods and has 3 currently' },
          { reason: 'Other', message: 'The disruption budget nope' },
          { reason: 'DisruptionBudget' },
        ],
        'shop',
      ),
    ).toEqual(['shop/web', 'shop/api']);
  });
});

describe('drain API failures in the error taxonomy', () => {
  const nodes = { resource: 'nodes', group: '' };

  it('names the missing grant for 403 and the credentials for 401', () => {
    const forbidden = drainFailure(new ApiException(403, 'Forbidden', '{}', {}), 'patch', nodes);
    expect(forbidden).toBeInstanceOf(UserError);
    expect(forbidden.message).toMatch(
      /^cannot patch nodes: forbidden \(403\): the kubeconfig's user must be granted "patch" on "nodes" in apiGroup ""/,
    );
    expect(forbidden.message).toContain('"create" on "pods/eviction"');
    const evictions = drainFailure(new ApiException(403, 'Forbidden', '{}', {}), 'list', {
      resource: 'poddisruptionbudgets',
      group: 'policy',
    });
    expect(evictions.message).toMatch(/^cannot list poddisruptionbudgets.policy: forbidden \(403\)/);
    const unauthorized = drainFailure(new ApiException(401, 'Unauthorized', '{}', {}), 'get', nodes);
    expect(unauthorized).toBeInstanceOf(UserError);
    expect(unauthorized.message).toContain('refused the credentials (401): check the kubeconfig');
  });

  it('calls server errors and network failures transient', () => {
    expect(drainFailure(new ApiException(503, 'Unavailable', '{}', {}), 'get', nodes)).toBeInstanceOf(TransientError);
    const network = drainFailure(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') }), 'get', nodes);
    expect(network).toBeInstanceOf(TransientError);
    expect(network.message).toBe('cannot get nodes: fetch failed: connect ECONNREFUSED 127.0.0.1:1');
  });
});

describe('mapBounded', () => {
  it('runs at most `limit` at once and keeps the items’ order', async () => {
    let running = 0;
    let most = 0;
    const results = await mapBounded([5, 1, 4, 2, 3], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      for (let i = 0; i < n; i++) await Promise.resolve();
      running--;
      return n * 10;
    });
    expect(results).toEqual([50, 10, 40, 20, 30]);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure, waits for what runs, and throws the failure', async () => {
    const started: number[] = [];
    let finished = 0;
    const failure = await mapBounded([1, 2, 3, 4], 2, async (n) => {
      started.push(n);
      if (n === 1) throw new Error('one');
      for (let i = 0; i < 5; i++) await Promise.resolve();
      finished++;
      return n;
    }).catch((error: unknown) => error);
    expect((failure as Error).message).toBe('one');
    expect(started).toEqual([1, 2]);
    expect(finished).toBe(1);
  });
});
