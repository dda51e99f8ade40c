// The `validate` action (actions/validate/action.yml): every problem in the cluster configs under
// `inputs.path`, each annotated on its line, and a job summary of the clusters a reviewer can read
// at a glance. Built into actions/validate/dist/index.js by `npm run bundle`.
import * as core from '@actions/core';
import { describeCluster } from '../cli/validate.js';
import { type ClusterConfig, clusterId, loadConfigs, WORKER_COMPONENT } from '../config/index.js';
import { ConfigError, type ConfigProblem } from '../errors.js';
import { stateLocation } from '../infra/backend.js';
import { workspaceDir, workspacePathInput } from './inputs.js';
import { runAction } from './run-action.js';
import { escapeHtml, fileLink, headerRow, writeSummary } from './summary.js';

/** One cluster in the `clusters` output: what later steps of a workflow select on. */
interface ClusterOutput {
  file: string;
  id: string;
  kind: string;
  provider: string;
  prefix: string | null;
  name: string;
  counts: Record<string, number>;
  autoscaling: Record<string, { min: number; max: number }>;
  remoteState: string | null;
}

function clusterOutput(config: ClusterConfig): ClusterOutput {
  const autoscaling: ClusterOutput['autoscaling'] = {};
  for (const [component, bounds] of Object.entries(config.autoscaling)) autoscaling[component] = { min: bounds.min, max: bounds.max };
  return {
    file: config.file,
    id: clusterId(config),
    kind: config.kind,
    provider: config.provider,
    // null rather than absent, so every entry of the JSON has the same keys.
    prefix: config.prefix ?? null,
    name: config.name,
    counts: config.counts,
    autoscaling,
    remoteState: config.remoteState?.backend ?? null,
  };
}

function clusterRow(config: ClusterConfig): string[] {
  const workers = config.counts[WORKER_COMPONENT];
  const bounds = config.autoscaling[WORKER_COMPONENT];
  return [
    fileLink(config.file),
    escapeHtml(clusterId(config)),
    escapeHtml(config.provider),
    workers === undefined ? '—' : String(workers),
    bounds ? `${bounds.min}..${bounds.max}` : 'not autoscaled',
    escapeHtml(config.remoteState ? stateLocation(config.remoteState) : 'none'),
  ];
}

function headline(path: string, configs: readonly ClusterConfig[], problems: readonly ConfigProblem[]): string {
  const files = new Set(problems.map((problem) => problem.file)).size;
  if (problems.length > 0) return `❌ ${problems.length} problem(s) in ${files} file(s) under ${path}; ${configs.length} cluster(s) valid`;
  if (configs.length === 0) return `⚠️ no cluster configs under ${path}`;
  return `✅ ${configs.length} cluster config(s) valid under ${path}`;
}

/** Adds the job summary: the headline, the valid clusters, the problems, the skipped files. */
function addSummary(path: string, configs: readonly ClusterConfig[], problems: readonly ConfigProblem[], skipped: readonly string[]): void {
  core.summary.addHeading('Cluster configs', 2).addRaw(`<p>${escapeHtml(headline(path, configs, problems))}</p>`, true);
  if (configs.length > 0) {
    core.summary.addTable([
      headerRow('File', 'Cluster', 'Provider', WORKER_COMPONENT, 'Autoscaling', 'Remote state'),
      ...configs.map(clusterRow),
    ]);
  }
  if (problems.length > 0) {
    // Listed here as well as annotated: GitHub shows only the first 10 error annotations of a step.
    core.summary
      .addHeading('Problems', 3)
      .addTable([
        headerRow('Where', 'Problem'),
        ...problems.map((problem) => [fileLink(problem.file, problem.line), escapeHtml(problem.message)]),
      ]);
  }
  if (skipped.length > 0) {
    core.summary
      .addHeading('Skipped (no lambdastack-cluster or epiphany-cluster document)', 3)
      .addList(skipped.map((file) => fileLink(file)));
  }
}

/** Validates every cluster config under `inputs.path`; throws a ConfigError when any problem was found. */
async function validate(): Promise<void> {
  const workspace = workspaceDir();
  const path = await workspacePathInput('path', workspace);
  // The workspace is the repository root, so files are named as annotations need them.
  const { configs, problems, skipped } = await loadConfigs([path], workspace);
  for (const config of configs) core.info(`ok ${describeCluster(config)}`);
  for (const file of skipped) core.info(`skip ${file}: no lambdastack-cluster or epiphany-cluster document`);

  // Outputs and summary come first, so they are there for `if: failure()` steps too.
  core.setOutput('clusters', JSON.stringify(configs.map(clusterOutput)));
  core.setOutput('problems', String(problems.length));
  core.setOutput('skipped', JSON.stringify(skipped));
  addSummary(path, configs, problems, skipped);
  await writeSummary();

  if (problems.length > 0) throw new ConfigError(problems);
  if (configs.length === 0) core.warning(`no cluster configs under ${path}: is \`path\` the directory that holds them?`);
  else core.info(`${configs.length} cluster config(s) valid`);
}

await runAction(validate);
