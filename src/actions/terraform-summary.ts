import * as core from '@actions/core';
import { type ClusterConfig, clusterId, WORKER_COMPONENT } from '../config/index.js';
import { describeWithCauses } from '../errors.js';
import { type PlanChanges, type PlanExpectation, PlanMismatchError, type WorkerChange } from '../infra/plan-changes.js';
import type { RecordWrite } from '../infra/state-store.js';
import { StateLockedError } from '../infra/terraform.js';
import { escapeHtml, fileLink, headerRow, type SummaryRow, writeSummary } from './summary.js';

/**
 * The terraform action's job summary: what a reviewer needs at a glance. Which nodes go and come
 * (the drain step's input), terraform's own resource counts, where the state is and how it is
 * locked, and what the plan was checked against; after an apply, the addresses and the records
 * written beside the state. Nothing secret is in any of it: node names, addresses, the state's
 * location and versions.
 */

export interface RunReport {
  mode: 'plan' | 'apply';
  config: ClusterConfig;
  module: string;
  state: string;
  lock: string;
  planFile: string;
  imageId: string;
  expectation: PlanExpectation;
  changes?: PlanChanges;
  /** After an apply: the created workers with their addresses. */
  created?: WorkerChange[];
  records?: (RecordWrite & { location: string })[];
}

const code = (text: string): string => `<code>${escapeHtml(text)}</code>`;

function headline(report: RunReport, changes: PlanChanges): string {
  const verb = report.mode === 'plan' ? 'plans to' : 'applied:';
  const nodes = `${verb} destroy ${changes.destroy.length} node(s) and create ${changes.create.length}`;
  const counts = `${changes.resources.add} to add, ${changes.resources.change} to change, ${changes.resources.destroy} to destroy`;
  if (!changes.hasChanges) return `✅ No changes: the state already matches ${WORKER_COMPONENT} = ${report.expectation.count}.`;
  return `${report.mode === 'plan' ? '📋' : '✅'} terraform ${nodes} (${counts}).`;
}

function crossCheck(expectation: PlanExpectation): string {
  const rule = `the naming rule and ${WORKER_COMPONENT}.count ${expectation.count}`;
  if (!expectation.scalePlan) return `${rule} (no scale plan given)`;
  const component = expectation.scalePlan.plan?.components.find((c) => c.component === WORKER_COMPONENT);
  const change = component ? `${WORKER_COMPONENT} ${component.from} → ${component.to}` : `no change to ${WORKER_COMPONENT}`;
  return `${rule}, and ${expectation.scalePlan.source} (${change})`;
}

function nodeRows(report: RunReport, changes: PlanChanges): SummaryRow[] {
  const created = report.created ?? changes.create;
  const destroyNote = report.mode === 'plan' ? 'destroy (drained first)' : 'destroyed';
  return [
    ...changes.destroy.map((w) => [code(w.name), destroyNote, String(w.index), w.address ? code(w.address) : '—']),
    ...created.map((w) => [
      code(w.name),
      report.mode === 'plan' ? 'create' : 'created',
      String(w.index),
      w.address ? code(w.address) : 'known after apply',
    ]),
    ...changes.update.map((w) => [code(w.name), 'update in place', String(w.index), w.address ? code(w.address) : '—']),
  ];
}

function settingRows(report: RunReport, changes: PlanChanges | undefined): SummaryRow[] {
  const rows: SummaryRow[] = [
    ['Config', fileLink(report.config.file)],
    ['Module', code(report.module)],
    ['Backend', escapeHtml(report.state)],
    ['Lock', `${escapeHtml(report.lock)}: taken by each terraform command and released when it ends; never force-unlocked`],
    ['Plan file', code(report.planFile)],
  ];
  if (changes) {
    rows.splice(2, 0, ['Workers', `${changes.workersBefore} → ${changes.workersAfter}`]);
    rows.push(['Checked against', escapeHtml(crossCheck(report.expectation))]);
  }
  if (report.imageId !== '') rows.push(['Image for new workers', code(report.imageId)]);
  return rows;
}

function addTitle(report: RunReport): void {
  core.summary.addHeading(`terraform ${report.mode}: ${escapeHtml(clusterId(report.config))}`, 2);
}

/** The summary of a plan or apply that went through. */
export async function reportRun(report: RunReport): Promise<void> {
  const changes = report.changes;
  addTitle(report);
  if (changes) {
    core.summary.addRaw(`<p>${escapeHtml(headline(report, changes))}</p>`, true);
    const rows = nodeRows(report, changes);
    if (rows.length > 0) core.summary.addTable([headerRow('Node', 'Change', 'Index', 'Address'), ...rows]);
  }
  core.summary.addTable([headerRow('Setting', 'Value'), ...settingRows(report, changes)]);
  if (changes && changes.others.length > 0) {
    core.summary
      .addHeading('Other resources changed', 3)
      .addTable([headerRow('Resource', 'Actions'), ...changes.others.map((o) => [code(o.address), escapeHtml(o.actions.join(', '))])]);
  }
  if (report.records && report.records.length > 0) {
    core.summary
      .addHeading('Recorded beside the state', 3)
      .addTable([
        headerRow('Object', 'Version', 'Write'),
        ...report.records.map((r) => [code(`${r.location}/${r.key}`), code(r.version), r.written ? 'written (conditional)' : 'unchanged']),
      ]);
  }
  await writeSummary();
}

/** The summary of a run that stopped: why, in the words a reviewer acts on. */
export async function reportFailure(report: RunReport, error: unknown): Promise<void> {
  addTitle(report);
  if (error instanceof StateLockedError) {
    const { lock } = error;
    core.summary
      .addRaw(
        `<p>🔒 The state is locked by another run: nothing was ${report.mode === 'plan' ? 'planned' : 'applied'}, and the lock was left alone.</p>`,
        true,
      )
      .addTable([
        headerRow('Lock', 'Value'),
        ['Who', escapeHtml(lock.who ?? 'unknown')],
        ['Operation', escapeHtml(lock.operation ?? 'unknown')],
        ['Created', escapeHtml(lock.created ?? 'unknown')],
        ['ID', code(lock.id)],
      ]);
  } else if (error instanceof PlanMismatchError) {
    core.summary
      .addRaw('<p>❌ The saved plan does not match the cluster config: nothing was drained, destroyed or applied.</p>', true)
      .addList(error.problems.map(escapeHtml));
  } else {
    const message = error instanceof Error ? describeWithCauses(error) : String(error);
    core.summary.addRaw(`<p>❌ ${escapeHtml(message.split('\n')[0] ?? message)}</p>`, true);
  }
  core.summary.addTable([headerRow('Setting', 'Value'), ...settingRows(report, report.changes)]);
  try {
    await writeSummary();
  } catch (summaryError) {
    // The step fails with the original error; a summary that cannot be written must not replace it.
    core.warning(`the job summary could not be written: ${(summaryError as Error).message}`);
  }
}
