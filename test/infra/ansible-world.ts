// Several "hosts" on this machine for ansible-core to configure with the real playbooks of
// infra/ansible: each has its own root directory (lsa_root) for the files the roles write, and its
// own kubeadm, a script that logs how it was called and does what kubeadm's success leaves behind
// (a kubelet.conf after a join). Hosts connect with `ansible_connection: local`, or through a fake
// ssh that runs the command here after noting the key file it was given (path, mode, digest) and
// that can refuse to connect a given number of times, as an unreachable VM does.
//
// Used by the tests and by bench/ansible.js (Node runs this file by stripping its types), so it
// uses erasable TypeScript only.

import { accessSync, constants } from 'node:fs';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join, relative } from 'node:path';

export type Group = 'kubernetes_master' | 'kubernetes_node' | 'load_balancer' | 'repository';

export interface HostSpec {
  name: string;
  group: Group;
  /** local (the default), or ssh through the fake ssh. */
  connection?: 'local' | 'ssh';
  /** kubeadm exits 1 on this host. */
  failKubeadm?: boolean;
  /** kubeadm sleeps this many seconds first: a step caught in the middle. */
  slowKubeadm?: number;
}

/** One connection the fake ssh was asked for. */
export interface SshCall {
  address: string;
  keyPath: string;
  /** The key file's mode in octal, or `none` when there was no key file. */
  keyMode: string;
  keySha256: string;
  /** The UserKnownHostsFile it was given, or `none`. */
  knownHosts: string;
}

export interface AnsibleWorld {
  dir: string;
  /** The inventory of every host, with its per-host settings. */
  inventory: string;
  /** The address of a host (distinct per host, so the fake ssh can tell them apart). */
  address(host: string): string;
  root(host: string): string;
  /** The files under a host's root, relative to it, sorted. */
  files(host: string): Promise<string[]>;
  /** Every call of a host's kubeadm, as its arguments. */
  kubeadmCalls(host: string): Promise<string[]>;
  sshCalls(): Promise<SshCall[]>;
  /** Makes the fake ssh refuse a host's next `times` connections (`forever`: all of them). */
  makeUnreachable(host: string, times: number | 'forever'): Promise<void>;
}

const KUBEADM = (root: string, fail: boolean, sleep: number): string => `#!/bin/sh
echo "$*" >> "${root}/kubeadm.log"
sleep ${sleep}
${fail ? 'echo "kubeadm: the control plane refused the join" >&2; exit 1' : ''}
case "$1" in
  token) echo "kubeadm join 10.1.1.10:6443 --token abcdef.0123456789abcdef --discovery-token-ca-cert-hash sha256:00ff" ;;
  join) mkdir -p "${root}/etc/kubernetes" && echo joined > "${root}/etc/kubernetes/kubelet.conf" ;;
  init) mkdir -p "${root}/etc/kubernetes" && echo admin > "${root}/etc/kubernetes/admin.conf" ;;
esac
`;

// ansible calls `ssh [options] <address> <command>`; the key comes as `-o IdentityFile="<path>"`.
const FAKE_SSH = (dir: string): string => `#!/bin/bash
address="\${@: -2:1}"
command="\${@: -1}"
key=""
known=none
for arg in "$@"; do
  case "$arg" in
    IdentityFile=*) key="\${arg#IdentityFile=}"; key="\${key//\\"/}" ;;
    UserKnownHostsFile=*) known="\${arg#UserKnownHostsFile=}" ;;
  esac
done
mode=none; digest=none
if [ -n "$key" ] && [ -f "$key" ]; then mode=$(stat -c %a "$key"); digest=$(sha256sum "$key" | cut -d' ' -f1); fi
printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$address" "\${key:-none}" "$mode" "$digest" "$known" >> "${dir}/ssh.log"
refuse="${dir}/unreachable-$address"
if [ -f "$refuse" ]; then
  left=$(cat "$refuse")
  if [ "$left" = forever ] || [ "$left" -gt 0 ]; then
    [ "$left" = forever ] || echo $((left - 1)) > "$refuse"
    echo "ssh: connect to host $address port 22: Connection refused" >&2
    exit 255
  fi
fi
exec /bin/sh -c "$command"
`;

