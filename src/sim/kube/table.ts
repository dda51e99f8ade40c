/**
 * Server-side printing: kubectl asks for `as=Table` and prints the columns the server sends
 * (`kubectl get pods -o wide` shows IP and NODE only because the API server's pod printer has
 * them). Columns and cell formats follow the API server's printers for each kind.
 */
import { formatLabelSelector } from '../../kube/label-selector.js';
import type { Condition, DaemonSet, Deployment, KubeObject, Node, Pod, PodDisruptionBudget, ReplicaSet } from './types.js';

export interface Column {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

const col = (name: string, type: string, description: string, priority = 0, format = ''): Column => ({
  name,
  type,
  format,
  description,
  priority,
});
const NAME = col('Name', 'string', 'Name must be unique within a namespace.', 0, 'name');
const AGE = col('Age', 'string', 'CreationTimestamp is a timestamp representing the server time when this object was created.');

/** `duration.HumanDuration`: how the API server writes ages ("45s", "3m20s", "5h", "2d3h"). */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24) % 365;
    return days === 0 ? `${Math.floor(hours / 24 / 365)}y` : `${Math.floor(hours / 24 / 365)}y${days}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

function age(object: KubeObject, now: number): string {
  const created = Date.parse(object.metadata.creationTimestamp);
  return Number.isNaN(created) ? '<unknown>' : humanDuration(now - created);
}

function containersAndImages(spec: { containers?: Array<{ name: string; image?: string }> } | undefined): [string, string] {
  const containers = spec?.containers ?? [];
  return [containers.map((c) => c.name).join(','), containers.map((c) => c.image ?? '').join(',')];
}

const num = (value: unknown): number => (typeof value === 'number' ? value : 0);

function podStatus(pod: Pod): string {
  let reason = pod.status?.reason || pod.status?.phase || 'Pending';
  let ready = 0;
  for (const status of pod.status?.containerStatuses ?? []) {
    const state = status.state ?? {};
    const waiting = state.waiting as { reason?: string } | undefined;
    const terminated = state.terminated as { reason?: string; exitCode?: number } | undefined;
    if (waiting?.reason) reason = waiting.reason;
    else if (terminated?.reason) reason = terminated.reason;
    else if (terminated) reason = `ExitCode:${terminated.exitCode ?? 0}`;
    if (status.ready) ready++;
  }
  if (reason === 'Completed' && ready > 0) reason = 'Running';
  if (pod.metadata.deletionTimestamp) reason = pod.status?.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

interface Printer {
  columns: Column[];
  cells(object: KubeObject, now: number): unknown[];
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      col('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'string',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
      ),
      AGE,
      col('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.', 1),
      col('Node', 'string', 'NodeName is a request to schedule this pod onto a specific node.', 1),
      col('Nominated Node', 'string', 'nominatedNodeName is set when this pod preempts other pods on the node.', 1),
      col('Readiness Gates', 'string', 'If specified, all readiness gates will be evaluated for pod readiness.', 1),
    ],
    cells(object, now) {
      const pod = object as Pod;
      const statuses = pod.status?.containerStatuses ?? [];
      const total = pod.spec?.containers?.length ?? 0;
      const ready = statuses.filter((s) => s.ready).length;
      const restarts = statuses.reduce((sum, s) => sum + (s.restartCount ?? 0), 0);
      return [
        pod.metadata.name,
        `${ready}/${total}`,
        podStatus(pod),
        String(restarts),
        age(pod, now),
        pod.status?.podIP || '<none>',
        pod.spec?.nodeName || '<none>',
        (pod.status?.nominatedNodeName as string | undefined) || '<none>',
        '<none>',
      ];
    },
  },
  Node: {
    columns: [
      NAME,
      col('Status', 'string', 'The status of the node'),
      col('Roles', 'string', 'The roles of the node'),
      AGE,
      col('Version', 'string', 'Kubelet Version reported by the node.'),
      col('Internal-IP', 'string', 'List of addresses reachable to the node.', 1),
      col('External-IP', 'string', 'List of addresses reachable to the node.', 1),
      col('OS-Image', 'string', 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).', 1),
      col('Kernel-Version', 'string', "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
      col(
        'Container-Runtime',
        'string',
        'Container Runtime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
        1,
      ),
    ],
    cells(object, now) {
      const node = object as Node;
      const ready = (node.status?.conditions ?? []).find((c: Condition) => c.type === 'Ready');
      const status = [ready ? (ready.status === 'True' ? 'Ready' : ready.status === 'False' ? 'NotReady' : 'Unknown') : 'Unknown'];
      if (node.spec?.unschedulable) status.push('SchedulingDisabled');
      const roles = new Set<string>();
      for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
        if (key.startsWith('node-role.kubernetes.io/') && key.length > 'node-role.kubernetes.io/'.length)
          roles.add(key.slice('node-role.kubernetes.io/'.length));
        else if (key === 'kubernetes.io/role' && value) roles.add(value);
      }
      const address = (type: string): string => (node.status?.addresses ?? []).find((a) => a.type === type)?.address ?? '<none>';
      const info = node.status?.nodeInfo ?? {};
      return [
        node.metadata.name,
        status.join(','),
        roles.size > 0 ? [...roles].sort().join(',') : '<none>',
        age(node, now),
        info.kubeletVersion ?? '',
        address('InternalIP'),
        address('ExternalIP'),
        info.osImage ?? '<unknown>',
        info.kernelVersion ?? '<unknown>',
        info.containerRuntimeVersion ?? '<unknown>',
      ];
    },
  },
  Deployment: {
    columns: [
      NAME,
      col('Ready', 'string', 'Number of the pod with ready state'),
      col('Up-to-date', 'integer', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'),
      col('Available', 'integer', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1),
      col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col(
        'Selector',
        'string',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.',
        1,
      ),
    ],
    cells(object, now) {
      const d = object as Deployment;
      const [containers, images] = containersAndImages(d.spec?.template?.spec);
      return [
        d.metadata.name,
        `${num(d.status?.readyReplicas)}/${num(d.spec?.replicas)}`,
        num(d.status?.updatedReplicas),
        num(d.status?.availableReplicas),
        age(d, now),
        containers,
        images,
        formatLabelSelector(d.spec?.selector),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      NAME,
      col('Desired', 'integer', 'Replicas is the number of desired replicas.'),
      col('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
      col('Ready', 'integer', 'The number of ready replicas for this replica set.'),
      AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1),
      col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col('Selector', 'string', 'Selector is a label query over pods that should match the replica count.', 1),
    ],
    cells(object, now) {
      const rs = object as ReplicaSet;
      const [containers, images] = containersAndImages(rs.spec?.template?.spec);
      return [
        rs.metadata.name,
        num(rs.spec?.replicas),
        num(rs.status?.replicas),
        num(rs.status?.readyReplicas),
        age(rs, now),
        containers,
        images,
        formatLabelSelector(rs.spec?.selector),
      ];
    },
  },
  DaemonSet: {
    columns: [
      NAME,
      col('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
      col('Current', 'integer', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.'),
      col(
        'Ready',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
      ),
      col('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
      col(
        'Available',
        'integer',
        'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
      ),
      col('Node Selector', 'string', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
      AGE,
      col('Containers', 'string', 'Names of each container in the template.', 1),
      col('Images', 'string', 'Images referenced by each container in the template.', 1),
      col('Selector', 'string', 'A label query over pods that are managed by the daemon set.', 1),
    ],
    cells(object, now) {
      const ds = object as DaemonSet;
      const s = ds.status ?? {};
      const [containers, images] = containersAndImages(ds.spec?.template?.spec);
      const selector = Object.entries(ds.spec?.template?.spec?.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        ds.metadata.name,
        num(s.desiredNumberScheduled),
        num(s.currentNumberScheduled),
        num(s.numberReady),
        num(s.updatedNumberScheduled),
        num(s.numberAvailable),
        selector || '<none>',
        age(ds, now),
        containers,
        images,
        formatLabelSelector(ds.spec?.selector),
      ];
    },
  },
  PodDisruptionBudget: {
    columns: [
      NAME,
      col('Min Available', 'string', 'The minimum number of pods that must be available.'),
      col('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
      col('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
      AGE,
    ],
    cells(object, now) {
      const pdb = object as PodDisruptionBudget;
      const show = (v: unknown): string => (v === undefined || v === null ? 'N/A' : String(v));
      return [
        pdb.metadata.name,
        show(pdb.spec?.minAvailable),
        show(pdb.spec?.maxUnavailable),
        num(pdb.status?.disruptionsAllowed),
        age(pdb, now),
      ];
    },
  },
  Service: {
    columns: [
      NAME,
      col('Type', 'string', 'type determines how the Service is exposed.'),
      col('Cluster-IP', 'string', 'clusterIP is the IP address of the service and is usually assigned randomly.'),
      col(
        'External-IP',
        'string',
        'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
      ),
      col('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
      AGE,
      col('Selector', 'string', 'Route service traffic to pods with label keys and values matching this selector.', 1),
    ],
    cells(object, now) {
      const spec = (object.spec ?? {}) as {
        type?: string;
        clusterIP?: string;
        externalIPs?: string[];
        ports?: Array<{ port: number; protocol?: string; nodePort?: number }>;
        selector?: Record<string, string>;
      };
      const ports = (spec.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
      const selector = Object.entries(spec.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      return [
        object.metadata.name,
        spec.type ?? 'ClusterIP',
        spec.clusterIP || '<none>',
        spec.externalIPs?.length ? spec.externalIPs.join(',') : spec.type === 'LoadBalancer' ? '<pending>' : '<none>',
        ports || '<none>',
        age(object, now),
        selector || '<none>',
      ];
    },
  },
  Namespace: {
    columns: [NAME, col('Status', 'string', 'The status of the namespace'), AGE],
    cells(object, now) {
      return [object.metadata.name, String((object.status as { phase?: string } | undefined)?.phase ?? ''), age(object, now)];
    },
  },
  Event: {
    columns: [
      col('Last Seen', 'string', 'The last time this event occurred.'),
      col('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future.'),
      col('Reason', 'string', 'A machine-readable description of the cause of the event.'),
      col('Object', 'string', 'The object that this event is about.'),
      col('Subobject', 'string', 'The subobject of the object the event is about.', 1),
      col('Source', 'string', 'The component reporting this event.', 1),
      col('Message', 'string', 'A human-readable description of the status of this operation.'),
      col('First Seen', 'string', 'The first time this event occurred.', 1),
      col('Count', 'string', 'The number of times this event has occurred.', 1),
      col('Name', 'string', 'The name of the event.', 1, 'name'),
    ],
    cells(object, now) {
      const e = object as KubeObject & {
        involvedObject?: { kind?: string; name?: string; fieldPath?: string };
        source?: { component?: string; host?: string };
        lastTimestamp?: string;
        firstTimestamp?: string;
        count?: number;
        type?: string;
        reason?: string;
        message?: string;
      };
      const since = (t: string | undefined): string => (t ? humanDuration(now - Date.parse(t)) : '<unknown>');
      const source = [e.source?.component, e.source?.host].filter(Boolean).join(', ');
      return [
        since(e.lastTimestamp ?? e.metadata.creationTimestamp),
        e.type ?? '',
        e.reason ?? '',
        `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
        e.involvedObject?.fieldPath ?? '',
        source,
        e.message ?? '',
        since(e.firstTimestamp ?? e.metadata.creationTimestamp),
        String(e.count ?? 1),
        e.metadata.name,
      ];
    },
  },
};

