// The `ansible` action (actions/ansible/action.yml): configures the workers terraform created, and
// only them: `ansible-playbook --limit <created hosts> --tags <node-join plays>`, with the SSH key
// from an Actions secret on disk (0600) only while ansible runs, and unreachable hosts retried.
// The job summary shows each host's and each task's result. Built into
// actions/ansible/dist/index.js by `npm run bundle`.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import * as core from '@actions/core';
import { clusterId } from '../config/index.js';
import { TransientError, UserError } from '../errors.js';
import {
  CALLBACK,
  checkPlaybook,
  createdInventory,
  type HostResult,
  type HostStatus,
  type PlaybookRun,
  parseCreatedHosts,
  type RunOutcome,
  runWithRetries,
  type TaskStatus,
} from '../infra/ansible.js';
import { type KeyFile, normalisePrivateKey, writeKeyFile } from '../infra/ssh-key.js';
import { workerSettings } from '../infra/worker-settings.js';
import { clusterConfigInput, integerInput, listInput, runnerTemp } from './infra-inputs.js';
import { workspaceDir, workspacePath } from './inputs.js';
import { runAction } from './run-action.js';
import { escapeHtml, headerRow, type SummaryRow, writeSummary } from './summary.js';

const DEFAULT_PLAYBOOK = 'infra/ansible/site.yml';
const DEFAULT_TAGS = ['node-join'];
const DEFAULT_GROUP = 'kubernetes_node';
/** A tag or group name: what ansible accepts without reading it as a pattern. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;
/** Beyond this many hosts the task table counts results instead of giving each host a column. */
const MAX_HOST_COLUMNS = 12;

const STATUS_MARK: Record<TaskStatus | HostStatus, string> = {
  ok: '✅ ok',
  changed: '🔄 changed',
  skipped: '⏭️ skipped',
  ignored: '⚠️ failed (ignored)',
  failed: '❌ failed',
  unreachable: '📡 unreachable',
  'not run': '— not run',
};

/**
 * Masks the key in everything the runner prints from here on. The runner matches a secret within
 * one line of the log, so each line of the key is masked on its own; the armour lines
 * (-----BEGIN … KEY-----) are the same in every key and stay readable.
 */
function maskKey(key: string): void {
  for (const line of key.split(/\r?\n/)) {
    if (line.trim() !== '' && !line.startsWith('-----')) core.setSecret(line.trim());
  }
}

function namesInput(name: string, fallback: string[]): string[] {
  const names = listInput(name);
  for (const value of names) {
    if (!NAME.test(value)) {
      throw new UserError(
        `input \`${name}\`: ${JSON.stringify(value)} is not a name: use letters, digits, '_' and '-' (for example \`node-join\`)`,
      );
    }
  }
  return names.length > 0 ? names : fallback;
}

/** The per-host table: result, attempts and ansible's totals. */
function hostRows(outcome: RunOutcome, addresses: Map<string, string>): SummaryRow[] {
  return [
    headerRow('Host', 'Address', 'Result', 'Attempts', 'ok', 'changed', 'failed', 'skipped'),
    ...outcome.hosts.map((host) => [
      `<code>${escapeHtml(host.host)}</code>`,
      escapeHtml(addresses.get(host.host) ?? ''),
      STATUS_MARK[host.status],
      String(host.attempts),
      String(host.stats?.ok ?? 0),
      String(host.stats?.changed ?? 0),
      String(host.stats?.failures ?? 0),
      String(host.stats?.skipped ?? 0),
    ]),
  ];
}

/** The tasks in the order they ran, across hosts (a host that stopped early ran a prefix of them). */
function taskOrder(hosts: readonly HostResult[]): string[] {
  const order: string[] = [];
  for (const host of hosts) {
    for (const task of host.tasks) {
      const key = `${task.play} › ${task.task}`;
      if (!order.includes(key)) order.push(key);
    }
  }
  return order;
}

