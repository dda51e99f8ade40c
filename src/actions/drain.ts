// The `drain` action (actions/drain/action.yml): drains the nodes the saved terraform plan
// destroys and deletes their Node objects, or fails naming the pods and PodDisruptionBudgets in the
// way, with every node left cordoned and registered, so the apply after it never runs. Built into
// actions/drain/dist/index.js by `npm run bundle`.
import * as core from '@actions/core';
import { UserError } from '../errors.js';
import { Drainer, type DrainReport, type NodeOutcome, type NodeReport } from '../kube/drain.js';
import { readDrainInputs } from './drain-inputs.js';
import { withKubeConfigInput } from './kubeconfig-input.js';
import { runAction } from './run-action.js';
import { escapeHtml, headerRow, type SummaryRow, writeSummary } from './summary.js';

/** One node of the `blocked` output: the pods still on it, and the budgets that kept them. */
interface BlockedOutput {
  outcome: NodeOutcome;
  pods: string[];
  budgets: string[];
}

const RESULT: Record<NodeOutcome, string> = {
  deleted: '✅ drained, Node deleted',
  gone: '✅ gone already',
  drained: '⏸️ drained, kept registered (another node did not drain)',
  refused: '❌ refused',
  held: '⏸️ held back',
  'timed-out': '❌ timed out: cordoned, kept registered',
};

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** Nodes whose pods are all gone: deleted now, gone before, or drained and kept because of another node. */
function drainedNodes(report: DrainReport): string[] {
  return report.nodes.filter((node) => ['deleted', 'gone', 'drained'].includes(node.outcome)).map((node) => node.node);
}

function blockedOutput(report: DrainReport): Record<string, BlockedOutput> {
  const blocked: Record<string, BlockedOutput> = {};
  for (const node of report.nodes) {
    if (node.outcome !== 'timed-out' && node.outcome !== 'refused') continue;
    blocked[node.node] = {
      outcome: node.outcome,
      pods: node.blocked.map((pod) => pod.pod),
      budgets: [...new Set(node.blocked.flatMap((pod) => pod.budgets))].sort(),
    };
  }
  return blocked;
}

/** A list in a table cell: the count, and the names behind a click (a node may hold a hundred pods). */
function podCell(names: readonly string[], what: string): string {
  if (names.length === 0) return '—';
  const items = names.map((name) => `<code>${escapeHtml(name)}</code>`).join('<br>');
  return `<details><summary>${names.length} ${what}</summary>${items}</details>`;
}

function nodeRow(node: NodeReport): string[] {
  const skipped = node.skipped.map((pod) => `${pod.pod} (${pod.reason})`);
  const evicted = node.evicted.map((pod) => (pod.emptyDir ? `${pod.pod} (emptyDir data deleted)` : pod.pod));
  const blocked = node.blocked.map((pod) => (pod.budgets.length > 0 ? `${pod.pod} (PDB ${pod.budgets.join(', ')})` : pod.pod));
  const result = node.note ? `${RESULT[node.outcome]}: ${node.note}` : RESULT[node.outcome];
  return [
    `<code>${escapeHtml(node.node)}</code>`,
    escapeHtml(result),
    podCell(evicted, 'evicted'),
    podCell(skipped, 'skipped'),
    podCell(blocked, 'blocked'),
    node.outcome === 'gone' || node.outcome === 'held' ? '—' : seconds(node.ms),
  ];
}

function headline(report: DrainReport): string {
  const count = report.nodes.length;
  if (report.ok) return `✅ ${count} node(s) drained and deleted in ${seconds(report.ms)}`;
  const stuck = report.nodes.filter((node) => node.outcome === 'timed-out' || node.outcome === 'refused').length;
  return `❌ ${stuck} of ${count} node(s) did not drain (${seconds(report.ms)}): no Node was deleted; the nodes stay cordoned and registered, so nothing may be destroyed`;
}

