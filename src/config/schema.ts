import { z } from 'zod';

/** The kinds of cluster document LambdaStack (and Epiphany before it) read. */
export const CLUSTER_KINDS = ['lambdastack-cluster', 'epiphany-cluster'] as const;
export const AUTOSCALING_KIND = 'configuration/autoscaling';
export const REMOTE_STATE_KIND = 'configuration/remote-state';
export const VIRTUAL_MACHINE_KIND = 'infrastructure/virtual-machine';

/** The one component the autoscaler scales; the masters are never scaled down. */
export const WORKER_COMPONENT = 'kubernetes_node';
export const MASTER_COMPONENT = 'kubernetes_master';

/**
 * The cluster name and prefix become part of every VM hostname and Kubernetes node name, which
 * must be DNS labels: letters, digits and '-' (LambdaStack lower-cases them).
 */
const NAME_PART = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const NAME_PART_MESSAGE = "must be letters, digits and '-' (it becomes part of every VM and Kubernetes node name)";

/**
 * The largest count accepted for any component. LambdaStack clusters are at most a few thousand
 * VMs; a larger number is a typo (or an attack) that would make a plan list millions of names.
 */
export const MAX_COUNT = 10_000;

/** What is wrong with a count, said for the case at hand, or undefined when it is a count. */
export function countProblem(value: unknown, key = 'count'): string | undefined {
  if (value === undefined || value === null) return `${key} is missing: write \`${key}: <number>\``;
  if (typeof value === 'string') return `must be a whole number, not the text ${JSON.stringify(value)}: write it without quotes`;
  if (typeof value !== 'number') return 'must be a whole number';
  if (Number.isNaN(value)) return 'must be a whole number, not .nan';
  if (value < 0) return 'must be 0 or more';
  if (!Number.isFinite(value) || value > MAX_COUNT) {
    return `is too large: at most ${MAX_COUNT} (LambdaStack clusters are a few thousand VMs at most)`;
  }
  if (!Number.isInteger(value)) return 'must be a whole number';
  return undefined;
}

/** A YAML merge key: the autoscaler edits one scalar in this file, so a count must be written out here. */
const MERGE_KEY = '<<';

/**
 * A mapping of user-named entries, each checked by `item`, kept in an object without a prototype:
 * a name such as `__proto__` or `constructor` is an entry like any other (zod's record, or a plain
 * object, would drop it or reach the prototype).
 */
function recordOf<T extends z.ZodType>(item: T, message: string): z.ZodType<Record<string, z.output<T>>> {
  return z.unknown().transform((input, ctx) => {
    const out: Record<string, z.output<T>> = Object.create(null);
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message });
      return out;
    }
    for (const [key, value] of Object.entries(input)) {
      const result = item.safeParse(value);
      if (result.success) Object.defineProperty(out, key, { value: result.data, enumerable: true, writable: true, configurable: true });
      else for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: [key, ...issue.path] });
    }
    return out;
  }) as unknown as z.ZodType<Record<string, z.output<T>>>;
}

/** A whole number from 0 to MAX_COUNT under `key`, with a message for each way it can be wrong. */
const countAt = (key: string): z.ZodType<number> =>
  z
    .unknown()
    .optional()
    .superRefine((value, ctx) => {
      const problem = countProblem(value, key);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }) as unknown as z.ZodType<number>;

const componentSchema = z.looseObject({ count: z.unknown().optional() }).superRefine((component, ctx) => {
  const problem =
    component.count === undefined && Object.hasOwn(component, MERGE_KEY)
      ? 'count comes from a merge key (<<: *anchor): write `count: <number>` in this component, where the autoscaler can change it'
      : countProblem(component.count);
  if (problem) ctx.addIssue({ code: 'custom', path: ['count'], message: problem });
}) as unknown as z.ZodType<{ count: number; [key: string]: unknown }>;

/**
 * The cluster document. Only what this project relies on is checked; every other key is
 * kept as it is (LambdaStack has many, and they are none of our business).
 */
export const clusterDocumentSchema = z.looseObject({
  kind: z.enum(CLUSTER_KINDS),
  provider: z.enum(['aws', 'azure', 'any'], 'must be aws, azure or any'),
  specification: z.looseObject({
    name: z.string('must be a string').regex(NAME_PART, NAME_PART_MESSAGE),
    prefix: z.union([z.string().regex(NAME_PART, NAME_PART_MESSAGE), z.literal(''), z.null()], 'must be a string').optional(),
    components: recordOf(componentSchema, 'must be a mapping of component name to settings'),
  }),
});
export type ClusterDocument = z.infer<typeof clusterDocumentSchema>;

/**
 * A component's bounds. Its other keys are the policy settings (src/policy/settings.ts), which
 * load.ts checks key by key, so that an unknown one is reported at the key itself; they are kept
 * here as written, and `resolvePolicy` reads them with their defaults.
 */
const boundsSchema = z.looseObject({ min: countAt('min'), max: countAt('max') });

/** This project's document: the bounds and the policy settings per autoscaled component. */
export const autoscalingDocumentSchema = z.looseObject({
  kind: z.literal(AUTOSCALING_KIND),
  specification: z.looseObject({
    components: recordOf(boundsSchema, 'must be a mapping of component name to {min, max}'),
  }),
});
export type AutoscalingDocument = z.infer<typeof autoscalingDocumentSchema>;

const nonEmpty = z.string('must be a string').min(1, 'must not be empty');

const s3StateSchema = z.looseObject({
  backend: z.literal('s3'),
  bucket: nonEmpty,
  key: nonEmpty,
  region: nonEmpty,
  dynamodb_table: nonEmpty,
  endpoint: z.string().optional(),
  encrypt: z.boolean().optional(),
});

const azurermStateSchema = z.looseObject({
  backend: z.literal('azurerm'),
  resource_group_name: z.string().optional(),
  storage_account_name: nonEmpty,
  container_name: nonEmpty,
  key: nonEmpty,
  endpoint: z.string().optional(),
});

/**
 * Where the pipeline keeps terraform state (and the applied config beside it). The keys are
 * terraform's own backend settings, so they pass straight to `terraform init -backend-config`.
 * Locking: the S3 backend uses the DynamoDB table; azurerm uses the blob lease.
 */
export const remoteStateDocumentSchema = z.looseObject({
  kind: z.literal(REMOTE_STATE_KIND),
  specification: z.discriminatedUnion('backend', [s3StateSchema, azurermStateSchema], {
    error: 'backend must be s3 or azurerm',
  }),
});
export type RemoteStateDocument = z.infer<typeof remoteStateDocumentSchema>;
export type RemoteState = RemoteStateDocument['specification'];