/** The per-task table: each task's result on each host, or, for many hosts, how many hosts had each result. */
function taskRows(hosts: readonly HostResult[]): SummaryRow[] {
  const order = taskOrder(hosts);
  const resultOf = (host: HostResult, key: string): TaskStatus | undefined =>
    host.tasks.find((task) => `${task.play} › ${task.task}` === key)?.status;
  if (hosts.length <= MAX_HOST_COLUMNS) {
    return [
      headerRow('Task', ...hosts.map((host) => host.host)),
      ...order.map((key) => [escapeHtml(key), ...hosts.map((host) => STATUS_MARK[resultOf(host, key) ?? 'not run'])]),
    ];
  }
  const statuses: TaskStatus[] = ['ok', 'changed', 'skipped', 'failed', 'unreachable'];
  return [
    headerRow('Task', ...statuses),
    ...order.map((key) => [
      escapeHtml(key),
      ...statuses.map((status) => String(hosts.filter((host) => resultOf(host, key) === status).length)),
    ]),
  ];
}

function addSummary(title: string, outcome: RunOutcome, addresses: Map<string, string>, tags: string[]): void {
  const bad = outcome.hosts.filter((host) => host.status === 'failed' || host.status === 'unreachable' || host.status === 'not run');
  const headline =
    bad.length === 0
      ? `✅ ${outcome.hosts.length} host(s) configured with --tags ${tags.join(',')} (${outcome.taskResults} task results, ${outcome.attempts} run(s))`
      : `❌ ${bad.length} of ${outcome.hosts.length} host(s) not configured: ${bad.map((host) => `${host.host} (${host.status})`).join(', ')}`;
  core.summary
    .addHeading(`Ansible: ${escapeHtml(title)}`, 2)
    .addRaw(`<p>${escapeHtml(headline)}</p>`, true)
    .addHeading('Hosts', 3)
    .addTable(hostRows(outcome, addresses))
    .addHeading('Tasks', 3)
    .addTable(taskRows(outcome.hosts));
  const failures = outcome.hosts.flatMap((host) =>
    host.tasks.filter((task) => task.status === 'failed' || task.status === 'unreachable').map((task) => ({ host: host.host, task })),
  );
  if (failures.length > 0) {
    core.summary
      .addHeading('Failures', 3)
      .addTable([
        headerRow('Host', 'Task', 'Message'),
        ...failures.map(({ host, task }) => [
          `<code>${escapeHtml(host)}</code>`,
          escapeHtml(`${task.play} › ${task.task}`),
          escapeHtml(task.msg ?? ''),
        ]),
      ]);
  }
}

/** The outputs: each host's result as JSON, and the hosts that failed or stayed unreachable. */
function setOutputs(outcome: RunOutcome): void {
  const result = Object.fromEntries(
    outcome.hosts.map((host) => [
      host.host,
      {
        status: host.status,
        attempts: host.attempts,
        ok: host.stats?.ok ?? 0,
        changed: host.stats?.changed ?? 0,
        failed: host.stats?.failures ?? 0,
        skipped: host.stats?.skipped ?? 0,
      },
    ]),
  );
  core.setOutput('result', JSON.stringify(result));
  core.setOutput(
    'failed',
    outcome.hosts
      .filter((host) => host.status === 'failed' || host.status === 'not run')
      .map((host) => host.host)
      .join(','),
  );
  core.setOutput(
    'unreachable',
    outcome.hosts
      .filter((host) => host.status === 'unreachable')
      .map((host) => host.host)
      .join(','),
  );
  core.setOutput('task-results', String(outcome.taskResults));
}

/** Throws when a host was not configured: unreachable ones may come up (rerun), failed ones need a fix. */
function failUnlessConfigured(outcome: RunOutcome): void {
  const unreachable = outcome.hosts.filter((host) => host.status === 'unreachable').map((host) => host.host);
  const failed = outcome.hosts.filter((host) => host.status === 'failed');
  const notRun = outcome.hosts.filter((host) => host.status === 'not run').map((host) => host.host);
  if (failed.length > 0) {
    const first = (host: HostResult): string => {
      const task = host.tasks.find((t) => t.status === 'failed');
      return task ? `${host.host} at "${task.task}"${task.msg ? `: ${task.msg}` : ''}` : host.host;
    };
    throw new UserError(`ansible failed on ${failed.length} host(s): ${failed.map(first).join('; ')} (the job summary has every task)`);
  }
  if (notRun.length > 0) {
    throw new UserError(
      `no task ran on ${notRun.join(', ')}: no play of the playbook with these tags targets them (are they in the \`group\` the plays use?)`,
    );
  }
  if (unreachable.length > 0) {
    throw new TransientError(
      `${unreachable.join(', ')} stayed unreachable after ${outcome.attempts} run(s): check that the VMs are up and accept the key over SSH, then re-run`,
    );
  }
}

