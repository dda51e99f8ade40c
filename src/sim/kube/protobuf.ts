/**
 * Request bodies in Kubernetes' protobuf encoding. kubectl 1.32's typed clients send protobuf
 * (`Content-Type: application/vnd.kubernetes.protobuf`) for `create deployment`, `create pdb`,
 * `create namespace` and the Eviction of `drain`, and do not fall back to JSON when a server
 * refuses it; so the simulator decodes them into the JSON form. (Answers are JSON: those clients
 * also accept it.)
 *
 * The envelope is the magic `k8s\0` and a `runtime.Unknown` message (typeMeta = 1, raw = 2).
 * The messages are described below by field number, for the kinds and fields those clients set.
 * The Go types are proto2 with non-pointer fields always written, so zero values are dropped as
 * JSON's `omitempty` would drop them — except fields marked `keep` (Go pointers such as
 * `replicas`, where an explicit 0 means something). A field the table does not know is an error
 * naming it when it carries a value, rather than being lost silently.
 */
import { badRequest } from './status.js';
import { objectAt } from './types.js';

type Scalar = 'string' | 'int32' | 'int64' | 'bool' | 'bytes';
type Special = 'Time' | 'Quantity' | 'IntOrString';
type FieldType = Scalar | Special | { message: string } | { map: 'string' | 'Quantity' } | 'skip';

interface Field {
  name: string;
  type: FieldType;
  repeated?: boolean;
  /** A Go pointer: present means set, even to a zero value. */
  keep?: boolean;
  /** Go's `json:",inline"`: the message's fields belong to the parent object. */
  inline?: boolean;
}

type Message = Record<number, Field>;

const s = (name: string, keep = false): Field => ({ name, type: 'string', keep });
const i32 = (name: string, keep = false): Field => ({ name, type: 'int32', keep });
const i64 = (name: string, keep = false): Field => ({ name, type: 'int64', keep });
const bool = (name: string, keep = false): Field => ({ name, type: 'bool', keep });
const msg = (name: string, message: string, keep = false): Field => ({ name, type: { message }, keep });
const list = (name: string, message: string): Field => ({ name, type: { message }, repeated: true });
const strings = (name: string): Field => ({ name, type: 'string', repeated: true });
const map = (name: string, value: 'string' | 'Quantity' = 'string'): Field => ({ name, type: { map: value } });
const skip = (name: string): Field => ({ name, type: 'skip' });

const METADATA = msg('metadata', 'ObjectMeta');

