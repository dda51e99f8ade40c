import { existsSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { analyzeConfigText, type ClusterConfig, loadConfigs } from '../config/index.js';
import { isYamlFile } from '../config/layout.js';
import { decodeConfigBytes } from '../config/load.js';
import { ConfigError, type ConfigProblem, UserError } from '../errors.js';
import { Git } from '../git/git.js';

/**
 * Loads the clusters a `--base`/`--head` argument names: a file or directory on disk, or else a
 * git ref whose `configDir` (relative to the repository root) is read from the repository of
 * `cwd`. A path that exists wins over a ref of the same name.
 */
export async function loadClustersFrom(spec: string, cwd: string, configDir: string): Promise<ClusterConfig[]> {
  if (existsSync(resolve(cwd, spec))) {
    const result = await loadConfigs([spec], cwd);
    if (result.problems.length > 0) throw new ConfigError(result.problems);
    return result.configs;
  }
  const git = new Git(cwd);
  const commit = await git.resolveCommit(spec).catch(() => undefined);
  if (!commit) {
    throw new UserError(`"${spec}" is neither a file nor a git ref in ${cwd}: give a path, a branch, a tag or a commit`);
  }
  const dir = posix.normalize(configDir.replaceAll('\\', '/')).replace(/\/$/, '');
  const files = (await git.listBlobs(commit, dir)).filter((f) => isYamlFile(f.path));
  const blobs = await git.readBlobs(files.map((f) => f.id));
  const configs: ClusterConfig[] = [];
  const problems: ConfigProblem[] = [];
  for (const { path: file, id } of files) {
    const shown = `${spec}:${file}`;
    const text = decodeConfigBytes(shown, blobs.get(id) ?? Buffer.alloc(0));
    if (typeof text !== 'string') {
      problems.push(text);
      continue;
    }
    const analysis = analyzeConfigText(file, text);
    problems.push(...analysis.problems.map((p) => ({ ...p, file: shown })));
    if (analysis.config) configs.push(analysis.config);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return configs;
}
