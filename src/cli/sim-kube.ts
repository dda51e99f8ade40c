import { relative } from 'node:path';
import { type LoadResult, readConfigs, WorkingTreeSource } from '../config/index.js';
import { DEFAULT_CONFIG_DIR } from '../config/layout.js';
import { ConfigError, UserError } from '../errors.js';
import { startKubeSim } from '../sim/kube/index.js';
import { loadScenarioFile, type ParsedScenario } from '../sim/kube/scenario.js';
import type { Io } from './io.js';
import { stopRequested } from './signals.js';

export interface SimKubeOptions {
  config?: string;
  scenario?: string;
  port: number;
  kubeconfig?: string;
  /** Replace the --kubeconfig file when it exists (default: refuse). */
  force?: boolean;
  timeScale: number;
}

/** The first cluster config under the repository's cluster-config/ (files in sorted order), as an absolute path. */
async function defaultConfig(cwd: string): Promise<string> {
  let source: WorkingTreeSource;
  let result: LoadResult;
  try {
    source = await WorkingTreeSource.open([DEFAULT_CONFIG_DIR], cwd);
    result = await readConfigs(source);
  } catch (error) {
    if (error instanceof UserError) {
      throw new UserError(
        `no ${DEFAULT_CONFIG_DIR}/ here to take the cluster from: give one with --config <file>, or nodes in a --scenario`,
      );
    }
    throw error;
  }
  const first = result.configs[0];
  if (!first) {
    if (result.problems.length > 0) throw new ConfigError(result.problems);
    throw new UserError(`no cluster config under ${DEFAULT_CONFIG_DIR}/: give one with --config <file>, or nodes in a --scenario`);
  }
  return source.absolutePath(first.file);
}

/**
 * `sim kube`: serves a simulated cluster until SIGINT/SIGTERM. With --kubeconfig the kubeconfig
 * goes to that file (mode 0600; an existing file only with --force); without, it is printed on stdout (so it can be redirected) and the
 * messages go to stderr.
 */
export async function simKubeCommand(options: SimKubeOptions, io: Io): Promise<void> {
  const scenario: ParsedScenario | undefined = options.scenario ? await loadScenarioFile(options.scenario) : undefined;
  const scenarioHasCluster = Boolean(scenario?.cluster?.config) || (scenario?.cluster?.nodes?.length ?? 0) > 0;
  const config = options.config ?? (scenarioHasCluster ? undefined : await defaultConfig(process.cwd()));
  const sim = await startKubeSim({
    ...(config ? { config } : {}),
    ...(scenario ? { scenario } : {}),
    port: options.port,
    timeScale: options.timeScale,
    ...(options.kubeconfig ? { kubeconfigPath: options.kubeconfig, overwriteKubeconfig: options.force ?? false } : {}),
  });
  const say = (text: string): void => (options.kubeconfig ? io.out(text) : io.err(text));
  const nodes = sim.cluster.nodes();
  const source = (config && relative(process.cwd(), config)) || config || options.scenario || 'the scenario';
  if (!options.kubeconfig) io.out(sim.kubeConfigYaml);
  say(
    `Kubernetes API simulator serving ${nodes.length} node(s) from ${source} at ${sim.url}` +
      (options.timeScale !== 1 ? ` (simulated time runs ${options.timeScale}× real time)` : ''),
  );
  say(
    options.kubeconfig
      ? `  kubectl --kubeconfig ${options.kubeconfig} get nodes`
      : `  save the kubeconfig above to a file (or run with --kubeconfig FILE), then: kubectl --kubeconfig FILE get nodes`,
  );
  say('Ctrl-C stops it.');
  const signal = await stopRequested();
  await sim.close();
  say(`stopped (${signal})`);
}
