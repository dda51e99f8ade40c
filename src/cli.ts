import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type Io, processIo } from './cli/io.js';
import { registerSimCommands } from './cli/sim.js';
import { DEFAULT_CONFIG_DIR } from './config/layout.js';
import {
  ConfigError,
  describeWithCauses,
  EXIT_OK,
  EXIT_USAGE,
  exitCodeOf,
  formatProblem,
  InterruptedError,
  TransientError,
  UserError,
} from './errors.js';

export { EXIT_INTERNAL, EXIT_OK, EXIT_REFUSED, EXIT_TRANSIENT, EXIT_USAGE } from './errors.js';

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

// Command modules are imported when their command runs, so `--help` and usage errors do not
// pay for loading the YAML parser, the schemas and execa.
function buildProgram(io: Io): Command {
  const program = new Command('lambdastack-autoscaler')
    .description(
      'GitOps autoscaling for LambdaStack clusters: validate cluster configs, change worker counts with one-line diffs, ' +
        'plan what a change adds and removes, and read the scale history from git.',
    )
    .version(packageVersion())
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('validate')
    .description('Check cluster configs and report every problem as file:line:column: message.')
    .argument('[paths...]', 'files or directories to check', [DEFAULT_CONFIG_DIR])
    .addHelpText(
      'after',
      '\nChecks: YAML syntax, duplicate keys, alias bombs, counts (whole numbers >= 0), the configuration/autoscaling\n' +
        'bounds (min <= count <= max, components the cluster has, never kubernetes_master), the configuration/remote-state\n' +
        'settings, and cloud credentials committed in place of placeholders. Exits 1 when anything is wrong.\n\n' +
        'Example:\n  lambdastack-autoscaler validate cluster-config/',
    )
    .action(async (paths: string[]) => (await import('./cli/validate.js')).validateCommand(paths, io));

  program
    .command('plan')
    .description('Show what changes between two versions of the cluster configs: counts, and the exact nodes added and removed.')
    .option('--base <ref|path>', 'the version before: a git ref (read from this repository) or a file/directory', 'HEAD')
    .option('--head <ref|path>', 'the version after: a git ref or a file/directory', DEFAULT_CONFIG_DIR)
    .option('--config-dir <dir>', 'where cluster configs live in the repository (for refs)', DEFAULT_CONFIG_DIR)
    .option('--json', 'print the plan as JSON', false)
    .addHelpText(
      'after',
      '\nA path that exists is read from disk; anything else is a git ref. Clusters are matched by provider, prefix and\n' +
        'name, so a moved file is not a change; a cluster added, removed or renamed is reported as such, never as scaling.\n\n' +
        'Examples:\n  lambdastack-autoscaler plan                                 # HEAD against your working tree\n' +
        '  lambdastack-autoscaler plan --base origin/main --head HEAD --json',
    )
    .action(async (opts: { base: string; head: string; json: boolean; configDir: string }) => {
      await (await import('./cli/plan.js')).planCommand(opts, io);
    });

  program
    .command('scale')
    .description('Set a component count in place, changing only that number in the file (a one-line diff).')
    .argument('<component>', 'the component, e.g. kubernetes_node')
    .argument('<count>', 'the new count, a whole number')
    .option('--file <file>', 'the cluster config file to edit')
    .option('--cluster <name>', 'the cluster to edit (specification.name), when the directory holds several')
    .option('--config-dir <dir>', 'where to look for the cluster when --file is not given', DEFAULT_CONFIG_DIR)
    .option('--reason <text>', 'why: written as the Autoscale-Reason trailer of the commit message')
    .option('--commit', 'commit the change (only that file) with the message and trailer', false)
    .addHelpText(
      'after',
      '\nRefused, leaving the file untouched: a count outside the configuration/autoscaling [min, max], lowering\n' +
        'kubernetes_master, and a count written as a YAML alias. The file is replaced atomically.\n\n' +
        'Example:\n  lambdastack-autoscaler scale kubernetes_node 5 --cluster shop --reason "black friday" --commit',
    )
    .action(async (component: string, count: string, opts: Record<string, unknown>) => {
      const { scaleCommand } = await import('./cli/scale.js');
      await scaleCommand(
        {
          component,
          count,
          file: opts.file as string | undefined,
          cluster: opts.cluster as string | undefined,
          reason: opts.reason as string | undefined,
          commit: Boolean(opts.commit),
          configDir: opts.configDir as string,
        },
        io,
      );
    });

  program
    .command('history')
    .description('Who or what scaled which cluster, when, why, and from how many nodes to how many (from git log).')
    .option('--file <file>', 'the history of the cluster(s) one file has held, across moves of the file (even once deleted)')
    .option('--since <date>', 'only changes at or after this date: 2026-11-01, 2026-11-01T09:00:00Z or "2 weeks ago"')
    .option('--config-dir <dir>', 'the cluster config directory', DEFAULT_CONFIG_DIR)
    .addOption(new Option('--json', 'print JSON').conflicts(['markdown', 'mermaid']))
    .addOption(new Option('--markdown', 'print a Markdown table').conflicts(['json', 'mermaid']))
    .addOption(
      new Option('--mermaid', 'print Mermaid xychart-beta charts of workers over time (GitHub renders them)').conflicts([
        'json',
        'markdown',
      ]),
    )
    .addHelpText(
      'after',
      '\nOne entry per mainline commit that changed a count, with its PR number (from "Merge pull request #N" or a\n' +
        'squash subject ending in "(#N)") and reason (the Autoscale-Reason: trailer).\n\n' +
        '--since takes a date (midnight UTC), a date and time with Z or an offset (2026-11-01T09:00+02:00), or\n' +
        '"N units ago" with a whole number N and second, minute, hour, day, week, month or year, singular or plural.\n' +
        'Anything else is refused, so a typo never prints a shorter history.\n\n' +
        'Example:\n  lambdastack-autoscaler history --since "1 month ago" --markdown >> $GITHUB_STEP_SUMMARY',
    )
    .action(async (opts: { file?: string; since?: string; configDir: string; json?: boolean; markdown?: boolean; mermaid?: boolean }) => {
      const format = opts.json ? 'json' : opts.markdown ? 'markdown' : opts.mermaid ? 'mermaid' : 'text';
      await (await import('./cli/history.js')).historyCommand({ ...opts, format }, io);
    });

  program
    .command('watch')
    .description('Watch the cluster and keep its autoscale pull request in line with what it needs (the in-cluster watcher).')
    .option('--once', 'run one cycle and exit (0: done; 75: try again)', false)
    .option('--dry-run', 'decide and print the pull request it would open; write nothing', false)
    .option(
      '--config <path>',
      "the cluster's config file in the repository (default: the one in cluster-config/ naming this cluster's nodes)",
    )
    .addOption(
      new Option('--interval <seconds>', 'seconds between cycles').default(60).argParser((value) => {
        const n = Number(value);
        if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('give a number of seconds greater than 0');
        return n;
      }),
    )
    .addOption(
      new Option('--port <port>', 'the port of /healthz, /readyz and /metrics (0: any free port)').default(8080).argParser((value) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a whole number from 0 to 65535');
        return n;
      }),
    )
    .option('--worker-selector <selector>', "a node label selector for the workers, instead of LambdaStack's naming rule")
    .option('--policy-file <file>', 'YAML policy settings used where the autoscaling document sets none')
    .option('--auto-merge', 'ask GitHub to merge scale-up pull requests once their checks pass (scale-downs always wait)', false)
    .option(
      '--prometheus-url <url>',
      "Prometheus' base URL, for a component whose autoscaling entry names a query (default: PROMETHEUS_URL)",
    )
    .addOption(
      new Option('--prometheus-timeout <seconds>', 'how long a Prometheus query may take').default(10).argParser((value) => {
        const n = Number(value);
        if (!Number.isFinite(n) || n <= 0 || n > 300)
          throw new InvalidArgumentError('give a number of seconds greater than 0, at most 300');
        return n;
      }),
    )
    .option('--record <file>', "append each cycle's snapshot to this file (JSON lines), for `replay`")
    .addOption(
      new Option('--record-max-bytes <bytes>', 'rotate the recording to <file>.1 before it grows past this')
        .default(64 * 1024 * 1024)
        .argParser(Number),
    )
    .option('--record-pod-names', 'keep pod and PodDisruptionBudget names in the recording (left out by default)', false)
    .addHelpText(
      'after',
      '\nEnvironment: GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name), GITHUB_API_URL (default https://api.github.com),\n' +
        "LOG_LEVEL (debug, info, warn, error), PROMETHEUS_URL, and KUBECONFIG or the pod's service account. Logs are JSON lines on stdout.\n\n" +
        'Example:\n  GITHUB_REPOSITORY=example/cluster-config GITHUB_TOKEN=... lambdastack-autoscaler watch --once --dry-run',
    )
    .action(async (opts: import('./cli/watch.js').WatchCommandOptions) => (await import('./cli/watch.js')).watchCommand(opts, io));

  program
    .command('replay')
    .description("Run the decision engine over a recording of the watcher (watch --record) under a config's policy, or two side by side.")
    .requiredOption('--recording <file>', 'the recording (its rotated older part, <file>.1, is read first when there is one)')
    .requiredOption('--config <file>', 'the cluster config whose autoscaling bounds and settings to replay (A)')
    .option('--compare <file>', 'another version of the config to replay beside it (B)')
    .option('--apply-delay <duration>', 'from a merged PR to its nodes joining or leaving', '10m')
    .option('--last <span>', 'only the last part of the recording: 7d, 1w, 36h')
    .addOption(new Option('--json', 'print the replay as JSON').conflicts(['markdown']))
    .addOption(new Option('--markdown', 'print the Markdown section of a plan comment (needs --compare)').conflicts(['json']))
    .addHelpText(
      'after',
      '\nEach recorded cycle is decided at its own time with the real policy; every PR is taken as merged at once, its\n' +
        'nodes joining or leaving --apply-delay later, and the recorded pods are placed on the workers each policy\n' +
        'would have had. Prints the count over time (a table and a chart), the PRs each would have opened, and the\n' +
        'node-hours (Ready workers × hours).\n\n' +
        'Example:\n  lambdastack-autoscaler replay --recording shop.jsonl --config cluster-config/aws-demo.yml --compare new.yml --last 7d',
    )
    .action(
      async (opts: {
        recording: string;
        config: string;
        compare?: string;
        applyDelay?: string;
        last?: string;
        json?: boolean;
        markdown?: boolean;
      }) => {
        const format = opts.json ? 'json' : opts.markdown ? 'markdown' : 'text';
        await (await import('./cli/replay.js')).replayCommand({ ...opts, format }, io);
      },
    );

  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  program
    .command('run-workflow')
    .description("Run one of the repository's GitHub Actions workflow files on this machine, as GitHub would run it for an event.")
    .argument('<file>', 'the workflow file, e.g. .github/workflows/apply.yml')
    .addOption(
      new Option('--event <name>', 'the event that triggers the run')
        .choices(['push', 'pull_request', 'workflow_dispatch'])
        .makeOptionMandatory(),
    )
    .option('--input <name=value>', 'a workflow_dispatch input (repeat for each)', collect, [])
    .option('--event-path <file>', "the event's payload (JSON, as in GITHUB_EVENT_PATH); what it leaves out is filled from the repository")
    .option('--secret <NAME[=value]>', 'a secret (repeat for each); NAME alone reads the environment variable NAME', collect, [])
    .option('--var <name=value>', 'a configuration variable, the vars context (repeat for each)', collect, [])
    .option('--workspace <dir>', 'the git repository the run is for (default: the one holding the workflow file)')
    .option('--job <id>', 'run only this job and the jobs it needs')
    .option('--repository <owner/name>', 'github.repository (default: $GITHUB_REPOSITORY, else local/<directory>)')
    .option('--ref <ref>', "github.ref (default: the event's, else the repository's default branch)")
    .option('--sha <commit>', "github.sha (default: the event's commit, else the ref's)")
    .option('--actor <login>', 'github.actor (default: $GITHUB_ACTOR, the payload sender, else your user name)')
    .option('--api-url <url>', 'GITHUB_API_URL, where API calls go (default: $GITHUB_API_URL, else https://api.github.com)')
    .option('--actions-from <dir>', 'resolve `uses: ./…` actions in this directory instead of the checkout')
    .option('--run-id <id>', 'github.run_id (default: the time in seconds)')
    .option('--keep', "keep the run's directory (job workspaces, RUNNER_TEMP) and print where it is", false)
    .addHelpText(
      'after',
      "\nThe workflow is parsed and checked by GitHub's own parser (@actions/workflow-parser) and its expressions are\n" +
        "evaluated by GitHub's expression engine (@actions/expressions). Jobs run one at a time in the order of their\n" +
        'needs, each matrix combination in turn, each in a fresh temporary workspace: actions/checkout clones the\n' +
        "event's commit from --workspace there, so your working tree is never touched (and uncommitted changes are\n" +
        'not seen). run: steps run with bash as on GitHub; uses: ./<path> runs that JavaScript action with this Node.\n\n' +
        'Stand-ins, said in the output: actions/checkout (a local clone, fetch-depth honoured), actions/setup-node (this\n' +
        'Node 24), hashicorp/setup-terraform (terraform on PATH), aws-actions/configure-aws-credentials and azure/login\n' +
        "(no cloud login: this environment's credentials pass through). Any other action, docker://, reusable\n" +
        'workflows, services: and container: are refused before anything runs, each named with its line.\n\n' +
        'GitHub API calls go to --api-url (start `lambdastack-autoscaler sim github` for a local one). github.token is\n' +
        'made up unless you pass --secret GITHUB_TOKEN. Secrets and ::add-mask:: values are printed as ***.\n' +
        'Exits 0 when the run succeeds; 1 when it fails, is cancelled (Ctrl-C), is refused, or the event does not\n' +
        'trigger the workflow.\n\n' +
        'Examples:\n' +
        '  lambdastack-autoscaler run-workflow .github/workflows/scale.yml --event workflow_dispatch \\\n' +
        '      --input cluster=shop --input count=5 --api-url http://127.0.0.1:3000 --repository example/cluster-config\n' +
        '  lambdastack-autoscaler run-workflow .github/workflows/pr.yml --event pull_request --event-path pr.json',
    )
    .action(async (file: string, opts: import('./cli/run-workflow.js').RunWorkflowCommandOptions) =>
      (await import('./cli/run-workflow.js')).runWorkflowCommand(file, opts, io),
    );

  registerSimCommands(program, io);

  program
    .command('demo')
    .description(
      'The whole loop on this machine: load rises, the watcher opens a PR, pr.yml comments its plan and cost, it is merged ' +
        'and apply.yml applies it (packer, terraform, ansible), load falls, a scale-down is drained and applied, scale.yml ' +
        'scales by hand, and the scale history.',
    )
    .option(
      '--workdir <dir>',
      'make the demo repository in this new or empty directory (default: a temporary one); removed at the end unless --keep',
    )
    .option('--keep', "keep the workdir afterwards: the repository (run `history` there), the logs, the servers' data", false)
    .addHelpText(
      'after',
      '\nRuns a kube simulator, a GitHub simulator over a real git repository, s3rver and dynalite for the terraform state,\n' +
        "terraform, packer and ansible on local machines, and the watcher; the repository's .github/workflows files run on\n" +
        'the local workflow runner (run-workflow). Ctrl-C stops all of them. Needs a checkout of\n' +
        'lambdastack-autoscaler after `npm run setup` (it is what `npm start` runs).',
    )
    .action(async (opts: { workdir?: string; keep: boolean }) => (await import('./cli/demo.js')).demoCommand(opts, io));

  return program;
}

/** Runs the CLI and returns the exit code; never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv]);
    return EXIT_OK;
  } catch (error) {
    return reportError(error, io);
  }
}

function reportError(error: unknown, io: Io): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0) return EXIT_OK;
    return EXIT_USAGE;
  }
  if (error instanceof ConfigError) {
    for (const problem of error.problems) io.err(formatProblem(problem));
    const files = new Set(error.problems.map((p) => p.file)).size;
    io.err(`${error.problems.length} problem(s) in ${files} file(s); nothing was changed`);
  } else if (error instanceof UserError) {
    io.err(`error: ${error.message}`);
  } else if (error instanceof InterruptedError) {
    io.err(`${error.message}: everything it started is stopped`);
  } else if (error instanceof TransientError) {
    io.err(`error (temporary, try again): ${describeWithCauses(error)}`);
  } else {
    const e = error instanceof Error ? error : new Error(String(error));
    io.err(`internal error (a bug in lambdastack-autoscaler, please report it): ${e.stack ?? e.message}`);
  }
  return exitCodeOf(error);
}
