import { WORKER_COMPONENT } from '../config/index.js';
import { UserError } from '../errors.js';
import { vmName } from '../plan/naming.js';
import type { ClusterPlan } from '../plan/scale-plan.js';

/**
 * What a saved terraform plan does to the worker pool, read from `terraform show -json` (pure).
 *
 * design.md principle 2: plan once, drain exactly what the saved plan destroys, apply exactly that
 * plan. The destroy set is therefore the plan's own: the worker VM resources whose actions include
 * `delete`, by count index, mapped to node names with LambdaStack's rule. Before anything is
 * drained, that set is checked three ways, and any disagreement stops the run:
 *  - against the naming rule: the name the resource records (hostname, Name tag, computer_name)
 *    is the rule's name for its index;
 *  - against LambdaStack's scale-down order: only the highest indices go, and what stays plus what
 *    is created is exactly workers 0..count-1 of the config;
 *  - against the scale plan of the config diff (when given): every destroyed node is one the diff
 *    removes, every created node one it adds.
 * A replace of a worker is never a scale: it would destroy a node with its pods. So is a delete of
 * anything that is not a worker or a per-worker companion (a NIC) of a destroyed worker.
 */

/** The worker VM resource of each module under infra/terraform/: `<type>.worker`, count-indexed. */
export const WORKER_RESOURCE_TYPES = ['aws_instance', 'azurerm_linux_virtual_machine', 'terraform_data'] as const;
export const WORKER_RESOURCE_NAME = 'worker';

export interface WorkerChange {
  /** The node name: the VM's hostname, by LambdaStack's rule for its index. */
  name: string;
  index: number;
  /** The resource address in the plan, e.g. `aws_instance.worker[3]`. */
  resource: string;
  /** The private address when the plan knows it (the local module's; a cloud VM's only after apply). */
  address: string | null;
}

/** Terraform's own counts, as `Plan: 1 to add, 0 to change, 2 to destroy` gives them (a replace counts as one add and one destroy). */
export interface ResourceCounts {
  add: number;
  change: number;
  destroy: number;
}

export interface PlanChanges {
  /** Workers the plan destroys, highest index first (the order LambdaStack removes them). */
  destroy: WorkerChange[];
  /** Workers the plan creates, lowest index first. */
  create: WorkerChange[];
  /** Workers updated in place (a resize): not drained, but worth a reviewer's look. */
  update: WorkerChange[];
  /** Workers in the state before the apply, and after it. */
  workersBefore: number;
  workersAfter: number;
  resources: ResourceCounts;
  /** Changes to resources that are not workers or their companions, for the summary. */
  others: { address: string; actions: string[] }[];
  hasChanges: boolean;
}

/** What the plan must agree with. */
export interface PlanExpectation {
  prefix: string | undefined;
  cluster: string;
  /** kubernetes_node's count in the config being applied. */
  count: number;
  /**
   * The scale plan of the config diff, when the workflow gave one: `source` names it in messages,
   * `plan` is the cluster's entry (undefined when the diff does not change the cluster).
   */
  scalePlan?: { source: string; plan: ClusterPlan | undefined };
}

/** The saved plan disagrees with the config or the scale plan: nothing may be drained or destroyed. */
export class PlanMismatchError extends UserError {
  constructor(readonly problems: readonly string[]) {
    super(
      `the saved terraform plan does not match the cluster config, so nothing was drained, destroyed or applied:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'PlanMismatchError';
  }
}

interface ResourceChange {
  address: string;
  module_address?: string;
  mode: string;
  type: string;
  name: string;
  index?: unknown;
  change: { actions: string[]; before?: unknown; after?: unknown; replace_paths?: unknown };
  action_reason?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** The resource changes of `terraform show -json <plan>`, checked for the fields this module reads. */
function resourceChanges(plan: unknown): ResourceChange[] {
  if (!isRecord(plan) || typeof plan.format_version !== 'string') {
    throw new UserError('the output of `terraform show -json` is not a terraform plan (no format_version): is plan-file a saved plan?');
  }
  if (plan.errored === true) throw new UserError('the saved plan is errored (terraform could not finish planning): run the plan again');
  const changes = plan.resource_changes ?? [];
  if (!Array.isArray(changes)) throw new UserError('`terraform show -json`: resource_changes is not a list');
  return changes.map((change, i) => {
    const c = change as Partial<ResourceChange>;
    if (
      typeof c.address !== 'string' ||
      typeof c.type !== 'string' ||
      typeof c.name !== 'string' ||
      !isRecord(c.change) ||
      !Array.isArray(c.change.actions)
    ) {
      throw new UserError(`\`terraform show -json\`: resource_changes[${i}] lacks address, type, name or change.actions`);
    }
    return c as ResourceChange;
  });
}

const has = (change: ResourceChange, action: string): boolean => change.change.actions.includes(action);
const isWorker = (change: ResourceChange): boolean =>
  change.mode === 'managed' && change.name === WORKER_RESOURCE_NAME && (WORKER_RESOURCE_TYPES as readonly string[]).includes(change.type);
