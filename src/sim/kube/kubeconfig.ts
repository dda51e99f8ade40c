/**
 * A kubeconfig for the simulator: one cluster at `http://127.0.0.1:<port>` (no TLS), one context,
 * and a user without credentials (the simulator does not authenticate).
 *
 * `insecure-skip-tls-verify: true` is there for @kubernetes/client-node 2.x, which refuses an
 * http:// server unless it is set ("HTTP protocol is not allowed when skipTLSVerify is not set");
 * kubectl ignores it for http.
 */
import YAML from 'yaml';

export function kubeconfigYaml(server: string, name: string): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'insecure-skip-tls-verify': true } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
    users: [{ name: `${name}-admin`, user: {} }],
  };
  return YAML.stringify(config);
}
