import { workspaceOf } from '../config/index.js';
import { type ClusterPlan, clusterChangeText, componentChangeText, nodeLines, type ScalePlan, scalePlan } from '../plan/index.js';
import type { Io } from './io.js';
import { clustersAt } from './sources.js';

export interface PlanOptions {
  base: string;
  head: string;
  json: boolean;
  configDir: string;
}

/** `plan`: the scale plan between two versions of the cluster configs. */
export async function planCommand(options: PlanOptions, io: Io, cwd = process.cwd()): Promise<ScalePlan> {
  const workspace = await workspaceOf(cwd);
  const [base, head] = await Promise.all([
    clustersAt(options.base, workspace, options.configDir),
    clustersAt(options.head, workspace, options.configDir),
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
  if (cluster.change !== 'scaled') return `${title}: ${clusterChangeText(cluster)}`;
  const lines = [title];
  for (const c of cluster.components) {
    lines.push(`  ${componentChangeText(c)}`);
    for (const line of nodeLines(c)) lines.push(`    ${line}`);
  }
  return lines.join('\n');
}