/**
 * python3 as found on PATH: the hosts' interpreter, named so ansible does not discover it (its
 * discovery reports a host it cannot reach as failed, not unreachable).
 */
function python3(): string {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'python3');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  throw new Error('python3 is not on PATH: ansible-core needs it (npm run setup installs ansible-core)');
}

/** Makes the hosts under `dir`. */
export async function ansibleWorld(dir: string, hosts: readonly HostSpec[]): Promise<AnsibleWorld> {
  const fakeSsh = join(dir, 'ssh');
  await writeFile(fakeSsh, FAKE_SSH(dir));
  await chmod(fakeSsh, 0o755);
  const addresses = new Map(hosts.map((host, i) => [host.name, `127.0.0.${i + 2}`]));
  const root = (host: string): string => join(dir, 'hosts', host);
  const groups: Record<string, Record<string, Record<string, string>>> = {};
  for (const host of hosts) {
    await mkdir(root(host.name), { recursive: true });
    const kubeadm = join(root(host.name), 'kubeadm');
    await writeFile(kubeadm, KUBEADM(root(host.name), host.failKubeadm ?? false, host.slowKubeadm ?? 0));
    await chmod(kubeadm, 0o755);
    const vars: Record<string, string> = {
      ansible_host: addresses.get(host.name) ?? '',
      lsa_root: root(host.name),
      kubeadm_bin: kubeadm,
    };
    if (host.connection === 'ssh') {
      Object.assign(vars, { ansible_connection: 'ssh', ansible_ssh_executable: fakeSsh, ansible_ssh_transfer_method: 'piped' });
    } else {
      vars.ansible_connection = 'local';
    }
    groups[host.group] ??= {};
    (groups[host.group] as Record<string, Record<string, string>>)[host.name] = vars;
  }
  const inventory = join(dir, 'inventory.yml');
  const children = Object.fromEntries(Object.entries(groups).map(([group, members]) => [group, { hosts: members }]));
  // Nothing here is root's business (and sudo is not installed): no privilege escalation.
  await writeFile(
    inventory,
    JSON.stringify({ all: { vars: { ansible_become: false, ansible_python_interpreter: python3() }, children } }, null, 2),
  );

  const listFiles = async (base: string): Promise<string[]> => {
    const entries = await readdir(base, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(base, join(entry.parentPath, entry.name)))
      .filter((path) => path !== 'kubeadm' && path !== 'kubeadm.log')
      .sort();
  };
  const lines = async (path: string): Promise<string[]> => {
    try {
      return (await readFile(path, 'utf8')).split('\n').filter((line) => line !== '');
    } catch {
      return [];
    }
  };
  return {
    dir,
    inventory,
    address: (host) => addresses.get(host) ?? '',
    root,
    files: (host) => listFiles(root(host)),
    kubeadmCalls: (host) => lines(join(root(host), 'kubeadm.log')),
    sshCalls: async () =>
      (await lines(join(dir, 'ssh.log'))).map((line) => {
        const [address = '', keyPath = '', keyMode = '', keySha256 = '', knownHosts = ''] = line.split('\t');
        return { address, keyPath, keyMode, keySha256, knownHosts };
      }),
    makeUnreachable: (host, times) => writeFile(join(dir, `unreachable-${addresses.get(host)}`), String(times)),
  };
}

/** A cluster of one master, `existing` workers and `added` new ones (vm-<i> names, as LambdaStack's). */
export function clusterHosts(existing: number, added: number, connection: 'local' | 'ssh' = 'local'): HostSpec[] {
  const worker = (i: number): HostSpec => ({ name: `demo-shop-kubernetes-node-vm-${i}`, group: 'kubernetes_node', connection });
  return [
    { name: 'demo-shop-kubernetes-master-vm-0', group: 'kubernetes_master' },
    { name: 'demo-shop-load-balancer-vm-0', group: 'load_balancer' },
    ...Array.from({ length: existing + added }, (_, i) => worker(i)),
  ];
}
