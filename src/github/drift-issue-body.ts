/**
 * The drift issue's text, its hidden marker, and what to do with it each cycle. Pure.
 *
 * One open issue per cluster, labelled `autoscaler` and `drift`, told apart by the marker in its
 * body (an HTML comment holding JSON, as the autoscale PR's): the cluster, and the drifting nodes
 * with since when each has differed. The marker is what the watcher wrote last, so it compares the
 * drift with it and writes only when the node names change; and a restarted watcher reads its
 * clocks back from it.
 */
import { z } from 'zod';
import type { DriftEntry, DriftReport, SeenDifference } from '../drift/track.js';
import { describeWhy } from '../drift/track.js';
import { cell, findHidden, hidden } from './pr-body.js';

export const DRIFT_LABELS: readonly string[] = ['autoscaler', 'drift'];
const DRIFT_TAG = 'lambdastack-autoscaler-drift';

const entrySchema = z.object({
  name: z.string(),
  why: z.enum(['absent', 'not-ready', 'above-count', 'unnamed']),
  since: z.string(),
});

const driftMarkerSchema = z.object({
  cluster: z.string(),
  missing: z.array(entrySchema),
  extra: z.array(entrySchema),
});

export type DriftMarker = z.infer<typeof driftMarkerSchema>;

/** An open drift issue as the listing shows it. */
export interface OpenDriftIssue {
  number: number;
  url: string;
  marker: DriftMarker;
}

/** What the issue says about the cluster it watches. */
export interface DriftContext {
  cluster: string;
  /** The config file, from the repository root. */
  file: string;
  count: number;
  /** The provisioning timeout, as written (`15m`). */
  timeout: string;
}

export function readDriftMarker(body: string | null | undefined): DriftMarker | undefined {
  return findHidden(DRIFT_TAG, body, driftMarkerSchema);
}

function markerOf(cluster: string, report: DriftReport): DriftMarker {
  const entry = (e: DriftEntry): DriftMarker['missing'][number] => ({ name: e.name, why: e.why, since: new Date(e.since).toISOString() });
  return { cluster, missing: report.missing.map(entry), extra: report.extra.map(entry) };
}

/** The sightings a marker holds, for seedDrift. Entries whose time does not parse are left out. */
export function markerSightings(marker: DriftMarker): SeenDifference[] {
  const sightings: SeenDifference[] = [];
  for (const [kind, entries] of [
    ['missing', marker.missing],
    ['extra', marker.extra],
  ] as const) {
    for (const entry of entries) {
      const since = Date.parse(entry.since);
      if (Number.isFinite(since)) sightings.push({ kind, name: entry.name, since });
    }
  }
  return sightings;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

export function driftIssueTitle(cluster: string, report: Pick<DriftReport, 'missing' | 'extra'>): string {
  const parts = [
    ...(report.missing.length > 0 ? [`${report.missing.length} missing`] : []),
    ...(report.extra.length > 0 ? [`${report.extra.length} extra`] : []),
  ];
  const total = report.missing.length + report.extra.length;
  return `Drift: ${cluster} has ${parts.join(' and ')} ${total === 1 ? 'worker' : 'workers'}`;
}

function entryTable(entries: readonly DriftEntry[], count: number): string {
  const rows = entries.map((e) => `| ${cell(e.name)} | ${new Date(e.since).toISOString()} | ${cell(describeWhy(e.why, count))} |`);
  return ['| node | differs since | why |', '| --- | --- | --- |', ...rows].join('\n');
}

export function driftIssueBody(context: DriftContext, report: DriftReport): string {
  const parts = [
    `The workers of cluster **${cell(context.cluster)}** have differed from its config (\`${cell(context.file)}\`, ` +
      `\`kubernetes_node.count: ${context.count}\`) for longer than the provisioning timeout (${context.timeout}): ` +
      'this was not done through git.',
  ];
  if (report.missing.length > 0) {
    parts.push(
      `### Missing: ${plural(report.missing.length, 'worker')}`,
      'VMs the count declares without a Ready node: destroyed outside git, failed, or never joined (a failed apply).',
      entryTable(report.missing, context.count),
    );
  }
  if (report.extra.length > 0) {
    parts.push(
      `### Extra: ${plural(report.extra.length, 'node')}`,
      'Nodes the count does not declare: a lowered count not applied, or a node made by hand.',
      entryTable(report.extra, context.count),
    );
  }
  parts.push(
    '### What to do',
    [
      '- A missing worker: look at the last run of the apply workflow for this cluster and run it again; it creates the VMs the count declares.',
      '- An extra worker: remove it, or declare it: raise the count in a pull request (its VM must then follow the naming rule).',
      '- Until then the autoscaler keeps deciding from the Ready workers it sees.',
    ].join('\n'),
    '_lambdastack-autoscaler keeps this issue: it updates it when the drifting nodes change and closes it when the workers match the config again._',
  );
  return `${parts.join('\n\n')}\n\n${hidden(DRIFT_TAG, markerOf(context.cluster, report))}\n`;
}

/** The comment an issue is closed with: what came back in line. */
export function driftResolvedComment(context: DriftContext, marker: DriftMarker): string {
  const names = [
    ...marker.missing.map((e) => `- ${cell(e.name)} (was missing)`),
    ...marker.extra.map((e) => `- ${cell(e.name)} (was extra)`),
  ];
  return [
    `The workers of **${cell(context.cluster)}** match its config again (\`kubernetes_node.count: ${context.count}\`): closing.`,
    '',
    ...names,
  ].join('\n');
}

export type DriftIssuePlan =
  | { kind: 'none' }
  | { kind: 'open'; title: string; body: string; marker: DriftMarker }
  | { kind: 'update'; number: number; title: string; body: string; marker: DriftMarker }
  | { kind: 'close'; number: number; comment: string };

const names = (entries: readonly { name: string }[]): string => entries.map((e) => e.name).join('\n');

/** Whether the issue already names exactly these nodes, each under the same kind. */
export function sameNodes(marker: DriftMarker, report: Pick<DriftReport, 'missing' | 'extra'>): boolean {
  return names(marker.missing) === names(report.missing) && names(marker.extra) === names(report.extra);
}

/**
 * What to do with the cluster's drift issue: open one when drift appears, rewrite it when the
 * drifting nodes change (not when only their times would), close it when the drift is gone.
 */
export function planDriftIssue(open: OpenDriftIssue | undefined, context: DriftContext, report: DriftReport): DriftIssuePlan {
  const drifting = report.missing.length + report.extra.length > 0;
  if (!drifting) {
    return open ? { kind: 'close', number: open.number, comment: driftResolvedComment(context, open.marker) } : { kind: 'none' };
  }
  if (open && sameNodes(open.marker, report)) return { kind: 'none' };
  const text = {
    title: driftIssueTitle(context.cluster, report),
    body: driftIssueBody(context, report),
    marker: markerOf(context.cluster, report),
  };
  return open ? { kind: 'update', number: open.number, ...text } : { kind: 'open', ...text };
}
