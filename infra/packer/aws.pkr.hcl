# The worker image on AWS: an EBS-backed AMI made from the base image (an AMI name, the workers'
# os_full_name), with the node playbook (infra/ansible/image.yml) run on it by ansible over SSH.
# Credentials come from the environment (AWS_ACCESS_KEY_ID and friends, or the runner's OIDC role),
# never from variables.
#
# The packer action passes content_hash, kubernetes_version, base_image and manifest_path, plus the
# names of its `variables` input (region, instance_type, subnet_id, …).

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
  description = "The name of the AMI to start from, e.g. ubuntu/images/hvm-ssd/ubuntu-bionic-18.04-amd64-server-20210907."
}

variable "manifest_path" {
  type        = string
  description = "Where the manifest post-processor writes (the packer action reads it)."
}

variable "region" {
  type        = string
  default     = "eu-west-1"
  description = "The region the AMI is made in (the cluster's specification.cloud.region)."
}

variable "base_image_owner" {
  type        = string
  default     = "099720109477"
  description = "The account that owns the base AMI (Canonical's by default)."
}

variable "instance_type" {
  type        = string
  default     = "t3.medium"
  description = "The instance the image is baked on."
}

variable "subnet_id" {
  type        = string
  default     = ""
  description = "A subnet with a route to the internet for the bake; empty: the default VPC."
}

variable "ssh_username" {
  type        = string
  default     = "ubuntu"
  description = "The base image's login user."
}

locals {
  # Unique per bake (an AMI name must be), and findable by its hash.
  ami_name = "lambdastack-node-${var.kubernetes_version}-${substr(var.content_hash, 0, 12)}-${formatdate("YYYYMMDDhhmmss", timestamp())}"
}

source "amazon-ebs" "node" {
  region        = var.region
  instance_type = var.instance_type
  subnet_id     = var.subnet_id
  ssh_username  = var.ssh_username
  ami_name      = local.ami_name

  source_ami_filter {
    filters = {
      name                = var.base_image
      root-device-type    = "ebs"
      virtualization-type = "hvm"
    }
    owners      = [var.base_image_owner]
    most_recent = true
  }

  tags = {
    Name                                = local.ami_name
    "lambdastack-autoscaler/hash"       = var.content_hash
    "lambdastack-autoscaler/kubernetes" = var.kubernetes_version
    "lambdastack-autoscaler/base-image" = var.base_image
  }
}

build {
  sources = ["source.amazon-ebs.node"]

  provisioner "ansible" {
    playbook_file = "${path.root}/../ansible/image.yml"
    user          = var.ssh_username
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
