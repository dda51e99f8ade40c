/**
 * The shapes of request bodies, checked before anything reads them, as the API server's decoder
 * checks them against the Go types: a field of the wrong JSON type (`"containers": "x"`, a label
 * that is a number, `replicas: "3"` or 1.5) is a 400 naming the field, in the decoder's words
 * (`json: cannot unmarshal string into Go struct field PodSpec.spec.containers of type
 * []v1.Container`), instead of reaching code that would throw on it.
 *
 * Only the fields the simulator (or kubectl's printing) reads are described; everything else is
 * kept as it came, as before. Like Go, a `null` field means "not set": it is dropped (time fields,
 * which the API writes as `null`, keep it), and a `null` element of a list or map becomes the zero
 * value of its type. Values that have the right type but are not allowed (a negative count, an
 * unknown selector operator) are the kinds' validation, a 422 (strategies.ts).
 */
import { KubeError } from './status.js';
import { isRecord } from './types.js';

type Scalar = 'string' | 'bool' | 'int32' | 'int64' | 'quantity' | 'intOrString' | 'time';
interface Struct {
  struct: string;
  fields: Readonly<Record<string, Shape>>;
}
type Shape = Scalar | { list: Shape } | { map: Shape } | Struct;

const struct = (name: string, fields: Record<string, Shape>): Struct => ({ struct: name, fields });
const list = (of: Shape): Shape => ({ list: of });
const map = (of: Shape): Shape => ({ map: of });
const strings = list('string');
const stringMap = map('string');
const quantities = map('quantity');

const objectMeta = struct('ObjectMeta', {
  name: 'string',
  generateName: 'string',
  namespace: 'string',
  uid: 'string',
  resourceVersion: 'string',
  generation: 'int64',
  creationTimestamp: 'time',
  deletionTimestamp: 'time',
  deletionGracePeriodSeconds: 'int64',
  labels: stringMap,
  annotations: stringMap,
  ownerReferences: list(
    struct('OwnerReference', {
      apiVersion: 'string',
      kind: 'string',
      name: 'string',
      uid: 'string',
      controller: 'bool',
      blockOwnerDeletion: 'bool',
    }),
  ),
  finalizers: strings,
});

const labelSelector = struct('LabelSelector', {
  matchLabels: stringMap,
  matchExpressions: list(struct('LabelSelectorRequirement', { key: 'string', operator: 'string', values: strings })),
});

const nodeSelectorRequirement = struct('NodeSelectorRequirement', { key: 'string', operator: 'string', values: strings });
const nodeSelectorTerm = struct('NodeSelectorTerm', {
  matchExpressions: list(nodeSelectorRequirement),
  matchFields: list(nodeSelectorRequirement),
});

const container = struct('Container', {
  name: 'string',
  image: 'string',
  imagePullPolicy: 'string',
  terminationMessagePath: 'string',
  terminationMessagePolicy: 'string',
  resources: struct('ResourceRequirements', { requests: quantities, limits: quantities }),
  ports: list(struct('ContainerPort', { name: 'string', containerPort: 'int32', hostPort: 'int32', protocol: 'string' })),
  volumeMounts: list(struct('VolumeMount', { name: 'string', mountPath: 'string' })),
  env: list(struct('EnvVar', { name: 'string', value: 'string' })),
});

const podSpec = struct('PodSpec', {
  volumes: list(
    struct('Volume', { name: 'string', emptyDir: struct('EmptyDirVolumeSource', { medium: 'string', sizeLimit: 'quantity' }) }),
  ),
  containers: list(container),
  initContainers: list(container),
  restartPolicy: 'string',
  terminationGracePeriodSeconds: 'int64',
  activeDeadlineSeconds: 'int64',
  dnsPolicy: 'string',
  nodeSelector: stringMap,
  serviceAccountName: 'string',
  serviceAccount: 'string',
  nodeName: 'string',
  hostNetwork: 'bool',
  securityContext: struct('PodSecurityContext', {}),
  affinity: struct('Affinity', {
    nodeAffinity: struct('NodeAffinity', {
      requiredDuringSchedulingIgnoredDuringExecution: struct('NodeSelector', { nodeSelectorTerms: list(nodeSelectorTerm) }),
      preferredDuringSchedulingIgnoredDuringExecution: list(
        struct('PreferredSchedulingTerm', { weight: 'int32', preference: nodeSelectorTerm }),
      ),
    }),
  }),
  schedulerName: 'string',
  tolerations: list(
    struct('Toleration', { key: 'string', operator: 'string', value: 'string', effect: 'string', tolerationSeconds: 'int64' }),
  ),
  priorityClassName: 'string',
  priority: 'int32',
  preemptionPolicy: 'string',
  enableServiceLinks: 'bool',
  overhead: quantities,
});