const isCountIndex = (index: unknown): index is number => typeof index === 'number' && Number.isInteger(index) && index >= 0;

const stringAt = (value: unknown, ...path: string[]): string | undefined => {
  let at = value;
  for (const key of path) at = isRecord(at) ? at[key] : undefined;
  return typeof at === 'string' ? at : undefined;
};

/** The name a worker resource records: its hostname by the module's own account. */
function recordedName(type: string, values: unknown): string | undefined {
  if (type === 'terraform_data') return stringAt(values, 'input', 'name');
  if (type === 'aws_instance') return stringAt(values, 'tags', 'Name') ?? stringAt(values, 'tags_all', 'Name');
  return stringAt(values, 'computer_name') ?? stringAt(values, 'name');
}

/** The private address a worker resource records, when known. */
function recordedAddress(type: string, values: unknown): string | null {
  if (type === 'terraform_data') return stringAt(values, 'input', 'address') ?? null;
  if (type === 'aws_instance') return stringAt(values, 'private_ip') ?? null;
  return stringAt(values, 'private_ip_address') ?? null;
}

function replaceReason(change: ResourceChange): string {
  const paths = Array.isArray(change.change.replace_paths)
    ? change.change.replace_paths.map((path) => (Array.isArray(path) ? path.join('.') : String(path)))
    : [];
  if (paths.length > 0) return ` (forced by a change of ${paths.join(', ')})`;
  if (change.action_reason) return ` (${change.action_reason})`;
  return '';
}

const list = (names: readonly string[]): string => (names.length === 0 ? 'none' : names.join(', '));

/** Index ranges for messages: `0-2, 5`. */
function indices(set: Iterable<number>): string {
  const sorted = [...set].sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === (sorted[j] as number) + 1) j++;
    parts.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(', ');
}

/** The terraform-side counts, as terraform prints them. */
function countResources(changes: readonly ResourceChange[]): ResourceCounts {
  const counts: ResourceCounts = { add: 0, change: 0, destroy: 0 };
  for (const change of changes) {
    if (change.mode !== 'managed') continue;
    if (has(change, 'create')) counts.add++;
    if (has(change, 'delete')) counts.destroy++;
    if (has(change, 'update')) counts.change++;
  }
  return counts;
}

/** Checks the diff's scale plan: the destroyed and created workers must be among the nodes it removes and adds. */
function scalePlanProblems(
  expected: NonNullable<PlanExpectation['scalePlan']>,
  count: number,
  destroy: readonly WorkerChange[],
  create: readonly WorkerChange[],
  workersBefore: number,
): string[] {
  const { source, plan } = expected;
  if (plan && plan.change !== 'scaled') {
    return [
      `${source} says the cluster was ${plan.change}: this pipeline applies count changes of an existing cluster only; provision, rename or remove a cluster with LambdaStack itself`,
    ];
  }
  const component = plan?.components.find((c) => c.component === WORKER_COMPONENT);
  const problems: string[] = [];
  if (component && component.to !== count) {
    problems.push(
      `${source} takes ${WORKER_COMPONENT} from ${component.from} to ${component.to}, but the config being applied has ${count}: give the scale plan of the commit that is checked out`,
    );
  }
  const diff = component ? `${WORKER_COMPONENT} ${component.from} → ${component.to}` : `no change to ${WORKER_COMPONENT}`;
  const removed = new Set(component?.remove ?? []);
  const added = new Set(component?.add ?? []);
  const unexpectedDestroy = destroy.filter((worker) => !removed.has(worker.name)).map((worker) => worker.name);
  if (unexpectedDestroy.length > 0) {
    problems.push(
      `the plan destroys ${list(unexpectedDestroy)}, which ${source} (${diff}) does not remove (it removes ${list([...removed])}): the state holds ${workersBefore} worker(s), so it and the config's previous count disagree; look at the state (terraform state list) before anything is destroyed`,
    );
  }
  const unexpectedCreate = create.filter((worker) => !added.has(worker.name)).map((worker) => worker.name);
  if (unexpectedCreate.length > 0) {
    problems.push(
      `the plan creates ${list(unexpectedCreate)}, which ${source} (${diff}) does not add (it adds ${list([...added])}): the state holds ${workersBefore} worker(s), so it and the config's previous count disagree; look at the state (terraform state list) first`,
    );
  }
  return problems;
}

/**
 * The worker changes of a saved plan (the parsed output of `terraform show -json <plan>`), checked
 * against the config and the scale plan; throws PlanMismatchError naming every disagreement.
 */
