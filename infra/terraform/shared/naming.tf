# LambdaStack's VM naming rule, the same in every module (src/plan/naming.ts vmName is the
# reference): VM i of kubernetes_node in cluster <name> with prefix <p> is
# <p>-<name>-kubernetes-node-vm-<i>, lower case, the prefix part left out when it is empty or
# exactly "default". The name is also the VM's hostname, so it is the Kubernetes node name the
# drain step is given.
locals {
  name_base    = var.prefix == "" || var.prefix == "default" ? var.cluster_name : "${var.prefix}-${var.cluster_name}"
  worker_names = [for i in range(var.worker_count) : lower("${local.name_base}-kubernetes-node-vm-${i}")]

  # Tags every module puts on a worker: the terraform action reads a plan by resource address and
  # count index, and these say the same to someone looking at the cloud console. No '/' in the
  # keys: Azure refuses it in tag names.
  worker_tags = [for i, name in local.worker_names : merge(var.tags, {
    Name                     = name
    "lambdastack-cluster"    = lower(local.name_base)
    "lambdastack-component"  = "kubernetes_node"
    "lambdastack-node-index" = tostring(i)
  })]
}