const condition = (name: string): Struct =>
  struct(name, {
    type: 'string',
    status: 'string',
    reason: 'string',
    message: 'string',
    lastTransitionTime: 'time',
    lastProbeTime: 'time',
    lastHeartbeatTime: 'time',
    lastUpdateTime: 'time',
    observedGeneration: 'int64',
  });

const containerState = struct('ContainerState', {
  waiting: struct('ContainerStateWaiting', { reason: 'string', message: 'string' }),
  running: struct('ContainerStateRunning', { startedAt: 'time' }),
  terminated: struct('ContainerStateTerminated', { exitCode: 'int32', reason: 'string', message: 'string' }),
});
const containerStatus = struct('ContainerStatus', {
  name: 'string',
  ready: 'bool',
  restartCount: 'int32',
  state: containerState,
  lastState: containerState,
  image: 'string',
  imageID: 'string',
  containerID: 'string',
  started: 'bool',
});
const ips = list(struct('PodIP', { ip: 'string' }));

const podTemplate = struct('PodTemplateSpec', { metadata: objectMeta, spec: podSpec });
const intOrStringUpdate = (name: string): Struct => struct(name, { maxUnavailable: 'intOrString', maxSurge: 'intOrString' });
const counts = (name: string, fields: string[], extra: Record<string, Shape> = {}): Struct =>
  struct(name, {
    ...Object.fromEntries(fields.map((f) => [f, 'int32' as const])),
    observedGeneration: 'int64',
    conditions: list(condition(`${name.replace('Status', '')}Condition`)),
    ...extra,
  });

const objectReference = struct('ObjectReference', {
  kind: 'string',
  namespace: 'string',
  name: 'string',
  uid: 'string',
  apiVersion: 'string',
  resourceVersion: 'string',
  fieldPath: 'string',
});

