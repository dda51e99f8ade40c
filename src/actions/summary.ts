import * as core from '@actions/core';

/** One row of `core.summary.addTable` (the type is not exported by @actions/core). */
export type SummaryRow = Parameters<typeof core.summary.addTable>[0][number];

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Text made safe for the job summary. @actions/core puts cell and heading text into the HTML as
 * it is, and config messages quote user text (`<your secret>` placeholders, say).
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** A table's header row. */
export function headerRow(...titles: string[]): SummaryRow {
  return titles.map((title) => ({ data: escapeHtml(title), header: true }));
}

/**
 * A file (and line) as HTML: a link to it at the job's commit when the runner says which
 * repository and commit that is, so a reviewer lands on the line; the bare path otherwise.
 */
export function fileLink(file: string, line?: number): string {
  const label = escapeHtml(line === undefined ? file : `${file}:${line}`);
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_SHA: sha } = process.env;
  if (!server || !repository || !sha) return `<code>${label}</code>`;
  const path = file.split('/').map(encodeURIComponent).join('/');
  const href = `${server}/${repository}/blob/${sha}/${path}${line === undefined ? '' : `#L${line}`}`;
  return `<a href="${escapeHtml(href)}"><code>${label}</code></a>`;
}

/**
 * Appends what was added to `core.summary` to the job summary. Outside a runner there is no
 * summary file; the step's work is done and logged, so that is no reason to fail it.
 */
export async function writeSummary(): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) {
    core.debug('GITHUB_STEP_SUMMARY is not set: no job summary written');
    core.summary.emptyBuffer();
    return;
  }
  await core.summary.write();
}
