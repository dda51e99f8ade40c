# The worker image on Azure: a managed image made from the base image (a marketplace URN
# publisher:offer:sku:version, the workers' storage_image_reference), with the node playbook
# (infra/ansible/image.yml) run on it by ansible over SSH. The service principal comes from the
# environment (ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID, ARM_SUBSCRIPTION_ID), never from
# the `variables` input; without them, packer uses the runner's managed identity.
#
# The packer action passes content_hash, kubernetes_version, base_image and manifest_path, plus the
# names of its `variables` input (resource_group, region, vm_size, …).

variable "content_hash" {
  type        = string
  description = "sha256 of what goes into the image (computed by the packer action)."
}

variable "kubernetes_version" {
  type        = string
  description = "The Kubernetes release baked in: configuration/kubernetes-node specification.version."
}

variable "base_image" {
  type        = string
  description = "The marketplace image to start from, as publisher:offer:sku:version."
}

variable "manifest_path" {
  type        = string
  description = "Where the manifest post-processor writes (the packer action reads it)."
}

variable "resource_group" {
  type        = string
  default     = "lambdastack-images"
  description = "The resource group the managed image goes to."
}

variable "region" {
  type        = string
  default     = "West Europe"
  description = "The location of the bake and the image (the cluster's specification.cloud.region)."
}

variable "vm_size" {
  type        = string
  default     = "Standard_DS2_v2"
  description = "The VM the image is baked on."
}

variable "subscription_id" {
  type        = string
  default     = env("ARM_SUBSCRIPTION_ID")
  description = "The subscription; ARM_SUBSCRIPTION_ID by default."
}

variable "client_id" {
  type        = string
  default     = env("ARM_CLIENT_ID")
  description = "The service principal; ARM_CLIENT_ID by default."
}

variable "client_secret" {
  type        = string
  default     = env("ARM_CLIENT_SECRET")
  sensitive   = true
  description = "The service principal's secret; ARM_CLIENT_SECRET by default."
}

variable "tenant_id" {
  type        = string
  default     = env("ARM_TENANT_ID")
  description = "The tenant; ARM_TENANT_ID by default."
}

locals {
  urn        = split(":", var.base_image)
  image_name = "lambdastack-node-${var.kubernetes_version}-${substr(var.content_hash, 0, 12)}-${formatdate("YYYYMMDDhhmmss", timestamp())}"
}

source "azure-arm" "node" {
  subscription_id = var.subscription_id
  client_id       = var.client_id
  client_secret   = var.client_secret
  tenant_id       = var.tenant_id

  location = var.region
  vm_size  = var.vm_size
  os_type  = "Linux"

  image_publisher = local.urn[0]
  image_offer     = local.urn[1]
  image_sku       = local.urn[2]
  image_version   = local.urn[3]

  managed_image_name                = local.image_name
  managed_image_resource_group_name = var.resource_group

  azure_tags = {
    "lambdastack-autoscaler-hash"       = var.content_hash
    "lambdastack-autoscaler-kubernetes" = var.kubernetes_version
  }
}

build {
  sources = ["source.azure-arm.node"]

  provisioner "ansible" {
    playbook_file = "${path.root}/../ansible/image.yml"
    extra_arguments = [
      "--extra-vars", "kubernetes_version=${var.kubernetes_version}",
    ]
    ansible_env_vars = ["ANSIBLE_CONFIG=${path.root}/../ansible/ansible.cfg"]
  }

  post-processor "manifest" {
    output     = var.manifest_path
    strip_path = true
    custom_data = {
      content_hash = var.content_hash
    }
  }
}
