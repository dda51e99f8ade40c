/**
 * One line per step for the demo's output, from the step's outputs: what the scale plan changes,
 * whether packer baked or reused, what terraform destroys and creates, what was drained, which
 * hosts ansible configured. Node names are shortened to `vm-<i>` where the cluster is clear.
 */
import { clusterChangeText, type ScalePlan } from '../../plan/index.js';
import type { StepResult } from './job.js';

/** `demo-shop-kubernetes-node-vm-3` → `vm-3`. */
export const shortNode = (name: string): string => /-(vm-\d+)$/.exec(name)?.[1] ?? name;

/** Node names, shortened, comma-separated. */
export const nodeList = (list: readonly string[]): string => list.map(shortNode).join(', ');

const names = (list: readonly string[]): string => (list.length === 0 ? 'none' : nodeList(list));

function json<T>(text: string | undefined, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function parsePlan(text: string | undefined): ScalePlan {
  return json<ScalePlan>(text, { clusters: [] });
}

export function describePlan(step: StepResult): string {
  const plan = parsePlan(step.outputs.plan);
  const scaled = plan.clusters.filter((cluster) => cluster.components.length > 0);
  if (scaled.length === 0) return 'no count changed';
  return scaled
    .map((cluster) => {
      const add = cluster.components.flatMap((c) => c.add);
      const remove = cluster.components.flatMap((c) => c.remove);
      const nodes = [...(add.length > 0 ? [`+ ${names(add)}`] : []), ...(remove.length > 0 ? [`- ${names(remove)}`] : [])];
      return `${cluster.name} ${clusterChangeText(cluster)} (${nodes.join('; ')})`;
    })
    .join('; ');
}

export function describePacker(step: StepResult): string {
  const image = step.outputs['image-id'] ?? '?';
  return step.outputs['cache-hit'] === 'true' ? `cache hit: image ${image} reused, nothing built` : `baked image ${image} (null builder)`;
}

export function describeTerraformPlan(step: StepResult): string {
  const destroy = json<string[]>(step.outputs.destroy, []);
  const create = json<Array<{ name: string }>>(step.outputs.create, []).map((node) => node.name);
  return `saved plan: create ${names(create)}; destroy ${names(destroy)}`;
}

export function describeDrain(step: StepResult): string {
  return `drained and deleted ${names(json<string[]>(step.outputs.drained, []))}`;
}

export function describeApply(step: StepResult): string {
  const workers = json<Array<{ name: string }>>(step.outputs.workers, []);
  const records = json<Array<{ key: string; written: boolean }>>(step.outputs.records, []).filter((r) => r.written).length;
  return `applied: ${workers.length} workers (${names(workers.map((w) => w.name))}); ${records} record(s) written beside the state`;
}

export function describeAnsible(step: StepResult): string {
  const result = json<Record<string, { status: string }>>(step.outputs.result, {});
  const hosts = Object.entries(result).map(([host, r]) => `${shortNode(host)} ${r.status}`);
  return `--tags node-join on ${hosts.join(', ') || 'no host'} (${step.outputs['task-results'] ?? '?'} task results)`;
}

export function describeScale(step: StepResult): string {
  const number = step.outputs['pull-request-number'];
  return number ? `opened PR #${number} on ${step.outputs.branch ?? '?'}` : 'nothing to change';
}

export function describeValidate(step: StepResult): string {
  const clusters = json<Array<{ id: string }>>(step.outputs.clusters, []);
  return `${clusters.length} cluster(s) valid: ${clusters.map((c) => c.id).join(', ')}`;
}
