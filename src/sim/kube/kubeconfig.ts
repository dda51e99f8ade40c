/**
 * A kubeconfig for the simulator: one cluster at `http://127.0.0.1:<port>` (no TLS, which kubectl
 * and client-node accept for http servers), one context, and a user without credentials (the
 * simulator does not authenticate).
 */
import YAML from 'yaml';

export function kubeconfigYaml(server: string, name: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
    users: [{ name: `${name}-admin`, user: {} }],
  };
  return YAML.stringify(config);
}
