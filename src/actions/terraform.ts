// The `terraform` action (actions/terraform/action.yml): the worker pool of one cluster config,
// planned once and applied exactly as planned (design.md, principle 2).
//   mode: plan   init with the remote backend, plan to a file, and from that file the destroy set
//                (for the drain step) and the create set, checked against the naming rule, the
//                config's count and the scale plan; a mismatch fails before anything is drained.
//   mode: apply  the same checks on the same file, then apply it, read the workers' addresses,
//                and store the applied config and the plan summary beside the state, conditionally.
// Built into actions/terraform/dist/index.js by `npm run bundle`.
import { createHash, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as core from '@actions/core';
import { clustersAt } from '../cli/sources.js';
import { type ClusterConfig, clusterId, loadConfigs, type RemoteState, workspaceOf } from '../config/index.js';
import { ConfigError, TransientError, UserError } from '../errors.js';
import { backendConfig, lockDescription, stateLocation } from '../infra/backend.js';
import type { StoredObject } from '../infra/object-store.js';
import { clusterPlanFor, type PlanChanges, type PlanExpectation, planChanges, type WorkerChange } from '../infra/plan-changes.js';
import type { RecordWrite } from '../infra/state-store.js';
import { fileExists, prepareWorkingDirectory, Terraform } from '../infra/terraform.js';
import { checkVariableOverrides, workerPoolVariables } from '../infra/tfvars.js';
import { type ScalePlan, scalePlan } from '../plan/index.js';
import { remoteStateInput } from './infra-inputs.js';
import { workspaceDir, workspacePathInput } from './inputs.js';
import { runAction } from './run-action.js';
import { type RunReport, reportFailure, reportRun } from './terraform-summary.js';

/** Environment variables that hold cloud credentials: masked in the log, whatever prints them. */
const SECRET_VARIABLES = [
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'ARM_ACCESS_KEY',
  'ARM_SAS_TOKEN',
  'ARM_CLIENT_SECRET',
  'ARM_CLIENT_CERTIFICATE_PASSWORD',
  'ARM_OIDC_TOKEN',
  'AZURE_STORAGE_CONNECTION_STRING',
];

/** The modules shipped with this action, by name: infra/terraform/<name> of the action's own repository. */
const BUNDLED_MODULES = ['aws', 'azure', 'local'];

function maskCredentials(): void {
  for (const name of SECRET_VARIABLES) {
    const value = process.env[name];
    if (!value) continue;
    core.setSecret(value);
    // A connection string's key is also masked on its own, in case something prints just the key.
    for (const match of value.matchAll(/(?:AccountKey|SharedAccessSignature)=([^;]+)/g)) if (match[1]) core.setSecret(match[1]);
  }
}

function modeInput(): 'plan' | 'apply' {
  const mode = core.getInput('mode').trim();
  if (mode === 'plan' || mode === 'apply') return mode;
  throw new UserError(
    `input \`mode\` is ${mode === '' ? 'empty' : `"${mode}"`}: use \`plan\` (plan to a file and output the destroy set) or \`apply\` (apply that file, after the drain)`,
  );
}

/** The one cluster config the action applies. */
async function configInput(workspace: string): Promise<{ config: ClusterConfig; text: string }> {
  const path = await workspacePathInput('config', workspace);
  const { configs, problems } = await loadConfigs([path], workspace);
  if (problems.length > 0) throw new ConfigError(problems);
  if (configs.length !== 1) {
    throw new UserError(
      `input \`config\`: ${path} holds ${configs.length} cluster configs: name one file, such as cluster-config/shop.yml (the action applies one cluster)`,
    );
  }
  const config = configs[0] as ClusterConfig;
  if (!config.remoteState) {
    throw new UserError(
      `${config.file} has no configuration/remote-state document: add one naming the state's bucket or container (README, cluster-config/), since the pipeline never plans against a local state`,
    );
  }
  return { config, text: await readFile(join(workspace, path), 'utf8') };
}

/** `module`: a module shipped with the action by name, or a directory of the checkout. */
async function moduleInput(workspace: string, config: ClusterConfig): Promise<{ dir: string; label: string }> {
  const given = core.getInput('module').trim();
  const name = given === '' ? config.provider : given;
  if (BUNDLED_MODULES.includes(name)) {
    // Beside the bundle when the action runs from its repository (uses: owner/repo/actions/terraform@ref), else the checkout's.
    const candidates = [
      fileURLToPath(new URL(`../../../infra/terraform/${name}`, import.meta.url)),
      join(workspace, 'infra', 'terraform', name),
    ];
    for (const dir of candidates) if (await fileExists(join(dir, 'variables.tf'))) return { dir, label: `infra/terraform/${name}` };
    throw new UserError(
      `input \`module\`: the ${name} module is not beside this action (${candidates.join(', ')}): name the module's directory instead`,
    );
  }
  if (given === '') {
    throw new UserError(
      `${config.file}: provider ${config.provider} has no module of its own: set input \`module\` to aws, azure, local or a module directory of the checkout`,
    );
  }
  const path = await workspacePathInput('module', workspace);
  return { dir: join(workspace, path), label: path };
}

function jsonInput(name: string): unknown {
  const text = core.getInput(name).trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(
      `input \`${name}\` is not JSON (${(error as Error).message}): pass it as \`\${{ steps.<id>.outputs.<output> }}\` or a JSON literal`,
    );
  }
}

