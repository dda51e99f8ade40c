/**
 * A decision's evidence as the autoscale PR shows it (src/github/pr-body.ts renders it): the
 * numbers in a short list, a table of what moved the decision (the pending pods for a scale-up,
 * the nodes looked at for a scale-down), and a Mermaid chart of the recent samples. Pure.
 */
import type { PrEvidence } from '../github/pr-body.js';
import { formatCpu, formatMemory } from '../kube/quantity.js';
import {
  type Decision,
  describeBlocker,
  describeExceeded,
  describeGate,
  describeMetricReadout,
  describePendingOutcome,
  formatDuration,
  type Sample,
  scheduleEvidence,
} from '../policy/index.js';

const percent = (share: number | undefined): string => (share === undefined ? 'n/a' : `${Math.round(share * 100)}%`);
const iso = (ms: number | undefined): string => (ms === undefined ? '' : new Date(ms).toISOString());

/** The evidence for a proposed change, from the decision and the samples the state kept. */
export function prEvidence(decision: Decision, samples: readonly Sample[]): PrEvidence {
  const evidence = decision.evidence;
  const lines = [`- **Rule:** \`${decision.rule.kind}\`: ${decision.reason}`];
  const schedule = scheduleEvidence(decision);
  if (schedule) lines.push(`- **Schedule:** ${schedule}`);
  if (decision.limitedBy) {
    lines.push(
      `- **Limited by:** ${decision.limitedBy.limit === 'max' ? 'the max bound' : 'scale_up_max_step'} (${decision.limitedBy.wanted} wanted)`,
    );
  }
  if (!evidence) return { summary: lines.join('\n'), chart: chartOf(samples, decision) };
  const { workers, utilisation, pending } = evidence;
  lines.push(
    `- **Workers:** count ${workers.count}, Ready ${workers.ready}, bounds [${evidence.bounds.min}, ${evidence.bounds.max}]`,
    `- **Requested** of the workers' allocatable: CPU ${percent(utilisation.ratios?.cpuRequests)}, memory ${percent(utilisation.ratios?.memoryRequests)}`,
    `- **Used** (metrics.k8s.io): CPU ${percent(utilisation.ratios?.cpuUsage)}, memory ${percent(utilisation.ratios?.memoryUsage)}`,
    `- **Pending pods:** ${pending.unschedulable} unschedulable` +
      (pending.newNodes.length > 0 ? `, packed onto ${pending.newNodes.length} new node(s) (${pending.inFlight} already asked for)` : ''),
  );
  if (evidence.metric) lines.push(`- **Prometheus:** ${describeMetricReadout(evidence.metric)}`);
  for (const exceeded of utilisation.high) lines.push(`- **High:** ${describeExceeded(exceeded)}`);
  for (const gate of evidence.scaleDown.gates) lines.push(`- **No scale-down:** ${describeGate(gate)}`);
  return { summary: lines.join('\n'), rows: rowsOf(decision), chart: chartOf(samples, decision) };
}

type Row = Record<string, string | number>;

function rowsOf(decision: Decision): Row[] {
  const evidence = decision.evidence;
  if (!evidence) return [];
  if (decision.direction === 'down') {
    return evidence.scaleDown.candidates.map(
      (candidate): Row => ({
        node: candidate.node,
        'CPU requested': percent(candidate.ratios.cpuRequests),
        'memory requested': percent(candidate.ratios.memoryRequests),
        'CPU used': percent(candidate.ratios.cpuUsage),
        'memory used': percent(candidate.ratios.memoryUsage),
        'unneeded since': iso(candidate.unneededSince),
        verdict: candidate.blockers.length > 0 ? `stays: ${candidate.blockers.map(describeBlocker).join('; ')}` : 'removable',
      }),
    );
  }
  return evidence.pending.pods.map(
    (pod): Row => ({
      pod: pod.pod,
      CPU: formatCpu(pod.requests.cpu),
      memory: formatMemory(pod.requests.memory),
      'unschedulable since': iso(pod.since),
      outcome: describePendingOutcome(pod.outcome),
    }),
  );
}

/** Mermaid puts categories with the same label on one point: repeated labels get a counter. */
function distinct(labels: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  });
}

/**
 * An `xychart-beta` of the samples, oldest first, labelled by their age at the decision: pending
 * pods as bars, CPU requested and (when every sample has it) CPU used as lines, in percent.
 * Mermaid draws no legend, so the title names the series.
 */
function chartOf(samples: readonly Sample[], decision: Decision): string | undefined {
  if (samples.length < 2) return undefined;
  const now = decision.evidence?.now ?? samples.at(-1)?.at ?? 0;
  const labels = distinct(samples.map((s) => (now - s.at > 0 ? `-${formatDuration(now - s.at)}` : 'now')));
  const pct = (share: number | undefined): number => Math.round((share ?? 0) * 100);
  const withUsage = samples.every((s) => s.cpuUsage !== undefined);
  const top = Math.max(
    100,
    ...samples.map((s) => s.pending),
    ...samples.map((s) => pct(s.cpuRequests)),
    ...samples.map((s) => pct(s.cpuUsage)),
  );
  return [
    'xychart-beta',
    `  title "Pending pods (bars), CPU requested${withUsage ? ' and used' : ''} in % of allocatable (lines)"`,
    `  x-axis [${labels.map((label) => `"${label}"`).join(', ')}]`,
    `  y-axis "pods / %" 0 --> ${top}`,
    `  bar [${samples.map((s) => s.pending).join(', ')}]`,
    `  line [${samples.map((s) => pct(s.cpuRequests)).join(', ')}]`,
    ...(withUsage ? [`  line [${samples.map((s) => pct(s.cpuUsage)).join(', ')}]`] : []),
  ].join('\n');
}
