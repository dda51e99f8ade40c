/**
 * STAND-IN for the workflow files, until src/workflow (the local runner) and .github/workflows
 * (apply.yml, pr.yml, scale.yml) land: each "workflow" here calls the same bundled actions, from
 * the same checkout, in the order design.md gives the workflow, with the inputs the workflow takes
 * from the event, `vars.*` and `secrets.*` (WorkflowEnvironment). It is replaced by a runner that
 * executes the real files with runWorkflow; nothing in the scenario depends on which one runs.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { clusterId, parseClusterConfig } from '../../config/index.js';
import type { ScalePlan } from '../../plan/index.js';
import { upsertComment } from './comment.js';
import {
  describeAnsible,
  describeApply,
  describeDrain,
  describePacker,
  describePlan,
  describeScale,
  describeTerraformPlan,
  describeValidate,
  parsePlan,
  shortNode,
} from './describe.js';
import { Job } from './job.js';
import type { WorkflowEnvironment, WorkflowEvent, WorkflowFile, WorkflowRun, WorkflowRunner } from './types.js';

/** The hidden mark of the plan comment, so a later run updates it instead of adding another. */
export const PLAN_COMMENT_MARK = '<!-- lambdastack-autoscaler: scale plan -->';

/** The cloud credentials of the terraform and packer steps (`env:` from secrets, as the workflow sets them). */
function awsEnv(env: WorkflowEnvironment): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: env.secrets.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: env.secrets.AWS_SECRET_ACCESS_KEY ?? '',
    AWS_REGION: env.vars.AWS_REGION ?? '',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** Runs one workflow at a time (the runs share the checkout), as the story runs them. */
export class StandInRunner implements WorkflowRunner {
  readonly label = 'stand-in: the bundled actions in the workflow order';
  private runs = 0;

  constructor(private readonly env: WorkflowEnvironment) {}

  async run(workflow: WorkflowFile, event: WorkflowEvent): Promise<WorkflowRun> {
    const job = await Job.start(workflow, ++this.runs, event, this.env);
    if (workflow === 'apply.yml') await apply(job);
    else if (workflow === 'pr.yml') await pullRequestCheck(job);
    else await scale(job);
    return job.finish();
  }
}

/** apply.yml on a push to main: plan → packer → terraform plan → drain → terraform apply → ansible, per scaled cluster. */
async function apply(job: Job): Promise<void> {
  const { vars, secrets } = job.env;
  const plan = await job.uses('scale plan', 'plan', {}, { describe: describePlan });
  const scaled = parsePlan(plan.outputs.plan).clusters.filter((cluster) => cluster.change === 'scaled' && cluster.components.length > 0);
  const aws = awsEnv(job.env);
  for (const cluster of scaled) {
    const adds = cluster.components.some((c) => c.add.length > 0);
    const packer = await job.uses(
      'packer',
      'packer',
      {
        config: cluster.file,
        template: vars.PACKER_TEMPLATE ?? '',
        'base-image': vars.PACKER_BASE_IMAGE ?? '',
        variables: vars.PACKER_VARIABLES ?? '',
      },
      { env: aws, when: adds, describe: describePacker },
    );
    const terraform = {
      config: cluster.file,
      module: vars.TERRAFORM_MODULE ?? '',
      'image-id': packer.outputs['image-id'] ?? '',
      'scale-plan': plan.outputs.plan ?? '',
    };
    const saved = await job.uses(
      'terraform plan',
      'terraform',
      { ...terraform, mode: 'plan' },
      { env: aws, describe: describeTerraformPlan },
    );
    const destroy = saved.outputs['destroy-nodes'] ?? '';
    await job.uses(
      'drain',
      'drain',
      { nodes: destroy, kubeconfig: secrets.KUBECONFIG ?? '', timeout: vars.DRAIN_TIMEOUT || '600' },
      { when: destroy !== '', describe: describeDrain },
    );
    const applied = await job.uses(
      'terraform apply',
      'terraform',
      { ...terraform, mode: 'apply' },
      { env: aws, when: saved.outputs['has-changes'] === 'true', describe: describeApply },
    );
    const created = applied.outputs['create-nodes'] ?? '';
    // The cluster's inventory is <dir>/<provider>/<prefix>-<name>.yml, as apply.yml names it.
    const id = clusterId(parseClusterConfig(cluster.file, await readFile(join(job.workspace, cluster.file), 'utf8')));
    await job.uses(
      'ansible',
      'ansible',
      {
        hosts: applied.outputs.create ?? '[]',
        inventory: `${vars.ANSIBLE_INVENTORY_DIR || 'inventory'}/${id}.yml`,
        config: cluster.file,
        'retry-delay': vars.ANSIBLE_RETRY_DELAY || '30',
      },
      { when: created !== '', describe: describeAnsible },
    );
  }
}