function variablesInput(): Record<string, unknown> {
  const value = jsonInput('variables');
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserError('input `variables` must be a JSON object of worker pool variables, for example {"subnet_ids": ["subnet-0abc"]}');
  }
  return checkVariableOverrides(value as Record<string, unknown>);
}

/** The scale plan JSON of the `plan` action (or `lambdastack-autoscaler plan --json`), checked for what the cross-check reads. */
function parseScalePlan(value: unknown): ScalePlan {
  const clusters = (value as { clusters?: unknown } | null)?.clusters;
  const names = (list: unknown): boolean => Array.isArray(list) && list.every((name) => typeof name === 'string');
  const valid =
    Array.isArray(clusters) &&
    clusters.every(
      (cluster) =>
        typeof cluster?.name === 'string' &&
        typeof cluster.provider === 'string' &&
        typeof cluster.change === 'string' &&
        Array.isArray(cluster.components) &&
        cluster.components.every(
          (c: Record<string, unknown>) =>
            typeof c?.component === 'string' && typeof c.from === 'number' && typeof c.to === 'number' && names(c.add) && names(c.remove),
        ),
    );
  if (!valid) {
    throw new UserError(
      'input `scale-plan` is not a scale plan: give the `plan` output of the plan action (or `lambdastack-autoscaler plan --json`): {"clusters": [{"file", "name", "provider", "change", "components": [{"component", "from", "to", "add", "remove"}]}]}',
    );
  }
  return value as ScalePlan;
}

/** What the plan is checked against: the scale plan input, or the diff from `base`, or the config alone. */
async function expectationInput(workspace: string, config: ClusterConfig): Promise<PlanExpectation> {
  const expectation: PlanExpectation = { prefix: config.prefix, cluster: config.name, count: config.counts.kubernetes_node ?? 0 };
  const given = jsonInput('scale-plan');
  const base = core.getInput('base').trim();
  if (given !== undefined && base !== '') {
    throw new UserError('inputs `scale-plan` and `base` both set: give one (the plan action output, or the commit before the change)');
  }
  if (given !== undefined) {
    expectation.scalePlan = { source: 'the scale plan input', plan: clusterPlanFor(parseScalePlan(given), config) };
  } else if (base !== '') {
    const before = await clustersAt(base, await workspaceOf(workspace), dirname(config.file));
    expectation.scalePlan = { source: `the config diff from ${base}`, plan: clusterPlanFor(scalePlan(before, [config]), config) };
  }
  return expectation;
}

/**
 * Runs `body` with workflow commands off: terraform prints values from the config and the cloud,
 * and a line of them starting with `::` must not be taken by the runner as a command.
 */
async function withCommandsOff<T>(title: string, body: () => Promise<T>): Promise<T> {
  const token = randomUUID();
  core.startGroup(title);
  core.info(`::stop-commands::${token}`);
  try {
    return await body();
  } finally {
    core.info(`::${token}::`);
    core.endGroup();
  }
}

