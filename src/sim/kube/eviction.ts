/**
 * The Eviction subresource (`POST .../pods/<name>/eviction` with a `policy/v1 Eviction`), with the
 * checks and answers of the API server's EvictionREST:
 * - a pod that is finished, pending or already being deleted is deleted without consulting PDBs;
 * - more than one PDB covering the pod is a 500;
 * - a PDB whose status is stale (observedGeneration behind), or that allows no disruption,
 *   refuses with 429 TooManyRequests and a `DisruptionBudget` cause — kubectl drain retries those;
 * - otherwise the PDB's allowance is spent (the pod is recorded in `disruptedPods`) and the pod is
 *   deleted gracefully. The answer is 201 with a Success Status.
 */

import { isReady } from './controllers/util.js';
import { budgetNumbers } from './disruption.js';
import { NAMESPACE } from './indexes.js';
import type { DeleteOptions, Registry } from './registry.js';
import { R, storeKey } from './resources.js';
import { labelSelectorMatcher } from './selectors.js';
import { checkShape } from './shapes.js';
import { badRequest, forbidden, KubeError, tooManyRequests } from './status.js';
import { clone, isRecord, type Pod, type PodDisruptionBudget } from './types.js';

const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];

function deleteOptionsOf(body: Record<string, unknown>): DeleteOptions {
  const raw = isRecord(body.deleteOptions) ? body.deleteOptions : {};
  const options: DeleteOptions = {};
  if (typeof raw.gracePeriodSeconds === 'number') options.gracePeriodSeconds = raw.gracePeriodSeconds;
  if (isRecord(raw.preconditions)) options.preconditions = raw.preconditions as DeleteOptions['preconditions'];
  if (Array.isArray(raw.dryRun) && raw.dryRun.includes('All')) options.dryRun = true;
  return options;
}

export function evict(
  registry: Registry,
  namespace: string,
  name: string,
  body: unknown,
  now: number,
  timestamp: string,
  dryRun: boolean,
): Record<string, unknown> {
  if (
    !isRecord(body) ||
    (body.kind !== undefined && body.kind !== 'Eviction') ||
    (body.apiVersion !== undefined && !EVICTION_VERSIONS.includes(String(body.apiVersion)))
  ) {
    throw badRequest(
      `the body must be a policy/v1 Eviction, e.g. {"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"${name}","namespace":"${namespace}"}}`,
    );
  }
  checkShape('Eviction', clone(body), 'policy/v1');
  const meta = isRecord(body.metadata) ? body.metadata : {};
  if (meta.name !== undefined && meta.name !== name) throw badRequest(`name in URL does not match name in Eviction object`);
  const options = deleteOptionsOf(body);
  if (dryRun) options.dryRun = true;
  const pod = registry.get<Pod>(R.pods, namespace, name);
  const success = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success' };
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp) {
    registry.delete(R.pods, namespace, name, options);
    return success;
  }
  const store = registry.store;
  const budgets = store
    .indexed<PodDisruptionBudget>(storeKey(R.pdbs), NAMESPACE, namespace)
    .filter((pdb) => labelSelectorMatcher(pdb.spec.selector)(pod.metadata.labels));
  if (budgets.length > 1) {
    throw new KubeError(
      500,
      'InternalError',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = budgets[0];
  if (!pdb) {
    registry.delete(R.pods, namespace, name, options);
    return success;
  }
  const status = pdb.status ?? {};
  if (Number(status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", [
      { reason: 'DisruptionBudget', message: `The disruption budget ${pdb.metadata.name} is still being processed by the server.` },
    ]);
  }
  const numbers = budgetNumbers(store, pdb, now);
  // An unready pod does not count as healthy: evicting it spends nothing while the budget is met.
  if (
    !isReady(pod) &&
    (pdb.spec.unhealthyPodEvictionPolicy === 'AlwaysAllow' ||
      (numbers.currentHealthy >= numbers.desiredHealthy && numbers.desiredHealthy > 0))
  ) {
    registry.delete(R.pods, namespace, name, options);
    return success;
  }
  if (numbers.disruptionsAllowed < 0)
    throw forbidden('policy', 'poddisruptionbudgets', pdb.metadata.name, 'pdb disruptions allowed is negative');
  if (numbers.disruptionsAllowed === 0) {
    throw tooManyRequests("Cannot evict pod as it would violate the pod's disruption budget.", [
      {
        reason: 'DisruptionBudget',
        message: `The disruption budget ${pdb.metadata.name} needs ${numbers.desiredHealthy} healthy pods and has ${numbers.currentHealthy} currently`,
      },
    ]);
  }
  if (options.dryRun) return success;
  // Spend the allowance before deleting, as the API server does, so parallel evictions cannot all pass.
  const next = clone(pdb);
  next.status = {
    ...status,
    disruptedPods: { ...((status.disruptedPods as Record<string, string> | undefined) ?? {}), [name]: timestamp },
    disruptionsAllowed: numbers.disruptionsAllowed - 1,
  };
  store.update(storeKey(R.pdbs), next);
  registry.delete(R.pods, namespace, name, options);
  return success;
}