/** Field numbers of the k8s.io/api and apimachinery messages, as their generated.proto declares them. */
const MESSAGES: Record<string, Message> = {
  TypeMeta: { 1: s('apiVersion'), 2: s('kind') },
  Unknown: { 1: msg('typeMeta', 'TypeMeta'), 2: { name: 'raw', type: 'bytes' }, 3: s('contentEncoding'), 4: s('contentType') },
  ObjectMeta: {
    1: s('name'),
    2: s('generateName'),
    3: s('namespace'),
    4: skip('selfLink'),
    5: s('uid'),
    6: s('resourceVersion'),
    7: i64('generation'),
    8: { name: 'creationTimestamp', type: 'Time' },
    9: { name: 'deletionTimestamp', type: 'Time', keep: true },
    10: i64('deletionGracePeriodSeconds', true),
    11: map('labels'),
    12: map('annotations'),
    13: list('ownerReferences', 'OwnerReference'),
    14: strings('finalizers'),
    17: skip('managedFields'),
  },
  OwnerReference: {
    1: s('kind'),
    3: s('name'),
    4: s('uid'),
    5: s('apiVersion'),
    6: bool('controller', true),
    7: bool('blockOwnerDeletion', true),
  },
  LabelSelector: { 1: map('matchLabels'), 2: list('matchExpressions', 'LabelSelectorRequirement') },
  LabelSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: strings('values') },
  DeleteOptions: {
    1: i64('gracePeriodSeconds', true),
    2: msg('preconditions', 'Preconditions', true),
    3: bool('orphanDependents', true),
    4: s('propagationPolicy', true),
    5: strings('dryRun'),
    6: bool('ignoreStoreReadErrorWithClusterBreakingPotential', true),
  },
  Preconditions: { 1: s('uid', true), 2: s('resourceVersion', true) },
  // apps/v1
  Deployment: { 1: METADATA, 2: msg('spec', 'DeploymentSpec'), 3: skip('status') },
  DeploymentSpec: {
    1: i32('replicas', true),
    2: msg('selector', 'LabelSelector', true),
    3: msg('template', 'PodTemplateSpec'),
    4: msg('strategy', 'DeploymentStrategy'),
    5: i32('minReadySeconds'),
    6: i32('revisionHistoryLimit', true),
    7: bool('paused'),
    9: i32('progressDeadlineSeconds', true),
  },
  DeploymentStrategy: { 1: s('type'), 2: msg('rollingUpdate', 'RollingUpdate', true) },
  RollingUpdate: {
    1: { name: 'maxUnavailable', type: 'IntOrString', keep: true },
    2: { name: 'maxSurge', type: 'IntOrString', keep: true },
  },
  ReplicaSet: { 1: METADATA, 2: msg('spec', 'ReplicaSetSpec'), 3: skip('status') },
  ReplicaSetSpec: {
    1: i32('replicas', true),
    2: msg('selector', 'LabelSelector', true),
    3: msg('template', 'PodTemplateSpec'),
    4: i32('minReadySeconds'),
  },
  DaemonSet: { 1: METADATA, 2: msg('spec', 'DaemonSetSpec'), 3: skip('status') },
  DaemonSetSpec: {
    1: msg('selector', 'LabelSelector', true),
    2: msg('template', 'PodTemplateSpec'),
    3: msg('updateStrategy', 'DeploymentStrategy'),
    4: i32('minReadySeconds'),
    6: i32('revisionHistoryLimit', true),
  },
  // core/v1
  Namespace: { 1: METADATA, 2: msg('spec', 'NamespaceSpec'), 3: skip('status') },
  NamespaceSpec: { 1: strings('finalizers') },
  Pod: { 1: METADATA, 2: msg('spec', 'PodSpec'), 3: skip('status') },
  PodTemplateSpec: { 1: METADATA, 2: msg('spec', 'PodSpec') },
  PodSpec: {
    1: list('volumes', 'Volume'),
    2: list('containers', 'Container'),
    3: s('restartPolicy'),
    4: i64('terminationGracePeriodSeconds', true),
    5: i64('activeDeadlineSeconds', true),
    6: s('dnsPolicy'),
    7: map('nodeSelector'),
    8: s('serviceAccountName'),
    9: s('serviceAccount'),
    10: s('nodeName'),
    11: bool('hostNetwork'),
    12: bool('hostPID'),
    13: bool('hostIPC'),
    14: msg('securityContext', 'PodSecurityContext', true),
    15: list('imagePullSecrets', 'LocalObjectReference'),
    16: s('hostname'),
    17: s('subdomain'),
    18: msg('affinity', 'Affinity', true),
    19: s('schedulerName'),
    20: list('initContainers', 'Container'),
    21: bool('automountServiceAccountToken', true),
    22: list('tolerations', 'Toleration'),
    24: s('priorityClassName'),
    25: i32('priority', true),
    27: bool('shareProcessNamespace', true),
    29: s('runtimeClassName', true),
    30: bool('enableServiceLinks', true),
    31: s('preemptionPolicy', true),
  },
  PodSecurityContext: {
    2: i64('runAsUser', true),
    3: bool('runAsNonRoot', true),
    4: { name: 'supplementalGroups', type: 'int64', repeated: true },
    5: i64('fsGroup', true),
    6: i64('runAsGroup', true),
  },
  LocalObjectReference: { 1: s('name') },
  Container: {
    1: s('name'),
    2: s('image'),
    3: strings('command'),
    4: strings('args'),
    5: s('workingDir'),
    6: list('ports', 'ContainerPort'),
    7: list('env', 'EnvVar'),
    8: msg('resources', 'ResourceRequirements'),
    9: list('volumeMounts', 'VolumeMount'),
    13: s('terminationMessagePath'),
    14: s('imagePullPolicy'),
    16: bool('stdin'),
    17: bool('stdinOnce'),
    18: bool('tty'),
    20: s('terminationMessagePolicy'),
  },
  ContainerPort: { 1: s('name'), 2: i32('hostPort'), 3: i32('containerPort'), 4: s('protocol'), 5: s('hostIP') },
  EnvVar: { 1: s('name'), 2: s('value') },
  ResourceRequirements: { 1: map('limits', 'Quantity'), 2: map('requests', 'Quantity') },
  VolumeMount: {
    1: s('name'),
    2: bool('readOnly'),
    3: s('mountPath'),
    4: s('subPath'),
    5: s('mountPropagation', true),
    6: s('subPathExpr'),
  },
  Volume: { 1: s('name'), 2: { name: 'volumeSource', type: { message: 'VolumeSource' }, inline: true } },
  VolumeSource: { 1: msg('hostPath', 'HostPathVolumeSource', true), 2: msg('emptyDir', 'EmptyDirVolumeSource', true) },
  HostPathVolumeSource: { 1: s('path'), 2: s('type', true) },
  EmptyDirVolumeSource: { 1: s('medium'), 2: { name: 'sizeLimit', type: 'Quantity', keep: true } },
  Toleration: { 1: s('key'), 2: s('operator'), 3: s('value'), 4: s('effect'), 5: i64('tolerationSeconds', true) },
  Affinity: { 1: msg('nodeAffinity', 'NodeAffinity', true) },
  NodeAffinity: { 1: msg('requiredDuringSchedulingIgnoredDuringExecution', 'NodeSelector', true) },
  NodeSelector: { 1: list('nodeSelectorTerms', 'NodeSelectorTerm') },
  NodeSelectorTerm: { 1: list('matchExpressions', 'NodeSelectorRequirement'), 2: list('matchFields', 'NodeSelectorRequirement') },
  NodeSelectorRequirement: { 1: s('key'), 2: s('operator'), 3: strings('values') },
  Service: { 1: METADATA, 2: msg('spec', 'ServiceSpec'), 3: skip('status') },
  ServiceSpec: {
    1: list('ports', 'ServicePort'),
    2: map('selector'),
    3: s('clusterIP'),
    4: s('type'),
    5: strings('externalIPs'),
    7: s('sessionAffinity'),
    10: s('externalName'),
    11: s('externalTrafficPolicy'),
    18: strings('clusterIPs'),
    19: strings('ipFamilies'),
    20: s('ipFamilyPolicy', true),
  },
  ServicePort: { 1: s('name'), 2: s('protocol'), 3: i32('port'), 4: { name: 'targetPort', type: 'IntOrString' }, 5: i32('nodePort') },
  Node: { 1: METADATA, 2: msg('spec', 'NodeSpec'), 3: skip('status') },
  NodeSpec: {
    1: s('podCIDR'),
    2: s('externalID'),
    3: s('providerID'),
    4: bool('unschedulable'),
    5: list('taints', 'Taint'),
    7: strings('podCIDRs'),
  },
  Taint: { 1: s('key'), 2: s('value'), 3: s('effect'), 4: { name: 'timeAdded', type: 'Time', keep: true } },
  // policy/v1
  PodDisruptionBudget: { 1: METADATA, 2: msg('spec', 'PodDisruptionBudgetSpec'), 3: skip('status') },
  PodDisruptionBudgetSpec: {
    1: { name: 'minAvailable', type: 'IntOrString', keep: true },
    2: msg('selector', 'LabelSelector', true),
    3: { name: 'maxUnavailable', type: 'IntOrString', keep: true },
    4: s('unhealthyPodEvictionPolicy', true),
  },
  Eviction: { 1: METADATA, 2: msg('deleteOptions', 'DeleteOptions', true) },
  // autoscaling/v1
  Scale: { 1: METADATA, 2: msg('spec', 'ScaleSpec'), 3: skip('status') },
  ScaleSpec: { 1: i32('replicas', true) },
  // Special messages, decoded to their JSON forms.
  Time: { 1: i64('seconds'), 2: i32('nanos') },
  Quantity: { 1: s('string') },
  IntOrString: { 1: i64('type'), 2: i32('intVal'), 3: s('strVal') },
};

