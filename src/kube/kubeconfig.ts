/**
 * Where the watcher finds its cluster: `KUBECONFIG` (or ~/.kube/config) when run by hand, the pod's
 * service account when run in the cluster, both through client-node's `loadFromDefault`. What that
 * does not report is made a UserError here: a file it cannot read, and finding nothing at all, for
 * which it silently falls back to an unauthenticated http://localhost:8080.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../errors.js';

const FALLBACK_SERVER = 'http://localhost:8080';

export function loadKubeConfig(kubeConfig: KubeConfig = new KubeConfig()): KubeConfig {
  try {
    kubeConfig.loadFromDefault();
  } catch (error) {
    const from = process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : '~/.kube/config';
    throw new UserError(`cannot load the kubeconfig (${from}): ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) {
    throw new UserError(`the kubeconfig names no cluster for its current context "${kubeConfig.getCurrentContext()}": set current-context`);
  }
  if (cluster.server === FALLBACK_SERVER && kubeConfig.getCurrentUser()?.name === 'user' && kubeConfig.getClusters().length === 1) {
    throw new UserError(
      'no kubeconfig found: set KUBECONFIG, or run in a pod whose service account token is mounted (/var/run/secrets/kubernetes.io/serviceaccount)',
    );
  }
  if (cluster.name === 'inCluster' && /\/\/(undefined)?:/.test(cluster.server)) {
    throw new UserError('in a pod without KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT: the API server address is unknown');
  }
  return kubeConfig;
}