export function planChanges(showJson: unknown, expected: PlanExpectation): PlanChanges {
  const changes = resourceChanges(showJson);
  const problems: string[] = [];
  const ruleName = (index: number): string => vmName(expected.prefix, expected.cluster, WORKER_COMPONENT, index);

  const workers = changes.filter(isWorker);
  const pools = [...new Set(workers.map((c) => `${c.module_address ? `${c.module_address}.` : ''}${c.type}.${c.name}`))];
  if (pools.length > 1) {
    problems.push(`the plan has ${pools.length} worker resources (${pools.join(', ')}): a module manages one worker pool`);
  }

  const destroy: WorkerChange[] = [];
  const create: WorkerChange[] = [];
  const update: WorkerChange[] = [];
  const kept = new Set<number>();
  let workersBefore = 0;
  for (const change of workers) {
    if (!isCountIndex(change.index)) {
      problems.push(
        `${change.address} is not count-indexed: worker i must be ${change.type}.${change.name}[i] for the naming rule to apply`,
      );
      continue;
    }
    const index = change.index;
    const name = ruleName(index);
    const created = has(change, 'create');
    const deleted = has(change, 'delete');
    const values = created ? change.change.after : change.change.before;
    const recorded = recordedName(change.type, values);
    if (recorded !== undefined && recorded !== name) {
      problems.push(
        `${change.address} is named ${recorded}, but LambdaStack's rule names worker ${index} ${name}: the module's cluster_name or prefix is not the config's, or the module does not follow the rule`,
      );
    }
    // A destroyed worker's address is its last one: the summary and the drain step may want it.
    const address = recordedAddress(change.type, deleted && !created ? change.change.before : change.change.after);
    const worker: WorkerChange = { name, index, resource: change.address, address };
    // A replaced or forgotten worker is refused below; counted as kept, it adds no second, confusing problem.
    if ((created && deleted) || has(change, 'forget')) {
      workersBefore++;
      kept.add(index);
    }
    if (created && deleted) {
      problems.push(
        `the plan replaces worker ${name} (${change.address})${replaceReason(change)}: a replace destroys a node and its pods, which is not a scale; change the module or the config so the worker is kept, or drain and replace it by hand`,
      );
      continue;
    }
    if (has(change, 'forget')) {
      problems.push(
        `the plan removes ${name} (${change.address}) from the state without destroying it: the VM would keep running unmanaged`,
      );
      continue;
    }
    if (!created) workersBefore++;
    if (deleted) destroy.push(worker);
    else if (created) create.push(worker);
    else {
      kept.add(index);
      if (has(change, 'update')) update.push(worker);
    }
  }
  destroy.sort((a, b) => b.index - a.index);
  create.sort((a, b) => a.index - b.index);

  // LambdaStack removes the highest indices, so what stays is 0..k-1 and every destroyed index is above it.
  const highestKept = Math.max(-1, ...kept);
  const early = destroy.filter((worker) => worker.index < highestKept);
  if (early.length > 0) {
    problems.push(
      `the plan destroys ${list(early.map((w) => w.name))} but keeps ${ruleName(highestKept)}: LambdaStack removes the highest indices first, so this is not a count change`,
    );
  }
  const after = new Set([...kept, ...create.map((worker) => worker.index)]);
  const expectedAfter = [...Array(expected.count).keys()];
  if (after.size !== expected.count || !expectedAfter.every((i) => after.has(i))) {
    problems.push(
      `after the apply the workers would be indices ${indices(after)}, but ${WORKER_COMPONENT}.count is ${expected.count} (indices ${indices(expectedAfter)}): the module's worker_count is not the config's`,
    );
  }

  // Per-worker companions (a NIC) come and go with their worker; any other delete is outside this pipeline's remit.
  const destroyedIndices = new Set(destroy.map((worker) => worker.index));
  const createdIndices = new Set(create.map((worker) => worker.index));
  const others: PlanChanges['others'] = [];
  for (const change of changes) {
    if (change.mode !== 'managed' || isWorker(change)) continue;
    const actions = change.change.actions;
    if (actions.every((action) => action === 'no-op' || action === 'read')) continue;
    const onlyDelete = has(change, 'delete') && !has(change, 'create');
    const onlyCreate = has(change, 'create') && !has(change, 'delete');
    const companion =
      isCountIndex(change.index) &&
      ((onlyDelete && destroyedIndices.has(change.index)) || (onlyCreate && createdIndices.has(change.index)));
    if (has(change, 'delete') && !companion) {
      problems.push(
        `the plan ${has(change, 'create') ? 'replaces' : 'destroys'} ${change.address}, which is not a worker VM or a part of a destroyed one: this pipeline only scales workers; apply that change by hand`,
      );
    }
    if (!companion) others.push({ address: change.address, actions });
  }

  if (expected.scalePlan) problems.push(...scalePlanProblems(expected.scalePlan, expected.count, destroy, create, workersBefore));
  if (problems.length > 0) throw new PlanMismatchError(problems);

  const resources = countResources(changes);
  return {
    destroy,
    create,
    update,
    workersBefore,
    workersAfter: after.size,
    resources,
    others,
    hasChanges: resources.add + resources.change + resources.destroy > 0,
  };
}

/** The entry of `config`'s cluster in a scale plan: by file, else by provider and name (a moved file is not a change). */
export function clusterPlanFor(
  plan: { clusters: readonly ClusterPlan[] },
  cluster: { file: string; name: string; provider: string },
): ClusterPlan | undefined {
  return (
    plan.clusters.find((c) => c.file === cluster.file && c.name === cluster.name && c.provider === cluster.provider) ??
    plan.clusters.find((c) => c.name === cluster.name && c.provider === cluster.provider && c.change !== 'removed')
  );
}
