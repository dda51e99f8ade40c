import { type ClusterConfig, clusterId, type Provider } from '../config/index.js';
import { countChangeNodes } from './naming.js';

export interface ComponentChange {
  component: string;
  from: number;
  to: number;
  /** Node names created, lowest index first. */
  add: string[];
  /** Node names destroyed, highest index first (the order LambdaStack removes them). */
  remove: string[];
}

/**
 * What happened to a cluster between two configs. Only `scaled` changes node counts in place;
 * an added, removed or renamed cluster is a whole-cluster change that the autoscaling pipeline
 * does not apply (renaming changes every VM name, so it would replace the cluster).
 */
export type ClusterChange = 'scaled' | 'added' | 'removed' | 'renamed';

export interface ClusterPlan {
  file: string;
  name: string;
  provider: Provider;
  change: ClusterChange;
  /** For `renamed`: the identity it had (`provider/prefix-name`), and the file it was in. */
  previous?: { id: string; file: string };
  /** Every component's count after the change (for `removed`: before it), so a whole-cluster change still says how big it is. */
  counts: Record<string, number>;
  /** Count changes in place; empty for a cluster added, removed or renamed. */
  components: ComponentChange[];
}

/** What a plan reads of a cluster: a full config, or the counts history reads from an old commit. */
export type PlanCluster = Pick<ClusterConfig, 'file' | 'name' | 'provider' | 'prefix' | 'counts'>;

export interface ScalePlan {
  clusters: ClusterPlan[];
}

/** The count changes of one cluster between two versions of its config. */
export function componentChanges(base: PlanCluster, head: PlanCluster): ComponentChange[] {
  const components = [...new Set([...Object.keys(base.counts), ...Object.keys(head.counts)])];
  const changes: ComponentChange[] = [];
  for (const component of components) {
    const from = base.counts[component] ?? 0;
    const to = head.counts[component] ?? 0;
    if (from === to) continue;
    changes.push({ component, from, to, ...countChangeNodes(head.prefix, head.name, component, from, to) });
  }
  return changes;
}

/**
 * The scale plan between two sets of cluster configs (say, the base and head of a pull request).
 * Clusters are matched by their identity (provider, prefix, name), which is what VM names are
 * built from, so moving a file is not a change. A cluster whose file stays but whose identity
 * changes is `renamed`. Clusters with no change are left out.
 */
export function scalePlan(base: readonly PlanCluster[], head: readonly PlanCluster[]): ScalePlan {
  const clusters: ClusterPlan[] = [];
  const baseById = new Map(base.map((c) => [clusterId(c), c]));
  const headIds = new Set(head.map((c) => clusterId(c)));
  const matchedBase = new Set<PlanCluster>();

  for (const after of head) {
    const before = baseById.get(clusterId(after));
    if (before) {
      matchedBase.add(before);
      const components = componentChanges(before, after);
      if (components.length > 0) clusters.push(summary(after, 'scaled', components));
      continue;
    }
    const sameFile = base.find((b) => b.file === after.file && !headIds.has(clusterId(b)));
    if (sameFile) {
      matchedBase.add(sameFile);
      clusters.push({ ...summary(after, 'renamed', []), previous: { id: clusterId(sameFile), file: sameFile.file } });
      continue;
    }
    clusters.push(summary(after, 'added', []));
  }
  for (const before of base) {
    if (!matchedBase.has(before)) clusters.push(summary(before, 'removed', []));
  }
  return { clusters };
}

function summary(config: PlanCluster, change: ClusterChange, components: ComponentChange[]): ClusterPlan {
  return { file: config.file, name: config.name, provider: config.provider, change, counts: { ...config.counts }, components };
}
