import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clusterPlanFor, type PlanExpectation, PlanMismatchError, planChanges } from '../../src/infra/plan-changes.js';
import { countChangeNodes, scalePlan, vmName } from '../../src/plan/index.js';

// Plans in the shape of `terraform show -json` (format 1.2), reduced to what the reader uses.

type Action = 'create' | 'delete' | 'update' | 'no-op' | 'read' | 'forget';
interface Change {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  index?: number | string;
  module_address?: string;
  change: { actions: Action[]; before: unknown; after: unknown; replace_paths?: unknown };
  action_reason?: string;
}

const name = (i: number, prefix = 'demo', cluster = 'shop'): string => vmName(prefix, cluster, 'kubernetes_node', i);

/** An aws_instance worker change: its values carry the Name tag and, after an apply, the private IP. */
function aws(index: number, actions: Action[], recorded = name(index)): Change {
  const values = { tags: { Name: recorded }, private_ip: `10.1.1.${10 + index}` };
  return {
    address: `aws_instance.worker[${index}]`,
    mode: 'managed',
    type: 'aws_instance',
    name: 'worker',
    index,
    change: {
      actions,
      before: actions.includes('create') && !actions.includes('delete') ? null : values,
      after: actions.includes('delete') && !actions.includes('create') ? null : { tags: values.tags },
    },
  };
}

/** A plan from the states of workers: `kept` indices exist and stay, `deleted` exist and go, `created` are new. */
function plan(changes: Change[], extra: Record<string, unknown> = {}): unknown {
  return { format_version: '1.2', terraform_version: '1.11.4', resource_changes: changes, ...extra };
}

function pool(from: number, to: number): Change[] {
  const changes: Change[] = [];
  for (let i = 0; i < Math.max(from, to); i++) {
    if (i < Math.min(from, to)) changes.push(aws(i, ['no-op']));
    else if (i < from) changes.push(aws(i, ['delete']));
    else changes.push(aws(i, ['create']));
  }
  return changes;
}

const expect3to1: PlanExpectation = { prefix: 'demo', cluster: 'shop', count: 1 };

/** The scale plan of a count change of demo-shop, as the plan action outputs it. */
function scaled(from: number, to: number): PlanExpectation['scalePlan'] {
  const base = { file: 'c.yml', name: 'shop', provider: 'aws' as const, prefix: 'demo', counts: { kubernetes_node: from } };
  const head = { ...base, counts: { kubernetes_node: to } };
  return { source: 'the scale plan input', plan: clusterPlanFor(scalePlan([base], [head]), head) };
}

const problems = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof PlanMismatchError) return error.problems;
    throw error;
  }
  throw new Error('expected a PlanMismatchError');
};

