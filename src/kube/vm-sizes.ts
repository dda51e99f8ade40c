/**
 * The AWS and Azure VM sizes LambdaStack clusters use, and what a node of each reports:
 * `status.capacity` and `status.allocatable`. The sizes are the providers' published vCPU and
 * memory figures; allocatable is what the kubelet leaves after its reservations. The decision
 * engine packs pending pods onto new workers of the worker machine's allocatable, and the
 * simulator gives its nodes the same figures, so both fill a node the way a real one fills (a
 * t3.medium fits seven 250m/500Mi pods, not eight).
 */
import { UserError } from '../errors.js';
import { formatCpu } from './quantity.js';

export interface VmSize {
  vcpus: number;
  memoryGiB: number;
}

const GiB = 2 ** 30;
const MiB = 2 ** 20;

/** AWS EC2 and Azure sizes, by the name `infrastructure/virtual-machine` `specification.size` uses. */
export const VM_SIZES: Readonly<Record<string, VmSize>> = {
  // AWS burstable
  't2.nano': { vcpus: 1, memoryGiB: 0.5 },
  't2.micro': { vcpus: 1, memoryGiB: 1 },
  't2.small': { vcpus: 1, memoryGiB: 2 },
  't2.medium': { vcpus: 2, memoryGiB: 4 },
  't2.large': { vcpus: 2, memoryGiB: 8 },
  't2.xlarge': { vcpus: 4, memoryGiB: 16 },
  't2.2xlarge': { vcpus: 8, memoryGiB: 32 },
  't3.nano': { vcpus: 2, memoryGiB: 0.5 },
  't3.micro': { vcpus: 2, memoryGiB: 1 },
  't3.small': { vcpus: 2, memoryGiB: 2 },
  't3.medium': { vcpus: 2, memoryGiB: 4 },
  't3.large': { vcpus: 2, memoryGiB: 8 },
  't3.xlarge': { vcpus: 4, memoryGiB: 16 },
  't3.2xlarge': { vcpus: 8, memoryGiB: 32 },
  // AWS general purpose, compute optimized, memory optimized
  'm5.large': { vcpus: 2, memoryGiB: 8 },
  'm5.xlarge': { vcpus: 4, memoryGiB: 16 },
  'm5.2xlarge': { vcpus: 8, memoryGiB: 32 },
  'm5.4xlarge': { vcpus: 16, memoryGiB: 64 },
  'm5.8xlarge': { vcpus: 32, memoryGiB: 128 },
  'c5.large': { vcpus: 2, memoryGiB: 4 },
  'c5.xlarge': { vcpus: 4, memoryGiB: 8 },
  'c5.2xlarge': { vcpus: 8, memoryGiB: 16 },
  'c5.4xlarge': { vcpus: 16, memoryGiB: 32 },
  'c5.9xlarge': { vcpus: 36, memoryGiB: 72 },
  'r5.large': { vcpus: 2, memoryGiB: 16 },
  'r5.xlarge': { vcpus: 4, memoryGiB: 32 },
  'r5.2xlarge': { vcpus: 8, memoryGiB: 64 },
  'r5.4xlarge': { vcpus: 16, memoryGiB: 128 },
  // Azure
  Standard_B1s: { vcpus: 1, memoryGiB: 1 },
  Standard_B1ms: { vcpus: 1, memoryGiB: 2 },
  Standard_B2s: { vcpus: 2, memoryGiB: 4 },
  Standard_B2ms: { vcpus: 2, memoryGiB: 8 },
  Standard_B4ms: { vcpus: 4, memoryGiB: 16 },
  Standard_D2s_v3: { vcpus: 2, memoryGiB: 8 },
  Standard_D4s_v3: { vcpus: 4, memoryGiB: 16 },
  Standard_D8s_v3: { vcpus: 8, memoryGiB: 32 },
  Standard_D16s_v3: { vcpus: 16, memoryGiB: 64 },
  Standard_DS1_v2: { vcpus: 1, memoryGiB: 3.5 },
  Standard_DS2_v2: { vcpus: 2, memoryGiB: 7 },
  Standard_DS3_v2: { vcpus: 4, memoryGiB: 14 },
  Standard_DS4_v2: { vcpus: 8, memoryGiB: 28 },
  Standard_DS5_v2: { vcpus: 16, memoryGiB: 56 },
  Standard_F2s_v2: { vcpus: 2, memoryGiB: 4 },
  Standard_F4s_v2: { vcpus: 4, memoryGiB: 8 },
  Standard_F8s_v2: { vcpus: 8, memoryGiB: 16 },
  Standard_F16s_v2: { vcpus: 16, memoryGiB: 32 },
  Standard_E2s_v3: { vcpus: 2, memoryGiB: 16 },
  Standard_E4s_v3: { vcpus: 4, memoryGiB: 32 },
  Standard_E8s_v3: { vcpus: 8, memoryGiB: 64 },
  Standard_E16s_v3: { vcpus: 16, memoryGiB: 128 },
};

