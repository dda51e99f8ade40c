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

const count = z.int('must be a whole number').min(0, 'must be 0 or more');

const componentSchema = z.looseObject({ count });

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
    components: z.record(z.string(), componentSchema, 'must be a mapping of component name to settings'),
  }),
});
export type ClusterDocument = z.infer<typeof clusterDocumentSchema>;

const boundsSchema = z.looseObject({ min: count, max: count });

/** This project's document: the bounds (and later the policy tuning) per autoscaled component. */
export const autoscalingDocumentSchema = z.looseObject({
  kind: z.literal(AUTOSCALING_KIND),
  specification: z.looseObject({
    components: z.record(z.string(), boundsSchema, 'must be a mapping of component name to {min, max}'),
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
