import type { ClusterPlan, ComponentChange } from './scale-plan.js';

// How a cluster change reads to a person. `plan` and `history` both use these, so a rename, an
// addition or a removal reads the same in a PR comment, a terminal and the scale history.

/** `kubernetes_node 3 → 5`. */
export function componentChangeText(change: Pick<ComponentChange, 'component' | 'from' | 'to'>): string {
  return `${change.component} ${change.from} → ${change.to}`;
}

function countsText(counts: Readonly<Record<string, number>>): string {
  return (
    Object.entries(counts)
      .map(([component, count]) => `${component} ${count}`)
      .join(', ') || 'no components'
  );
}

/**
 * One line saying what happened to the cluster: its count changes, or the whole-cluster change
 * with its size and why autoscaling does not apply it.
 */
export function clusterChangeText(cluster: ClusterPlan): string {
  switch (cluster.change) {
    case 'scaled':
      return cluster.components.map(componentChangeText).join(', ');
    case 'added':
      return `cluster added with ${countsText(cluster.counts)} (a new cluster is created by LambdaStack, not by autoscaling)`;
    case 'removed':
      return `cluster removed, it had ${countsText(cluster.counts)} (a deleted cluster is torn down by LambdaStack, not by autoscaling)`;
    case 'renamed':
      return `cluster renamed from ${cluster.previous?.id ?? '?'} in ${cluster.previous?.file ?? '?'} (every VM name changes: this replaces the cluster, it is not scaling)`;
  }
}

/** Node names beyond this many are summed up in one line, so no output grows with a huge count. */
export const MAX_LISTED_NODES = 50;

/** `+ name` and `- name` lines for the nodes a change adds and removes, at most MAX_LISTED_NODES of each. */
export function nodeLines(nodes: { add: readonly string[]; remove: readonly string[] }, limit = MAX_LISTED_NODES): string[] {
  const lines = (names: readonly string[], sign: string): string[] => [
    ...names.slice(0, limit).map((name) => `${sign} ${name}`),
    ...(names.length > limit ? [`${sign} … and ${names.length - limit} more`] : []),
  ];
  return [...lines(nodes.add, '+'), ...lines(nodes.remove, '-')];
}
