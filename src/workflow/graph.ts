// The job graph, pure: the order jobs run in (every job after the jobs it needs, otherwise file
// order), and the jobs one selected job needs. GitHub's parser has already refused cycles and
// unknown needs.
import { UserError } from '../errors.js';

interface Node {
  id: string;
  needs: readonly string[];
}

/** Job ids in an order that runs every job after its needs; ties keep the file's order. */
export function jobOrder(jobs: readonly Node[]): string[] {
  const done = new Set<string>();
  const order: string[] = [];
  while (order.length < jobs.length) {
    const next = jobs.find((job) => !done.has(job.id) && job.needs.every((need) => done.has(need)));
    if (!next)
      throw new UserError(
        `the jobs ${jobs
          .filter((job) => !done.has(job.id))
          .map((job) => job.id)
          .join(', ')} need each other`,
      );
    done.add(next.id);
    order.push(next.id);
  }
  return order;
}

/** `id` and every job it needs, directly or not. */
export function jobWithNeeds(jobs: readonly Node[], id: string): Set<string> {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  if (!byId.has(id)) throw new UserError(`--job ${id}: the workflow has no such job (its jobs: ${jobs.map((job) => job.id).join(', ')})`);
  const selected = new Set<string>();
  const visit = (jobId: string): void => {
    if (selected.has(jobId)) return;
    selected.add(jobId);
    for (const need of byId.get(jobId)?.needs ?? []) visit(need);
  };
  visit(id);
  return selected;
}
