import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { UserError } from '../../src/errors.js';
import { createdInventory, parseCreatedHosts, type RunOutcome } from '../../src/infra/ansible.js';
import { tempDir } from '../support/temp.js';
import { playOver } from './ansible-play.js';
import { type AnsibleWorld, ansibleWorld, type HostSpec } from './ansible-world.js';

describe("parseCreatedHosts (the ansible action's `hosts` input: the terraform action's created nodes)", () => {
  it('reads [{name, index, address}]; index is optional', () => {
    expect(
      parseCreatedHosts(
        '[{"name":"demo-shop-kubernetes-node-vm-3","index":3,"address":"10.1.1.13"},{"name":"w4","address":"fd00::4"}]',
        'hosts',
      ),
    ).toEqual([
      { name: 'demo-shop-kubernetes-node-vm-3', index: 3, address: '10.1.1.13' },
      { name: 'w4', index: undefined, address: 'fd00::4' },
    ]);
    expect(parseCreatedHosts('[]', 'hosts')).toEqual([]);
  });

  it.each([
    ['not json', /^input `hosts` is not JSON: pass the terraform action's created-nodes output/],
    ['{"name":"a"}', /^input `hosts` must be a JSON array of hosts/],
    ['["a"]', /^input `hosts`, entry 0 is not an object/],
    ['[{"name":"w*","address":"10.0.0.1"}]', /^input `hosts`, entry 0: name "w\*" is not a host name/],
    ['[{"name":"!w","address":"10.0.0.1"}]', /name "!w" is not a host name/],
    ['[{"address":"10.0.0.1"}]', /name undefined is not a host name/],
    ['[{"name":"w","address":"10.0.0.1"},{"name":"w","address":"10.0.0.2"}]', /^input `hosts`, entry 1: w is listed twice$/],
    [
      '[{"name":"w","address":"10.0.0.1; rm -rf /"}]',
      /^input `hosts`, entry 0 \(w\): address "10.0.0.1; rm -rf \/" is not an IP address or DNS name$/,
    ],
    ['[{"name":"w"}]', /address undefined is not an IP address/],
    [
      '[{"name":"w","index":3,"address":null}]',
      /^input `hosts`, entry 0 \(w\) has no address yet: pass the created nodes of the terraform action's apply step/,
    ],
    ['[{"name":"w","address":"10.0.0.1","index":-1}]', /index -1 must be a whole number, 0 or more/],
    ['[{"name":"w","address":"10.0.0.1","index":1.5}]', /index 1.5 must be a whole number/],
  ])('refuses %s, naming the input and the entry', (text, message) => {
    expect(() => parseCreatedHosts(text, 'hosts')).toThrow(UserError);
    expect(() => parseCreatedHosts(text, 'hosts')).toThrow(message);
  });
});

describe('createdInventory', () => {
  it('puts each created host in the group, with its address as ansible_host and its index', () => {
    const text = createdInventory(
      [
        { name: 'w3', index: 3, address: '10.1.1.13' },
        { name: 'w4', index: undefined, address: 'w4.internal' },
      ],
      'kubernetes_node',
    );
    expect(parse(text)).toEqual({
      all: {
        children: {
          kubernetes_node: { hosts: { w3: { ansible_host: '10.1.1.13', lambdastack_index: 3 }, w4: { ansible_host: 'w4.internal' } } },
        },
      },
    });
  });
});

describe('runWithRetries: unreachable hosts are run again, alone, a bounded number of times', () => {
  const MASTER = 'm0';
  async function world(workers: HostSpec[]): Promise<AnsibleWorld> {
    return ansibleWorld(await tempDir('lsa-ansible-retry-'), [{ name: MASTER, group: 'kubernetes_master' }, ...workers]);
  }

  async function scaleUp(w: AnsibleWorld, hosts: string[], attempts: number, onRetry?: () => Promise<void>): Promise<RunOutcome> {
    const retries: Array<Promise<void>> = [];
    const outcome = await playOver(w, {
      limit: hosts,
      tags: ['node-join'],
      attempts,
      onRetry: () => void retries.push(onRetry?.() ?? Promise.resolve()),
    });
    await Promise.all(retries);
    return outcome;
  }

  it('retries only the host that was unreachable, and it converges', async () => {
    const w = await world([
      { name: 'w3', group: 'kubernetes_node', connection: 'ssh' },
      { name: 'w4', group: 'kubernetes_node', connection: 'ssh' },
    ]);
    await w.makeUnreachable('w3', 1);
    let callsBeforeRetry = -1;
    const outcome = await scaleUp(w, ['w3', 'w4'], 3, async () => {
      callsBeforeRetry = (await w.sshCalls()).length;
    });

    expect(outcome.attempts).toBe(2);
    expect(outcome.hosts.map((host) => [host.host, host.status, host.attempts])).toEqual([
      ['w3', 'changed', 2],
      ['w4', 'changed', 1],
    ]);
    const calls = await w.sshCalls();
    expect(callsBeforeRetry).toBeGreaterThan(0);
    // The second run connected to w3 only.
    expect(new Set(calls.slice(callsBeforeRetry).map((call) => call.address))).toEqual(new Set([w.address('w3')]));
    expect(await w.files('w3')).toContain('etc/kubernetes/kubelet.conf');
  }, 120_000);

  it("gives up after `attempts` runs, reporting the host unreachable with ssh's message", async () => {
    const w = await world([
      { name: 'w3', group: 'kubernetes_node', connection: 'ssh' },
      { name: 'w4', group: 'kubernetes_node' },
    ]);
    await w.makeUnreachable('w3', 'forever');
    const outcome = await scaleUp(w, ['w3', 'w4'], 3);

    expect(outcome.attempts).toBe(3);
    const [w3, w4] = outcome.hosts;
    expect([w3?.status, w3?.attempts]).toEqual(['unreachable', 3]);
    expect([w4?.status, w4?.attempts]).toEqual(['changed', 1]);
    expect(w3?.tasks.find((task) => task.status === 'unreachable')?.msg).toMatch(/Connection refused/);
    // Each run tried it (once per item of the first task that connects).
    expect((await w.sshCalls()).filter((call) => call.address === w.address('w3')).length).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('does not retry a host where a task failed: it was reached, and would fail the same way', async () => {
    const w = await world([{ name: 'w3', group: 'kubernetes_node', failKubeadm: true }]);
    const outcome = await scaleUp(w, ['w3'], 3);

    expect(outcome.attempts).toBe(1);
    const [w3] = outcome.hosts;
    expect([w3?.status, w3?.attempts]).toEqual(['failed', 1]);
    // The join is no_log (its command line holds the token), so ansible censors its result.
    expect(w3?.tasks.find((task) => task.status === 'failed')).toEqual({
      play: 'Join the workers',
      task: 'node_join : Join the cluster',
      status: 'failed',
      msg: expect.stringMatching(/no_log: true/),
    });
  }, 120_000);
});
