// design.md's cluster at benchmark size, built in a kube simulator (dist/): workers of m5.2xlarge
// (8 vCPU, 32 GiB, 110 pods) with 30 pods each. Two of them are kube-system's DaemonSet pods
// (kube-proxy, flannel); the other 28 come from Deployments of 1,000 replicas (100m CPU, 256 MiB
// each) in 20 namespaces, each behind a PodDisruptionBudget; plus a control-plane node with its
// mirror pods, and CoreDNS. bench/sim-kube.js times the build; bench/watcher.js runs the watcher
// against it.
//
// Every pod is created by its ReplicaSet or DaemonSet, placed by the scheduler (filters and
// scores), started by its kubelet and counted by its budget, inside `cluster.bootstrap` (no Normal
// events, no watch history: see src/sim/kube/README.md, "At benchmark size"). Nothing is bound
// directly.

export const PODS_PER_NODE = 30;
export const DEPLOYMENT_SIZE = 1000;
export const NAMESPACES = 20;

/**
 * Adds the control plane `master`, `nodes` workers named `worker(i)`, and the workloads to an
 * empty SimCluster (whose worker size should be m5.2xlarge).
 */
export function populate(cluster, { nodes, master, worker }) {
  const workloadPods = nodes * (PODS_PER_NODE - 2);
  cluster.bootstrap(() => {
    cluster.addNode(master, { role: 'control-plane' });
    for (let i = 0; i < nodes; i++) cluster.addNode(worker(i));
    for (let d = 0; d * DEPLOYMENT_SIZE < workloadPods; d++) {
      const namespace = `team-${d % NAMESPACES}`;
      const name = `app-${d}`;
      cluster.createDeployment({
        name,
        namespace,
        replicas: Math.min(DEPLOYMENT_SIZE, workloadPods - d * DEPLOYMENT_SIZE),
        requests: { cpu: '100m', memory: '256Mi' },
      });
      cluster.createPodDisruptionBudget({ name, namespace, selector: { app: name }, maxUnavailable: '10%' });
    }
  });
}
