import { type Command, InvalidArgumentError } from 'commander';
import type { Io } from './io.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a whole number from 0 to 65535 (0: any free port)');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('give a number greater than 0');
  return n;
}

/**
 * `sim kube` and `sim github`: the stand-ins for the systems that cannot run on a developer's
 * machine or in CI. The servers load only when their command runs.
 */
export function registerSimCommands(program: Command, io: Io): void {
  const sim = program
    .command('sim')
    .description('Run a simulator: a Kubernetes API server or a GitHub API over a bare git repository, on 127.0.0.1.');

  sim
    .command('kube')
    .description('Serve an in-memory Kubernetes cluster that kubectl and @kubernetes/client-node can drive.')
    .option('--config <file>', 'a cluster config: nodes, sizes and names come from it (default: the first cluster in cluster-config/)')
    .option('--scenario <file>', 'a scenario (YAML or JSON): workloads, PDBs and load over time')
    .option('--port <port>', 'the port to listen on (0: any free port)', port, 0)
    .option('--kubeconfig <file>', 'write a kubeconfig for the server to this file, mode 0600, in a folder that exists (default: print it)')
    .option('--force', 'replace the --kubeconfig file when it exists (default: refuse, so no contexts or credentials are lost)')
    .option('--time-scale <factor>', 'simulated seconds per real second (grace periods, load changes)', positive, 1)
    .addHelpText(
      'after',
      '\nServes until Ctrl-C (SIGINT) or SIGTERM. An existing --kubeconfig file is refused unless --force is given\n' +
        '(it may hold other contexts and tokens); the file is written atomically with mode 0600. Example:\n' +
        '  lambdastack-autoscaler sim kube --config cluster-config/aws-demo.yml --kubeconfig /tmp/sim.kubeconfig &\n' +
        '  kubectl --kubeconfig /tmp/sim.kubeconfig get nodes',
    )
    .action(async (opts: { config?: string; scenario?: string; port: number; kubeconfig?: string; force?: boolean; timeScale: number }) => {
      await (await import('./sim-kube.js')).simKubeCommand(opts, io);
    });

  sim
    .command('github')
    .description('Serve the GitHub REST endpoints this project uses over a real bare git repository.')
    .requiredOption('--repo <dir>', 'the bare git repository to serve')
    .option('--name <owner/repo>', 'the repository name clients use', 'example/cluster-config')
    .option('--port <port>', 'the port to listen on (0: any free port)', port, 0)
    .addHelpText(
      'after',
      '\nAny token is accepted (Authorization: token X or Bearer X); requests without one are refused as GitHub does.\n' +
        'Serves until Ctrl-C (SIGINT) or SIGTERM. Example:\n' +
        '  git init --bare --initial-branch=main /tmp/cfg.git && lambdastack-autoscaler sim github --repo /tmp/cfg.git --port 3000 &\n' +
        '  curl -H "Authorization: token x" http://127.0.0.1:3000/repos/example/cluster-config/pulls',
    )
    .action(async (opts: { repo: string; name: string; port: number }) => {
      await (await import('./sim-github.js')).simGithubCommand(opts, io);
    });
}
