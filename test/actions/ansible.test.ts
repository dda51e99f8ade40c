import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { type AnsibleWorld, ansibleWorld, clusterHosts, type HostSpec } from '../infra/ansible-world.js';
import { tempDir } from '../support/temp.js';
import { type ActionRun, bundleOf, REPO_ROOT, runBundledAction } from './runner.js';

// The bundled ansible action, run as the runner runs it, over hosts of this machine (see
// test/infra/ansible-world.ts): the checkout holds the repository's infra/ and cluster-config/, and
// the cluster's inventory.

const STACK_FRAME = /(^|%0A|\n)\s+at /m;
const worker = (i: number): string => `demo-shop-kubernetes-node-vm-${i}`;
const MASTER = 'demo-shop-kubernetes-master-vm-0';

/** A private key as a secret holds it: a test key's shape (the fake ssh never uses it). */
const KEY_BODY = [
  'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW',
  'QyNTUxOQAAACDqS3cretKeyMaterialThatMustNeverBeLoggedAnywhere0000000000',
  'AAAECThisIsTheSecondSecretLineOfTheTestKeyAndItMustStayHidden111111111',
];
const KEY = ['-----BEGIN OPENSSH PRIVATE KEY-----', ...KEY_BODY, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n');

interface Checkout {
  workspace: string;
  world: AnsibleWorld;
  runnerTemp: string;
}

/** A checkout with infra/, cluster-config/ and the world's hosts (its inventory at world/inventory.yml). */
async function checkout(hosts: HostSpec[]): Promise<Checkout> {
  const workspace = await tempDir('lsa-ansible-ws-');
  await cp(join(REPO_ROOT, 'infra'), join(workspace, 'infra'), { recursive: true });
  await cp(join(REPO_ROOT, 'cluster-config'), join(workspace, 'cluster-config'), { recursive: true });
  await mkdir(join(workspace, 'world'));
  // With a space, as a runner's temporary directory may have: paths must stay one argument.
  const runnerTemp = join(workspace, 'runner temp');
  await mkdir(runnerTemp);
  return { workspace, world: await ansibleWorld(join(workspace, 'world'), hosts), runnerTemp };
}

const createdJson = (world: AnsibleWorld, names: string[]): string =>
  JSON.stringify(names.map((name) => ({ name, index: Number(name.split('-').pop()), address: world.address(name) })));

function ansible(at: Checkout, inputs: Record<string, string>): Promise<ActionRun> {
  return runBundledAction('ansible', {
    workspace: at.workspace,
    inputs: { inventory: 'world/inventory.yml', 'retry-delay': '0', ...inputs },
    // What a runner gives every step: PATH, HOME and RUNNER_TEMP.
    env: { PATH: process.env.PATH, HOME: at.workspace, RUNNER_TEMP: at.runnerTemp },
  });
}

const messages = (run: ActionRun, command: string): string[] => run.commands.filter((c) => c.command === command).map((c) => c.message);

describe('the ansible action (its committed bundle, run as the runner runs it)', () => {
  it('configures only the created workers, with only the node-join plays, and summarises each host and task', async () => {
    const at = await checkout(clusterHosts(2, 2));
    const existingBefore = await at.world.files(worker(0));

    const run = await ansible(at, { hosts: createdJson(at.world, [worker(2), worker(3)]), config: 'cluster-config/aws-demo.yml' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    for (const host of [worker(2), worker(3)]) {
      expect(await at.world.files(host)).toEqual([
        'etc/ansible/facts.d/lambdastack_node_join.fact',
        'etc/default/kubelet',
        'etc/kubernetes/kubelet.conf',
      ]);
      // The node labels and the release come from the cluster config.
      expect(await readFile(join(at.world.root(host), 'etc/default/kubelet'), 'utf8')).toBe(
        'KUBELET_EXTRA_ARGS=--node-labels=node-type=lambdastack\n',
      );
      expect(await readFile(join(at.world.root(host), 'etc/ansible/facts.d/lambdastack_node_join.fact'), 'utf8')).toContain(
        '"kubernetes_version": "1.20.12"',
      );
    }
    expect(await at.world.files(worker(0))).toEqual(existingBefore);
    expect(await at.world.files(MASTER)).toEqual([]);
    expect(await at.world.kubeadmCalls(MASTER)).toEqual(['token create --ttl 15m --print-join-command']);

    const result = JSON.parse(run.outputs.result ?? '');
    expect(Object.keys(result)).toEqual([worker(2), worker(3)]);
    expect(result[worker(2)]).toMatchObject({ status: 'changed', attempts: 1, failed: 0 });
    expect(run.outputs.failed).toBe('');
    expect(run.outputs.unreachable).toBe('');
    expect(Number(run.outputs['task-results'])).toBe(13);

    expect(run.summary).toContain('<h2>Ansible: aws/demo-shop</h2>');
    expect(run.summary).toContain('✅ 2 host(s) configured with --tags node-join (13 task results, 1 run(s))');
    expect(run.summary).toContain(
      `<tr><td><code>${worker(2)}</code></td><td>${at.world.address(worker(2))}</td><td>🔄 changed</td><td>1</td>`,
    );
    expect(run.summary).toContain(`<tr><th>Task</th><th>${worker(2)}</th><th>${worker(3)}</th></tr>`);
    expect(run.summary).toContain(
      '<tr><td>Join the workers › node_join : Join the cluster</td><td>🔄 changed</td><td>🔄 changed</td></tr>',
    );
    expect(run.summary).not.toContain('Common settings ›');
    expect(run.stdout).toContain(`--limit ${worker(2)},${worker(3)} --tags node-join`);
  }, 120_000);

  it('holds the SSH key in a 0600 file under RUNNER_TEMP while ansible runs, removes it after, and never shows it', async () => {
    const at = await checkout(clusterHosts(0, 2, 'ssh'));
    // A key pasted with CRLF line endings and without its final newline: ssh gets it with LF and one.
    const pasted = KEY.trimEnd().replace(/\n/g, '\r\n');
    await at.world.makeUnreachable(worker(1), 1);

    const run = await ansible(at, { hosts: createdJson(at.world, [worker(0), worker(1)]), 'ssh-private-key': pasted, attempts: '2' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    const calls = await at.world.sshCalls();
    expect(calls.length).toBeGreaterThan(0);
    const keyPaths = new Set(calls.map((call) => call.keyPath));
    // One key file for the whole step, retry included, under RUNNER_TEMP, 0600, holding the key as ssh wants it.
    expect(keyPaths.size).toBe(1);
    const [keyPath = ''] = keyPaths;
    expect(keyPath.startsWith(`${at.runnerTemp}/`)).toBe(true);
    expect(new Set(calls.map((call) => call.keyMode))).toEqual(new Set(['600']));
    // The step's own known_hosts, one argument although its path has a space.
    expect(
      new Set(calls.map((call) => call.knownHosts.startsWith(`${at.runnerTemp}/lsa-ansible-`) && call.knownHosts.endsWith('/known_hosts'))),
    ).toEqual(new Set([true]));
    expect(new Set(calls.map((call) => call.keySha256))).toEqual(new Set([createHash('sha256').update(KEY).digest('hex')]));
    await expect(stat(keyPath)).rejects.toThrow(/ENOENT/);
    expect(await readdir(at.runnerTemp)).toEqual([]);

    // Each secret line is masked (the runner hides it from the log from then on) and appears nowhere else.
    expect(messages(run, 'add-mask')).toEqual(KEY_BODY);
    const printed = run.stdout
      .split('\n')
      .filter((line) => !line.startsWith('::add-mask::'))
      .join('\n');
    for (const line of KEY_BODY) {
      for (const text of [printed, run.stderr, run.summary, JSON.stringify(run.outputs)]) expect(text).not.toContain(line);
    }

    // The unreachable host was run again, alone, and made it.
    expect(messages(run, 'warning')).toEqual([`unreachable: ${worker(1)}; run 2 of 2 in 0 s, over them only`]);
    expect(JSON.parse(run.outputs.result ?? '')[worker(1)]).toMatchObject({ status: 'changed', attempts: 2 });
    expect(JSON.parse(run.outputs.result ?? '')[worker(0)]).toMatchObject({ status: 'changed', attempts: 1 });
    expect(run.summary).toContain(
      `<tr><td><code>${worker(1)}</code></td><td>${at.world.address(worker(1))}</td><td>🔄 changed</td><td>2</td>`,
    );
  }, 120_000);

  it('removes the key when the step is cancelled (SIGTERM) while ansible runs', async () => {
    const at = await checkout([
      // The master takes its time to hand out the join token: the step is cancelled meanwhile.
      { name: MASTER, group: 'kubernetes_master', slowKubeadm: 6 },
      { name: worker(0), group: 'kubernetes_node', connection: 'ssh' },
    ]);
    const files = await tempDir('lsa-action-files-');
    const step = execa(process.execPath, [bundleOf('ansible')], {
      cwd: at.workspace,
      extendEnv: false,
      env: {
        PATH: process.env.PATH,
        HOME: at.workspace,
        RUNNER_TEMP: at.runnerTemp,
        GITHUB_WORKSPACE: at.workspace,
        GITHUB_OUTPUT: join(files, 'output'),
        GITHUB_STEP_SUMMARY: join(files, 'summary'),
        INPUT_HOSTS: createdJson(at.world, [worker(0)]),
        INPUT_INVENTORY: 'world/inventory.yml',
        'INPUT_SSH-PRIVATE-KEY': KEY,
      },
      reject: false,
    });
    // Wait until ansible has connected with the key (the master's kubeadm is then called soon).
    let keyPath = '';
    for (let i = 0; i < 200 && !(await at.world.kubeadmCalls(MASTER)).length; i++) await sleep(100);
    [{ keyPath = '' } = { keyPath: '' }] = await at.world.sshCalls();
    expect((await stat(keyPath)).mode & 0o777).toBe(0o600);

    step.kill('SIGTERM');
    const result = await step;

    expect(result.signal).toBe('SIGTERM');
    await expect(stat(keyPath)).rejects.toThrow(/ENOENT/);
  }, 120_000);

  it('fails naming the host and the task when a task fails, and still removes the key', async () => {
    const at = await checkout([
      { name: MASTER, group: 'kubernetes_master' },
      { name: worker(0), group: 'kubernetes_node', connection: 'ssh', failKubeadm: true },
    ]);

    const run = await ansible(at, { hosts: createdJson(at.world, [worker(0)]), 'ssh-private-key': KEY });

    expect(run.exitCode).toBe(1);
    expect(messages(run, 'error')).toEqual([
      expect.stringMatching(
        new RegExp(
          `^ansible failed on 1 host\\(s\\): ${worker(0)} at "node_join : Join the cluster": .*no_log.*\\(the job summary has every task\\)$`,
        ),
      ),
    ]);
    expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
    expect(run.outputs.failed).toBe(worker(0));
    expect(run.summary).toContain('❌ 1 of 1 host(s) not configured');
    expect(run.summary).toContain('<h3>Failures</h3>');
    const [call] = await at.world.sshCalls();
    expect(call?.keyMode).toBe('600');
    await expect(stat(call?.keyPath ?? '')).rejects.toThrow(/ENOENT/);
    expect(await readdir(at.runnerTemp)).toEqual([]);
    // The join token is in the join's command line, which ansible hides (no_log).
    expect(run.stdout + run.summary).not.toContain('abcdef.0123456789abcdef');
  }, 120_000);

  it('gives up on a host unreachable in every attempt: a temporary failure, the host in the `unreachable` output', async () => {
    const at = await checkout(clusterHosts(0, 1, 'ssh'));
    await at.world.makeUnreachable(worker(0), 'forever');

    const run = await ansible(at, { hosts: createdJson(at.world, [worker(0)]), 'ssh-private-key': KEY, attempts: '2' });

    expect(run.exitCode).toBe(1);
    expect(messages(run, 'error')).toEqual([
      `${worker(0)} stayed unreachable after 2 run(s): check that the VMs are up and accept the key over SSH, then re-run (a temporary failure: re-run the job)`,
    ]);
    expect(run.outputs.unreachable).toBe(worker(0));
    expect(run.summary).toContain('📡 unreachable');
    expect(run.summary).toMatch(/Connection refused/);
    expect(await readdir(at.runnerTemp)).toEqual([]);
  }, 120_000);

  it('succeeds with nothing to do when no hosts were created', async () => {
    const at = await checkout(clusterHosts(1, 0));
    const run = await ansible(at, { hosts: '[]' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs).toEqual({ result: '{}', failed: '', unreachable: '', 'task-results': '0' });
    expect(run.summary).toContain('No hosts were created: nothing to configure.');
  });

  it('refuses bad input with a message that names the input and the fix, and never quotes the key', async () => {
    const at = await checkout(clusterHosts(1, 0));
    const hosts = createdJson(at.world, [worker(0)]);
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ hosts: '' }, /^input `hosts` is empty: pass the created nodes of the terraform action/],
      [{ hosts: '{"name": "x"}' }, /^input `hosts` must be a JSON array of hosts/],
      [{ hosts, 'ssh-private-key': KEY_BODY.join('\n') }, /^input `ssh-private-key` is not an SSH private key: put the whole key file/],
      [{ hosts, tags: 'node-join,all hosts' }, /^input `tags`: "all hosts" is not a name/],
      [
        { hosts, group: 'kubernetes_node,load_balancer' },
        /^input `group`: "kubernetes_node,load_balancer" is not one inventory group name/,
      ],
      [{ hosts, attempts: '0' }, /^input `attempts` is "0": set it to a whole number from 1 to 10 \(default 3\)$/],
      [{ hosts, playbook: 'infra/ansible/missing.yml' }, /^input `playbook`: infra\/ansible\/missing.yml does not exist/],
      [{ hosts, inventory: '../outside.yml' }, /^input `inventory`: \.\.\/outside.yml is outside the repository checkout/],
    ];
    for (const [inputs, message] of cases) {
      const run = await ansible(at, inputs);
      expect(run.exitCode, JSON.stringify(inputs)).toBe(1);
      expect(messages(run, 'error')).toEqual([expect.stringMatching(message)]);
      expect(run.stdout + run.stderr).not.toMatch(STACK_FRAME);
      for (const line of KEY_BODY) expect(messages(run, 'error').join('\n')).not.toContain(line);
    }
    expect(await readdir(at.runnerTemp)).toEqual([]);
  });

  it('refuses a playbook without the JSON callback plugin beside it', async () => {
    const at = await checkout(clusterHosts(1, 0));
    await rm(join(at.workspace, 'infra', 'ansible', 'callback_plugins'), { recursive: true });
    const run = await ansible(at, { hosts: createdJson(at.world, [worker(0)]) });

    expect(run.exitCode).toBe(1);
    expect(messages(run, 'error')).toEqual([
      expect.stringMatching(
        /^input `playbook`: there is no callback_plugins\/lambdastack_json.py beside .*site.yml: the action reads each task's result from it/,
      ),
    ]);
  });
});
