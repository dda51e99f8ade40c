/**
 * Defaulting as the API server applies it (the `SetDefaults_*` functions and the admission
 * plugins every cluster runs), so objects read back carry the same fields a real cluster adds:
 * a pod created with just an image comes back with `terminationGracePeriodSeconds: 30`, the
 * default tolerations, `imagePullPolicy` and so on. Controllers build pods through these too.
 */
import type { Container, Pod, PodSpec, Toleration } from './types.js';

function defaultContainer(container: Container): void {
  container.terminationMessagePath ??= '/dev/termination-log';
  container.terminationMessagePolicy ??= 'File';
  if (container.imagePullPolicy === undefined) {
    const image = container.image ?? '';
    const tagged = /:[^/]+$/.test(image.replace(/@.*$/, ''));
    container.imagePullPolicy = image.includes('@') || (tagged && !image.endsWith(':latest')) ? 'IfNotPresent' : 'Always';
  }
  container.resources ??= {};
  // A limit without a request means request = limit (SetDefaults_ResourceList on containers).
  const { limits, requests } = container.resources;
  if (limits) {
    const merged = { ...(requests ?? {}) };
    for (const [name, value] of Object.entries(limits)) merged[name] ??= value;
    // Written only when something was missing: a spec defaulted before (a controller's, shared by its pods) is left as it is.
    if (Object.keys(merged).length > Object.keys(requests ?? {}).length) container.resources.requests = merged;
  }
  const ports = container.ports;
  if (Array.isArray(ports))
    for (const port of ports) if (port && typeof port === 'object') (port as Record<string, unknown>).protocol ??= 'TCP';
}

/** `SetDefaults_PodSpec` and its containers: for pods and for pod templates. */
export function defaultPodSpec(spec: PodSpec): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const container of spec.containers ?? []) defaultContainer(container);
  for (const container of spec.initContainers ?? []) defaultContainer(container);
}

const PRIORITY_CLASSES: Record<string, number> = { 'system-node-critical': 2000001000, 'system-cluster-critical': 2000000000 };

/**
 * What admission adds to a pod (not to templates): the service account, priority, service links,
 * and the DefaultTolerationSeconds tolerations for not-ready and unreachable nodes. A spec admitted
 * before is not written to (controllers' pods share one).
 */
export function admitPod(pod: Pod): void {
  const spec = pod.spec;
  spec.serviceAccountName ??= 'default';
  spec.serviceAccount ??= spec.serviceAccountName;
  spec.enableServiceLinks ??= true;
  // The Priority admission plugin resolves the class name; these two classes exist in every cluster.
  spec.priority ??= PRIORITY_CLASSES[String(spec.priorityClassName ?? '')] ?? 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  const tolerations: Toleration[] = spec.tolerations ?? [];
  for (const key of ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable']) {
    const covered = tolerations.some(
      (t) =>
        (t.operator === 'Exists' && (t.key === undefined || t.key === '')) ||
        (t.key === key && (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute')),
    );
    if (!covered) tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
  }
  if (spec.tolerations !== tolerations) spec.tolerations = tolerations;
}

/** `status.qosClass`: Guaranteed when every container's requests equal its limits, BestEffort with none at all. */
export function qosClass(spec: PodSpec): string {
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  const any = containers.some(
    (c) => Object.keys(c.resources?.requests ?? {}).length > 0 || Object.keys(c.resources?.limits ?? {}).length > 0,
  );
  if (!any) return 'BestEffort';
  const guaranteed = containers.every((c) => {
    const limits = c.resources?.limits ?? {};
    const requests = c.resources?.requests ?? {};
    return ['cpu', 'memory'].every((r) => limits[r] !== undefined && (requests[r] === undefined || requests[r] === limits[r]));
  });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
