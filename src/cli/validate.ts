import { type ClusterConfig, clusterId, loadConfigs, WORKER_COMPONENT } from '../config/index.js';
import { DEFAULT_CONFIG_DIR } from '../config/layout.js';
import { ConfigError } from '../errors.js';
import type { Io } from './io.js';

/** One line about a valid cluster: what it is and how it is scaled. */
export function describeCluster(config: ClusterConfig): string {
  const workers = config.counts[WORKER_COMPONENT];
  const bounds = config.autoscaling[WORKER_COMPONENT];
  const parts = [`${config.kind} ${clusterId(config)}`];
  if (workers !== undefined) parts.push(`${WORKER_COMPONENT} ${workers}`);
  parts.push(bounds ? `autoscaled ${bounds.min}..${bounds.max}` : 'not autoscaled');
  parts.push(config.remoteState ? `state in ${config.remoteState.backend}` : 'no remote state');
  return `${config.file}: ${parts.join(', ')}`;
}

/** `validate [paths...]`: every problem in every file, then a summary; throws when any was found. */
export async function validateCommand(paths: string[], io: Io, cwd = process.cwd()): Promise<void> {
  const targets = paths.length > 0 ? paths : [DEFAULT_CONFIG_DIR];
  const result = await loadConfigs(targets, cwd);
  for (const config of result.configs) io.out(`ok ${describeCluster(config)}`);
  for (const file of result.skipped) io.out(`skip ${file}: no lambdastack-cluster or epiphany-cluster document`);
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  if (result.configs.length === 0) {
    io.out(`no cluster configs under ${targets.join(', ')}`);
    return;
  }
  io.out(`${result.configs.length} cluster config(s) valid`);
}
