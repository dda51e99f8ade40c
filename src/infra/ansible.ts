import { access, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { utf8LocaleEnv } from './locale.js';

/**
 * Runs ansible-playbook for the ansible action: over the workers terraform created, with only the
 * plays a scale-up needs, and again over the hosts that were unreachable. What happened comes
 * from the JSON record of infra/ansible/callback_plugins/lambdastack_json.py (ansible-core has no
 * JSON callback of its own), never from scraping the log.
 */

/** A worker terraform created, as the terraform action outputs it. */
export interface CreatedHost {
  name: string;
  /** The VM's index in its component (LambdaStack's naming rule), when given. */
  index: number | undefined;
  /** Where ansible connects: an IP address or a DNS name. */
  address: string;
}

/** A host name ansible can take in `--limit` as itself: no pattern characters (`*`, `!`, `&`, `~`, `:`, `,`). */
const HOST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
/** An IPv4 or IPv6 address or a DNS name: nothing with spaces, quotes or shell characters. */
const ADDRESS = /^[A-Za-z0-9._:-]+$/;

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** Reads the `hosts` input: `[{"name": …, "index": …, "address": …}]`. Every problem is a UserError naming the input and the entry. */
export function parseCreatedHosts(text: string, input: string): CreatedHost[] {
  const example = '[{"name": "demo-shop-kubernetes-node-vm-3", "index": 3, "address": "10.1.1.13"}]';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(
      `input \`${input}\` is not JSON: pass the terraform action's created-nodes output, a JSON array such as ${example}`,
    );
  }
  if (!Array.isArray(value)) throw new UserError(`input \`${input}\` must be a JSON array of hosts, such as ${example}`);
  const seen = new Set<string>();
  return value.map((entry, at): CreatedHost => {
    const where = `input \`${input}\`, entry ${at}`;
    if (!isRecord(entry)) throw new UserError(`${where} is not an object: each host is {"name", "index", "address"}`);
    const { name, index, address } = entry;
    if (typeof name !== 'string' || !HOST_NAME.test(name)) {
      throw new UserError(`${where}: name ${JSON.stringify(name)} is not a host name (letters, digits, '.', '_' and '-')`);
    }
    if (seen.has(name)) throw new UserError(`${where}: ${name} is listed twice`);
    seen.add(name);
    if (address === null) {
      // The terraform action's plan mode outputs the nodes to create before they have addresses.
      throw new UserError(
        `${where} (${name}) has no address yet: pass the created nodes of the terraform action's apply step, not of its plan`,
      );
    }
    if (typeof address !== 'string' || !ADDRESS.test(address)) {
      throw new UserError(`${where} (${name}): address ${JSON.stringify(address)} is not an IP address or DNS name`);
    }
    if (index !== undefined && index !== null && !(Number.isInteger(index) && (index as number) >= 0)) {
      throw new UserError(`${where} (${name}): index ${JSON.stringify(index)} must be a whole number, 0 or more`);
    }
    return { name, index: typeof index === 'number' ? index : undefined, address };
  });
}

/**
 * The inventory of the created hosts: each in `group`, with its address as `ansible_host`. JSON,
 * which ansible's YAML inventory plugin reads (JSON is YAML), so no value needs YAML quoting.
 */
export function createdInventory(hosts: readonly CreatedHost[], group: string): string {
  const entries = Object.fromEntries(
    hosts.map((host) => [
      host.name,
      { ansible_host: host.address, ...(host.index === undefined ? {} : { lambdastack_index: host.index }) },
    ]),
  );
  return `${JSON.stringify({ all: { children: { [group]: { hosts: entries } } } }, null, 2)}\n`;
}

/** A task's result on one host, as the callback records it. */
export type TaskStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'skipped' | 'ignored';

