/**
 * The policy a replay runs, from a cluster config's text: the autoscaling entry of its workers
 * (bounds and settings, validated as `validate` does) and the worker VM size. Pure.
 */
import { UserError } from '../errors.js';
import { watchedCluster } from '../watcher/cluster.js';
import type { ReplayPolicy } from './replay.js';

export interface ConfigText {
  /** Where it was read from, as the report names it. */
  file: string;
  text: string;
}

/** The policy of `config`, refused (naming both) when it is another cluster's than the recording's. */
export function replayPolicy(label: string, config: ConfigText, recordedCluster: string | undefined): ReplayPolicy {
  const cluster = watchedCluster(config.file, config.text);
  if (recordedCluster !== undefined && cluster.name !== recordedCluster) {
    throw new UserError(
      `${config.file} is the config of cluster ${cluster.name}, the recording is of ${recordedCluster}: give ${recordedCluster}'s config`,
    );
  }
  return {
    label,
    source: config.file,
    policy: cluster.policy,
    min: cluster.min,
    max: cluster.max,
    vmSize: cluster.vmSize,
    prometheus: cluster.prometheus,
    schedules: cluster.schedules,
  };
}
