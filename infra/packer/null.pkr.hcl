# A worker image without a cloud, for the demo and the tests: the null builder starts no VM, and a
# shell-local provisioner "bakes" the image by running the same node playbook the cloud templates
# run (infra/ansible/image.yml) into a directory of its own, images_dir/<image id>/root. With
# images_dir empty it bakes nothing and only says what it would have made.
#
# The contract every template of infra/packer keeps (the packer action passes these variables and
# reads the manifest it writes):
#   content_hash, kubernetes_version, base_image, manifest_path; one source; a manifest post-processor
#   writing var.manifest_path. The null builder has no artifact id, so this one names its image in
#   custom_data.image_id, derived from the content hash: the same inputs give the same id.

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
  description = "The image this one starts from; here only a label written into the image."
}

variable "manifest_path" {
  type        = string
  description = "Where the manifest post-processor writes (the packer action reads it)."
}

variable "images_dir" {
  type        = string
  default     = ""
  description = "Where local images are kept; empty: bake nothing."
}

locals {
  image_id = "local-${substr(var.content_hash, 0, 16)}"
}

source "null" "node" {
  communicator = "none"
}

build {
  sources = ["source.null.node"]

  # The values reach the script as environment variables, never spliced into its text, so no value
  # can change what the script does.
  provisioner "shell-local" {
    environment_vars = [
      "IMAGE_ID=${local.image_id}",
      "IMAGES_DIR=${var.images_dir}",
      "KUBERNETES_VERSION=${var.kubernetes_version}",
      "BASE_IMAGE=${var.base_image}",
      "CONTENT_HASH=${var.content_hash}",
      "PLAYBOOK=${path.root}/../ansible/image.yml",
    ]
    inline = [
      "set -eu",
      "if [ -z \"$IMAGES_DIR\" ]; then echo \"would bake $IMAGE_ID: Kubernetes $KUBERNETES_VERSION on $BASE_IMAGE\"; exit 0; fi",
      "mkdir -p \"$IMAGES_DIR/$IMAGE_ID/root\"",
      "ANSIBLE_CONFIG=\"$(dirname \"$PLAYBOOK\")/ansible.cfg\" ansible-playbook -i localhost, -c local \"$PLAYBOOK\" -e ansible_become=false -e \"{\\\"lsa_root\\\": \\\"$IMAGES_DIR/$IMAGE_ID/root\\\", \\\"kubernetes_version\\\": \\\"$KUBERNETES_VERSION\\\"}\"",
      "printf '%s %s %s %s\\n' \"$IMAGE_ID\" \"$CONTENT_HASH\" \"$KUBERNETES_VERSION\" \"$BASE_IMAGE\" >> \"$IMAGES_DIR/bakes.log\"",
    ]
  }

  post-processor "manifest" {
    output     = var.manifest_path
    strip_path = true
    custom_data = {
      image_id     = local.image_id
      content_hash = var.content_hash
    }
  }
}
