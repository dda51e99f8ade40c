import { z } from 'zod';
import { UserError } from '../errors.js';
import { type ObjectStore, WriteConflictError } from './object-store.js';

/**
 * The record of a baked worker image, kept beside the terraform state under its content hash:
 * `<state key>.lambdastack/images/<hash>.json`. It is written once, with `ifNoneMatch: '*'`, and never changed, so a
 * record is the answer for its hash for good; two pipelines that bake the same hash at once both
 * end up using the image of whichever recorded first.
 */
export const IMAGE_RECORD_SCHEMA = 'lambdastack-autoscaler/worker-image/v1';

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex');

const imageRecordSchema = z.object({
  schema: z.literal(IMAGE_RECORD_SCHEMA),
  hash: sha256Hex,
  imageId: z.string().min(1),
  artifactId: z.string(),
  builder: z.string(),
  template: z.string(),
  kubernetesVersion: z.string(),
  baseImage: z.string(),
  files: z.array(z.object({ path: z.string(), sha256: sha256Hex })),
  packerRunUuid: z.string(),
  builtAt: z.string(),
  /** The workflow run that baked it, when it ran on GitHub: repository, run id, commit. */
  builtBy: z.object({ repository: z.string(), runId: z.string(), sha: z.string() }).partial(),
});

export type ImageRecord = z.infer<typeof imageRecordSchema>;

/**
 * The key of a hash's record: `images/<hash>.json` under `prefix`, which places the records beside
 * one cluster's state (see recordPrefixOf) or, empty, at the top of a store of their own.
 */
export function imageRecordKey(hash: string, prefix = ''): string {
  return `${prefix}images/${hash}.json`;
}

/**
 * The prefix of a cluster's image records in the bucket or container of its state: beside the
 * state object, `<state key>.lambdastack/`, where the apply also records what it applied. Per
 * cluster, so clusters sharing a bucket never pick up each other's images.
 */
export function recordPrefixOf(stateKey: string): string {
  return `${stateKey}.lambdastack/`;
}

/** The record for `hash`, or undefined when no image has been recorded for it. */
export async function findImage(store: ObjectStore, hash: string, prefix = ''): Promise<ImageRecord | undefined> {
  const key = imageRecordKey(hash, prefix);
  const stored = await store.get(key);
  if (!stored) return undefined;
  let why: string | undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(stored.body));
  } catch {
    why = 'not JSON';
  }
  const record = imageRecordSchema.safeParse(parsed);
  if (why === undefined && !record.success) {
    const [issue] = record.error.issues;
    why = `${issue?.path.join('.') || 'the record'}: ${issue?.message}`;
  } else if (record.success && record.data.hash !== hash) {
    why = `it is the record of ${record.data.hash}`;
  }
  if (why !== undefined || !record.success) {
    throw new UserError(
      `${store.location}/${key} is not an image record of this hash (${why}): delete it, and the next run bakes and records the image again`,
    );
  }
  return record.data;
}

/** What recording a freshly built image came to. */
export interface RecordOutcome {
  /** The record that holds for the hash: ours, or the one another run wrote first. */
  record: ImageRecord;
  /** True when another run recorded an image for the hash first (ours is then unused). */
  lostRace: boolean;
}

/**
 * Records a built image under its hash, create-only. When another run recorded the same hash
 * first (a WriteConflictError), its record stands and is returned: the images are made from the
 * same inputs, and every later run will read that one, so this run uses it too.
 */
export async function recordImage(store: ObjectStore, record: ImageRecord, prefix = ''): Promise<RecordOutcome> {
  const key = imageRecordKey(record.hash, prefix);
  try {
    await store.put(key, `${JSON.stringify(record, null, 2)}\n`, { ifNoneMatch: '*' });
    return { record, lostRace: false };
  } catch (error) {
    if (!(error instanceof WriteConflictError)) throw error;
    const winner = await findImage(store, record.hash, prefix);
    // Created and then gone again: someone deleted it in between; a rerun decides afresh.
    if (!winner) throw error;
    return { record: winner, lostRace: true };
  }
}