/** The kinds the simulator stores, by kind. */
const KINDS: Readonly<Record<string, Struct>> = {
  Pod: struct('Pod', {
    metadata: objectMeta,
    spec: podSpec,
    status: struct('PodStatus', {
      phase: 'string',
      reason: 'string',
      message: 'string',
      hostIP: 'string',
      podIP: 'string',
      qosClass: 'string',
      nominatedNodeName: 'string',
      startTime: 'time',
      conditions: list(condition('PodCondition')),
      containerStatuses: list(containerStatus),
      initContainerStatuses: list(containerStatus),
      podIPs: ips,
      hostIPs: ips,
    }),
  }),
  Deployment: struct('Deployment', {
    metadata: objectMeta,
    spec: struct('DeploymentSpec', {
      replicas: 'int32',
      selector: labelSelector,
      template: podTemplate,
      strategy: struct('DeploymentStrategy', { type: 'string', rollingUpdate: intOrStringUpdate('RollingUpdateDeployment') }),
      minReadySeconds: 'int32',
      revisionHistoryLimit: 'int32',
      paused: 'bool',
      progressDeadlineSeconds: 'int32',
    }),
    status: counts('DeploymentStatus', [
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'collisionCount',
    ]),
  }),
  ReplicaSet: struct('ReplicaSet', {
    metadata: objectMeta,
    spec: struct('ReplicaSetSpec', { replicas: 'int32', minReadySeconds: 'int32', selector: labelSelector, template: podTemplate }),
    status: counts('ReplicaSetStatus', ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']),
  }),
  DaemonSet: struct('DaemonSet', {
    metadata: objectMeta,
    spec: struct('DaemonSetSpec', {
      selector: labelSelector,
      template: podTemplate,
      updateStrategy: struct('DaemonSetUpdateStrategy', { type: 'string', rollingUpdate: intOrStringUpdate('RollingUpdateDaemonSet') }),
      minReadySeconds: 'int32',
      revisionHistoryLimit: 'int32',
    }),
    status: counts('DaemonSetStatus', [
      'currentNumberScheduled',
      'numberMisscheduled',
      'desiredNumberScheduled',
      'numberReady',
      'updatedNumberScheduled',
      'numberAvailable',
      'numberUnavailable',
    ]),
  }),
  PodDisruptionBudget: struct('PodDisruptionBudget', {
    metadata: objectMeta,
    spec: struct('PodDisruptionBudgetSpec', {
      minAvailable: 'intOrString',
      maxUnavailable: 'intOrString',
      selector: labelSelector,
      unhealthyPodEvictionPolicy: 'string',
    }),
    status: counts('PodDisruptionBudgetStatus', ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'], {
      disruptedPods: map('time'),
    }),
  }),
  Node: struct('Node', {
    metadata: objectMeta,
    spec: struct('NodeSpec', {
      podCIDR: 'string',
      podCIDRs: strings,
      providerID: 'string',
      unschedulable: 'bool',
      taints: list(struct('Taint', { key: 'string', value: 'string', effect: 'string', timeAdded: 'time' })),
    }),
    status: struct('NodeStatus', {
      capacity: quantities,
      allocatable: quantities,
      phase: 'string',
      conditions: list(condition('NodeCondition')),
      addresses: list(struct('NodeAddress', { type: 'string', address: 'string' })),
      nodeInfo: struct(
        'NodeSystemInfo',
        Object.fromEntries(
          [
            'machineID',
            'systemUUID',
            'bootID',
            'kernelVersion',
            'osImage',
            'containerRuntimeVersion',
            'kubeletVersion',
            'kubeProxyVersion',
            'operatingSystem',
            'architecture',
          ].map((f) => [f, 'string' as const]),
        ),
      ),
    }),
  }),
  Namespace: struct('Namespace', {
    metadata: objectMeta,
    spec: struct('NamespaceSpec', { finalizers: strings }),
    status: struct('NamespaceStatus', { phase: 'string', conditions: list(condition('NamespaceCondition')) }),
  }),
  Service: struct('Service', {
    metadata: objectMeta,
    spec: struct('ServiceSpec', {
      type: 'string',
      clusterIP: 'string',
      clusterIPs: strings,
      externalIPs: strings,
      ipFamilies: strings,
      ipFamilyPolicy: 'string',
      internalTrafficPolicy: 'string',
      externalTrafficPolicy: 'string',
      sessionAffinity: 'string',
      externalName: 'string',
      selector: stringMap,
      ports: list(
        struct('ServicePort', {
          name: 'string',
          protocol: 'string',
          appProtocol: 'string',
          port: 'int32',
          targetPort: 'intOrString',
          nodePort: 'int32',
        }),
      ),
    }),
    status: struct('ServiceStatus', { loadBalancer: struct('LoadBalancerStatus', {}) }),
  }),
  Event: struct('Event', {
    metadata: objectMeta,
    involvedObject: objectReference,
    related: objectReference,
    reason: 'string',
    message: 'string',
    type: 'string',
    action: 'string',
    reportingComponent: 'string',
    reportingInstance: 'string',
    source: struct('EventSource', { component: 'string', host: 'string' }),
    firstTimestamp: 'time',
    lastTimestamp: 'time',
    eventTime: 'time',
    count: 'int32',
  }),
  Scale: struct('Scale', { metadata: objectMeta, spec: struct('ScaleSpec', { replicas: 'int32' }) }),
};

const deleteOptions = struct('DeleteOptions', {
  gracePeriodSeconds: 'int64',
  preconditions: struct('Preconditions', { uid: 'string', resourceVersion: 'string' }),
  orphanDependents: 'bool',
  propagationPolicy: 'string',
  dryRun: strings,
});

const BODIES: Readonly<Record<string, Struct>> = {
  ...KINDS,
  DeleteOptions: deleteOptions,
  Eviction: struct('Eviction', { metadata: objectMeta, deleteOptions }),
};