/** The top-level kinds this module decodes, by `apiVersion/kind`. */
const KINDS: Record<string, string> = {
  'apps/v1/Deployment': 'Deployment',
  'apps/v1/ReplicaSet': 'ReplicaSet',
  'apps/v1/DaemonSet': 'DaemonSet',
  'v1/Namespace': 'Namespace',
  'v1/Pod': 'Pod',
  'v1/Service': 'Service',
  'v1/Node': 'Node',
  'v1/DeleteOptions': 'DeleteOptions',
  'meta.k8s.io/v1/DeleteOptions': 'DeleteOptions',
  'policy/v1/PodDisruptionBudget': 'PodDisruptionBudget',
  'policy/v1/Eviction': 'Eviction',
  'policy/v1beta1/Eviction': 'Eviction',
  'autoscaling/v1/Scale': 'Scale',
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Raw {
  field: number;
  wire: number;
  value: bigint | Buffer;
}

class Reader {
  private at = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.at >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.at >= this.buf.length) throw badRequest('protobuf body ends inside a varint: the request body is truncated');
      const byte = this.buf[this.at++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw badRequest('protobuf body has a varint longer than 10 bytes: not a protobuf message');
    }
  }

  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw badRequest('protobuf body ends inside a field: the request body is truncated');
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  next(): Raw {
    const key = Number(this.varint());
    const field = key >>> 3;
    const wire = key & 7;
    switch (wire) {
      case 0:
        return { field, wire, value: this.varint() };
      case 1:
        return { field, wire, value: this.bytes(8) };
      case 2:
        return { field, wire, value: this.bytes(Number(this.varint())) };
      case 5:
        return { field, wire, value: this.bytes(4) };
      default:
        throw badRequest(`protobuf wire type ${wire} (field ${field}) is not supported: groups are not used by Kubernetes types`);
    }
  }
}