/** ansible's per-host totals (the PLAY RECAP line). */
export interface HostStats {
  ok: number;
  changed: number;
  failures: number;
  unreachable: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** The callback plugin's record of one run. */
export interface RunRecord {
  plays: Array<{ name: string; tasks: Array<{ name: string; hosts: Record<string, { status: TaskStatus; msg?: string }> }> }>;
  no_hosts_matched: string[];
  stats: Record<string, HostStats>;
}

/** The name of the callback plugin the action enables, and the file it must be in. */
export const CALLBACK = 'lambdastack_json';

export interface PlaybookRun {
  /** The playbook, absolute. Its directory's ansible.cfg and callback_plugins/ are used. */
  playbook: string;
  /** Inventory files or directories, absolute, in order (later ones add to earlier ones). */
  inventories: string[];
  tags: string[];
  /** `--private-key`, when there is a key. */
  privateKey?: string;
  /** `-u`, when given. */
  user?: string;
  /** `-e`, as one JSON object: the highest precedence there is. */
  extraVars?: Record<string, string>;
  /** known_hosts for this run's SSH connections. */
  knownHosts: string;
  /** The ansible-playbook executable. */
  ansiblePlaybook?: string;
  /** Where ansible's log goes: this process's output (the Actions log), or nowhere (tests, benchmarks). */
  log?: 'inherit' | 'ignore';
}

/** The last lines of a text, for a message. */
function tail(text: string, lines = 15): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** Refuses a playbook whose directory lacks the callback plugin: without it there is no record to retry from or summarise. */
export async function checkPlaybook(playbook: string, input: string): Promise<void> {
  const plugin = join(dirname(playbook), 'callback_plugins', `${CALLBACK}.py`);
  try {
    await access(plugin);
  } catch {
    throw new UserError(
      `input \`${input}\`: there is no callback_plugins/${CALLBACK}.py beside ${playbook}: the action reads each task's result from it; copy infra/ansible/callback_plugins/ of lambdastack-autoscaler next to the playbook`,
    );
  }
}

/**
 * One ansible-playbook run over `limit`, its log streamed to this process's output (the Actions
 * log). Returns the callback's record; a run that stops before writing one (a syntax error, a
 * missing inventory) is a UserError with the end of ansible's error output.
 */
export async function runPlaybook(run: PlaybookRun, limit: readonly string[], recordFile: string): Promise<RunRecord> {
  const dir = dirname(run.playbook);
  const config = join(dir, 'ansible.cfg');
  const hasConfig = await access(config).then(
    () => true,
    () => false,
  );
  const enabled = [process.env.ANSIBLE_CALLBACKS_ENABLED, CALLBACK].filter((name) => name).join(',');
  const args = [
    ...run.inventories.flatMap((inventory) => ['-i', inventory]),
    '--limit',
    limit.join(','),
    '--tags',
    run.tags.join(','),
    ...(run.privateKey ? ['--private-key', run.privateKey] : []),
    ...(run.user ? ['-u', run.user] : []),
    // Fresh workers have host keys nobody has seen: accept a new one, refuse a changed one, and
    // keep them in this run's own file rather than the runner's ~/.ssh.
    // ansible splits this with shlex: the path is quoted, so a space in RUNNER_TEMP stays in it.
    '--ssh-common-args',
    `-o 'UserKnownHostsFile=${run.knownHosts.replace(/'/g, `'\\''`)}' -o StrictHostKeyChecking=accept-new`,
    ...(run.extraVars && Object.keys(run.extraVars).length > 0 ? ['-e', JSON.stringify(run.extraVars)] : []),
    run.playbook,
  ];
  await rm(recordFile, { force: true });
  const result = await execa(run.ansiblePlaybook ?? 'ansible-playbook', args, {
    cwd: dir,
    env: {
      ...(hasConfig ? { ANSIBLE_CONFIG: config } : {}),
      ANSIBLE_CALLBACK_PLUGINS: join(dir, 'callback_plugins'),
      ANSIBLE_CALLBACKS_ENABLED: enabled,
      LAMBDASTACK_ANSIBLE_JSON: recordFile,
      ANSIBLE_RETRY_FILES_ENABLED: 'false',
      ANSIBLE_NOCOLOR: '1',
      ...utf8LocaleEnv(),
    },
    stdin: 'ignore',
    stdout: run.log ?? 'inherit',
    stderr: run.log === 'ignore' ? 'pipe' : ['pipe', 'inherit'],
    reject: false,
  });
  let text: string;
  try {
    text = await readFile(recordFile, 'utf8');
  } catch {
    throw new UserError(
      `ansible-playbook stopped before running the plays (exit ${result.exitCode ?? result.signal}):\n${tail(String(result.stderr))}\ncheck the \`playbook\`, \`inventory\` and \`tags\` inputs`,
    );
  }
  return JSON.parse(text) as RunRecord;
}

