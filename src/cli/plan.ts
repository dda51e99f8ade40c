import { type ClusterPlan, type ScalePlan, scalePlan } from '../plan/index.js';
import type { Io } from './io.js';
import { loadClustersFrom } from './sources.js';

export interface PlanOptions {
  base: string;
  head: string;
  json: boolean;
  configDir: string;
}

/** `plan`: the scale plan between two versions of the cluster configs. */
export async function planCommand(options: PlanOptions, io: Io, cwd = process.cwd()): Promise<ScalePlan> {
  const [base, head] = await Promise.all([
    loadClustersFrom(options.base, cwd, options.configDir),
    loadClustersFrom(options.head, cwd, options.configDir),
  ]);
  const plan = scalePlan(base, head);
  io.out(options.json ? `${JSON.stringify(plan, null, 2)}` : planToText(plan, options));
  return plan;
}

/** The plan as a person reads it in a terminal or a PR comment. */
export function planToText(plan: ScalePlan, sides: { base: string; head: string }): string {
  if (plan.clusters.length === 0) return `No scale changes between ${sides.base} and ${sides.head}.`;
  return plan.clusters.map(clusterToText).join('\n');
}

function clusterToText(cluster: ClusterPlan): string {
  const title = `${cluster.file}: ${cluster.provider} cluster ${cluster.name}`;
  switch (cluster.change) {
    case 'added':
      return `${title}: added (a new cluster is created by LambdaStack, not by autoscaling)`;
    case 'removed':
      return `${title}: removed (a deleted cluster is torn down by LambdaStack, not by autoscaling)`;
    case 'renamed':
      return `${title}: renamed from ${cluster.previous?.id} in ${cluster.previous?.file} (every VM name changes: this replaces the cluster, it is not scaling)`;
    case 'scaled': {
      const lines = [title];
      for (const c of cluster.components) {
        lines.push(`  ${c.component} ${c.from} → ${c.to}`);
        for (const name of c.add) lines.push(`    + ${name}`);
        for (const name of c.remove) lines.push(`    - ${name}`);
      }
      return lines.join('\n');
    }
  }
}