/** Go's name for a type, as its decoder's messages write it. */
function goType(shape: Shape): string {
  if (typeof shape === 'string') {
    return {
      string: 'string',
      bool: 'bool',
      int32: 'int32',
      int64: 'int64',
      quantity: 'resource.Quantity',
      intOrString: 'intstr.IntOrString',
      time: 'v1.Time',
    }[shape];
  }
  if ('list' in shape) return `[]${goType(shape.list)}`;
  if ('map' in shape) return `map[string]${goType(shape.map)}`;
  return `v1.${shape.struct}`;
}

/** How Go's decoder names the JSON value it could not put into a type. */
function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  if (typeof value === 'number') return `number ${value}`;
  if (typeof value === 'boolean') return 'bool';
  return typeof value;
}

const INT_RANGE = { int32: 2 ** 31, int64: 2 ** 63 };
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function fitsScalar(shape: Scalar, value: unknown): boolean {
  switch (shape) {
    case 'string':
      return typeof value === 'string';
    case 'bool':
      return typeof value === 'boolean';
    case 'int32':
    case 'int64':
      return Number.isInteger(value) && (value as number) >= -INT_RANGE[shape] && (value as number) < INT_RANGE[shape];
    case 'quantity':
      return typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
    case 'intOrString':
      return typeof value === 'string' || (Number.isInteger(value) && Math.abs(value as number) < INT_RANGE.int32);
    case 'time':
      return value === null || (typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value)));
  }
}

/** The zero value Go gives a `null` element of a list or a map. */
function zero(shape: Shape): unknown {
  if (typeof shape !== 'string') return 'list' in shape ? [] : {};
  return { string: '', bool: false, int32: 0, int64: 0, quantity: '0', intOrString: 0, time: null }[shape];
}

interface Mismatch {
  /** The field, as validation messages write it: `spec.containers[0].name`. */
  field: string;
  /** The Go struct holding it. */
  owner: string;
  shape: Shape;
  value: unknown;
}

/** The first value that does not fit its shape, dropping or zeroing nulls on the way (the value is the caller's private copy). */
function mismatch(shape: Shape, value: unknown, field: string, owner: string): Mismatch | undefined {
  if (typeof shape === 'string') return fitsScalar(shape, value) ? undefined : { field, owner, shape, value };
  if ('list' in shape) {
    if (!Array.isArray(value)) return { field, owner, shape, value };
    for (let i = 0; i < value.length; i++) {
      if (value[i] === null) value[i] = zero(shape.list);
      const found = mismatch(shape.list, value[i], `${field}[${i}]`, owner);
      if (found) return found;
    }
    return undefined;
  }
  if ('map' in shape) {
    if (!isRecord(value)) return { field, owner, shape, value };
    for (const [key, item] of Object.entries(value)) {
      if (item === null) value[key] = zero(shape.map);
      const found = mismatch(shape.map, value[key], `${field}.${key}`, owner);
      if (found) return found;
    }
    return undefined;
  }
  if (!isRecord(value)) return { field, owner, shape, value };
  for (const [key, inner] of Object.entries(shape.fields)) {
    if (!Object.hasOwn(value, key)) continue;
    if (value[key] === null && inner !== 'time') {
      delete value[key];
      continue;
    }
    const found = mismatch(inner, value[key], field ? `${field}.${key}` : key, shape.struct);
    if (found) return found;
  }
  return undefined;
}

/**
 * Checks a request body (a private copy: nulls are settled in place) against the shape of `kind`
 * (a stored kind, `Scale`, `Eviction` or `DeleteOptions`); a mismatch is the decoder's 400 with
 * the field named in the message and in `details.causes`. Kinds without a shape pass as they are.
 */
export function checkShape(kind: string, body: Record<string, unknown>, apiVersion: string): void {
  const shape = BODIES[kind];
  if (!shape) return;
  const found = mismatch(shape, body, '', kind);
  if (!found) return;
  const problem = `json: cannot unmarshal ${jsonKind(found.value)} into Go struct field ${found.owner}.${found.field} of type ${goType(found.shape)}`;
  throw new KubeError(400, 'BadRequest', `${kind} in version "${apiVersion.split('/').pop()}" cannot be handled as a ${kind}: ${problem}`, {
    causes: [{ reason: 'FieldValueInvalid', message: problem, field: found.field }],
  });
}
