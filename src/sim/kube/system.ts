/**
 * What a freshly installed LambdaStack (kubeadm) cluster runs in kube-system: the control-plane
 * static pods (seen through the API as mirror pods, owned by their Node), kube-proxy and the CNI
 * plugin's DaemonSet on every node, and CoreDNS. They take node resources and give
 * `kubectl drain` the mirror and DaemonSet pods it must skip.
 */
import type { KubeObject } from './types.js';

export type CniPlugin = 'flannel' | 'calico' | 'canal';

interface MirrorSpec {
  component: string;
  image: string;
  requests: Record<string, string>;
}

/** Mirror pods (kubelet static pods) for a control-plane node; `spec.nodeName` binds them there. */
export function mirrorPods(node: KubeObject, version: string): Array<Record<string, unknown>> {
  const specs: MirrorSpec[] = [
    { component: 'etcd', image: 'registry.k8s.io/etcd:3.5.16-0', requests: { cpu: '100m', memory: '100Mi' } },
    { component: 'kube-apiserver', image: `registry.k8s.io/kube-apiserver:${version}`, requests: { cpu: '250m' } },
    { component: 'kube-controller-manager', image: `registry.k8s.io/kube-controller-manager:${version}`, requests: { cpu: '200m' } },
    { component: 'kube-scheduler', image: `registry.k8s.io/kube-scheduler:${version}`, requests: { cpu: '100m' } },
  ];
  return specs.map((spec) => {
    const hash = Buffer.from(`${node.metadata.name}/${spec.component}`).toString('hex').slice(0, 32);
    return {
      metadata: {
        name: `${spec.component}-${node.metadata.name}`,
        namespace: 'kube-system',
        labels: { component: spec.component, tier: 'control-plane' },
        annotations: {
          'kubernetes.io/config.hash': hash,
          'kubernetes.io/config.mirror': hash,
          'kubernetes.io/config.seen': node.metadata.creationTimestamp,
          'kubernetes.io/config.source': 'file',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: node.metadata.name, uid: node.metadata.uid, controller: true }],
      },
      spec: {
        nodeName: node.metadata.name,
        hostNetwork: true,
        priorityClassName: 'system-node-critical',
        tolerations: [{ operator: 'Exists', effect: 'NoExecute' }],
        containers: [{ name: spec.component, image: spec.image, resources: { requests: spec.requests } }],
      },
    };
  });
}

function daemonSet(
  name: string,
  labels: Record<string, string>,
  container: Record<string, unknown>,
  tolerations: Array<Record<string, string>>,
): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name, namespace: 'kube-system', labels },
    spec: {
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          hostNetwork: true,
          priorityClassName: 'system-node-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations,
          containers: [container],
        },
      },
    },
  };
}

/** kube-proxy and the CNI DaemonSet, as LambdaStack's `networking.plugin` (flannel by default) installs them. */
export function systemDaemonSets(version: string, cni: CniPlugin): Array<Record<string, unknown>> {
  const proxy = daemonSet(
    'kube-proxy',
    { 'k8s-app': 'kube-proxy' },
    { name: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${version}` },
    [{ operator: 'Exists' }],
  );
  const network = {
    flannel: daemonSet(
      'kube-flannel-ds',
      { app: 'flannel', tier: 'node' },
      { name: 'kube-flannel', image: 'docker.io/flannel/flannel:v0.26.1', resources: { requests: { cpu: '100m', memory: '50Mi' } } },
      [{ operator: 'Exists', effect: 'NoSchedule' }],
    ),
    calico: daemonSet(
      'calico-node',
      { 'k8s-app': 'calico-node' },
      { name: 'calico-node', image: 'docker.io/calico/node:v3.28.2', resources: { requests: { cpu: '250m' } } },
      [
        { effect: 'NoSchedule', operator: 'Exists' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
    ),
    canal: daemonSet(
      'canal',
      { 'k8s-app': 'canal' },
      { name: 'calico-node', image: 'docker.io/calico/node:v3.28.2', resources: { requests: { cpu: '250m' } } },
      [
        { effect: 'NoSchedule', operator: 'Exists' },
        { key: 'CriticalAddonsOnly', operator: 'Exists' },
        { effect: 'NoExecute', operator: 'Exists' },
      ],
    ),
  }[cni];
  return [proxy, network];
}

/** CoreDNS as kubeadm deploys it: two replicas that tolerate the control-plane taint. */
export function coreDns(): Record<string, unknown> {
  const labels = { 'k8s-app': 'kube-dns' };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'coredns', namespace: 'kube-system', labels },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '25%' } },
      template: {
        metadata: { labels },
        spec: {
          priorityClassName: 'system-cluster-critical',
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [
            { key: 'CriticalAddonsOnly', operator: 'Exists' },
            { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' },
          ],
          containers: [
            {
              name: 'coredns',
              image: 'registry.k8s.io/coredns/coredns:v1.11.3',
              args: ['-conf', '/etc/coredns/Corefile'],
              resources: { requests: { cpu: '100m', memory: '70Mi' }, limits: { memory: '170Mi' } },
              ports: [
                { containerPort: 53, name: 'dns', protocol: 'UDP' },
                { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
                { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
              ],
            },
          ],
        },
      },
    },
  };
}

/** The kube-dns Service in front of CoreDNS (what `kubectl cluster-info` lists). */
export function kubeDnsService(): Record<string, unknown> {
  return {
    metadata: {
      name: 'kube-dns',
      labels: { 'k8s-app': 'kube-dns', 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      annotations: { 'prometheus.io/port': '9153', 'prometheus.io/scrape': 'true' },
    },
    spec: {
      clusterIP: '10.96.0.10',
      selector: { 'k8s-app': 'kube-dns' },
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 },
        { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 },
        { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 },
      ],
    },
  };
}
