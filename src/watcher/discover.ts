/**
 * Which cluster config to watch when `--config` is not given: the one file under cluster-config/
 * (on the default branch) whose nodes the cluster has. Node names follow LambdaStack's rule, so a
 * config names its nodes; with a single config in the directory there is nothing to choose.
 * Done once, at the first cycle; the Helm chart always passes --config.
 */
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { analyzeConfigText, DEFAULT_CONFIG_DIR, isYamlFile, MASTER_COMPONENT, WORKER_COMPONENT } from '../config/index.js';
import { UserError } from '../errors.js';
import type { GithubClient } from '../github/client.js';
import { readClusterConfig } from '../github/config-reader.js';
import { githubFailure } from '../github/errors.js';
import { kubeFailure } from '../kube/api-errors.js';
import { vmName } from '../plan/naming.js';

export interface Candidate {
  path: string;
  cluster: string;
  /** The node names the config's masters and workers have. */
  nodes: string[];
}

/** The one candidate whose nodes the cluster has, or a UserError that lists them. Pure. */
export function pickConfig(candidates: readonly Candidate[], clusterNodes: ReadonlySet<string>): string {
  const [only] = candidates;
  if (candidates.length === 1 && only) return only.path;
  const listed = candidates.map((c) => `${c.path} (${c.cluster})`).join(', ');
  if (candidates.length === 0) throw new UserError(`no cluster config under ${DEFAULT_CONFIG_DIR}/ on the default branch: pass --config`);
  const matching = candidates.filter((c) => c.nodes.some((node) => clusterNodes.has(node)));
  const [match] = matching;
  if (matching.length === 1 && match) return match.path;
  if (matching.length === 0) {
    throw new UserError(`none of the cluster configs in ${DEFAULT_CONFIG_DIR}/ names a node of this cluster (${listed}): pass --config`);
  }
  throw new UserError(`${matching.map((c) => c.path).join(' and ')} all name nodes of this cluster: pass --config with the one to watch`);
}

/** The cluster configs of the directory on `ref`, read through the API (the invalid ones are left out). */
async function candidates(github: GithubClient, owner: string, repo: string, ref: string): Promise<Candidate[]> {
  let listing: unknown;
  try {
    listing = (await github.repos.getContent({ owner, repo, path: DEFAULT_CONFIG_DIR, ref })).data;
  } catch (error) {
    throw githubFailure(error, `list ${DEFAULT_CONFIG_DIR}/ in ${owner}/${repo} at ${ref}`);
  }
  if (!Array.isArray(listing)) throw new UserError(`${DEFAULT_CONFIG_DIR} in ${owner}/${repo} is not a directory: pass --config`);
  const files = listing.filter((entry: { type?: string; path?: string }) => entry.type === 'file' && isYamlFile(entry.path ?? ''));
  const found: Candidate[] = [];
  for (const file of files as Array<{ path: string }>) {
    const read = await readClusterConfig(github, { owner, repo, path: file.path, ref });
    if (read.unchanged) continue;
    const config = analyzeConfigText(read.path, read.text).config;
    if (!config) continue;
    const names = (component: string): string[] =>
      Array.from({ length: config.counts[component] ?? 0 }, (_, i) => vmName(config.prefix, config.name, component, i));
    found.push({ path: read.path, cluster: config.name, nodes: [...names(MASTER_COMPONENT), ...names(WORKER_COMPONENT)] });
  }
  return found;
}

/** The path of the cluster config to watch, found as the module comment says. */
export async function discoverConfig(
  github: GithubClient,
  kubeConfig: KubeConfig,
  repository: { owner: string; repo: string; ref: string },
): Promise<string> {
  const found = await candidates(github, repository.owner, repository.repo, repository.ref);
  if (found.length <= 1) return pickConfig(found, new Set());
  let nodes: Set<string>;
  try {
    const list = await kubeConfig.makeApiClient(CoreV1Api).listNode();
    nodes = new Set(list.items.map((node) => node.metadata?.name ?? ''));
  } catch (error) {
    throw kubeFailure(error, 'list', { resource: 'nodes', group: '' });
  }
  return pickConfig(found, nodes);
}
