/**
 * The demo's world, in a workdir: the state servers, the kube simulator with the example cluster
 * and its workload, the machines ansible configures, the git repository (the workdir itself) and
 * the GitHub simulator serving it, the workflow runner with the repository's variables and secrets
 * (which first records the existing workers in the terraform state), and the watcher. Started in
 * that order; `close` stops what was started, in reverse, also after a start that failed half-way.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ClusterConfig, clusterId, parseClusterConfig, WORKER_COMPONENT } from '../config/index.js';
import { UserError } from '../errors.js';
import { type DemoCluster, startDemoCluster } from './cluster.js';
import { DEMO_APP_TOKEN, DEMO_TOKEN, type DemoGithub, startDemoGithub } from './github.js';
import { type Machines, makeMachines } from './machines.js';
import type { Processes } from './processes.js';
import { createDemoRepository, type DemoRepository, exampleClusters } from './repository.js';
import { DEMO_AWS_ENV, localBackendConfig, type StateServers, startStateServers } from './state-servers.js';
import { checkTools } from './tools.js';
import { type DemoWatcher, demoWatcher } from './watcher.js';
import { LocalWorkflowRunner } from './workflows/local-runner.js';
import { provisionExisting } from './workflows/provision.js';
import type { WorkflowEnvironment, WorkflowRun, WorkflowRunner } from './workflows/types.js';

/** The example cluster the story is about: shop, on AWS. */
export const CLUSTER_FILE = 'cluster-config/aws-demo.yml';
/** Where apply.yml finds a cluster's inventory: <vars.ANSIBLE_INVENTORY_DIR>/<provider>/<prefix>-<name>.yml. */
export const INVENTORY_DIR = 'inventory';
/** Who pushes and presses buttons in the story. */
export const ACTOR = 'octocat';

export interface DemoWorld {
  workdir: string;
  /** <workdir>/.demo: everything that is not the repository. */
  demoDir: string;
  /** The shop cluster as the repository's first commit has it. */
  config: ClusterConfig;
  /** Starts the demo's own child processes (kubectl), each stopped with the demo. */
  processes: Processes;
  /** The terraform state's key in the bucket. */
  stateKey: string;
  state: StateServers;
  cluster: DemoCluster;
  machines: Machines;
  repository: DemoRepository;
  github: DemoGithub;
  watcher: DemoWatcher;
  workflows: WorkflowRunner;
  /** The terraform run that recorded the workers LambdaStack made (before the story starts). */
  provisioned: WorkflowRun;
  /** The workers in the terraform state, by name, lowest index first. */
  stateWorkers(): Promise<string[]>;
  close(): Promise<void>;
}

export interface WorldOptions {
  workdir: string;
  processes: Processes;
  /** The demo's stop request. */
  signal: AbortSignal;
  /** Told of each part as it is up, with how long it took. */
  progress(part: string, ms: number): void;
  /** A line about what is starting. */
  note(text: string): void;
  /** Each line of a workflow run, as the runner prints it. */
  workflowLine(line: string): void;
}

/** The workers a terraform state holds (the local module's terraform_data.worker), lowest index first. */
export function workersInState(text: string | undefined): string[] {
  if (!text) return [];
  const state = JSON.parse(text) as {
    resources?: Array<{
      type: string;
      name: string;
      instances: Array<{ index_key?: number; attributes: { input: { value: { name: string } } } }>;
    }>;
  };
  const workers = (state.resources ?? []).find((r) => r.type === 'terraform_data' && r.name === 'worker');
  return (workers?.instances ?? [])
    .slice()
    .sort((a, b) => (a.index_key ?? 0) - (b.index_key ?? 0))
    .map((instance) => instance.attributes.input.value.name);
}

