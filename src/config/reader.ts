import { ConfigError, type ConfigProblem } from '../errors.js';
import { analyzeConfigText, clusterId, decodeConfigBytes } from './load.js';
import type { ClusterConfig } from './model.js';

/**
 * The one way cluster configs are read, wherever they come from: a directory on disk, a git tree
 * at a ref, or file contents fetched from the GitHub API. A source lists its files; the reader
 * analyzes them the same way and checks the set as a whole (one cluster, one file).
 */

/** A file a source holds: its path as the source names it (relative to the repository root, `/`-separated) and its bytes. */
export interface ConfigFile {
  path: string;
  bytes: Uint8Array;
}

/** Where configs come from. */
export interface ConfigSource {
  /**
   * What messages call this source, when it is not the working tree: a problem at a git ref reads
   * `HEAD~1:cluster-config/shop.yml:3:5`, so nobody looks for it in the file on disk.
   */
  readonly label?: string;
  /** Every YAML file of the source, in a stable order. */
  files(): Promise<ConfigFile[]>;
}

export interface LoadResult {
  configs: ClusterConfig[];
  problems: ConfigProblem[];
  /** Files read that hold no cluster document (LambdaStack default fragments, say). */
  skipped: string[];
}

/** Analyzes files (pure): every problem in every file, and clusters defined in more than one file. */
export function readConfigFiles(files: readonly ConfigFile[], label?: string): LoadResult {
  const result: LoadResult = { configs: [], problems: [], skipped: [] };
  const shown = (problem: ConfigProblem): ConfigProblem => (label ? { ...problem, file: `${label}:${problem.file}` } : problem);
  for (const file of files) {
    const text = decodeConfigBytes(file.path, file.bytes);
    if (typeof text !== 'string') {
      result.problems.push(shown(text));
      continue;
    }
    const analysis = analyzeConfigText(file.path, text);
    result.problems.push(...analysis.problems.map(shown));
    if (analysis.config) result.configs.push(analysis.config);
    else if (analysis.noCluster) result.skipped.push(file.path);
  }
  result.problems.push(...duplicateClusters(result.configs).map(shown));
  return result;
}

/** Reads every config of a source. */
export async function readConfigs(source: ConfigSource): Promise<LoadResult> {
  return readConfigFiles(await source.files(), source.label);
}

/** Reads every config of a source, and throws a ConfigError unless all are valid. */
export async function readValidConfigs(source: ConfigSource): Promise<ClusterConfig[]> {
  const result = await readConfigs(source);
  if (result.problems.length > 0) throw new ConfigError(result.problems);
  return result.configs;
}

/**
 * Two files with the same cluster identity would fight over the same VMs. The second one is
 * the problem, pointing at the first.
 */
function duplicateClusters(configs: readonly ClusterConfig[]): ConfigProblem[] {
  const seen = new Map<string, string>();
  const problems: ConfigProblem[] = [];
  for (const config of configs) {
    const id = clusterId(config);
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, config.file);
      continue;
    }
    problems.push({
      file: config.file,
      line: 1,
      column: 1,
      message: `cluster ${id} is also defined in ${first}: each cluster belongs in one file`,
    });
  }
  return problems;
}
