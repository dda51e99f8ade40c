import { analyzeConfigText, decodeConfigBytes } from '../config/load.js';
import { CLUSTER_KINDS, clusterDocumentSchema } from '../config/schema.js';
import type { PlanCluster } from '../plan/scale-plan.js';

/** What one version of a file says: a cluster, no cluster (absent, or a defaults fragment), or nothing readable. */
export type Snapshot = PlanCluster | typeof ABSENT | typeof UNREADABLE;

export const ABSENT = 'absent';
export const UNREADABLE = 'unreadable';

export const isCluster = (snapshot: Snapshot): snapshot is PlanCluster => typeof snapshot === 'object';

/**
 * Reads one version of a file for history. Counts are read leniently: a historic file that broke
 * a rule checked today (a count outside its bounds, a placeholder then thought a secret) still
 * says how many nodes there were. Only a cluster document that cannot be read at all makes the
 * version unreadable.
 */
export function readSnapshot(file: string, bytes: Uint8Array): Snapshot {
  const text = decodeConfigBytes(file, bytes);
  if (typeof text !== 'string') return UNREADABLE;
  // Only counts matter here, so only the cluster and autoscaling documents are parsed: with
  // hundreds of versions of a large file, that is most of the cost of a history.
  const analysis = analyzeConfigText(file, text, { scalingOnly: true });
  if (analysis.config) {
    const { name, provider, prefix, counts } = analysis.config;
    return { file, name, provider, prefix, counts };
  }
  if (analysis.noCluster) return ABSENT;
  const clusterDocs = (analysis.source?.documents ?? []).filter((doc) => {
    const kind = (doc.value as { kind?: unknown }).kind;
    return typeof kind === 'string' && (CLUSTER_KINDS as readonly string[]).includes(kind);
  });
  const parsed = clusterDocs.length === 1 ? clusterDocumentSchema.safeParse(clusterDocs[0]?.value) : undefined;
  if (!parsed?.success) return UNREADABLE;
  const { provider, specification } = parsed.data;
  const counts: Record<string, number> = Object.create(null);
  for (const [component, settings] of Object.entries(specification.components)) counts[component] = settings.count;
  return { file, name: specification.name, provider, prefix: specification.prefix ?? undefined, counts };
}