/** How a host came out of the run: from its last attempt. */
export type HostStatus = 'ok' | 'changed' | 'failed' | 'unreachable' | 'not run';

export interface TaskResult {
  play: string;
  task: string;
  status: TaskStatus;
  msg?: string;
}

export interface HostResult {
  host: string;
  status: HostStatus;
  /** How many runs included this host. */
  attempts: number;
  stats: HostStats | undefined;
  /** Its tasks in its last attempt, in the order they ran. */
  tasks: TaskResult[];
}

export interface RetryOptions {
  /** Runs in all, the first included. */
  attempts: number;
  /** The wait before each retry (a new VM may still be starting its SSH server). */
  delayMs: number;
  /** Where each attempt's record goes. */
  tempDir: string;
  /** Told before each retry. */
  onRetry?: (hosts: readonly string[], attempt: number) => void;
}

export interface RunOutcome {
  hosts: HostResult[];
  /** Runs made. */
  attempts: number;
  /** Task results over every attempt and host: what the run cost. */
  taskResults: number;
}

function statusOf(stats: HostStats | undefined): HostStatus {
  if (!stats) return 'not run';
  if (stats.unreachable > 0) return 'unreachable';
  if (stats.failures > 0) return 'failed';
  return stats.changed > 0 ? 'changed' : 'ok';
}

function tasksOf(record: RunRecord, host: string): TaskResult[] {
  const tasks: TaskResult[] = [];
  for (const play of record.plays) {
    for (const task of play.tasks) {
      const result = task.hosts[host];
      if (result) tasks.push({ play: play.name, task: task.name, status: result.status, ...(result.msg ? { msg: result.msg } : {}) });
    }
  }
  return tasks;
}

/**
 * Runs the playbook over `hosts`, then again over those that were unreachable, up to
 * `options.attempts` runs in all. Only unreachable hosts are retried: a host where a task failed
 * was reached, and running it again would fail the same way. The plays are idempotent, so a host
 * that half-ran before it became unreachable converges on the retry.
 */
export async function runWithRetries(run: PlaybookRun, hosts: readonly string[], options: RetryOptions): Promise<RunOutcome> {
  const results = new Map<string, HostResult>(
    hosts.map((host) => [host, { host, status: 'not run', attempts: 0, stats: undefined, tasks: [] }]),
  );
  let pending = [...hosts];
  let attempt = 0;
  let taskResults = 0;
  while (pending.length > 0 && attempt < options.attempts) {
    attempt++;
    if (attempt > 1) {
      options.onRetry?.(pending, attempt);
      await sleep(options.delayMs);
    }
    const record = await runPlaybook(run, pending, join(options.tempDir, `attempt-${attempt}.json`));
    for (const host of pending) {
      const stats = record.stats[host];
      const tasks = tasksOf(record, host);
      taskResults += tasks.length;
      const previous = results.get(host);
      results.set(host, { host, status: statusOf(stats), attempts: (previous?.attempts ?? 0) + 1, stats, tasks });
    }
    pending = pending.filter((host) => results.get(host)?.status === 'unreachable');
  }
  return { hosts: hosts.map((host) => results.get(host) as HostResult), attempts: attempt, taskResults };
}
