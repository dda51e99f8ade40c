/**
 * `--dry-run`: the PR the watcher would open, built as syncAutoscalePr builds it (the same edit,
 * title and body) but written nowhere. Pure.
 */
import { setComponentCount } from '../config/index.js';
import { autoscaleBranch } from '../github/autoscale-pr.js';
import { autoscalePrBody, autoscalePrTitle, type PrEvidence } from '../github/pr-body.js';
import { countChangeNodes } from '../plan/index.js';
import type { WatchedCluster } from './cluster.js';

export interface PrPreview {
  title: string;
  branch: string;
  base: string;
  /** The one changed line: `file:line`, and the line before and after. */
  diff: { file: string; line: number; before: string; after: string };
  body: string;
}

/** The head a dry run's marker names: there is no commit. */
export const DRY_RUN_HEAD = 'dry-run';

export function previewPr(cluster: WatchedCluster, change: { to: number; reason: string; evidence: PrEvidence; base: string }): PrPreview {
  const edit = setComponentCount(cluster.file, cluster.text, cluster.component, change.to);
  const lineOf = (text: string): string => (text.split('\n')[edit.line - 1] ?? '').replace(/\r$/, '');
  const decision = { file: cluster.file, cluster: cluster.name, component: cluster.component, from: cluster.count, to: change.to };
  const branch = autoscaleBranch(cluster.name);
  return {
    title: autoscalePrTitle(decision),
    branch,
    base: change.base,
    diff: { file: cluster.file, line: edit.line, before: lineOf(cluster.text), after: lineOf(edit.text) },
    body: autoscalePrBody({
      decision,
      reason: change.reason,
      branch,
      base: change.base,
      nodes: countChangeNodes(cluster.prefix, cluster.name, cluster.component, cluster.count, change.to),
      evidence: change.evidence,
      marker: { ...decision, head: DRY_RUN_HEAD },
    }),
  };
}
