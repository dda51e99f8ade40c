/**
 * LambdaStack's VM naming rule: VM `i` (0-based) of component `c` in cluster `name` with prefix
 * `p` is `<p>-<name>-<c with _ as ->-vm-<i>`, all lower case, the prefix part left out when it
 * is empty or exactly `default` (LambdaStack compares case-sensitively). The infra modules set each VM's hostname to this name, so it is also
 * the Kubernetes node name.
 */
export function vmName(prefix: string | undefined | null, cluster: string, component: string, index: number): string {
  const parts = [cluster, component.replaceAll('_', '-'), 'vm', String(index)];
  if (prefix && prefix !== 'default') parts.unshift(prefix);
  return parts.join('-').toLowerCase();
}

/** Names of VMs `from..to-1`: the ones a count change from `from` to `to` adds (when `to > from`). */
export function vmNames(prefix: string | undefined | null, cluster: string, component: string, from: number, to: number): string[] {
  const names: string[] = [];
  for (let i = from; i < to; i++) names.push(vmName(prefix, cluster, component, i));
  return names;
}

/** The VMs a count change adds and removes; lowering a count removes the highest indices first. */
export function countChangeNodes(
  prefix: string | undefined | null,
  cluster: string,
  component: string,
  from: number,
  to: number,
): { add: string[]; remove: string[] } {
  if (to >= from) return { add: vmNames(prefix, cluster, component, from, to), remove: [] };
  return { add: [], remove: vmNames(prefix, cluster, component, to, from).reverse() };
}
