/**
 * Decisions, rules, gates and blockers in words: one line each, for logs, the commit's
 * Autoscale-Reason trailer and the rows of the PR body's evidence table.
 */
import { formatCpu, formatMemory } from '../kube/quantity.js';
import type { Decision } from './decide.js';
import { describeMetricGate, describeMetricRule } from './metric-reason.js';
import type { NodeBlocker, ScaleDownGate } from './scale-down.js';
import type { NeverFits, PendingOutcome } from './scale-up.js';
import { describeWindow } from './schedule-reason.js';
import { formatDuration } from './settings.js';
import type { Capacity } from './snapshot.js';
import type { Exceeded } from './utilisation.js';

const percent = (share: number): string => `${Math.round(share * 100)}%`;
const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;
/** The first three names, and an ellipsis for the rest: a reason stays one short line. */
const shortList = (names: readonly string[]): string => `${names.slice(0, 3).join(', ')}${names.length > 3 ? ', …' : ''}`;

function amount(resource: keyof Capacity, value: number): string {
  if (resource === 'cpu') return `${formatCpu(value)} CPU`;
  if (resource === 'memory') return `${formatMemory(value)} memory`;
  return plural(value, 'pod slot');
}

/** `CPU requests at 93% (above 90%)`. */
export function describeExceeded(e: Exceeded): string {
  return `${e.resource === 'cpu' ? 'CPU' : 'memory'} ${e.measure} at ${percent(e.ratio)} of allocatable (above ${percent(e.threshold)})`;
}

export function describeNeverFits(why: NeverFits): string {
  switch (why.kind) {
    case 'too-big':
      return `requests ${amount(why.resource, why.request)}; a new worker has ${amount(why.resource, why.room)} free`;
    case 'node-selector':
      return 'its nodeSelector or required node affinity matches no new worker';
    case 'untolerated-taint':
      return `it does not tolerate the workers' taint ${why.taint.key}${why.taint.value ? `=${why.taint.value}` : ''}:${why.taint.effect}`;
  }
}

export function describePendingOutcome(outcome: PendingOutcome): string {
  switch (outcome.kind) {
    case 'awaiting-scheduler':
      return 'not yet marked Unschedulable by the scheduler';
    case 'node-bound':
      return 'a DaemonSet or static pod: another node does not help it';
    case 'fits-existing-node':
      return `fits on ${outcome.node}`;
    case 'never-fits':
      return `never fits a new worker: ${describeNeverFits(outcome.why)}`;
    case 'new-node':
      return `new node ${outcome.node + 1}${outcome.inFlight ? ' (already asked for)' : ''}`;
  }
}

export function describeGate(gate: ScaleDownGate): string {
  switch (gate.kind) {
    case 'pending-pods':
      return `${plural(gate.pods, 'pod')} pending`;
    case 'metrics-unavailable':
      return 'metrics.k8s.io is not answering (metrics-server down?)';
    case 'metrics-stale':
      return `metrics are older than ${formatDuration(gate.maxAge)}`;
    case 'metrics-incomplete':
      return `no metrics for ${plural(gate.nodes.length, 'worker')} (${shortList(gate.nodes)})`;
    case 'workers-without-index':
      return `${plural(gate.nodes.length, 'worker')} without a VM index (${shortList(gate.nodes)})`;
    case 'change-in-flight':
      return gate.missing > 0
        ? `${plural(gate.missing, 'node')} asked for ${gate.missing === 1 ? 'is' : 'are'} not Ready yet`
        : `${plural(gate.removing.length, 'node')} being removed`;
    case 'at-min':
      return `at min ${gate.min}`;
    case 'scale-up-cooldown':
      return `within ${formatDuration(gate.until - gate.since)} of a scale-up`;
    case 'prometheus-unusable':
    case 'prometheus-floor':
      return describeMetricGate(gate);
  }
}