function planComment(plan: ScalePlan, runId: number): string {
  const rows = plan.clusters.map((cluster) => {
    const add = cluster.components.flatMap((c) => c.add).map(shortNode);
    const remove = cluster.components.flatMap((c) => c.remove).map(shortNode);
    const change = cluster.components.map((c) => `${c.component} ${c.from} → ${c.to}`).join('<br>') || cluster.change;
    return `| ${cluster.name} (\`${cluster.file}\`) | ${change} | ${add.join(', ') || '—'} | ${remove.join(', ') || '—'} |`;
  });
  return [
    PLAN_COMMENT_MARK,
    '### Scale plan',
    '',
    rows.length === 0
      ? 'No cluster changes.'
      : ['| Cluster | Change | Nodes added | Nodes removed |', '| --- | --- | --- | --- |', ...rows].join('\n'),
    '',
    `_Run ${runId}: posted by the lambdastack-autoscaler demo's stand-in for pr.yml; the workflow itself adds the monthly cost change._`,
  ].join('\n');
}

/** pr.yml on a pull request: validate, the scale plan against the base, one plan comment (updated in place). */
async function pullRequestCheck(job: Job): Promise<void> {
  const { event } = job;
  if (event.name !== 'pull_request') throw new Error(`pr.yml runs on pull_request, not ${event.name}`);
  await job.uses('validate', 'validate', { path: 'cluster-config' }, { describe: describeValidate });
  const plan = await job.uses('scale plan', 'plan', { base: event.base.sha, head: event.head.sha }, { describe: describePlan });
  await job.own('plan comment', async () => {
    const written = await upsertComment(job.env, event.number, PLAN_COMMENT_MARK, planComment(parsePlan(plan.outputs.plan), job.id));
    return `plan comment ${written} on PR #${event.number}`;
  });
}

/** scale.yml on workflow_dispatch: the scale action opens a PR for the form's count. */
async function scale(job: Job): Promise<void> {
  const { event } = job;
  if (event.name !== 'workflow_dispatch') throw new Error(`scale.yml runs on workflow_dispatch, not ${event.name}`);
  await job.uses(
    'scale',
    'scale',
    {
      cluster: event.inputs.cluster ?? '',
      component: event.inputs.component ?? '',
      count: event.inputs.count ?? '',
      reason: event.inputs.reason ?? '',
      token: job.env.secrets.SCALE_TOKEN || job.env.secrets.GITHUB_TOKEN || '',
    },
    { describe: describeScale },
  );
}

/**
 * The cluster as LambdaStack's first run left it, before the demo starts: terraform state for the
 * workers the config has (so that the first scale-up plans only the new ones). The terraform
 * action, plan then apply, from main; the workers booted an image LambdaStack made, named here.
 */
export async function provisionExisting(env: WorkflowEnvironment, config: string): Promise<WorkflowRun> {
  // Run by hand on main, as LambdaStack is: a dispatch checks out the branch's tip.
  const job = await Job.start('provision', 0, { name: 'workflow_dispatch', ref: 'refs/heads/main', inputs: {}, actor: env.actor }, env);
  const aws = awsEnv(env);
  const inputs = { config, module: env.vars.TERRAFORM_MODULE ?? '', 'image-id': 'lambdastack-initial' };
  await job.uses('terraform plan', 'terraform', { ...inputs, mode: 'plan' }, { env: aws, describe: describeTerraformPlan });
  await job.uses('terraform apply', 'terraform', { ...inputs, mode: 'apply' }, { env: aws, describe: describeApply });
  return job.finish();
}