describe('planChanges: the worker changes of a saved plan', () => {
  it('reads a scale-down: the destroy set is the deleted workers, highest index first, named by the rule', () => {
    const changes = planChanges(plan(pool(3, 1)), { ...expect3to1, scalePlan: scaled(3, 1) });
    expect(changes.destroy.map((w) => [w.name, w.index, w.resource, w.address])).toEqual([
      [name(2), 2, 'aws_instance.worker[2]', '10.1.1.12'],
      [name(1), 1, 'aws_instance.worker[1]', '10.1.1.11'],
    ]);
    expect(changes.create).toEqual([]);
    expect(changes).toMatchObject({ workersBefore: 3, workersAfter: 1, resources: { add: 0, change: 0, destroy: 2 }, hasChanges: true });
  });

  it('reads a scale-up: the create set lowest index first, addresses unknown until the apply', () => {
    const changes = planChanges(plan(pool(2, 4)), { prefix: 'demo', cluster: 'shop', count: 4, scalePlan: scaled(2, 4) });
    expect(changes.create.map((w) => [w.name, w.address])).toEqual([
      [name(2), null],
      [name(3), null],
    ]);
    expect(changes.destroy).toEqual([]);
  });

  it('reads a plan with no changes (a rerun after the apply) as no changes, whatever the scale plan', () => {
    const changes = planChanges(plan(pool(1, 1)), { ...expect3to1, scalePlan: scaled(3, 1) });
    expect(changes).toMatchObject({ destroy: [], create: [], hasChanges: false, workersBefore: 1, workersAfter: 1 });
  });

  it('refuses a replace of a worker, naming what forces it', () => {
    const replaced = { ...aws(0, ['delete', 'create']), change: { ...aws(0, ['delete', 'create']).change, replace_paths: [['ami']] } };
    expect(problems(() => planChanges(plan([replaced]), { prefix: 'demo', cluster: 'shop', count: 1 }))).toEqual([
      `the plan replaces worker ${name(0)} (aws_instance.worker[0]) (forced by a change of ami): a replace destroys a node and its pods, which is not a scale; change the module or the config so the worker is kept, or drain and replace it by hand`,
    ]);
    const reason = { ...aws(1, ['create', 'delete']), action_reason: 'replace_because_tainted' };
    expect(problems(() => planChanges(plan([aws(0, ['no-op']), reason]), { prefix: 'demo', cluster: 'shop', count: 2 }))[0]).toContain(
      '(replace_because_tainted)',
    );
  });

  it('refuses a delete that is not of the highest indices', () => {
    const changes = [aws(0, ['no-op']), aws(1, ['delete']), aws(2, ['no-op'])];
    expect(problems(() => planChanges(plan(changes), { prefix: 'demo', cluster: 'shop', count: 2 }))).toEqual([
      `the plan destroys ${name(1)} but keeps ${name(2)}: LambdaStack removes the highest indices first, so this is not a count change`,
      `after the apply the workers would be indices 0, 2, but kubernetes_node.count is 2 (indices 0-1): the module's worker_count is not the config's`,
    ]);
  });

  it('refuses a worker whose recorded name does not follow the rule', () => {
    const changes = [aws(0, ['no-op']), aws(1, ['delete'], 'shop-worker-1')];
    expect(problems(() => planChanges(plan(changes), expect3to1))).toEqual([
      `aws_instance.worker[1] is named shop-worker-1, but LambdaStack's rule names worker 1 ${name(1)}: the module's cluster_name or prefix is not the config's, or the module does not follow the rule`,
    ]);
  });

  it('refuses a destroy the scale plan does not remove (the state is ahead of the config diff)', () => {
    // The diff says 2 → 1, the state has 3: terraform would destroy two.
    expect(problems(() => planChanges(plan(pool(3, 1)), { ...expect3to1, scalePlan: scaled(2, 1) }))).toEqual([
      `the plan destroys ${name(2)}, which the scale plan input (kubernetes_node 2 → 1) does not remove (it removes ${name(1)}): the state holds 3 worker(s), so it and the config's previous count disagree; look at the state (terraform state list) before anything is destroyed`,
    ]);
  });

  it('refuses any destroy or create when the scale plan does not change the cluster', () => {
    const unchanged = { source: 'the config diff from HEAD~1', plan: undefined };
    expect(problems(() => planChanges(plan(pool(2, 1)), { ...expect3to1, scalePlan: unchanged }))[0]).toMatch(
      /^the plan destroys demo-shop-kubernetes-node-vm-1, which the config diff from HEAD~1 \(no change to kubernetes_node\) does not remove \(it removes none\)/,
    );
    expect(problems(() => planChanges(plan(pool(1, 2)), { prefix: 'demo', cluster: 'shop', count: 2, scalePlan: unchanged }))[0]).toMatch(
      /^the plan creates demo-shop-kubernetes-node-vm-1, which the config diff from HEAD~1 \(no change to kubernetes_node\) does not add/,
    );
  });

  it('refuses a scale plan of another commit, and whole-cluster changes', () => {
    expect(problems(() => planChanges(plan(pool(3, 1)), { ...expect3to1, scalePlan: scaled(3, 2) }))[0]).toBe(
      'the scale plan input takes kubernetes_node from 3 to 2, but the config being applied has 1: give the scale plan of the commit that is checked out',
    );
    const added = {
      source: 'the scale plan input',
      plan: { file: 'c.yml', name: 'shop', provider: 'aws' as const, change: 'added' as const, counts: {}, components: [] },
    };
    expect(problems(() => planChanges(plan(pool(0, 1)), { ...expect3to1, scalePlan: added }))).toEqual([
      'the scale plan input says the cluster was added: this pipeline applies count changes of an existing cluster only; provision, rename or remove a cluster with LambdaStack itself',
    ]);
  });

  it('lets per-worker parts (a NIC) go and come with their worker, and refuses any other delete', () => {
    const nic = (index: number, actions: Action[]): Change => ({
      address: `azurerm_network_interface.worker[${index}]`,
      mode: 'managed',
      type: 'azurerm_network_interface',
      name: 'worker',
      index,
      change: { actions, before: {}, after: {} },
    });
    const vm = (index: number, actions: Action[]): Change => ({
      address: `azurerm_linux_virtual_machine.worker[${index}]`,
      mode: 'managed',
      type: 'azurerm_linux_virtual_machine',
      name: 'worker',
      index,
      change: {
        actions,
        before: actions.includes('create') ? null : { computer_name: name(index), private_ip_address: '10.0.0.5' },
        after: null,
      },
    });
    const ok = planChanges(plan([vm(0, ['no-op']), nic(0, ['no-op']), vm(1, ['delete']), nic(1, ['delete'])]), expect3to1);
    expect(ok.destroy.map((w) => w.name)).toEqual([name(1)]);
    expect(ok.others).toEqual([]);
    expect(ok.resources).toEqual({ add: 0, change: 0, destroy: 2 });

    const network: Change = {
      address: 'azurerm_subnet.workers',
      mode: 'managed',
      type: 'azurerm_subnet',
      name: 'workers',
      change: { actions: ['delete'], before: {}, after: null },
    };
    expect(problems(() => planChanges(plan([vm(0, ['no-op']), network]), expect3to1))).toEqual([
      'the plan destroys azurerm_subnet.workers, which is not a worker VM or a part of a destroyed one: this pipeline only scales workers; apply that change by hand',
    ]);
    const nicOfKept = nic(0, ['delete', 'create']);
    expect(problems(() => planChanges(plan([vm(0, ['no-op']), nicOfKept]), expect3to1))[0]).toMatch(
      /^the plan replaces azurerm_network_interface\.worker\[0\]/,
    );
  });

  it('lists other changes that destroy nothing, and ignores data sources', () => {
    const sg: Change = {
      address: 'aws_security_group.extra',
      mode: 'managed',
      type: 'aws_security_group',
      name: 'extra',
      change: { actions: ['create'], before: null, after: {} },
    };
    const data: Change = {
      address: 'data.aws_ami.x',
      mode: 'data',
      type: 'aws_ami',
      name: 'x',
      change: { actions: ['read'], before: null, after: {} },
    };
    const changes = planChanges(plan([aws(0, ['no-op']), sg, data]), expect3to1);
    expect(changes.others).toEqual([{ address: 'aws_security_group.extra', actions: ['create'] }]);
    expect(changes.resources).toEqual({ add: 1, change: 0, destroy: 0 });
  });

  it('refuses workers that are not count-indexed, a forget, two worker pools, and an errored plan', () => {
    const forEach = { ...aws(0, ['create']), index: 'a', address: 'aws_instance.worker["a"]' };
    expect(problems(() => planChanges(plan([forEach]), { prefix: 'demo', cluster: 'shop', count: 0 }))[0]).toMatch(/is not count-indexed/);
    expect(problems(() => planChanges(plan([aws(0, ['forget'])]), { prefix: 'demo', cluster: 'shop', count: 0 }))[0]).toMatch(
      /removes demo-shop-kubernetes-node-vm-0 .* from the state without destroying it/,
    );
    const other = { ...aws(0, ['no-op']), module_address: 'module.b', address: 'module.b.aws_instance.worker[0]' };
    expect(problems(() => planChanges(plan([aws(0, ['no-op']), other]), expect3to1))[0]).toBe(
      'the plan has 2 worker resources (aws_instance.worker, module.b.aws_instance.worker): a module manages one worker pool',
    );
    expect(() => planChanges(plan([], { errored: true }), expect3to1)).toThrow(/the saved plan is errored/);
  });

  it('agrees with the scale plan for every count change: the destroy set is exactly countChangeNodes’ remove, in order', () => {
    fc.assert(
      fc.property(fc.nat(40), fc.nat(40), fc.constantFrom('demo', '', 'default', 'Team'), (from, to, prefix) => {
        const changes: Change[] = pool(from, to).map((c) => {
          const index = c.index as number;
          const recorded = vmName(prefix, 'shop', 'kubernetes_node', index);
          return {
            ...c,
            change: {
              ...c.change,
              before: c.change.before && { tags: { Name: recorded } },
              after: c.change.after && { tags: { Name: recorded } },
            },
          };
        });
        const base = { file: 'c.yml', name: 'shop', provider: 'aws' as const, prefix, counts: { kubernetes_node: from } };
        const head = { ...base, counts: { kubernetes_node: to } };
        const result = planChanges(plan(changes), {
          prefix,
          cluster: 'shop',
          count: to,
          scalePlan: { source: 'the scale plan input', plan: clusterPlanFor(scalePlan([base], [head]), head) },
        });
        const expected = countChangeNodes(prefix, 'shop', 'kubernetes_node', from, to);
        expect(result.destroy.map((w) => w.name)).toEqual(expected.remove);
        expect(result.create.map((w) => w.name)).toEqual(expected.add);
      }),
    );
  });
});
