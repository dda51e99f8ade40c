/**
 * What a pod asks the scheduler for, computed as the scheduler's NodeResourcesFit filter does
 * (`resourcehelper.PodRequests`): the larger of what its containers need together and what its
 * init phase needs at its peak, plus the pod overhead of its RuntimeClass. A bin-packing estimate
 * that summed containers alone would under-count pods whose init container is the big one.
 */
import { cpuMillis, memoryBytes } from './quantity.js';

/** The parts of a container the requests come from. */
export interface ContainerRequests {
  /** `Always` marks a sidecar: an init container that keeps running beside the containers. */
  restartPolicy?: string;
  resources?: { requests?: Readonly<Record<string, string>> };
}

/** The parts of a pod spec the requests come from. */
export interface PodRequestsSpec {
  containers?: readonly ContainerRequests[];
  initContainers?: readonly ContainerRequests[];
  overhead?: Readonly<Record<string, string>>;
}

/** CPU in millicores and memory in bytes, both whole numbers. */
export interface Resources {
  cpu: number;
  memory: number;
}

function requestsOf(requests: Readonly<Record<string, string>> | undefined): Resources {
  return { cpu: cpuMillis(requests?.cpu ?? '0') ?? 0, memory: memoryBytes(requests?.memory ?? '0') ?? 0 };
}

function add(a: Resources, b: Resources): Resources {
  return { cpu: a.cpu + b.cpu, memory: a.memory + b.memory };
}

function max(a: Resources, b: Resources): Resources {
  return { cpu: Math.max(a.cpu, b.cpu), memory: Math.max(a.memory, b.memory) };
}

/**
 * A pod's CPU and memory requests. Init containers run one after another, so only the largest
 * counts; a sidecar (an init container with `restartPolicy: Always`) keeps running, so it adds to
 * the containers and to every init container started after it. An unreadable quantity counts as 0
 * (the API server refuses such pods, so they do not reach a scheduler).
 */
export function podRequests(spec: PodRequestsSpec): Resources {
  let containers: Resources = { cpu: 0, memory: 0 };
  for (const c of spec.containers ?? []) containers = add(containers, requestsOf(c.resources?.requests));
  let sidecars: Resources = { cpu: 0, memory: 0 };
  let initPeak: Resources = { cpu: 0, memory: 0 };
  for (const c of spec.initContainers ?? []) {
    const own = requestsOf(c.resources?.requests);
    if (c.restartPolicy === 'Always') {
      containers = add(containers, own);
      sidecars = add(sidecars, own);
      initPeak = max(initPeak, sidecars);
    } else {
      initPeak = max(initPeak, add(own, sidecars));
    }
  }
  return add(max(containers, initPeak), requestsOf(spec.overhead));
}