function defaultWorkingDirectory(config: ClusterConfig): string {
  const id = clusterId(config).replace(/[^A-Za-z0-9._-]+/g, '-');
  return join(process.env.RUNNER_TEMP || tmpdir(), 'lambdastack-terraform', id);
}

interface Worker {
  name: string;
  index: number;
  address: string | null;
}

/** The `workers` output after the apply: the addresses of created VMs are known only then. */
function workersFromOutputs(outputs: Record<string, unknown>): Worker[] {
  const workers = outputs.workers;
  if (!Array.isArray(workers)) return [];
  return workers
    .filter((worker) => worker && typeof worker.name === 'string' && typeof worker.index === 'number')
    .map((worker) => ({ name: worker.name, index: worker.index, address: typeof worker.address === 'string' ? worker.address : null }));
}

const nodeList = (workers: readonly WorkerChange[]): string => workers.map((worker) => worker.name).join('\n');
const createdJson = (workers: readonly WorkerChange[]): string =>
  JSON.stringify(workers.map(({ name, index, address }) => ({ name, index, address })));

function setOutputs(changes: PlanChanges, create: readonly WorkerChange[], planFile: string, workDir: string): void {
  core.setOutput('has-changes', String(changes.hasChanges));
  core.setOutput('destroy', JSON.stringify(changes.destroy.map((worker) => worker.name)));
  core.setOutput('destroy-nodes', nodeList(changes.destroy));
  core.setOutput('create', createdJson(create));
  core.setOutput('create-nodes', nodeList(create));
  core.setOutput('resources', JSON.stringify(changes.resources));
  core.setOutput('plan-file', planFile);
  core.setOutput('working-directory', workDir);
}

function planSummaryRecord(
  config: ClusterConfig,
  configText: string,
  changes: PlanChanges,
  created: readonly WorkerChange[],
  context: { terraform: string; module: string; imageId: string; state: RemoteState },
): string {
  const { GITHUB_SERVER_URL: server, GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: run, GITHUB_SHA: sha } = process.env;
  const record = {
    cluster: clusterId(config),
    file: config.file,
    configSha256: createHash('sha256').update(configText).digest('hex'),
    commit: sha ?? null,
    run: server && repository && run ? `${server}/${repository}/actions/runs/${run}` : null,
    appliedAt: new Date().toISOString(),
    terraform: context.terraform,
    module: context.module,
    state: stateLocation(context.state),
    imageId: context.imageId === '' ? null : context.imageId,
    workers: { before: changes.workersBefore, after: changes.workersAfter },
    destroyed: changes.destroy.map((worker) => worker.name),
    created: created.map(({ name, index, address }) => ({ name, index, address })),
    updated: changes.update.map((worker) => worker.name),
    resources: changes.resources,
  };
  return `${JSON.stringify(record, null, 2)}\n`;
}

