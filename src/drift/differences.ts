/**
 * How the cluster's workers differ from its config right now: which VMs the declared count names
 * have no Ready node, and which nodes the count does not declare. Pure; drift is a difference
 * that lasts (./track.ts).
 *
 * The naming rule is the contract (design.md): VM `i` of the worker pool is
 * `<prefix>-<name>-kubernetes-node-vm-<i>` and that is also its node name. So for a count `c`:
 *
 * - **missing**: each name of indices `0..c-1` without a node (`absent`), or whose node is not
 *   Ready (`not-ready`). A cordoned but Ready node is not missing: someone is draining it.
 * - **extra**: a node the rule names with an index at or above `c` (`above-count`: a lowered count
 *   not applied, or a VM made outside git), and a worker-looking node the rule does not name
 *   (`unnamed`: a hand-made node). Worker-looking means: with `--worker-selector`, a node the
 *   selector matches; without one, any node that is not the control plane (no
 *   `node-role.kubernetes.io/control-plane` or `master` label, and not named as a
 *   `kubernetes_master` VM of this cluster), since in a LambdaStack cluster only masters and
 *   workers join Kubernetes.
 */
import { MASTER_COMPONENT, WORKER_COMPONENT } from '../config/schema.js';
import { vmName } from '../plan/naming.js';
import type { NodeView } from '../policy/snapshot.js';

export type DriftKind = 'missing' | 'extra';

/** Why a name is missing or extra. */
export type DifferenceWhy = 'absent' | 'not-ready' | 'above-count' | 'unnamed';

export interface NodeDifference {
  kind: DriftKind;
  /** The node's name (for `absent`, the name the VM would have). */
  name: string;
  why: DifferenceWhy;
}

/** What the config declares of the worker pool. */
export interface DeclaredWorkers {
  /** `specification.name` and `prefix` of the cluster document. */
  name: string;
  prefix: string | null | undefined;
  /** `kubernetes_node.count`. */
  count: number;
  /** Workers are told by a label selector (`--worker-selector`), so `NodeView.worker` is the selector's verdict. */
  selector: boolean;
}

/** What a difference reads of a node: the snapshot's view of it. */
export type DriftNode = Pick<NodeView, 'name' | 'worker' | 'index' | 'ready' | 'labels'>;

const CONTROL_PLANE_LABELS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/** The index in `name` when it is a `kubernetes_master` VM of the cluster; the stem is the name of VM 0 less its index. */
function masterStem(declared: DeclaredWorkers): string {
  return vmName(declared.prefix, declared.name, MASTER_COMPONENT, 0).slice(0, -1);
}

function isControlPlane(node: DriftNode, stem: string): boolean {
  if (CONTROL_PLANE_LABELS.some((label) => Object.hasOwn(node.labels, label))) return true;
  return node.name.startsWith(stem) && /^(0|[1-9]\d*)$/.test(node.name.slice(stem.length));
}

const byName = (a: NodeDifference, b: NodeDifference): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** The differences, missing ones first by index, then extra ones by name. */
export function nodeDifferences(nodes: readonly DriftNode[], declared: DeclaredWorkers): NodeDifference[] {
  const byIndex = new Map<number, DriftNode>();
  const extra: NodeDifference[] = [];
  const stem = masterStem(declared);
  for (const node of nodes) {
    if (node.index !== undefined) {
      if (node.index >= declared.count) extra.push({ kind: 'extra', name: node.name, why: 'above-count' });
      // Two nodes cannot share a name, so an index has at most one node.
      else byIndex.set(node.index, node);
      continue;
    }
    const workerLooking = declared.selector ? node.worker : !isControlPlane(node, stem);
    if (workerLooking) extra.push({ kind: 'extra', name: node.name, why: 'unnamed' });
  }
  const missing: NodeDifference[] = [];
  for (let index = 0; index < declared.count; index++) {
    const node = byIndex.get(index);
    if (!node) missing.push({ kind: 'missing', name: vmName(declared.prefix, declared.name, WORKER_COMPONENT, index), why: 'absent' });
    else if (!node.ready) missing.push({ kind: 'missing', name: node.name, why: 'not-ready' });
  }
  return [...missing, ...extra.sort(byName)];
}