export function describeBlocker(blocker: NodeBlocker): string {
  switch (blocker.rule) {
    case 'scale-down-disabled':
      return 'annotated cluster-autoscaler.kubernetes.io/scale-down-disabled';
    case 'no-usage':
      return 'no metrics for the node';
    case 'not-underutilised':
      return `utilisation ${percent(blocker.utilisation)} is not below ${percent(blocker.threshold)}`;
    case 'not-safe-to-evict':
      return `pod ${blocker.pod} is annotated safe-to-evict: "false"`;
    case 'do-not-disrupt':
      return `pod ${blocker.pod} is annotated karpenter.sh/do-not-disrupt: "true"`;
    case 'no-controller':
      return `pod ${blocker.pod} has no controller to recreate it`;
    case 'disruption-budget':
      return blocker.disruptionsAllowed === undefined
        ? `PodDisruptionBudget ${blocker.budget} is unknown`
        : `PodDisruptionBudget ${blocker.budget} allows ${blocker.disruptionsAllowed} disruptions, ${blocker.pods} needed`;
    case 'pods-do-not-fit':
      return `${plural(blocker.pods.length, 'pod')} would not fit on the other nodes (${shortList(blocker.pods)})`;
    case 'would-trigger-scale-up':
      return `removing it would leave ${blocker.exceeded.map(describeExceeded).join(', ')}`;
  }
}

/** The decision in one line. */
export function describeDecision(decision: Omit<Decision, 'reason'>): string {
  const { rule, current, desired } = decision;
  const change = desired === current ? `stays at ${current}` : `${current} → ${desired}`;
  const limit = decision.limitedBy
    ? ` (${decision.limitedBy.limit === 'max' ? 'capped at max' : 'limited by the step'}; ${decision.limitedBy.wanted} wanted)`
    : '';
  switch (rule.kind) {
    case 'below-min':
      return `count ${current} is below min ${rule.min}: ${change}`;
    case 'scheduled-min':
      return `${describeWindow(rule.window)}: ${change}`;
    case 'above-max':
      return `count ${current} is above max ${rule.max}: ${change}`;
    case 'stale-snapshot':
      return `the cluster snapshot is ${rule.why === 'too-old' ? 'too old' : 'stale (informers restarting or not synced)'}: ${change}`;
    case 'pending-pods':
      return (
        `${plural(rule.pods, 'unschedulable pod')} need ${plural(rule.newNodes, 'new node')}` +
        `${rule.inFlight > 0 ? `, ${rule.inFlight} already asked for` : ''}: ${change}${limit}`
      );
    case 'high-utilisation':
      return `${rule.exceeded.map(describeExceeded).join(', ')} since ${new Date(rule.since).toISOString()}: ${change}${limit}`;
    case 'waiting-for-nodes':
      return `${plural(rule.missing, 'node')} asked for not Ready yet${rule.pods > 0 ? ` (${plural(rule.pods, 'pending pod')} wait for them)` : ''}: ${change}`;
    case 'provisioning-timeout':
      return (
        `${plural(rule.missing, 'node')} asked for still not Ready since ${new Date(rule.since).toISOString()}` +
        `${rule.pods > 0 ? `; ${plural(rule.pods, 'pending pod')} not scaled for again` : ''}: ${change}`
      );
    case 'prometheus-query':
      return `${describeMetricRule(rule)}: ${change}${limit}`;
    case 'unneeded-nodes':
      return `${rule.nodes.join(', ')} unneeded and ${rule.nodes.length === 1 ? 'its' : 'their'} pods fit elsewhere: ${change}`;
    case 'no-change':
      return `no change needed: ${change}${noChangeWhy(decision)}`;
  }
}

function noChangeWhy(decision: Omit<Decision, 'reason'>): string {
  const scaleDown = decision.evidence?.scaleDown;
  if (!scaleDown) return '';
  const gate = scaleDown.gates[0];
  if (gate) return ` (no scale-down: ${describeGate(gate)})`;
  const stopped = scaleDown.candidates.at(-1);
  const blocker = stopped?.blockers[0];
  if (stopped && blocker) return ` (${stopped.node} stays: ${describeBlocker(blocker)})`;
  const waiting = scaleDown.candidates[0];
  if (waiting?.removableAt !== undefined) return ` (${waiting.node} unneeded, removable at ${new Date(waiting.removableAt).toISOString()})`;
  return '';
}
