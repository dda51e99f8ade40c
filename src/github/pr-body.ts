import { z } from 'zod';
import { scaleSubject } from '../history/commit-message.js';
import { componentChangeText, nodeLines } from '../plan/index.js';

/**
 * What the autoscale PR and its comments say, and the hidden markers in them: an HTML comment
 * holding JSON, which GitHub does not render, so the next cycle reads the PR's decision from the
 * pull request listing it already has, without another call.
 */

/** GitHub refuses a PR body or comment longer than this many characters. */
export const MAX_BODY_CHARS = 65_536;
/** Evidence tables longer than this are cut, with a line saying how many rows were left out. */
export const MAX_EVIDENCE_ROWS = 50;

const PR_TAG = 'lambdastack-autoscaler';
const ADVICE_TAG = 'lambdastack-autoscaler-advice';

export type EvidenceValue = string | number | boolean | null;

/**
 * The evidence for a decision, as the decision engine hands it over: prose, a table of any
 * columns, and a chart. Each part is optional.
 */
export interface PrEvidence {
  /** Markdown shown before the table: the rule that fired, in words (or a whole table of the caller's own). */
  summary?: string | undefined;
  /** One object per row; the columns are the keys in the order they are first seen. */
  rows?: ReadonlyArray<Readonly<Record<string, EvidenceValue>>> | undefined;
  /** Mermaid source (e.g. an `xychart-beta` of utilisation and pending pods over the window), shown as a chart. */
  chart?: string | undefined;
}

/** The change a PR or an advice comment is about. */
export interface ScaleDecision {
  file: string;
  cluster: string;
  component: string;
  from: number;
  to: number;
}

const decisionShape = {
  file: z.string(),
  cluster: z.string(),
  component: z.string(),
  from: z.number().int(),
  to: z.number().int(),
};

const prMarkerSchema = z.object({
  ...decisionShape,
  /** The commit the autoscaler put on the branch. While the branch's head is this commit, no person has pushed to it. */
  head: z.string(),
  /** Why the autoscaler closed the PR; absent while open, and when a person closed it. */
  closed: z.string().optional(),
});

/** The decision a PR carries, hidden in its body. */
export type PrMarker = z.infer<typeof prMarkerSchema>;

const adviceSchema = z.object(decisionShape);

/** Whether two decisions change the same count of the same file the same way. */
export function sameDecision(a: ScaleDecision, b: ScaleDecision): boolean {
  return a.file === b.file && a.cluster === b.cluster && a.component === b.component && a.from === b.from && a.to === b.to;
}

/**
 * `<!-- tag {json} -->`. `<` and `>` are escaped inside the JSON, so no value (a cluster name, a
 * reason) can end the comment early or open another.
 */
export function hidden(tag: string, value: unknown): string {
  const json = JSON.stringify(value).replaceAll('<', '\\u003c').replaceAll('>', '\\u003e');
  return `<!-- ${tag} ${json} -->`;
}

/** The value of the last `tag` marker in `text` that reads as `schema` says, or undefined. */
export function findHidden<T>(tag: string, text: string | null | undefined, schema: z.ZodType<T>): T | undefined {
  if (!text) return undefined;
  const pattern = new RegExp(`<!-- ${tag} (\\{.*?\\}) -->`, 'gs');
  let found: T | undefined;
  for (const match of text.matchAll(pattern)) {
    try {
      const parsed = schema.safeParse(JSON.parse(match[1] ?? ''));
      if (parsed.success) found = parsed.data;
    } catch {
      // A marker a person edited into something else is no marker.
    }
  }
  return found;
}

export function readPrMarker(body: string | null | undefined): PrMarker | undefined {
  return findHidden(PR_TAG, body, prMarkerSchema);
}

/** The body with its marker replaced by `marker` (or added, when it has none). */
export function withPrMarker(body: string | null | undefined, marker: PrMarker): string {
  const pattern = new RegExp(`<!-- ${PR_TAG} \\{.*?\\} -->`, 'gs');
  const without = (body ?? '').replace(pattern, '').trimEnd();
  return `${without}\n\n${hidden(PR_TAG, marker)}\n`;
}

export function readAdviceMarker(body: string | null | undefined): ScaleDecision | undefined {
  return findHidden(ADVICE_TAG, body, adviceSchema);
}

/** Text for a Markdown table cell: one line, pipes escaped, no HTML (a stray `<!--` would hide the rest of the body). */
export function cell(value: EvidenceValue | undefined): string {
  if (value === null || value === undefined) return '';
  return String(value).replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('|', '\\|').replace(/\r?\n/g, '<br>');
}

