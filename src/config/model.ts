import type { RemoteState } from './schema.js';

export type ClusterKind = 'lambdastack-cluster' | 'epiphany-cluster';
export type Provider = 'aws' | 'azure' | 'any';

/** Autoscaling bounds of one component; policy tuning keys are kept alongside as written. */
export interface Bounds {
  min: number;
  max: number;
  [tuning: string]: unknown;
}

/** A document of the file as read: its kind and name, and its plain value, unknown keys included. */
export interface ConfigDocument {
  kind: string;
  name: string | undefined;
  value: Record<string, unknown>;
}

/** One cluster, read from one multi-document file. */
export interface ClusterConfig {
  file: string;
  kind: ClusterKind;
  provider: Provider;
  /** `specification.name`: part of every VM and node name. */
  name: string;
  /** `specification.prefix`; empty or `default` means no prefix in names. */
  prefix: string | undefined;
  /** Every component with its count, in the order written. */
  counts: Record<string, number>;
  /** Components with an autoscaling document entry; empty when the cluster is not autoscaled. */
  autoscaling: Record<string, Bounds>;
  remoteState: RemoteState | undefined;
  documents: ConfigDocument[];
}
