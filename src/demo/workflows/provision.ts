/**
 * The cluster as LambdaStack's first run left it, before the story starts: terraform state on the
 * S3 server for the workers the config has, so that the first scale-up plans only the new ones.
 * LambdaStack is run by hand, not by this project's workflows, so the demo writes a workflow of
 * its own for it (never committed to the repository): the terraform action, plan then apply, from
 * the tip of main, with the repository's variables and secrets, on the same local runner. The
 * workers booted an image LambdaStack made, named here.
 */
import type { LocalWorkflowRunner } from './local-runner.js';
import type { WorkflowRun } from './types.js';

export const PROVISION_WORKFLOW = `# LambdaStack's own first run (lambdastack apply), as the demo writes it for itself: not a workflow of the repository.
name: Record the existing workers (LambdaStack's first run)

on:
  workflow_dispatch:
    inputs:
      config:
        description: The cluster config file
        required: true
        type: string

permissions: {}

jobs:
  provision:
    name: Terraform state of the existing workers
    runs-on: ubuntu-24.04
    permissions:
      contents: read
    env:
      AWS_ACCESS_KEY_ID: \${{ secrets.AWS_ACCESS_KEY_ID }}
      AWS_SECRET_ACCESS_KEY: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - id: tfplan
        name: Terraform plan of the workers the config has
        uses: ./actions/terraform
        with:
          mode: plan
          config: \${{ inputs.config }}
          module: \${{ vars.TERRAFORM_MODULE }}
          image-id: lambdastack-initial
          backend-config: \${{ vars.STATE_BACKEND_CONFIG }}
      - name: Terraform apply of that plan
        uses: ./actions/terraform
        with:
          mode: apply
          config: \${{ inputs.config }}
          module: \${{ vars.TERRAFORM_MODULE }}
          image-id: lambdastack-initial
          backend-config: \${{ vars.STATE_BACKEND_CONFIG }}
          plan-file: \${{ steps.tfplan.outputs.plan-file }}
          working-directory: \${{ steps.tfplan.outputs.working-directory }}
`;

export function provisionExisting(runner: LocalWorkflowRunner, config: string, actor: string): Promise<WorkflowRun> {
  return runner.runOwn('provision.yml', PROVISION_WORKFLOW, {
    name: 'workflow_dispatch',
    ref: 'refs/heads/main',
    inputs: { config },
    actor,
  });
}
