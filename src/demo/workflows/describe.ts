/**
 * One line per step for the demo's output, from the step's outputs: what the scale plan changes,
 * whether packer baked or reused, what terraform destroys and creates, what was drained, which
 * hosts ansible configured. Node names are shortened to `vm-<i>` where the cluster is clear.
 */
import { clusterChangeText, type ScalePlan } from '../../plan/index.js';

export type Outputs = Readonly<Record<string, string>>;

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

export function describePlan(outputs: Outputs): string {
  const plan = parsePlan(outputs.plan);
  const scaled = plan.clusters.filter((cluster) => cluster.components.length > 0);
  const comment = outputs['comment-url'] ? `; plan comment ${outputs['comment-url']}` : '';
  if (scaled.length === 0) return `no count changed${comment}`;
  const text = scaled
    .map((cluster) => {
      const add = cluster.components.flatMap((c) => c.add);
      const remove = cluster.components.flatMap((c) => c.remove);
      const nodes = [...(add.length > 0 ? [`+ ${names(add)}`] : []), ...(remove.length > 0 ? [`- ${names(remove)}`] : [])];
      return `${cluster.name} ${clusterChangeText(cluster)} (${nodes.join('; ')})`;
    })
    .join('; ');
  return `${text}${comment}`;
}

export function describePacker(outputs: Outputs): string {
  const image = outputs['image-id'] ?? '?';
  return outputs['cache-hit'] === 'true' ? `cache hit: image ${image} reused, nothing built` : `baked image ${image} (null builder)`;
}

/** The terraform action in either mode: `workers` is an output of mode apply only. */
export function describeTerraform(outputs: Outputs): string {
  if (outputs.workers !== undefined) {
    const workers = json<Array<{ name: string }>>(outputs.workers, []);
    const records = json<Array<{ written: boolean }>>(outputs.records, []).filter((r) => r.written).length;
    return `applied: ${workers.length} workers (${names(workers.map((w) => w.name))}); ${records} record(s) written beside the state`;
  }
  const destroy = json<string[]>(outputs.destroy, []);
  const create = json<Array<{ name: string }>>(outputs.create, []).map((node) => node.name);
  return `saved plan: create ${names(create)}; destroy ${names(destroy)}`;
}

export function describeDrain(outputs: Outputs): string {
  return `drained and deleted ${names(json<string[]>(outputs.drained, []))}`;
}

export function describeAnsible(outputs: Outputs): string {
  const result = json<Record<string, { status: string }>>(outputs.result, {});
  const hosts = Object.entries(result).map(([host, r]) => `${shortNode(host)} ${r.status}`);
  return `--tags node-join on ${hosts.join(', ') || 'no host'} (${outputs['task-results'] ?? '?'} task results)`;
}

export function describeScale(outputs: Outputs): string {
  const number = outputs['pull-request-number'];
  return number ? `opened PR #${number} on ${outputs.branch ?? '?'}` : 'nothing to change';
}

export function describeValidate(outputs: Outputs): string {
  const clusters = json<Array<{ id: string }>>(outputs.clusters, []);
  return `${clusters.length} cluster(s) valid: ${clusters.map((c) => c.id).join(', ')}`;
}

const BY_ACTION: Readonly<Record<string, (outputs: Outputs) => string>> = {
  plan: describePlan,
  packer: describePacker,
  terraform: describeTerraform,
  drain: describeDrain,
  ansible: describeAnsible,
  scale: describeScale,
  validate: describeValidate,
};

/** What a successful step did: for this repository's actions (`uses: ./actions/<name>`), from its outputs; otherwise nothing to add. */
export function describeStep(uses: string | undefined, outputs: Outputs): string {
  const action = /^\.\/actions\/([a-z-]+)\/?$/.exec(uses ?? '')?.[1];
  const describe = action === undefined ? undefined : BY_ACTION[action];
  return describe ? describe(outputs) : '';
}