function table(rows: NonNullable<PrEvidence['rows']>): string {
  const columns: string[] = [];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  if (columns.length === 0) return '';
  const line = (values: readonly string[]): string => `| ${values.join(' | ')} |`;
  const shown = rows.slice(0, MAX_EVIDENCE_ROWS);
  const lines = [
    line(columns.map((c) => cell(c))),
    line(columns.map(() => '---')),
    ...shown.map((row) => line(columns.map((c) => cell(row[c])))),
  ];
  if (rows.length > shown.length) lines.push('', `… and ${rows.length - shown.length} more rows`);
  return lines.join('\n');
}

/** A fenced block whose fence is longer than any run of backticks in the text, so the text cannot close it. */
export function fenced(language: string, text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${language}\n${text.trim()}\n${fence}`;
}

/**
 * The evidence as Markdown: the summary, the table and the Mermaid chart, in that order. The
 * watcher's `--dry-run` can print it; the autoscale PR puts it under its own summary.
 */
export function renderPrBody(evidence: PrEvidence): string {
  const parts: string[] = [];
  if (evidence.summary?.trim()) parts.push(evidence.summary.trim());
  if (evidence.rows && evidence.rows.length > 0) parts.push(table(evidence.rows));
  if (evidence.chart?.trim()) parts.push(fenced('mermaid', evidence.chart));
  return parts.filter((part) => part !== '').join('\n\n');
}

export interface AutoscalePrText {
  decision: ScaleDecision;
  reason: string;
  branch: string;
  /** The default branch the PR targets. */
  base: string;
  /** The VMs (and Kubernetes nodes) the change adds and removes. */
  nodes: { add: readonly string[]; remove: readonly string[] };
  evidence: PrEvidence | undefined;
  marker: PrMarker;
}

/** The PR's title: the commit's subject, so a squash merge and the PR list read alike. */
export function autoscalePrTitle(decision: ScaleDecision): string {
  return scaleSubject(decision);
}

/**
 * The PR's body: what changes and why, the nodes, the evidence, how the PR behaves, and the
 * marker. Within GitHub's size limit: the chart goes first, then the table, when it would not fit.
 */
export function autoscalePrBody(text: AutoscalePrText): string {
  const { decision, nodes } = text;
  const direction = decision.to > decision.from ? 'adds' : 'removes';
  const count = Math.abs(decision.to - decision.from);
  const head = [
    `The autoscaler proposes **${componentChangeText(decision)}** for cluster \`${decision.cluster}\`: merging this PR ${direction} ${count} node${count === 1 ? '' : 's'}.`,
    '',
    `**Why:** ${text.reason.trim() || 'no reason was given'}`,
    '',
    `The change is one line of \`${decision.file}\`: \`${decision.component}.count\` ${decision.from} → ${decision.to}.`,
    '',
    `<details><summary>Nodes ${direction === 'adds' ? 'added' : 'removed'} (${count})</summary>`,
    '',
    fenced('', nodeLines(nodes).join('\n')),
    '',
    '</details>',
  ].join('\n');
  const footer = [
    '---',
    `<sub>Opened by lambdastack-autoscaler, which keeps one PR per cluster on \`${text.branch}\` (built on the latest \`${text.base}\`) and rewrites it while its decision changes. To take the PR over, push to the branch: the autoscaler then never rewrites it, and comments instead.</sub>`,
    '',
    hidden(PR_TAG, text.marker),
    '',
  ].join('\n');
  const compose = (evidence: string): string => [head, ...(evidence ? ['### Evidence', evidence] : []), footer].join('\n\n');
  const full = compose(text.evidence ? renderPrBody(text.evidence) : '');
  if (full.length <= MAX_BODY_CHARS) return full;
  const withoutChart = compose(text.evidence ? renderPrBody({ ...text.evidence, chart: undefined }) : '');
  if (withoutChart.length <= MAX_BODY_CHARS) return withoutChart;
  return compose('The evidence is too long for a pull request body; the watcher’s log has it.');
}

/** The comment on a PR a person has pushed to: what the autoscaler would now do, since it will not rewrite the branch. */
export function adviceComment(decision: ScaleDecision, reason: string, branch: string, head: string): string {
  return [
    `The autoscaler now decides **${componentChangeText(decision)}** for cluster \`${decision.cluster}\`: ${reason.trim() || 'no reason was given'}.`,
    '',
    `This branch's head (\`${head.slice(0, 12)}\`) is a commit the autoscaler did not make, so it leaves the branch as it is. To apply the new decision, set \`${decision.component}.count: ${decision.to}\` in \`${decision.file}\` on this branch; or close this PR and delete the branch \`${branch}\`, and the autoscaler opens a new one.`,
    '',
    hidden(ADVICE_TAG, decision),
    '',
  ].join('\n');
}

/** The comment the autoscaler closes a PR with. */
export function closeComment(why: string, branch: string, deletesBranch: boolean): string {
  const after = deletesBranch
    ? `The branch \`${branch}\` is deleted with it.`
    : `The branch \`${branch}\` is kept: it has commits the autoscaler did not make.`;
  return `The autoscaler closes this PR: ${why.trim() || 'no change is needed any more'}.\n\n${after}\n`;
}
