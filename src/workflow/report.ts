// How a run reads: durations, permissions, concurrency, and the closing lines. Pure.
import type { Concurrency, JobRun, Permissions, WorkflowRun } from './result.js';

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1_000);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

export function formatPermissions(permissions: Permissions): string {
  if (permissions === 'default') return "the repository's default for GITHUB_TOKEN (none declared)";
  if (permissions === 'read-all' || permissions === 'write-all') return permissions;
  const scopes = Object.entries(permissions);
  if (scopes.length === 0) return 'none (permissions: {})';
  return `${scopes.map(([scope, level]) => `${scope}: ${level}`).join(', ')} (every other scope: none)`;
}

export function formatConcurrency(concurrency: Concurrency): string {
  return (
    `concurrency group ${concurrency.group}, cancel-in-progress ${concurrency.cancelInProgress}` +
    ' (noted: a local run neither waits for nor cancels other runs)'
  );
}

function counts(jobs: readonly JobRun[]): string {
  const by = new Map<string, number>();
  for (const job of jobs) by.set(job.result, (by.get(job.result) ?? 0) + 1);
  return [...by].map(([result, n]) => `${n} ${result}`).join(', ');
}

/** The closing lines: each job's result, the summaries, the annotations, the conclusion. */
export function closingLines(run: WorkflowRun): string[] {
  const lines: string[] = [];
  for (const job of run.jobs) {
    if (job.summary.trim() === '') continue;
    lines.push(`summary of ${job.name}:`);
    for (const line of job.summary.replace(/\n+$/, '').split('\n')) lines.push(`  ${line}`);
  }
  if (run.annotations.length > 0) {
    lines.push('annotations:');
    for (const annotation of run.annotations) {
      const place = annotation.file === undefined ? '' : ` ${annotation.file}${annotation.line === undefined ? '' : `:${annotation.line}`}`;
      lines.push(
        `  ${annotation.level}${place}: ${annotation.message} (${annotation.job}${annotation.step === undefined ? '' : `, step ${annotation.step}`})`,
      );
    }
  }
  lines.push(
    `workflow ${run.name}: ${run.conclusion} in ${formatDuration(run.durationMs)} (${run.jobs.length} job(s): ${counts(run.jobs) || 'none'})`,
  );
  return lines;
}
