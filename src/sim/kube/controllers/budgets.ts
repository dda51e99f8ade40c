/** The disruption controller: keeps every PodDisruptionBudget's status current (see `disruption.ts`). */
import { budgetStatus } from '../disruption.js';
import { R, storeKey } from '../resources.js';
import { clone, type PodDisruptionBudget } from '../types.js';
import type { ControllerContext } from './context.js';
import { canonicalJson } from './util.js';

export function disruptionController(ctx: ControllerContext): void {
  const key = storeKey(R.pdbs);
  const now = ctx.clock.now();
  const timestamp = ctx.clock.timestamp(now);
  for (const pdb of [...ctx.store.values<PodDisruptionBudget>(key)]) {
    const status = budgetStatus(ctx.store, pdb, now, timestamp);
    if (canonicalJson(status) === canonicalJson(pdb.status ?? {})) continue;
    const next = clone(pdb);
    next.status = status;
    ctx.store.update(key, next);
  }
}