/** The canonical spelling of a size (Azure treats size names case-insensitively), or undefined. */
export function knownSize(size: string): string | undefined {
  if (Object.hasOwn(VM_SIZES, size)) return size;
  const lower = size.toLowerCase();
  return Object.keys(VM_SIZES).find((name) => name.toLowerCase() === lower);
}

/** A size's figures; an unknown size is an error that names it and lists the known ones. */
export function vmSize(size: string, where = 'specification.size'): VmSize & { name: string } {
  const name = knownSize(size);
  if (name === undefined) {
    throw new UserError(
      `unknown VM size ${JSON.stringify(size)} (${where}): lambdastack-autoscaler knows ${Object.keys(VM_SIZES).join(', ')}; ` +
        'use one of these, or add the size with its vCPUs and memory to VM_SIZES in src/kube/vm-sizes.ts',
    );
  }
  return { name, ...(VM_SIZES[name] as VmSize) };
}

/** The resources a node reports, as API quantity strings. */
export interface NodeResources {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  cpuMillis: number;
  memoryBytes: number;
  pods: number;
}

/** The kubelet's default pod limit. */
export const MAX_PODS = 110;

/**
 * CPU the kubelet reserves for the system, by the tiers the managed Kubernetes services use
 * (6% of the first core, 1% of the second, 0.5% of the next two, 0.25% above four cores).
 */
function reservedCpuMillis(vcpus: number): number {
  const tiers: Array<[number, number]> = [
    [1, 0.06],
    [1, 0.01],
    [2, 0.005],
    [Number.POSITIVE_INFINITY, 0.0025],
  ];
  let left = vcpus;
  let reserved = 0;
  for (const [cores, share] of tiers) {
    const take = Math.min(left, cores);
    reserved += take * 1000 * share;
    left -= take;
    if (left <= 0) break;
  }
  return Math.ceil(reserved);
}

/** Memory the kubelet holds back: its hard eviction threshold (100Mi) plus 255Mi for the system daemons. */
const RESERVED_MEMORY = 355 * MiB;

/** Capacity and allocatable of a node of this size; memory is written in Ki as the kubelet does. */
export function nodeResources(size: VmSize): NodeResources {
  const capacityMemory = Math.round(size.memoryGiB * GiB);
  const cpu = size.vcpus * 1000 - reservedCpuMillis(size.vcpus);
  const memory = Math.max(0, capacityMemory - RESERVED_MEMORY);
  const storage = 30 * GiB;
  return {
    capacity: {
      cpu: String(size.vcpus),
      'ephemeral-storage': `${storage / 1024}Ki`,
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${capacityMemory / 1024}Ki`,
      pods: String(MAX_PODS),
    },
    allocatable: {
      cpu: formatCpu(cpu),
      'ephemeral-storage': String(Math.floor(storage * 0.9)),
      'hugepages-1Gi': '0',
      'hugepages-2Mi': '0',
      memory: `${memory / 1024}Ki`,
      pods: String(MAX_PODS),
    },
    cpuMillis: cpu,
    memoryBytes: memory,
    pods: MAX_PODS,
  };
}
