# The worker pool on AWS: one EC2 instance per worker, count-indexed, named and hostnamed by the
# LambdaStack rule (naming.tf). The contract (variables.tf, outputs.tf) is the one every module
# under infra/terraform/ has; the terraform action adds the backend at init.

terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0, < 7.0"
    }
  }
}

provider "aws" {
  # Credentials come from the environment (an OIDC role or Actions secrets), never from here.
  region = var.region != "" ? var.region : null
}

locals {
  worker_addresses = [for worker in aws_instance.worker : worker.private_ip]
}

resource "aws_instance" "worker" {
  count = var.worker_count

  ami                    = var.image_id != "" ? var.image_id : null
  instance_type          = var.worker_size
  subnet_id              = length(var.subnet_ids) > 0 ? var.subnet_ids[count.index % length(var.subnet_ids)] : null
  vpc_security_group_ids = length(var.security_group_ids) > 0 ? var.security_group_ids : null
  key_name               = var.ssh_key_name != "" ? var.ssh_key_name : null

  # The hostname is the Kubernetes node name, so it must be the LambdaStack name, not AWS's
  # ip-10-1-1-23: cloud-init sets it before the kubelet first starts.
  user_data = join("\n", concat(
    [
      "#cloud-config",
      "preserve_hostname: false",
      "hostname: ${local.worker_names[count.index]}",
      "fqdn: ${local.worker_names[count.index]}",
    ],
    # The admin user's key, when given (a for with `if`, not a conditional of two tuples: their lengths differ).
    [for line in [
      "users:",
      "  - default",
      "  - name: ${var.admin_username}",
      "    ssh_authorized_keys:",
      "      - ${var.ssh_public_key}",
    ] : line if var.ssh_public_key != ""],
  ))

  metadata_options {
    http_tokens = "required"
  }

  tags = local.worker_tags[count.index]

  lifecycle {
    # A new image (or cloud-init) is for new workers: replacing every running worker because the
    # packer step baked a new image would drain the whole pool, which this pipeline never does.
    ignore_changes = [ami, user_data]
  }
}