export async function startWorld(options: WorldOptions): Promise<DemoWorld> {
  const { workdir, processes } = options;
  const demoDir = join(workdir, '.demo');
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    const failures: unknown[] = [];
    for (const closer of closers.splice(0).reverse()) {
      try {
        await closer();
      } catch (error) {
        failures.push(error);
      }
    }
    if (failures.length > 0) throw new AggregateError(failures, 'the demo could not stop everything it started');
  };
  const timed = async <T>(part: string, start: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const value = await start();
    options.progress(part, performance.now() - started);
    return value;
  };

  try {
    await checkTools(process.env.PATH ?? '');
    await mkdir(join(demoDir, 'logs'), { recursive: true });
    const examples = await exampleClusters();
    const original = examples[CLUSTER_FILE];
    if (original === undefined) throw new UserError(`the package has no ${CLUSTER_FILE}: the demo's cluster`);
    // The example as it is: the workflows point its S3 state at the local servers (vars.STATE_BACKEND_CONFIG).
    const config = parseClusterConfig(CLUSTER_FILE, original);
    const remote = config.remoteState;
    if (remote?.backend !== 's3') throw new UserError(`${CLUSTER_FILE}: the demo needs its remote state on S3`);

    const state = await timed('s3rver (state bucket) and dynalite (lock table)', () =>
      startStateServers({ directory: join(demoDir, 's3'), bucket: remote.bucket, table: remote.dynamodb_table, region: remote.region }),
    );
    closers.push(() => state.close());

    const cluster = await timed('kube simulator', () =>
      startDemoCluster({ demoDir, config, replicas: config.counts[WORKER_COMPONENT] ?? 0 }),
    );
    closers.push(() => cluster.close());
    const machines = await makeMachines({
      demoDir,
      config,
      apiServer: cluster.sim.url,
      kubernetesVersion: cluster.sim.cluster.kubernetesVersion,
      timestamp: cluster.sim.cluster.clock.timestamp(),
    });

    const repository = await timed('git repository', () =>
      createDemoRepository({
        workdir,
        demoDir,
        name: 'example/cluster-config',
        files: { ...examples, [`${INVENTORY_DIR}/${clusterId(config)}.yml`]: machines.inventory },
      }),
    );
    const github = await timed('GitHub simulator', () => startDemoGithub(repository.bare));
    closers.push(() => github.close());

    const workflowEnvironment: WorkflowEnvironment = {
      repository: `${github.owner}/${github.repo}`,
      apiUrl: github.sim.url,
      remote: repository.bare,
      actor: ACTOR,
      // The names apply.yml, pr.yml and scale.yml read (README, Workflows).
      vars: {
        TERRAFORM_MODULE: 'local',
        STATE_BACKEND_CONFIG: localBackendConfig({ s3: state.s3, dynamodb: state.dynamodb }),
        PACKER_TEMPLATE: 'infra/packer/null.pkr.hcl',
        // The null template bakes into a directory; the image records go beside the state, on s3rver.
        PACKER_VARIABLES: `images_dir=${join(demoDir, 'images')}`,
        PACKER_BASE_IMAGE: 'ubuntu-20.04',
        ANSIBLE_INVENTORY_DIR: INVENTORY_DIR,
        // Local machines are never unreachable for long.
        ANSIBLE_RETRY_DELAY: '5',
        DRAIN_TIMEOUT: '300',
      },
      secrets: {
        // s3rver and dynalite take any signature; terraform and the AWS SDK sign with these.
        AWS_ACCESS_KEY_ID: DEMO_AWS_ENV.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: DEMO_AWS_ENV.AWS_SECRET_ACCESS_KEY,
        KUBECONFIG: cluster.sim.kubeConfigYaml,
        GITHUB_TOKEN: DEMO_TOKEN,
        // scale.yml opens its PR with an App token, so that pr.yml checks it (a GITHUB_TOKEN's PR starts no workflow).
        SCALE_TOKEN: DEMO_APP_TOKEN,
      },
      runnerDir: join(demoDir, 'runner'),
      logDir: join(demoDir, 'logs'),
      path: process.env.PATH ?? '',
      signal: options.signal,
    };
    const workflows = new LocalWorkflowRunner(workflowEnvironment, options.workflowLine);
    options.note("▶ LambdaStack's first run, before the story: a workflow of the demo's own (not in the repository) on the same runner");
    const provisioned = await timed('terraform state of the existing workers', () => provisionExisting(workflows, CLUSTER_FILE, ACTOR));
    if (!provisioned.ok) throw new UserError(`the demo could not record the existing workers in the terraform state: ${provisioned.error}`);

    const watcher = demoWatcher({
      github: github.client,
      owner: github.owner,
      repo: github.repo,
      configPath: CLUSTER_FILE,
      cluster: cluster.sim.cluster,
      kubeConfigYaml: cluster.sim.kubeConfigYaml,
      logFile: join(demoDir, 'logs', 'watcher.jsonl'),
    });
    closers.push(() => watcher.stop());

    return {
      workdir,
      demoDir,
      config,
      processes,
      stateKey: remote.key,
      state,
      cluster,
      machines,
      repository,
      github,
      watcher,
      workflows,
      provisioned,
      stateWorkers: async () => workersInState(await state.read(remote.key)),
      close,
    };
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
}