async function terraformAction(): Promise<void> {
  maskCredentials();
  const workspace = workspaceDir();
  const mode = modeInput();
  const { config, text } = await configInput(workspace);
  const state = remoteStateInput('backend-config', config.remoteState, config.file) as RemoteState;
  const module = await moduleInput(workspace, config);
  const imageId = core.getInput('image-id').trim();
  const variables = workerPoolVariables(config, imageId, variablesInput());
  const expectation = await expectationInput(workspace, config);
  const workDir = resolve(workspace, core.getInput('working-directory').trim() || defaultWorkingDirectory(config));
  const planFile = resolve(workspace, core.getInput('plan-file').trim() || join(workDir, 'lambdastack.tfplan'));
  const lockTimeout = core.getInput('lock-timeout').trim() || '0s';
  if (!/^\d+(ms|s|m|h)$/.test(lockTimeout))
    throw new UserError(`input \`lock-timeout\` is "${lockTimeout}": write a duration such as 0s, 30s or 5m`);

  const backend = backendConfig(state);
  for (const { setting, variable } of backend.omitted) {
    core.warning(
      `${config.file}: configuration/remote-state sets ${setting}; it is not passed to terraform, which reads ${variable} from the environment (an Actions secret)`,
    );
  }
  const report: RunReport = {
    mode,
    config,
    module: module.label,
    state: stateLocation(state),
    lock: lockDescription(state),
    planFile,
    imageId,
    expectation,
  };
  try {
    const dir = await prepareWorkingDirectory(module.dir, workDir, backend, variables);
    const terraform = new Terraform({ dir: workDir, log: (line) => core.info(line), lockTimeout, state: report.state });
    const version = await terraform.version();
    await withCommandsOff('terraform init', () => terraform.init(dir.backendFile));
    if (mode === 'plan') await withCommandsOff('terraform plan', () => terraform.plan(dir.varFile, planFile));
    else if (!(await fileExists(planFile))) {
      throw new UserError(
        `plan-file ${planFile} does not exist: run this action with mode: plan first, in the same job, with the same working-directory and plan-file`,
      );
    }
    // The apply step reads the same file and checks it again: what it applies is what was drained for.
    const changes = planChanges(await terraform.showPlan(planFile), expectation);
    report.changes = changes;
    if (changes.create.length > 0 && imageId === '') {
      throw new UserError(
        `the plan creates ${changes.create.map((worker) => worker.name).join(', ')} but input \`image-id\` is empty: pass the packer action's image id`,
      );
    }
    for (const worker of changes.update)
      core.warning(`the plan updates worker ${worker.name} in place (${worker.resource}): a resize restarts it`);

    if (mode === 'plan') {
      setOutputs(changes, changes.create, planFile, workDir);
      await reportRun(report);
      core.info(
        `plan: destroy ${changes.destroy.length} node(s), create ${changes.create.length}; ${changes.resources.add} to add, ${changes.resources.change} to change, ${changes.resources.destroy} to destroy`,
      );
      return;
    }

    // Loaded here, not at the top: the cloud SDKs are most of the bundle, and a plan does not need them.
    const { objectStoreFor, recordKeys, writeRecord } = await import('../infra/state-store.js');
    // Read before the apply, so a writer between now and the write below is detected.
    const store = objectStoreFor(state, process.env, (audience) => core.getIDToken(audience));
    const keys = recordKeys(state.key);
    let reads: [StoredObject | undefined, StoredObject | undefined];
    try {
      reads = await Promise.all([store.get(keys.config), store.get(keys.summary)]);
    } catch (error) {
      store.destroy?.();
      throw error;
    }
    try {
      await withCommandsOff('terraform apply', () => terraform.apply(planFile));
      const workers = workersFromOutputs(await terraform.outputs());
      const addresses = new Map(workers.map((worker) => [worker.name, worker.address]));
      const created = changes.create.map((worker) => ({ ...worker, address: addresses.get(worker.name) ?? worker.address }));
      report.created = created;
      setOutputs(changes, created, planFile, workDir);
      const summary = planSummaryRecord(config, text, changes, created, { terraform: version, module: module.label, imageId, state });
      core.setOutput('workers', JSON.stringify(workers));
      const records: RecordWrite[] = [];
      try {
        records.push(await writeRecord(store, keys.config, text, reads[0]));
        records.push(await writeRecord(store, keys.summary, summary, reads[1]));
      } catch (error) {
        // Said plainly: the cloud has changed, only the record of it has not been written.
        const failed = `terraform applied the plan, but recording it beside the state in ${store.location} failed`;
        const rerun = 're-run the workflow: it plans no change and records again';
        if (error instanceof UserError) throw new UserError(`${failed}: ${error.message}; fix that, then ${rerun}`, { cause: error });
        throw new TransientError(`${failed}: ${rerun}`, { cause: error });
      }
      report.records = records.map((record) => ({ ...record, location: store.location }));
      core.setOutput(
        'records',
        JSON.stringify(records.map(({ key, version, written }) => ({ location: store.location, key, version, written }))),
      );
    } finally {
      store.destroy?.();
    }
    await reportRun(report);
    core.info(`applied: destroyed ${changes.destroy.length} node(s), created ${changes.create.length}`);
  } catch (error) {
    await reportFailure(report, error);
    throw error;
  }
}

await runAction(terraformAction);
