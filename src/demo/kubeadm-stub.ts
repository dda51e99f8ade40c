/**
 * The demo's kubeadm, on every local machine (the inventory's `kubeadm_bin`): what the real one
 * and the kubelet it starts do that the demo can see. `kubeadm token create --print-join-command`
 * on the master prints a join command; `kubeadm join … --node-name N` on a worker registers N with
 * the API server as N's kubelet would (a POST of its Node: the capacity of its VM size, and the
 * labels ansible gave the kubelet in /etc/default/kubelet), then leaves the kubelet.conf a join
 * leaves, which is how the node_join role knows a worker has joined.
 *
 * A small script for Node (any version from 18): the shell wrapper runs it with this Node, so a
 * PATH without one, or a directory name with spaces, changes nothing.
 */

/** What the script reads from kubeadm.json beside it. */
export interface KubeadmSettings {
  /** The API server: the kube simulator's URL. */
  apiServer: string;
  /** The address the join command names (only printed). */
  controlPlane: string;
  /** The directory of the machines' roots: <machines>/<node name>. */
  machines: string;
  /** The directory of the Nodes the kubelets register: <nodes>/<node name>.json. */
  nodes: string;
}

export const KUBEADM_SCRIPT = `// kubeadm and kubelet of the lambdastack-autoscaler demo's local machines (see src/demo/kubeadm-stub.ts).
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const settings = JSON.parse(readFileSync(new URL('./kubeadm.json', import.meta.url), 'utf8'));
const [command, ...args] = process.argv.slice(2);
const fail = (message) => {
  process.stderr.write(\`kubeadm: \${message}\\n\`);
  process.exit(1);
};

if (command === 'token') {
  // A made-up token: nothing checks it.
  const hash = 'sha256:' + '0'.repeat(64);
  console.log(\`kubeadm join \${settings.controlPlane} --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash \${hash}\`);
} else if (command === 'join') {
  const at = args.indexOf('--node-name');
  const name = at >= 0 ? args[at + 1] : undefined;
  if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name)) fail('join needs --node-name <a node name>');
  const root = join(settings.machines, name);
  appendFileSync(join(root, 'kubeadm.log'), \`\${process.argv.slice(2).join(' ')}\\n\`);
  let node;
  try {
    node = JSON.parse(readFileSync(join(settings.nodes, \`\${name}.json\`), 'utf8'));
  } catch {
    fail(\`\${name} is not a machine of this demo\`);
  }
  // The kubelet registers with the labels it was started with: --node-labels in /etc/default/kubelet.
  let kubelet = '';
  try {
    kubelet = readFileSync(join(root, 'etc/default/kubelet'), 'utf8');
  } catch {}
  const flag = /--node-labels=(\\S+)/.exec(kubelet);
  for (const pair of flag ? flag[1].split(',') : []) {
    const [key, value = ''] = pair.split('=');
    if (key) node.metadata.labels[key] = value;
  }
  const response = await fetch(\`\${settings.apiServer}/api/v1/nodes\`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(node),
  });
  // 409: registered already (a join run again after its kubelet.conf was lost).
  if (!response.ok && response.status !== 409) fail(\`the API server refused node \${name}: \${response.status} \${await response.text()}\`);
  mkdirSync(join(root, 'etc/kubernetes'), { recursive: true });
  writeFileSync(join(root, 'etc/kubernetes/kubelet.conf'), \`server: \${settings.apiServer}\\n\`);
  console.log(\`This node has joined the cluster: \${name} is registered with \${settings.apiServer}\`);
} else {
  fail(\`the demo's kubeadm does not do \${JSON.stringify(command ?? '')}\`);
}
`;

/** The wrapper ansible runs: this Node and the script, whatever the PATH. */
export function kubeadmWrapper(node: string, script: string): string {
  const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
  return `#!/bin/sh\nexec ${quote(node)} ${quote(script)} "$@"\n`;
}
