/**
 * Scenarios: what runs on the simulated cluster and how load changes over time, as a TypeScript
 * value or a YAML/JSON file validated with zod (errors name the file and the field).
 *
 * ```yaml
 * cluster:
 *   config: ../cluster-config/aws-demo.yml   # relative to this file; or inline `nodes:`
 * workloads:
 *   - name: web
 *     replicas: 3
 *     requests: { cpu: 250m, memory: 256Mi }
 *     usage: { cpu: 200m, memory: 200Mi }       # per pod; default: half the requests
 * pdbs:
 *   - { name: web, selector: { app: web }, minAvailable: 2 }
 * timeline:
 *   - { at: 60s, scale: { deployment: web, replicas: 20 } }
 *   - { at: 90s, usage: { deployment: web, factor: 2 } }
 *   - { at: 2m, metrics: unavailable }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { UserError } from '../../errors.js';
import { cpuMillis, memoryBytes, parseQuantity } from '../../kube/quantity.js';
import { knownSize, VM_SIZES } from '../../kube/vm-sizes.js';
import type { SimCluster } from './cluster.js';
import { MAX_REPLICAS } from './strategies.js';

/** "90s", "2m", "1h30m", "500ms" or a number of seconds → seconds. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  const unit: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * (unit[p[2] as string] as number), 0);
}

const duration = z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== undefined, {
  message: 'must be a duration: seconds as a number, or text such as 90s, 2m, 1h30m',
});
const quantity = z.union([z.string(), z.number()]).refine((v) => parseQuantity(v)?.negative === false, {
  message: 'must be a quantity such as 250m or 2 (CPU), 512Mi or 4Gi (memory)',
});
const size = z
  .string()
  .refine((v) => knownSize(v) !== undefined, { message: `must be a known VM size: ${Object.keys(VM_SIZES).join(', ')}` });
const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS label: lower-case letters, digits and '-'");
const labels = z.record(z.string(), z.string());
const replicas = z.int().min(0).max(MAX_REPLICAS, `must be at most ${MAX_REPLICAS}, the simulator's limit on replicas per workload`);
const intOrPercent = z.union([z.int().min(0), z.string().regex(/^\d+%$/, 'must be a whole number or a percentage such as 50%')]);
const resources = z.strictObject({ cpu: quantity.optional(), memory: quantity.optional() });
const taint = z.strictObject({
  key: z.string(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
});

const nodeSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a lower-case DNS name (letters, digits, '-', '.')"),
  role: z.enum(['control-plane', 'worker']).default('worker'),
  size: size.optional(),
  labels: labels.optional(),
  taints: z.array(taint).optional(),
});

const workloadSchema = z.strictObject({
  name,
  namespace: name.default('default'),
  replicas,
  image: z.string().optional(),
  labels: labels.optional(),
  requests: resources.optional(),
  limits: resources.optional(),
  /** Per pod. */
  usage: z.strictObject({ cpu: quantity.optional(), memory: quantity.optional(), factor: z.number().positive().optional() }).optional(),
  nodeSelector: labels.optional(),
  tolerations: z.array(z.record(z.string(), z.unknown())).optional(),
  terminationGracePeriodSeconds: z.int().min(0).optional(),
  priorityClassName: z.string().optional(),
  emptyDir: z.boolean().optional(),
});

const pdbSchema = z
  .strictObject({
    name,
    namespace: name.default('default'),
    selector: labels,
    minAvailable: intOrPercent.optional(),
    maxUnavailable: intOrPercent.optional(),
  })
  .refine((p) => p.minAvailable === undefined || p.maxUnavailable === undefined, {
    message: 'set minAvailable or maxUnavailable, not both',
  });

const at = { at: duration };
const eventSchema = z.union([
  z.strictObject({ ...at, scale: z.strictObject({ deployment: name, namespace: name.default('default'), replicas }) }),
  z.strictObject({
    ...at,
    usage: z.strictObject({
      deployment: name,
      namespace: name.default('default'),
      cpu: quantity.optional(),
      memory: quantity.optional(),
      factor: z.number().positive().optional(),
    }),
  }),
  z.strictObject({ ...at, metrics: z.enum(['available', 'unavailable']) }),
  z.strictObject({ ...at, addNode: nodeSchema.partial({ name: true }) }),
  z.strictObject({ ...at, removeNode: z.string() }),
]);

export const scenarioSchema = z.strictObject({
  cluster: z
    .strictObject({
      /** A cluster config file (relative to the scenario file). */
      config: z.string().optional(),
      /** Nodes in addition to (or, without `config`, instead of) the config's. */
      nodes: z.array(nodeSchema).optional(),
      /** kube-system workloads: mirror pods, kube-proxy, the CNI DaemonSet, CoreDNS. */
      system: z.boolean().optional(),
      kubernetesVersion: z
        .string()
        .regex(/^v\d+\.\d+\.\d+/, 'must look like v1.32.0')
        .optional(),
    })
    .optional(),
  timing: z
    .strictObject({
      podStartSeconds: z.number().min(0).optional(),
      orphanPodSeconds: z.number().min(0).optional(),
      nodeReadySeconds: z.number().min(0).optional(),
    })
    .optional(),
  workloads: z.array(workloadSchema).optional(),
  pdbs: z.array(pdbSchema).optional(),
  timeline: z.array(eventSchema).optional(),
});