async function ansible(): Promise<void> {
  const workspace = workspaceDir();
  const hostsGiven = core.getInput('hosts');
  if (hostsGiven === '') {
    throw new UserError(
      'input `hosts` is empty: pass the created nodes of the terraform action (a JSON array; `[]` when none were created)',
    );
  }
  const created = parseCreatedHosts(hostsGiven, 'hosts');
  const key = core.getInput('ssh-private-key');
  if (key !== '') maskKey(key);
  const keyText = key === '' ? undefined : normalisePrivateKey(key, 'ssh-private-key');
  const playbook = resolve(workspace, await workspacePath('playbook', core.getInput('playbook') || DEFAULT_PLAYBOOK, workspace));
  await checkPlaybook(playbook, 'playbook');
  const inventories = await Promise.all(
    listInput('inventory').map(async (path) => resolve(workspace, await workspacePath('inventory', path, workspace))),
  );
  const tags = namesInput('tags', DEFAULT_TAGS);
  const group = core.getInput('group') || DEFAULT_GROUP;
  if (!NAME.test(group)) {
    throw new UserError(
      `input \`group\`: ${JSON.stringify(group)} is not one inventory group name: use letters, digits, '_' and '-' (default ${DEFAULT_GROUP})`,
    );
  }
  const attempts = integerInput('attempts', 3, 1, 10);
  const delay = integerInput('retry-delay', 30, 0, 600);

  const file = core.getInput('config') === '' ? undefined : await clusterConfigInput('config', workspace);
  const settings = file ? workerSettings(file) : undefined;
  const user = core.getInput('user') || settings?.adminUser;
  const title = file ? clusterId(file.config) : `${created.length} new host(s)`;

  if (created.length === 0) {
    core.info('no hosts were created: nothing to configure');
    core.setOutput('result', '{}');
    core.setOutput('failed', '');
    core.setOutput('unreachable', '');
    core.setOutput('task-results', '0');
    core.summary.addHeading(`Ansible: ${escapeHtml(title)}`, 2).addRaw('<p>No hosts were created: nothing to configure.</p>', true);
    await writeSummary();
    return;
  }

  const temp = await mkdtemp(join(runnerTemp(), 'lsa-ansible-'));
  let keyFile: KeyFile | undefined;
  try {
    if (keyText !== undefined) keyFile = await writeKeyFile(keyText, temp);
    const createdFile = join(temp, 'created.yml');
    await writeFile(createdFile, createdInventory(created, group));
    const run: PlaybookRun = {
      playbook,
      // The cluster's inventory first, the created hosts after: their group and address are added to whatever it says of them.
      inventories: [...inventories, createdFile],
      tags,
      knownHosts: join(temp, 'known_hosts'),
      ...(keyFile ? { privateKey: keyFile.path } : {}),
      ...(user ? { user } : {}),
      // From the cluster config, which is the truth about the release and the labels.
      ...(settings
        ? {
            extraVars: {
              kubernetes_version: settings.kubernetesVersion,
              ...(settings.nodeLabels ? { kubernetes_node_labels: settings.nodeLabels } : {}),
            },
          }
        : {}),
    };
    const names = created.map((host) => host.name);
    core.info(
      `ansible-playbook ${playbook} --limit ${names.join(',')} --tags ${tags.join(',')} (the ${CALLBACK} callback records each task)`,
    );
    const outcome = await runWithRetries(run, names, {
      attempts,
      delayMs: delay * 1000,
      tempDir: temp,
      onRetry: (hosts, attempt) =>
        core.warning(`unreachable: ${hosts.join(', ')}; run ${attempt} of ${attempts} in ${delay} s, over them only`),
    });
    setOutputs(outcome);
    addSummary(title, outcome, new Map(created.map((host) => [host.name, host.address])), tags);
    await writeSummary();
    failUnlessConfigured(outcome);
    core.info(`${names.length} host(s) configured: ${outcome.taskResults} task results in ${outcome.attempts} run(s)`);
  } finally {
    await keyFile?.remove();
    await rm(temp, { recursive: true, force: true });
  }
}

await runAction(ansible);
