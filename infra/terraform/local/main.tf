# The local worker pool: the same contract as aws and azure, built on terraform_data (terraform's
# built-in provider, so nothing is downloaded), for the demo and the tests. Each worker is a
# count-indexed resource whose state records what a VM would have: its name, size, image and an
# address on the loopback network.

terraform {
  required_version = ">= 1.5"
}

locals {
  # 127.0.0.1, 127.0.0.2, … : every 127/8 address reaches this machine, so a local ansible run can
  # connect to "worker i" as it would to a VM.
  worker_addresses = [for i in range(var.worker_count) : cidrhost("127.0.0.0/8", i + 1)]
}

resource "terraform_data" "worker" {
  count = var.worker_count

  input = {
    name     = local.worker_names[count.index]
    hostname = local.worker_names[count.index]
    index    = count.index
    address  = local.worker_addresses[count.index]
    size     = var.worker_size
    image_id = var.image_id
    tags     = local.worker_tags[count.index]
  }

  lifecycle {
    # As on aws and azure: a new image is for new workers; existing ones keep the one they booted.
    ignore_changes = [input["image_id"]]
  }
}
