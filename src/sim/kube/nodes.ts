/**
 * Node objects as a kubeadm-installed kubelet (LambdaStack's) registers them: labels, the
 * control-plane role label and taint, a pod CIDR, addresses, node info, and the capacity and
 * allocatable of the VM size.
 */
import { createHash } from 'node:crypto';
import { nodeResources, type VmSize } from '../../kube/vm-sizes.js';
import type { Node, Taint } from './types.js';

export type NodeRole = 'control-plane' | 'worker';

export interface NodeSpecInput {
  name: string;
  role: NodeRole;
  size: VmSize & { name: string };
  /** 0-based, cluster-wide: picks the pod CIDR (10.244.<n>.0/24). */
  index: number;
  /** The node's InternalIP. */
  address: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  kubeletVersion: string;
  provider: string;
  /** False for a node that just joined: NotReady, with the not-ready taint, until its network plugin starts. */
  ready?: boolean;
}

export const CONTROL_PLANE_TAINT: Taint = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
export const NOT_READY_TAINT_KEY = 'node.kubernetes.io/not-ready';
export const READY_CONDITION = { reason: 'KubeletReady', message: 'kubelet is posting ready status' };
const NOT_READY_CONDITION = {
  reason: 'KubeletNotReady',
  message:
    'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
};

function stableUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A Node without the server-set metadata (uid, resourceVersion, creationTimestamp): what the kubelet POSTs. */
export function buildNode(input: NodeSpecInput, now: string): Omit<Node, 'metadata'> & { metadata: Record<string, unknown> } {
  const resources = nodeResources(input.size);
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': input.name,
    'kubernetes.io/os': 'linux',
    'node.kubernetes.io/instance-type': input.size.name,
  };
  if (input.role === 'control-plane') {
    labels['node-role.kubernetes.io/control-plane'] = '';
    labels['node.kubernetes.io/exclude-from-external-load-balancers'] = '';
  }
  Object.assign(labels, input.labels ?? {});
  const ready = input.ready ?? true;
  const taints = [
    ...(input.taints ?? (input.role === 'control-plane' ? [CONTROL_PLANE_TAINT] : [])),
    ...(ready ? [] : [{ key: NOT_READY_TAINT_KEY, effect: 'NoSchedule', timeAdded: now }]),
  ];
  const condition = (type: string, status: string, reason: string, message: string): Record<string, string> => ({
    type,
    status,
    lastHeartbeatTime: now,
    lastTransitionTime: now,
    reason,
    message,
  });
  const cidr = `10.244.${input.index % 256}.0/24`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: input.name,
      labels,
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: { podCIDR: cidr, podCIDRs: [cidr], ...(taints.length > 0 ? { taints } : {}) },
    status: {
      capacity: resources.capacity,
      allocatable: resources.allocatable,
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        ready
          ? condition('Ready', 'True', READY_CONDITION.reason, READY_CONDITION.message)
          : condition('Ready', 'False', NOT_READY_CONDITION.reason, NOT_READY_CONDITION.message),
      ],
      addresses: [
        { type: 'InternalIP', address: input.address },
        { type: 'Hostname', address: input.name },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: createHash('md5').update(`machine/${input.name}`).digest('hex'),
        systemUUID: stableUuid(`system/${input.name}`),
        bootID: stableUuid(`boot/${input.name}/${now}`),
        kernelVersion:
          input.provider === 'azure' ? '5.15.0-1073-azure' : input.provider === 'aws' ? '5.15.0-1072-aws' : '5.15.0-125-generic',
        osImage: 'Ubuntu 20.04.6 LTS',
        containerRuntimeVersion: 'containerd://1.7.24',
        kubeletVersion: input.kubeletVersion,
        kubeProxyVersion: input.kubeletVersion,
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
    },
  };
}

/** The next InternalIP in a /24 address pool ("10.1.1.0/24", 3 → "10.1.1.13"), host numbers from .10 up. */
export function addressIn(pool: string | undefined, n: number): string {
  const base = pool ? /^(\d+\.\d+\.\d+)\.\d+\/\d+$/.exec(pool)?.[1] : undefined;
  return `${base ?? '10.1.1'}.${10 + (n % 240)}`;
}
