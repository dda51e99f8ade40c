# The worker pool contract, shared by every module under infra/terraform/ (aws, azure, local):
# each module links this file (and naming.tf, outputs.tf) from shared/, so all three have the same
# variables and outputs and the terraform action renders one set of variables from the cluster
# config whatever the cloud. test/infra/modules.test.ts checks them against src/infra/tfvars.ts.

variable "cluster_name" {
  description = "The cluster's specification.name: part of every VM name."
  type        = string

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty (it is the cluster config's specification.name)."
  }
}

variable "prefix" {
  description = "The cluster's specification.prefix. Empty or \"default\" means VM names have no prefix part (LambdaStack's rule)."
  type        = string
  default     = ""
}

variable "worker_count" {
  description = "How many workers: specification.components.kubernetes_node.count. Lowering it destroys the highest indices."
  type        = number

  validation {
    condition     = var.worker_count >= 0 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number, 0 or more."
  }
}

variable "worker_size" {
  description = "The VM size of a worker (t3.medium, Standard_DS1_v2): the size of the infrastructure/virtual-machine document kubernetes_node's machine names."
  type        = string
}

variable "image_id" {
  description = "The image new workers boot (an AMI id, an Azure image id): the packer action's output. Existing workers keep theirs. Empty when no worker is created."
  type        = string
  default     = ""
}

variable "region" {
  description = "The AWS region or Azure location. Ignored by the local module."
  type        = string
  default     = ""
}

variable "resource_group_name" {
  description = "Azure only: the resource group of the workers; empty means LambdaStack's <prefix>-<name>-rg. Ignored by aws and local."
  type        = string
  default     = ""
}

variable "subnet_ids" {
  description = "Subnets for the workers, used in turn (worker i in subnet i mod n), as LambdaStack spreads a component over its subnets. Required by azure; aws uses the default VPC's when empty; local ignores them."
  type        = list(string)
  default     = []
}

variable "security_group_ids" {
  description = "aws: the workers' security groups; azure: the first is the network security group of each worker's NIC. Ignored by local."
  type        = list(string)
  default     = []
}

variable "admin_username" {
  description = "The admin user on the workers (specification.admin_user.name): the user ansible connects as."
  type        = string
  default     = "ubuntu"
}

variable "ssh_key_name" {
  description = "aws: the EC2 key pair the workers accept. Ignored by azure and local."
  type        = string
  default     = ""
}

variable "ssh_public_key" {
  description = "The admin user's SSH public key (a public key, never a private one). Required by azure; aws adds it through cloud-init when set; local ignores it."
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags (aws) or tags (azure) on every worker, beside the ones the module sets (Name, cluster, component, index)."
  type        = map(string)
  default     = {}
}