/** A scenario as written (defaults not yet applied). */
export type Scenario = z.input<typeof scenarioSchema>;
export type ParsedScenario = z.output<typeof scenarioSchema>;
export type ScenarioEvent = z.output<typeof eventSchema>;

/** Validates a scenario value; the error lists every problem as `<source>: <field>: <message>`. */
export function parseScenario(value: unknown, source = 'scenario'): ParsedScenario {
  const result = scenarioSchema.safeParse(value ?? {});
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
    return `${source}: ${path || '(top level)'}: ${issue.message}`;
  });
  throw new UserError(`invalid scenario:\n${lines.join('\n')}`);
}

/** Reads a scenario file (YAML or JSON); `cluster.config` is resolved against the file's directory. */
export async function loadScenarioFile(path: string): Promise<ParsedScenario> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(
      `${path}: cannot read the scenario (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path`,
    );
  }
  let value: unknown;
  try {
    value = YAML.parse(text);
  } catch (error) {
    throw new UserError(`${path}: not valid YAML or JSON: ${(error as Error).message}`);
  }
  const scenario = parseScenario(value, path);
  if (scenario.cluster?.config) scenario.cluster.config = resolve(dirname(path), scenario.cluster.config);
  return scenario;
}

/** Puts a scenario's workloads and PDBs on the cluster (call inside `cluster.bootstrap`). */
export function applyWorkloads(cluster: SimCluster, scenario: ParsedScenario): void {
  for (const w of scenario.workloads ?? []) {
    const usage: { cpu?: number; memory?: number; factor?: number } = {};
    if (w.usage?.cpu !== undefined) usage.cpu = cpuMillis(w.usage.cpu) as number;
    if (w.usage?.memory !== undefined) usage.memory = memoryBytes(w.usage.memory) as number;
    if (w.usage?.factor !== undefined) usage.factor = w.usage.factor;
    const str = (r: { cpu?: string | number; memory?: string | number } | undefined): { cpu?: string; memory?: string } => ({
      ...(r?.cpu !== undefined ? { cpu: String(r.cpu) } : {}),
      ...(r?.memory !== undefined ? { memory: String(r.memory) } : {}),
    });
    cluster.createDeployment({
      name: w.name,
      namespace: w.namespace,
      replicas: w.replicas,
      ...(w.image ? { image: w.image } : {}),
      ...(w.labels ? { labels: w.labels } : {}),
      requests: str(w.requests),
      limits: str(w.limits),
      ...(Object.keys(usage).length > 0 ? { usage } : {}),
      ...(w.nodeSelector ? { nodeSelector: w.nodeSelector } : {}),
      ...(w.tolerations ? { tolerations: w.tolerations } : {}),
      ...(w.terminationGracePeriodSeconds !== undefined ? { terminationGracePeriodSeconds: w.terminationGracePeriodSeconds } : {}),
      ...(w.priorityClassName ? { priorityClassName: w.priorityClassName } : {}),
      ...(w.emptyDir ? { emptyDir: true } : {}),
    });
  }
  for (const p of scenario.pdbs ?? []) {
    cluster.createPodDisruptionBudget({
      name: p.name,
      namespace: p.namespace,
      selector: p.selector,
      ...(p.minAvailable !== undefined ? { minAvailable: p.minAvailable } : {}),
      ...(p.maxUnavailable !== undefined ? { maxUnavailable: p.maxUnavailable } : {}),
    });
  }
}

/** Applies one timeline event to the cluster now. */
export function applyEvent(cluster: SimCluster, event: ScenarioEvent, nodeName: () => string): void {
  if ('scale' in event) cluster.scaleDeployment(event.scale.deployment, event.scale.replicas, event.scale.namespace);
  else if ('usage' in event) {
    const { deployment, namespace, ...usage } = event.usage;
    cluster.setUsage(deployment, usage, namespace);
  } else if ('metrics' in event) cluster.setMetricsAvailable(event.metrics === 'available');
  else if ('addNode' in event) {
    const { name: given, ...options } = event.addNode;
    cluster.addNode(given ?? nodeName(), {
      ...(options.role ? { role: options.role } : {}),
      ...(options.size ? { size: options.size } : {}),
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.taints ? { taints: options.taints } : {}),
    });
  } else if ('removeNode' in event) cluster.removeNode(event.removeNode);
}

/**
 * Schedules the timeline on the cluster's clock, `at` measured from now. Returns a function that
 * cancels what has not happened yet.
 */
export function scheduleTimeline(
  cluster: SimCluster,
  scenario: ParsedScenario,
  nodeName: () => string,
  onError: (error: Error) => void,
): () => void {
  const start = cluster.clock.now();
  const cancels = (scenario.timeline ?? []).map((event) =>
    cluster.clock.at(start + (parseDuration(event.at) as number) * 1000, () => {
      try {
        applyEvent(cluster, event, nodeName);
      } catch (error) {
        onError(error as Error);
      }
    }),
  );
  return () => {
    for (const cancel of cancels) cancel();
  };
}
