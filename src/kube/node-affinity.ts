/**
 * Which nodes a pod may be placed on by its `nodeSelector` and its required node affinity (the
 * scheduler's NodeAffinity filter). The decision engine uses it to tell whether a new worker,
 * labelled as the worker machine's nodes are, could take a pending pod at all; the simulator's
 * scheduler uses it to filter nodes.
 *
 * Preferred affinity only ranks nodes, so it is not read here.
 */
import type { V1NodeSelectorRequirement } from '@kubernetes/client-node';
import { integerLabelCompares, type Labels, matchesLabelMap } from './label-selector.js';

export type NodeSelectorRequirement = Pick<V1NodeSelectorRequirement, 'key' | 'operator' | 'values'>;

export interface NodeSelectorTerm {
  matchExpressions?: readonly NodeSelectorRequirement[];
  matchFields?: readonly NodeSelectorRequirement[];
}

/** The parts of a pod spec that restrict its nodes. */
export interface NodePlacement {
  nodeSelector?: Labels;
  affinity?: {
    nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: readonly NodeSelectorTerm[] } };
  };
}

/** What node affinity can see of a node: its labels, and its name for `matchFields`. */
export interface NodeIdentity {
  name: string;
  labels?: Labels;
}

/** One requirement against a label's value (undefined when the node has no such label). */
export function nodeRequirementMatches(requirement: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt':
      return integerLabelCompares(value, values[0], requirement.operator === 'Gt');
    default:
      return false;
  }
}

/**
 * One term: all its requirements hold. A term with no requirements matches no node, as in the
 * API server. `matchFields` knows `metadata.name` only (the one field the API allows there; it is
 * how DaemonSet pods are pinned to their node).
 */
export function nodeSelectorTermMatches(term: NodeSelectorTerm, node: NodeIdentity): boolean {
  const labels = node.labels ?? {};
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  return (
    expressions.every((r) => nodeRequirementMatches(r, Object.hasOwn(labels, r.key) ? labels[r.key] : undefined)) &&
    fields.every((r) => nodeRequirementMatches(r, r.key === 'metadata.name' ? node.name : undefined))
  );
}

/**
 * Whether a pod may go to a node: every `nodeSelector` label matches, and, when the pod has
 * required node affinity, at least one of its terms does (terms are ORed; an empty list matches nothing).
 */
export function matchesNodeAffinity(pod: NodePlacement, node: NodeIdentity): boolean {
  if (!matchesLabelMap(pod.nodeSelector, node.labels)) return false;
  const terms = pod.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  return terms === undefined || terms.some((term) => nodeSelectorTermMatches(term, node));
}