function addSummary(report: DrainReport): void {
  core.summary.addHeading('Drain', 2).addRaw(`<p>${escapeHtml(headline(report))}</p>`, true);
  core.summary.addTable([
    headerRow('Node', 'Result', 'Evicted', 'Skipped (DaemonSet, mirror)', 'Blocked', 'Time'),
    ...report.nodes.map(nodeRow),
  ]);
  const blocked = report.nodes.flatMap((node) => node.blocked.map((pod) => ({ node: node.node, ...pod })));
  if (blocked.length > 0) {
    const rows: SummaryRow[] = blocked.map((pod) => [
      `<code>${escapeHtml(pod.node)}</code>`,
      `<code>${escapeHtml(pod.pod)}</code>`,
      pod.budgets.length > 0 ? pod.budgets.map((budget) => `<code>${escapeHtml(budget)}</code>`).join('<br>') : '—',
      escapeHtml(pod.reason),
    ]);
    core.summary.addHeading('What blocked', 3).addTable([headerRow('Node', 'Pod', 'PodDisruptionBudget', 'Why'), ...rows]);
  }
}

/** One error annotation per node that did not drain, naming its pods and budgets (GitHub shows them on the run's page). */
function annotateBlocked(report: DrainReport): void {
  for (const node of report.nodes) {
    if (node.outcome !== 'timed-out' && node.outcome !== 'refused') continue;
    const budgets = [...new Set(node.blocked.flatMap((pod) => pod.budgets))].sort();
    const pods = node.blocked.map((pod) => pod.pod);
    const title = node.outcome === 'timed-out' ? `Drain of ${node.node} timed out` : `Drain of ${node.node} refused`;
    const parts = [
      node.note,
      pods.length > 0 ? `pods left: ${pods.join(', ')}` : undefined,
      budgets.length > 0 ? `blocked by PodDisruptionBudget ${budgets.join(', ')}` : undefined,
    ];
    core.error(parts.filter((part) => part !== undefined).join('; '), { title });
  }
}

function failure(report: DrainReport, timeoutSeconds: number): UserError {
  const budgets = [...new Set(report.nodes.flatMap((node) => node.blocked.flatMap((pod) => pod.budgets)))].sort();
  const timedOut = report.nodes.filter((node) => node.outcome === 'timed-out').map((node) => node.node);
  const refused = report.nodes.filter((node) => node.outcome === 'refused').map((node) => node.node);
  const what = [
    timedOut.length > 0 ? `${timedOut.join(', ')} still had pods after ${timeoutSeconds} s` : undefined,
    refused.length > 0 ? `${refused.join(', ')} refused` : undefined,
  ].filter((part) => part !== undefined);
  const fix =
    budgets.length > 0
      ? `let the budgets allow the evictions (${budgets.join(', ')}: more replicas, or a lower minAvailable), then re-run`
      : 'see the pods named above, then re-run';
  return new UserError(
    `drain failed: ${what.join('; ')}. No Node was deleted and the nodes stay cordoned, so the plan must not be applied: ${fix}; a re-run carries on where this one stopped`,
  );
}

async function drain(): Promise<void> {
  const inputs = readDrainInputs();
  if (inputs.nodes.length === 0) {
    core.info('no nodes to drain: the plan destroys none');
    core.setOutput('drained', '[]');
    core.setOutput('blocked', '{}');
    core.summary.addHeading('Drain', 2).addRaw('<p>Nothing to drain: the plan destroys no node.</p>', true);
    await writeSummary();
    return;
  }
  core.info(
    `draining ${inputs.nodes.join(', ')} (at most ${inputs.parallelism} at once, ${inputs.timeoutSeconds} s in all${inputs.force ? ', force' : ''})`,
  );
  const report = await withKubeConfigInput('kubeconfig', (kubeConfig) =>
    new Drainer(kubeConfig, {
      timeoutSeconds: inputs.timeoutSeconds,
      force: inputs.force,
      parallelism: inputs.parallelism,
      log: { info: (line) => core.info(line), warning: (line) => core.warning(line) },
    }).drain(inputs.nodes),
  );

  // Outputs and summary come first, so they are there for `if: failure()` steps too.
  core.setOutput('drained', JSON.stringify(drainedNodes(report)));
  core.setOutput('blocked', JSON.stringify(blockedOutput(report)));
  addSummary(report);
  await writeSummary();
  if (!report.ok) {
    annotateBlocked(report);
    throw failure(report, inputs.timeoutSeconds);
  }
  core.info(headline(report));
}

await runAction(drain);
