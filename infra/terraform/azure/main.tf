# The worker pool on Azure: one Linux VM and its network interface per worker, count-indexed,
# named and hostnamed (computer_name) by the LambdaStack rule (naming.tf). The contract
# (variables.tf, outputs.tf) is the one every module under infra/terraform/ has; the terraform
# action adds the backend at init.

terraform {
  required_version = ">= 1.5"

  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = ">= 3.0, < 5.0"
    }
  }
}

provider "azurerm" {
  # Credentials come from the environment (ARM_* from an OIDC login or Actions secrets).
  features {}
}

locals {
  # LambdaStack names a cluster's resource group <prefix>-<name>-rg.
  resource_group_name = var.resource_group_name != "" ? var.resource_group_name : lower("${local.name_base}-rg")
  worker_addresses    = [for nic in azurerm_network_interface.worker : nic.private_ip_address]
}

resource "azurerm_network_interface" "worker" {
  count = var.worker_count

  name                = "${local.worker_names[count.index]}-nic"
  location            = var.region
  resource_group_name = local.resource_group_name
  tags                = local.worker_tags[count.index]

  ip_configuration {
    name                          = "ipconfig"
    subnet_id                     = var.subnet_ids[count.index % length(var.subnet_ids)]
    private_ip_address_allocation = "Dynamic"
  }

  lifecycle {
    precondition {
      condition     = length(var.subnet_ids) > 0 && var.region != ""
      error_message = "The azure module needs subnet_ids (the subnets LambdaStack made for kubernetes_node) and region (the location)."
    }
  }
}

resource "azurerm_network_interface_security_group_association" "worker" {
  count = length(var.security_group_ids) > 0 ? var.worker_count : 0

  network_interface_id      = azurerm_network_interface.worker[count.index].id
  network_security_group_id = var.security_group_ids[0]
}

resource "azurerm_linux_virtual_machine" "worker" {
  count = var.worker_count

  name                  = local.worker_names[count.index]
  computer_name         = local.worker_names[count.index]
  location              = var.region
  resource_group_name   = local.resource_group_name
  size                  = var.worker_size
  admin_username        = var.admin_username
  network_interface_ids = [azurerm_network_interface.worker[count.index].id]
  source_image_id       = var.image_id != "" ? var.image_id : null
  tags                  = local.worker_tags[count.index]

  disable_password_authentication = true

  admin_ssh_key {
    username   = var.admin_username
    public_key = var.ssh_public_key
  }

  # Azure wants an image even when no worker is created (a scale-down has no packer image): the
  # stock Ubuntu LambdaStack uses then, which ignore_changes keeps off the existing workers. The
  # terraform action refuses a plan that creates workers without an image-id.
  dynamic "source_image_reference" {
    for_each = var.image_id == "" ? [1] : []
    content {
      publisher = "Canonical"
      offer     = "0001-com-ubuntu-server-focal"
      sku       = "20_04-lts-gen2"
      version   = "latest"
    }
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "StandardSSD_LRS"
  }

  lifecycle {
    # A new image is for new workers: replacing every running worker because the packer step baked
    # a new image would drain the whole pool, which this pipeline never does.
    ignore_changes = [source_image_id, source_image_reference]

    precondition {
      condition     = var.ssh_public_key != ""
      error_message = "The azure module needs ssh_public_key: the admin user's public key (Azure requires one when password login is off)."
    }
  }
}
