import { cp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { TransientError, UserError } from '../errors.js';
import { type BackendConfig, backendBlock, renderBackendFile } from './backend.js';

/**
 * The terraform adapter: init with the remote backend, plan to a file, show it as JSON, apply that
 * file, read the outputs. execa with argument arrays, never a shell; `-input=false` and
 * `-no-color` on every command and TF_IN_AUTOMATION in the environment, as HashiCorp's guide to
 * running terraform in automation says, so nothing waits for a prompt and errors read as plain text.
 *
 * A held state lock is reported with its holder (StateLockedError); this adapter never
 * force-unlocks, and has no way to.
 */

/** The state lock's holder, as terraform prints it under "Lock Info:". */
export interface LockInfo {
  id: string;
  path?: string;
  operation?: string;
  who?: string;
  version?: string;
  created?: string;
  info?: string;
}

const LOCK_FIELDS: Record<string, keyof LockInfo> = {
  ID: 'id',
  Path: 'path',
  Operation: 'operation',
  Who: 'who',
  Version: 'version',
  Created: 'created',
  Info: 'info',
};

/** Lines of terraform's output without the diagnostic frame (`╷ │ ╵`) it draws when colour is on. */
const plainLines = (output: string): string[] => output.split(/\r?\n/).map((line) => line.replace(/^[│╷╵] ?/, ''));

/**
 * The holder of the lock from terraform's "Error acquiring the state lock" diagnostic, or
 * undefined when the output is not that error or names no holder (a lock table that does not
 * exist fails the same way, without "Lock Info").
 */
export function parseLockError(output: string): LockInfo | undefined {
  if (!output.includes('Error acquiring the state lock')) return undefined;
  const lines = plainLines(output);
  const start = lines.findIndex((line) => line.trim() === 'Lock Info:');
  if (start < 0) return undefined;
  const lock: Partial<LockInfo> = {};
  for (const line of lines.slice(start + 1)) {
    const match = /^\s+(ID|Path|Operation|Who|Version|Created|Info):\s*(.*)$/.exec(line);
    if (!match) break;
    const field = LOCK_FIELDS[match[1] ?? ''];
    const value = (match[2] ?? '').trim();
    if (field && value !== '') lock[field] = value;
  }
  return lock.id ? (lock as LockInfo) : undefined;
}

/** `OperationTypeApply` → `apply`. */
const operationName = (operation: string | undefined): string => (operation ?? 'an operation').replace(/^OperationType/, '').toLowerCase();

/** The state is locked by another run. Transient: the run holding it ends, or a person unlocks it. */
export class StateLockedError extends TransientError {
  constructor(
    readonly lock: LockInfo,
    state: string,
  ) {
    super(
      `the terraform state ${state} is locked by ${lock.who ?? 'an unknown holder'} (terraform ${operationName(lock.operation)}` +
        `${lock.created ? ` since ${lock.created}` : ''}, lock ID ${lock.id}): another terraform run holds it, and this action never force-unlocks. ` +
        'Wait for that run to finish and re-run this job. If that run is dead (its job cancelled or its runner lost) and nothing else uses the state, ' +
        `release the lock by hand with \`terraform force-unlock ${lock.id}\` in the module's directory, then re-run`,
    );
    this.name = 'StateLockedError';
  }
}

/** terraform failed; the message carries its diagnostics. */
export class TerraformError extends UserError {
  constructor(
    readonly command: string,
    readonly exitCode: number,
    readonly diagnostics: string,
  ) {
    super(`terraform ${command} failed (exit ${exitCode}):\n${diagnostics}`);
    this.name = 'TerraformError';
  }
}

/** Failures of the network or a service that may pass on a rerun: the ones terraform reports from its clients. */
const TRANSIENT_OUTPUT =
  /connection refused|connection reset|i\/o timeout|TLS handshake timeout|no such host|temporary failure in name resolution|ServiceUnavailable|SlowDown|RequestLimitExceeded|Throttl|TooManyRequests|StatusCode: 5\d\d|status code: 5\d\d|Status=5\d\d/i;

/** The error lines of terraform's output: from the first `Error:` on, at most 60 lines. */
function diagnosticsOf(output: string): string {
  const lines = plainLines(output);
  const start = lines.findIndex((line) => line.startsWith('Error:'));
  const shown = (start < 0 ? lines.slice(-30) : lines.slice(start)).join('\n').trim();
  const limited = shown.split('\n');
  return limited.length > 60 ? `${limited.slice(0, 60).join('\n')}\n…` : shown;
}

export interface TerraformOptions {
  /** The working directory: the module with its backend file (see prepareWorkingDirectory). */
  dir: string;
  /** The terraform executable (default: `terraform` on the PATH). */
  binary?: string;
  /** The environment: by default this process's, which holds the cloud credentials. */
  env?: NodeJS.ProcessEnv;
  /** Each line terraform prints as it runs (the job log); JSON output is never passed here. */
  log?: (line: string) => void;
  /** How long to wait for a held state lock, terraform's `-lock-timeout` (default 0s: fail at once). */
  lockTimeout?: string;
  /** The state, for messages: `s3: bucket/key`. */
  state?: string;
}

export class Terraform {
  private readonly binary: string;

  constructor(private readonly options: TerraformOptions) {
    this.binary = options.binary ?? 'terraform';
  }

  /** terraform's version, e.g. `1.11.4`. */
  async version(): Promise<string> {
    const output = await this.run('version', ['version', '-json'], { quiet: true });
    const parsed = JSON.parse(output) as { terraform_version?: string };
    return parsed.terraform_version ?? 'unknown';
  }

  /**
   * `init` with the backend settings file. `-reconfigure`: the settings given are the ones to use,
   * whatever an earlier init in this directory had (a rerun, or the apply step after the plan
   * step); the state is never migrated between backends.
   */
  async init(backendFile: string): Promise<void> {
    await this.run('init', ['init', '-input=false', '-no-color', '-reconfigure', `-backend-config=${backendFile}`]);
  }

  /** `plan -out`: the saved plan that the drain and the apply use. */
  async plan(varFile: string, planFile: string): Promise<void> {
    await this.run('plan', ['plan', '-input=false', '-no-color', ...this.lockArgs(), `-var-file=${varFile}`, `-out=${planFile}`]);
  }

  /** `show -json` of a saved plan, parsed. */
  async showPlan(planFile: string): Promise<unknown> {
    const output = await this.run('show', ['show', '-json', '-no-color', planFile], { quiet: true });
    try {
      return JSON.parse(output);
    } catch (error) {
      throw new UserError(`terraform show -json ${planFile} did not print JSON: is it a plan file saved by terraform plan -out?`, {
        cause: error,
      });
    }
  }

  /** `apply` of the saved plan, and nothing else: terraform refuses a plan made stale by another apply. */
  async apply(planFile: string): Promise<void> {
    await this.run('apply', ['apply', '-input=false', '-no-color', ...this.lockArgs(), planFile]);
  }

  /** `output -json`: each output's value. */
  async outputs(): Promise<Record<string, unknown>> {
    const output = await this.run('output', ['output', '-json', '-no-color'], { quiet: true });
    const parsed = JSON.parse(output) as Record<string, { value?: unknown }>;
    return Object.fromEntries(Object.entries(parsed).map(([name, entry]) => [name, entry.value]));
  }

  private lockArgs(): string[] {
    return [`-lock-timeout=${this.options.lockTimeout ?? '0s'}`];
  }

  private async run(command: string, args: string[], { quiet = false } = {}): Promise<string> {
    const log = quiet ? undefined : this.options.log;
    const tee = function* (line: string): Generator<string> {
      log?.(line);
      yield line;
    };
    let result: Awaited<ReturnType<typeof execa>>;
    try {
      result = await execa(this.binary, args, {
        cwd: this.options.dir,
        env: { ...(this.options.env ?? process.env), TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
        extendEnv: false,
        stdin: 'ignore',
        stdout: log ? tee : 'pipe',
        stderr: log ? tee : 'pipe',
        reject: false,
        // Plans of thousands of workers are large; the default 100 MB is kept as the bound.
      });
    } catch (error) {
      throw new TransientError(`could not run ${this.binary} ${command}`, { cause: error });
    }
    if (result.failed && result.exitCode === undefined) {
      if ((result as { code?: string }).code === 'ENOENT') {
        throw new UserError(
          `${this.binary} is not installed on this runner: add hashicorp/setup-terraform (terraform 1.5 or newer) before this step`,
        );
      }
      throw new TransientError(`${this.binary} ${command} did not run: ${result.message}`);
    }
    const stdout = String(result.stdout);
    const stderr = String(result.stderr);
    if (result.exitCode === 0) return stdout;
    const output = `${stderr}\n${stdout}`;
    const lock = parseLockError(output);
    if (lock) throw new StateLockedError(lock, this.options.state ?? `in ${this.options.dir}`);
    const diagnostics = diagnosticsOf(stderr.trim() === '' ? stdout : stderr);
    if (output.includes('Saved plan is stale')) {
      throw new UserError(
        `terraform apply refused the saved plan: the state changed after it was planned (another run applied), so nothing was applied. Re-run the workflow: it plans again, and drains what the new plan destroys (nodes drained for the old plan stay cordoned until then)\n${diagnostics}`,
      );
    }
    if (TRANSIENT_OUTPUT.test(output)) {
      throw new TransientError(`terraform ${command} failed (exit ${result.exitCode}) reaching a service:\n${diagnostics}`);
    }
    throw new TerraformError(command, result.exitCode ?? -1, diagnostics);
  }
}

export interface WorkingDirectory {
  dir: string;
  backendFile: string;
  varFile: string;
}

/** Files of a module that are copied: its configuration, not a state, plan or .terraform left by a run in it. */
const copied = (name: string): boolean =>
  name !== '.terraform' &&
  !name.endsWith('.tfstate') &&
  !name.endsWith('.tfstate.backup') &&
  !name.endsWith('.tfplan') &&
  name !== '.terraform.lock.hcl';

/**
 * Fills `dir` with the module's configuration, the backend block and settings, and the variables.
 * The module is copied rather than run in place so the checkout is never written to (no
 * .terraform, plan or backend file beside the module's sources), and one module serves every
 * cluster and backend. .tf files an earlier run left in `dir` are replaced.
 */
export async function prepareWorkingDirectory(
  module: string,
  dir: string,
  backend: BackendConfig,
  variables: Record<string, unknown>,
): Promise<WorkingDirectory> {
  const moduleDir = resolve(module);
  const entries = await readdir(moduleDir).catch((error: unknown) => {
    throw new UserError(`the terraform module ${module} cannot be read (${(error as Error).message}): name a directory holding .tf files`);
  });
  const tfFiles = entries.filter((name) => name.endsWith('.tf') || name.endsWith('.tf.json'));
  if (tfFiles.length === 0)
    throw new UserError(`the terraform module ${module} has no .tf files: name a module directory such as infra/terraform/aws`);
  for (const file of tfFiles) {
    if (/^\s*backend\s+"/m.test(await readFile(join(moduleDir, file), 'utf8'))) {
      throw new UserError(
        `${join(module, file)} declares a backend: the terraform action sets the backend from configuration/remote-state, so remove the module's own backend block`,
      );
    }
  }
  await mkdir(dir, { recursive: true });
  for (const name of await readdir(dir)) {
    if (name.endsWith('.tf') || name.endsWith('.tf.json')) await rm(join(dir, name));
  }
  for (const name of entries.filter(copied)) {
    // Dereferenced: the modules link their shared contract files from ../shared, which the copy does not have.
    await cp(join(moduleDir, name), join(dir, name), { recursive: true, dereference: true });
  }
  const backendFile = join(dir, 'lambdastack.tfbackend');
  const varFile = join(dir, 'lambdastack.tfvars.json');
  await writeFile(join(dir, 'lambdastack_backend.tf'), backendBlock(backend.backend));
  await writeFile(backendFile, renderBackendFile(backend));
  await writeFile(varFile, `${JSON.stringify(variables, null, 2)}\n`);
  return { dir, backendFile, varFile };
}

/** Whether a file exists (a saved plan from the plan step, say). */
export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