function isZero(raw: Raw): boolean {
  return typeof raw.value === 'bigint' ? raw.value === 0n : raw.value.length === 0 || raw.value.every((b) => b === 0);
}

function scalar(type: Scalar, raw: Raw, where: string): unknown {
  if (type === 'string') {
    if (typeof raw.value === 'bigint') throw badRequest(`${where}: expected a string in the protobuf body`);
    return raw.value.toString('utf8');
  }
  if (type === 'bytes') {
    if (typeof raw.value === 'bigint') throw badRequest(`${where}: expected bytes in the protobuf body`);
    return raw.value;
  }
  if (typeof raw.value !== 'bigint') throw badRequest(`${where}: expected a number in the protobuf body`);
  if (type === 'bool') return raw.value !== 0n;
  return Number(BigInt.asIntN(type === 'int32' ? 32 : 64, raw.value));
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === '' || value === 0 || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (value !== null && typeof value === 'object' && !Buffer.isBuffer(value)) return Object.keys(value).length === 0;
  return false;
}

function special(type: Special, buf: Buffer, where: string): unknown {
  const fields = decodeMessage(type, buf, where) as Record<string, unknown>;
  if (type === 'Quantity') return fields.string ?? '0';
  if (type === 'IntOrString') return Number(fields.type ?? 0) === 1 ? (fields.strVal ?? '') : (fields.intVal ?? 0);
  const seconds = Number(fields.seconds ?? 0);
  if (seconds === 0 && !fields.nanos) return undefined;
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

function mapEntry(buf: Buffer, valueType: 'string' | 'Quantity', where: string): [string, unknown] {
  const reader = new Reader(buf);
  let key = '';
  let value: unknown = valueType === 'Quantity' ? '0' : '';
  while (!reader.done()) {
    const raw = reader.next();
    if (raw.field === 1) key = scalar('string', raw, where) as string;
    else if (raw.field === 2)
      value = valueType === 'Quantity' ? special('Quantity', raw.value as Buffer, where) : scalar('string', raw, where);
  }
  return [key, value];
}

function decodeMessage(name: string, buf: Buffer, where: string): Record<string, unknown> {
  const schema = MESSAGES[name];
  if (!schema) throw new Error(`protobuf schema has no message ${name}`);
  const out: Record<string, unknown> = {};
  const reader = new Reader(buf);
  while (!reader.done()) {
    const raw = reader.next();
    const field = schema[raw.field];
    if (!field) {
      if (isZero(raw)) continue;
      throw badRequest(
        `protobuf field ${raw.field} of ${name} (at ${where}) is not known to the simulator: send the object as JSON, or add the field to MESSAGES in src/sim/kube/protobuf.ts`,
      );
    }
    if (field.type === 'skip') continue;
    const at = `${where}.${field.name}`;
    let value: unknown;
    if (typeof field.type === 'string') {
      if (field.type === 'Time' || field.type === 'Quantity' || field.type === 'IntOrString')
        value = special(field.type, raw.value as Buffer, at);
      else value = scalar(field.type, raw, at);
    } else if ('map' in field.type) {
      const [key, entry] = mapEntry(raw.value as Buffer, field.type.map, at);
      objectAt(out, field.name)[key] = entry;
      continue;
    } else {
      if (!Buffer.isBuffer(raw.value)) throw badRequest(`${at}: expected a message in the protobuf body`);
      value = decodeMessage(field.type.message, raw.value, at);
    }
    if (field.repeated) {
      const items = Array.isArray(out[field.name]) ? (out[field.name] as unknown[]) : [];
      items.push(value);
      out[field.name] = items;
      continue;
    }
    if (field.inline && value && typeof value === 'object') {
      Object.assign(out, value);
      continue;
    }
    if (value === undefined) continue;
    if (field.keep) {
      out[field.name] = value;
    } else if (!isEmpty(value) || (typeof field.type === 'object' && 'message' in field.type)) {
      // Non-pointer structs are written even when empty, as Go's JSON encoder writes them ({}).
      out[field.name] = value;
    }
  }
  return out;
}

export function isProtobuf(contentType: string): boolean {
  return contentType.toLowerCase().startsWith('application/vnd.kubernetes.protobuf');
}

/** Decodes a `k8s\0`-framed protobuf body into the object's JSON form (apiVersion and kind set). */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC)) {
    throw badRequest('a protobuf body must start with the Kubernetes magic "k8s\\0" followed by a runtime.Unknown envelope');
  }
  const envelope = decodeMessage('Unknown', body.subarray(4), 'envelope');
  const typeMeta = (envelope.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const apiVersion = typeMeta.apiVersion ?? '';
  const kind = typeMeta.kind ?? '';
  const message = KINDS[`${apiVersion}/${kind}`];
  if (!message) {
    throw badRequest(
      `protobuf bodies of ${apiVersion || '?'} ${kind || '?'} are not decoded by the simulator (it decodes ${Object.keys(KINDS).join(', ')}): send the object as JSON`,
    );
  }
  const raw = envelope.raw;
  const object = decodeMessage(message, Buffer.isBuffer(raw) ? raw : Buffer.alloc(0), kind);
  return { apiVersion, kind, ...object };
}
