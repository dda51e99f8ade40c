# The outputs every module gives: the ansible action builds its inventory from `workers`.

output "workers" {
  description = "Every worker, lowest index first: {name, index, address}. name is the hostname and the Kubernetes node name; address the private IP ansible connects to."
  value = [for i, name in local.worker_names : {
    name    = name
    index   = i
    address = local.worker_addresses[i]
  }]
}

output "worker_names" {
  description = "The workers' names, lowest index first."
  value       = local.worker_names
}