/** The generic printer of resources without their own: name and creation time. */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME, col('Created At', 'date', 'CreationTimestamp is a timestamp representing the server time when this object was created.')],
  cells(object) {
    return [object.metadata.name, object.metadata.creationTimestamp];
  },
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableOptions {
  /** "meta.k8s.io/v1" or "meta.k8s.io/v1beta1", as the client asked. */
  apiVersion: string;
  includeObject: IncludeObject;
  now: number;
  listMeta?: Record<string, unknown>;
  /** Watch events after the first carry no column definitions? The API server sends them every time; so do we. */
}

/** Objects (of one kind) as a `meta.k8s.io` Table. */
export function toTable(kind: string, objects: readonly KubeObject[], options: TableOptions): Record<string, unknown> {
  const printer = PRINTERS[kind] ?? DEFAULT_PRINTER;
  return {
    kind: 'Table',
    apiVersion: options.apiVersion,
    metadata: options.listMeta ?? {},
    columnDefinitions: printer.columns,
    rows: objects.map((object) => {
      const row: Record<string, unknown> = { cells: printer.cells(object, options.now) };
      if (options.includeObject === 'Object') row.object = object;
      else if (options.includeObject === 'Metadata') {
        row.object = { kind: 'PartialObjectMetadata', apiVersion: options.apiVersion, metadata: object.metadata };
      }
      return row;
    }),
  };
}
