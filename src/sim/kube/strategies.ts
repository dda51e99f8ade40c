/**
 * Per-kind create and update rules (the API server's "registry strategies"): defaults, what a
 * create resets, what an update of the main resource or of `/status` may change, validation with
 * the same field paths and messages, and the values field selectors match on.
 */
import { parseQuantity } from '../../kube/quantity.js';
import { admitPod, defaultPodSpec, qosClass } from './defaults.js';
import type { ResourceInfo } from './resources.js';
import { labelSelectorMatcher } from './selectors.js';
import { invalidValue, required } from './status.js';
import type { Store } from './store.js';
import { type Container, isRecord, type KubeObject, type LabelSelector, objectAt, type Pod, type PodTemplateSpec } from './types.js';

export type Cause = { field: string; reason: string; message: string };

export interface Strategy {
  /** A `/status` subresource exists: updates of the main resource keep the old status, and the other way round. */
  hasStatus: boolean;
  /** `metadata.generation` starts at 1 and grows with every spec change. */
  generation: boolean;
  /** Defaults and resets on create (mutates its argument, a private copy); `store` for allocations (cluster IPs). */
  prepareForCreate(object: KubeObject, store: Store): void;
  /** Problems with an object about to be stored; `old` on updates. */
  validate(object: KubeObject, old?: KubeObject): Cause[];
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

/**
 * What a kind's names must be (apimachinery's name validators): a DNS-1123 subdomain (most kinds),
 * a DNS-1123 label (namespaces), a DNS-1035 label (services), or only a path segment (events).
 */
type NameRule = 'subdomain' | 'label' | 'dns1035' | 'segment';

const NAME_FORMATS: Record<Exclude<NameRule, 'segment'>, { pattern: RegExp; max: number; message: string }> = {
  subdomain: {
    pattern: DNS1123_SUBDOMAIN,
    max: 253,
    message:
      "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
  },
  label: {
    pattern: DNS1123_LABEL,
    max: 63,
    message:
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
  },
  dns1035: {
    pattern: DNS1035_LABEL,
    max: 63,
    message:
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
  },
};

/**
 * `path.IsValidPathSegmentName`: every name is a segment of the object's URL, so it may not be
 * `.` or `..` nor contain `/` or `%`. With `prefix` (a generateName) only the characters count.
 */
export function pathSegmentProblems(name: string, prefix = false): string[] {
  if (!prefix && (name === '.' || name === '..')) return [`may not be '${name}'`];
  return ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
}

/** The problems of a name (or, with `prefix`, of a generateName) under a rule, each as the API server words it. */
function nameProblems(name: string, rule: NameRule, prefix: boolean): string[] {
  if (rule === 'segment') return pathSegmentProblems(name, prefix);
  const format = NAME_FORMATS[rule];
  // A generateName is checked as a name it could start: a trailing '-' is masked (apimachinery's maskTrailingDash).
  const value = prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
  const problems: string[] = [];
  if (value.length > format.max) problems.push(`must be no more than ${format.max} characters`);
  if (!format.pattern.test(value)) problems.push(format.message);
  // Every DNS name is also a valid path segment; checked all the same, as ValidateObjectMeta does after the kind's rule.
  return problems.length > 0 ? problems : pathSegmentProblems(name, prefix);
}

function validateName(meta: KubeObject['metadata'], rule: NameRule): Cause[] {
  const causes: Cause[] = [];
  if (meta.generateName) {
    for (const problem of nameProblems(meta.generateName, rule, true))
      causes.push(invalidValue('metadata.generateName', meta.generateName, problem));
  }
  if (!meta.name) return [...causes, required('metadata.name', 'name or generateName is required')];
  for (const problem of nameProblems(meta.name, rule, false)) causes.push(invalidValue('metadata.name', meta.name, problem));
  return causes;
}

function validateLabels(labels: unknown, field: string): Cause[] {
  if (labels === undefined) return [];
  if (!isRecord(labels)) return [invalidValue(field, labels, 'labels must be a map of string keys to string values')];
  const causes: Cause[] = [];
  for (const [key, value] of Object.entries(labels)) {
    if (!QUALIFIED_NAME.test(key) || key.length > 316) {
      causes.push(
        invalidValue(
          field,
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    }
    if (typeof value !== 'string' || value.length > 63 || !LABEL_VALUE.test(value)) {
      causes.push(
        invalidValue(
          field,
          value,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
    }
  }
  return causes;
}

/** Problems of an object's labels, by the stored map: a controller's pods share theirs, so it is checked once. */
const labelProblems = new WeakMap<object, Cause[]>();

function metadataLabelProblems(labels: unknown): Cause[] {
  if (!isRecord(labels)) return validateLabels(labels, 'metadata.labels');
  let problems = labelProblems.get(labels);
  if (!problems) {
    problems = validateLabels(labels, 'metadata.labels');
    labelProblems.set(labels, problems);
  }
  return problems;
}

function validateMeta(object: KubeObject, rule: NameRule = 'subdomain'): Cause[] {
  return [...validateName(object.metadata, rule), ...metadataLabelProblems(object.metadata.labels)];
}

function validateContainers(containers: unknown, field: string): Cause[] {
  if (!Array.isArray(containers) || containers.length === 0) return [required(field)];
  const causes: Cause[] = [];
  const names = new Set<string>();
  containers.forEach((c: Container, i) => {
    const at = `${field}[${i}]`;
    if (!c?.name) causes.push(required(`${at}.name`));
    else if (names.has(c.name))
      causes.push({ field: `${at}.name`, reason: 'FieldValueDuplicate', message: `Duplicate value: ${JSON.stringify(c.name)}` });
    else names.add(c.name);
    if (!c?.image) causes.push(required(`${at}.image`));
    for (const kind of ['requests', 'limits'] as const) causes.push(...validateQuantities(c?.resources?.[kind], `${at}.resources.${kind}`));
  });
  return causes;
}

/** Every value of a resource list is a quantity of 0 or more (the field shown as `resources.requests[cpu]`). */
function validateQuantities(list: Record<string, unknown> | undefined, field: string): Cause[] {
  const causes: Cause[] = [];
  for (const [resource, value] of Object.entries(list ?? {})) {
    const parsed = parseQuantity(String(value));
    if (parsed === undefined || parsed.negative) {
      causes.push(
        invalidValue(
          `${field}[${resource}]`,
          value,
          "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
        ),
      );
    }
  }
  return causes;
}

const TAINT_EFFECTS = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/**
 * Problems of a pod's containers, by the stored array: a controller's pods share their template's
 * (stored objects are never changed in place), so it is checked once, not once per pod.
 */
const containerProblems = new WeakMap<object, Cause[]>();

function podContainerProblems(containers: unknown): Cause[] {
  if (!Array.isArray(containers)) return validateContainers(containers, 'spec.containers');
  let problems = containerProblems.get(containers);
  if (!problems) {
    problems = validateContainers(containers, 'spec.containers');
    containerProblems.set(containers, problems);
  }
  return problems;
}

const podStrategy: Strategy = {
  hasStatus: true,
  generation: false,
  prepareForCreate(object) {
    const pod = object as Pod;
    pod.spec ??= { containers: [] };
    defaultPodSpec(pod.spec);
    admitPod(pod);
    pod.status = { phase: 'Pending', qosClass: qosClass(pod.spec) };
  },
  validate(object, old) {
    const pod = object as Pod;
    const causes = [...validateMeta(object), ...podContainerProblems(pod.spec?.containers)];
    if (old) {
      // A pod's spec is fixed once created, apart from images and a few scheduling fields.
      const strip = (spec: unknown): string => {
        const copy = structuredClone(spec) as Record<string, unknown>;
        for (const key of ['activeDeadlineSeconds', 'tolerations', 'terminationGracePeriodSeconds']) delete copy[key];
        for (const list of ['containers', 'initContainers']) {
          const containers = copy[list];
          if (Array.isArray(containers)) for (const c of containers) if (isRecord(c)) delete c.image;
        }
        return JSON.stringify(copy);
      };
      if (strip(pod.spec) !== strip((old as Pod).spec)) {
        causes.push({
          field: 'spec',
          reason: 'FieldValueForbidden',
          message:
            'Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
        });
      }
    }
    return causes;
  },
};

const nodeStrategy: Strategy = {
  hasStatus: true,
  generation: false,
  // A node keeps the status it registers with: the kubelet creates its Node with capacity and conditions.
  prepareForCreate(object) {
    object.spec ??= {};
    object.status ??= {};
  },
  validate(object) {
    const status = (object.status ?? {}) as { capacity?: Record<string, unknown>; allocatable?: Record<string, unknown> };
    const causes = [
      ...validateMeta(object),
      ...validateQuantities(status.capacity, 'status.capacity'),
      ...validateQuantities(status.allocatable, 'status.allocatable'),
    ];
    const taints = (object.spec as { taints?: unknown } | undefined)?.taints;
    if (Array.isArray(taints)) {
      taints.forEach((taint, i) => {
        if (!isRecord(taint) || !taint.key) causes.push(required(`spec.taints[${i}].key`));
        else if (!TAINT_EFFECTS.includes(String(taint.effect))) {
          causes.push({
            field: `spec.taints[${i}].effect`,
            reason: 'FieldValueNotSupported',
            message: `Unsupported value: ${JSON.stringify(taint.effect)}: supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
          });
        }
      });
    }
    return causes;
  },
};

const namespaceStrategy: Strategy = {
  hasStatus: true,
  generation: false,
  prepareForCreate(object) {
    object.spec = { finalizers: ['kubernetes'] };
    object.status = { phase: 'Active' };
    object.metadata.labels = { ...(object.metadata.labels ?? {}), 'kubernetes.io/metadata.name': object.metadata.name };
  },
  validate(object) {
    return validateMeta(object, 'label');
  },
};

const eventStrategy: Strategy = {
  hasStatus: false,
  generation: false,
  prepareForCreate() {},
  validate(object) {
    // Event names are free-form apart from being a path segment (the recorder's `<object>.<hex time>`, but any will do).
    return validateMeta(object, 'segment');
  },
};

/** `ValidateLabelSelector`: label-shaped keys and values, and an operator with the values it needs (the matchers rely on it). */
function validateSelector(selector: LabelSelector | undefined, field: string): Cause[] {
  if (!selector) return [];
  const causes = validateLabels(selector.matchLabels, `${field}.matchLabels`);
  (selector.matchExpressions ?? []).forEach((expression, i) => {
    const at = `${field}.matchExpressions[${i}]`;
    if (!QUALIFIED_NAME.test(expression.key ?? ''))
      causes.push(
        invalidValue(
          `${at}.key`,
          expression.key ?? '',
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        ),
      );
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) causes.push(required(`${at}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0)
          causes.push({
            field: `${at}.values`,
            reason: 'FieldValueForbidden',
            message: "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
          });
        break;
      default:
        causes.push(invalidValue(`${at}.operator`, expression.operator, 'not a valid selector operator'));
    }
  });
  return causes;
}

function validateTemplate(spec: { selector?: LabelSelector; template?: PodTemplateSpec } | undefined, requireSelector: boolean): Cause[] {
  const causes: Cause[] = [];
  if (!spec?.selector) {
    if (requireSelector) causes.push(required('spec.selector'));
  } else if (Object.keys(spec.selector.matchLabels ?? {}).length === 0 && (spec.selector.matchExpressions ?? []).length === 0) {
    causes.push(invalidValue('spec.selector', spec.selector, 'empty selector is invalid for deployment'));
  }
  const selectorCauses = validateSelector(spec?.selector, 'spec.selector');
  causes.push(...selectorCauses);
  const labels = spec?.template?.metadata?.labels;
  causes.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  if (spec?.selector && selectorCauses.length === 0 && !labelSelectorMatcher(spec.selector)(labels)) {
    causes.push(invalidValue('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  causes.push(...validateContainers(spec?.template?.spec?.containers, 'spec.template.spec.containers'));
  return causes;
}

function templateDefaults(object: KubeObject): void {
  const spec = objectAt(object, 'spec') as { template?: PodTemplateSpec };
  spec.template ??= { spec: { containers: [] } };
  spec.template.metadata ??= {};
  spec.template.metadata.creationTimestamp ??= null;
  spec.template.spec ??= { containers: [] };
  defaultPodSpec(spec.template.spec);
}

/**
 * The most replicas one Deployment or ReplicaSet may ask for in the simulator (Kubernetes allows
 * any int32). The test world it stands in for is 5,000 nodes and 150,000 pods (design.md's
 * targets), built of many workloads; 10,000 pods take the controllers 20 syncs and about 50 MB.
 * Beyond it a typo (10^9) would exhaust the process's memory.
 */
export const MAX_REPLICAS = 10_000;

/** Deployments and replica sets validate alike: metadata, the pod template, and a replica count. */
function validateReplicated(object: Parameters<Strategy['validate']>[0]): ReturnType<Strategy['validate']> {
  const spec = object.spec as { replicas?: unknown; selector?: LabelSelector; template?: PodTemplateSpec };
  const causes = [...validateMeta(object), ...validateTemplate(spec, true)];
  causes.push(...validateReplicas(spec.replicas));
  return causes;
}

/** A replica count: 0 up to MAX_REPLICAS (the simulator's limit), for Deployments, ReplicaSets and their Scale. */
export function validateReplicas(replicas: unknown): Cause[] {
  if (!Number.isInteger(replicas) || (replicas as number) < 0)
    return [invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0')];
  if ((replicas as number) > MAX_REPLICAS) {
    return [
      invalidValue(
        'spec.replicas',
        replicas,
        `must be less than or equal to ${MAX_REPLICAS} (the simulator's limit on replicas per workload; spread larger worlds over several workloads)`,
      ),
    ];
  }
  return [];
}

const deploymentStrategy: Strategy = {
  hasStatus: true,
  generation: true,
  prepareForCreate(object) {
    templateDefaults(object);
    const spec = object.spec as Record<string, unknown>;
    spec.replicas ??= 1;
    const strategy = objectAt(spec, 'strategy');
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = objectAt(strategy, 'rollingUpdate');
      rolling.maxUnavailable ??= '25%';
      rolling.maxSurge ??= '25%';
    }
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    object.status = {};
  },
  validate: validateReplicated,
};

const replicaSetStrategy: Strategy = {
  hasStatus: true,
  generation: true,
  prepareForCreate(object) {
    templateDefaults(object);
    (object.spec as Record<string, unknown>).replicas ??= 1;
    object.status = { replicas: 0 };
  },
  validate: validateReplicated,
};

const daemonSetStrategy: Strategy = {
  hasStatus: true,
  generation: true,
  prepareForCreate(object) {
    templateDefaults(object);
    const spec = object.spec as Record<string, unknown>;
    const strategy = objectAt(spec, 'updateStrategy');
    strategy.type ||= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = objectAt(strategy, 'rollingUpdate');
      rolling.maxUnavailable ??= 1;
      rolling.maxSurge ??= 0;
    }
    spec.revisionHistoryLimit ??= 10;
    object.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  },
  validate(object) {
    return [...validateMeta(object), ...validateTemplate(object.spec as { selector?: LabelSelector; template?: PodTemplateSpec }, true)];
  },
};

function validIntOrPercent(value: unknown): boolean {
  return (Number.isInteger(value) && (value as number) >= 0) || (typeof value === 'string' && /^\d+%$/.test(value));
}

const pdbStrategy: Strategy = {
  hasStatus: true,
  generation: true,
  prepareForCreate(object) {
    object.spec ??= {};
    object.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  validate(object) {
    const spec = object.spec as { minAvailable?: unknown; maxUnavailable?: unknown; selector?: LabelSelector };
    const causes = [...validateMeta(object), ...validateSelector(spec.selector, 'spec.selector')];
    if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
      causes.push(invalidValue('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
    }
    for (const field of ['minAvailable', 'maxUnavailable'] as const) {
      const value = spec[field];
      if (value === undefined) continue;
      if (!validIntOrPercent(value))
        causes.push(invalidValue(`spec.${field}`, value, 'must be a non-negative integer or a percentage such as "50%"'));
      else if (typeof value === 'string' && Number.parseInt(value, 10) > 100)
        causes.push(invalidValue(`spec.${field}`, value, 'must not be greater than 100%'));
    }
    return causes;
  },
};

/** The service CIDR kubeadm uses (10.96.0.0/12); .1 is the `kubernetes` service, .10 kube-dns. */
function allocateClusterIP(store: Store): string {
  const used = new Set<string>();
  for (const svc of store.values('services')) {
    const ip = (svc.spec as { clusterIP?: string } | undefined)?.clusterIP;
    if (ip) used.add(ip);
  }
  for (let n = 2; n < 4096 * 256; n++) {
    if (n === 10) continue;
    const ip = `10.96.${Math.floor(n / 256)}.${n % 256}`;
    if (n % 256 !== 0 && !used.has(ip)) return ip;
  }
  throw new Error('the simulated service CIDR 10.96.0.0/12 is full');
}

const serviceStrategy: Strategy = {
  hasStatus: true,
  generation: false,
  prepareForCreate(object, store) {
    const spec = objectAt(object, 'spec');
    spec.type ||= 'ClusterIP';
    spec.sessionAffinity ||= 'None';
    if (spec.type !== 'ExternalName') {
      if (!spec.clusterIP) spec.clusterIP = allocateClusterIP(store);
      spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
    }
    const ports = Array.isArray(spec.ports) ? spec.ports : [];
    for (const port of ports) {
      if (!isRecord(port)) continue;
      port.protocol ??= 'TCP';
      port.targetPort ??= port.port;
    }
    object.status = { loadBalancer: {} };
  },
  validate(object) {
    const causes = validateMeta(object, 'dns1035');
    const spec = (object.spec ?? {}) as { type?: string; ports?: unknown };
    if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(String(spec.type))) {
      causes.push({
        field: 'spec.type',
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${JSON.stringify(spec.type)}: supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"`,
      });
    }
    if (spec.type !== 'ExternalName' && (!Array.isArray(spec.ports) || spec.ports.length === 0)) causes.push(required('spec.ports'));
    return causes;
  },
};

const STRATEGIES: Record<string, Strategy> = {
  services: serviceStrategy,
  pods: podStrategy,
  nodes: nodeStrategy,
  namespaces: namespaceStrategy,
  events: eventStrategy,
  'deployments.apps': deploymentStrategy,
  'replicasets.apps': replicaSetStrategy,
  'daemonsets.apps': daemonSetStrategy,
  'poddisruptionbudgets.policy': pdbStrategy,
};

export function strategyFor(info: ResourceInfo): Strategy {
  const key = info.group ? `${info.resource}.${info.group}` : info.resource;
  const strategy = STRATEGIES[key];
  if (!strategy) throw new Error(`no strategy for ${key}: add one to STRATEGIES in src/sim/kube/strategies.ts`);
  return strategy;
}

/** The value a field selector compares: fields.Set semantics, so a missing field is "" and booleans are "true"/"false". */
export function fieldValue(object: KubeObject, field: string): string {
  const path = field === 'source' ? ['source', 'component'] : field.split('.');
  let node: unknown = object;
  for (const part of path) node = isRecord(node) ? node[part] : undefined;
  if (node === undefined || node === null) {
    if (field === 'spec.unschedulable' || field === 'spec.hostNetwork') return 'false';
    return '';
  }
  return typeof node === 'string' ? node : String(node);
}
