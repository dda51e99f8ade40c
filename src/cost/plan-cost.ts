import { type ClusterConfig, clusterId, MASTER_COMPONENT, WORKER_COMPONENT } from '../config/index.js';
import { cloudRegion, componentMachine, machineOf } from '../config/machines.js';
import { UserError } from '../errors.js';
import type { ScalePlan } from '../plan/index.js';
import type { CostChange, Pool } from './monthly.js';

/**
 * The cost side of a scale plan: each count change of a cluster scaled in place, with the
 * machine size of its component before and after (read from the two configs, so a change of size
 * in the same edit is priced too) and the cluster's region. Pure.
 */

/** A component's pool in one config: its count there, and its VM size when the config says (or LambdaStack's default says) which. */
function poolOf(config: ClusterConfig, component: string, count: number): Pool {
  try {
    const machine =
      component === MASTER_COMPONENT || component === WORKER_COMPONENT ? componentMachine(config, component) : machineOf(config, component);
    if (machine) return { count, size: machine.size };
    return {
      count,
      size: undefined,
      why: `no price for ${component}: ${config.file} gives it no size (an infrastructure/virtual-machine document with specification.size)`,
    };
  } catch (error) {
    if (error instanceof UserError) return { count, size: undefined, why: `no price for ${component}: ${error.message}` };
    throw error;
  }
}

/** The cost changes of the clusters the plan scales in place; whole-cluster changes are not priced (the pipeline does not apply them). */
export function costChanges(plan: ScalePlan, before: readonly ClusterConfig[], after: readonly ClusterConfig[]): CostChange[] {
  const changes: CostChange[] = [];
  for (const cluster of plan.clusters) {
    if (cluster.change !== 'scaled') continue;
    const head = after.find(
      (config) => config.file === cluster.file && config.provider === cluster.provider && config.name === cluster.name,
    );
    const base = head && before.find((config) => clusterId(config) === clusterId(head));
    if (!head || !base) continue;
    for (const component of cluster.components) {
      changes.push({
        cluster: clusterId(head),
        file: head.file,
        component: component.component,
        provider: head.provider,
        region: cloudRegion(head),
        before: poolOf(base, component.component, component.from),
        after: poolOf(head, component.component, component.to),
      });
    }
  }
  return changes;
}
