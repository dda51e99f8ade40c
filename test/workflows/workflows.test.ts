import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The rules every workflow of .github/workflows keeps, and what each one must do, read from the
// files themselves. (Running them is the local workflow runner's part: src/workflow.)

const ROOT = resolve(import.meta.dirname, '..', '..');
const WORKFLOWS = join(ROOT, '.github', 'workflows');

/**
 * The third-party actions the workflows may use, each pinned to the commit of a release tag,
 * checked with `git show-ref --tags` on a clone of the action's repository. Moving to another
 * release means checking its tag the same way and changing it here and in the workflows.
 */
const VERIFIED_PINS: Readonly<Record<string, { sha: string; version: string }>> = {
  'actions/checkout': { sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  'actions/setup-node': { sha: '820762786026740c76f36085b0efc47a31fe5020', version: 'v7.0.0' },
  'hashicorp/setup-terraform': { sha: 'dfe3c3f87815947d99a8997f908cb6525fc44e9e', version: 'v4.0.1' },
  'aws-actions/configure-aws-credentials': { sha: 'e6de054238d6b7531b4efff3b6587d9aade6a06c', version: 'v6.2.3' },
};

interface Step {
  id?: string;
  name?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

interface Job {
  name?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string> | string;
  strategy?: { 'fail-fast'?: boolean; matrix?: Record<string, unknown> };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  outputs?: Record<string, string>;
  steps: Step[];
}

interface Workflow {
  file: string;
  text: string;
  on: Record<string, Record<string, unknown> | null>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, Job>;
}

const workflows = new Map<string, Workflow>();

beforeAll(async () => {
  for (const file of (await readdir(WORKFLOWS)).filter((name) => /\.ya?ml$/.test(name))) {
    const text = await readFile(join(WORKFLOWS, file), 'utf8');
    workflows.set(file, { file, text, ...(parse(text) as Omit<Workflow, 'file' | 'text'>) });
  }
});

function workflow(file: string): Workflow {
  const found = workflows.get(file);
  if (!found) throw new Error(`.github/workflows/${file} is missing`);
  return found;
}

const allSteps = (w: Workflow): Array<{ job: string; step: Step }> =>
  Object.entries(w.jobs).flatMap(([job, { steps }]) => steps.map((step) => ({ job, step })));

/** The actions/<name>/action.yml of a local action: its input names, and the required ones. */
async function localAction(uses: string): Promise<{ inputs: string[]; required: string[] }> {
  const manifest = parse(await readFile(join(ROOT, uses, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { required?: boolean; default?: unknown }>;
  };
  const inputs = Object.entries(manifest.inputs ?? {});
  return {
    inputs: inputs.map(([name]) => name),
    required: inputs.filter(([, input]) => input.required === true && input.default === undefined).map(([name]) => name),
  };
}

describe('every workflow', () => {
  it('pins each third-party action to the full commit of a verified release, with its version in a comment', () => {
    const uses: string[] = [];
    for (const w of workflows.values()) {
      for (const [index, line] of w.text.split('\n').entries()) {
        const match = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(.*)$/.exec(line);
        if (!match || match[1]?.startsWith('./')) continue;
        const [, target = '', comment = ''] = match;
        const where = `${w.file}:${index + 1}`;
        const pin = /^([\w.-]+\/[\w.-]+)(?:\/[^@]+)?@([0-9a-f]{40})$/.exec(target);
        expect(pin, `${where}: ${target} is not pinned to a 40-hex commit`).not.toBeNull();
        const verified = VERIFIED_PINS[pin?.[1] ?? ''];
        expect(verified, `${where}: ${pin?.[1]} is not among the verified actions`).toBeDefined();
        expect(`${pin?.[2]} ${comment}`, where).toBe(`${verified?.sha} # ${verified?.version}`);
        uses.push(pin?.[1] ?? '');
      }
    }
    expect(new Set(uses)).toEqual(new Set(Object.keys(VERIFIED_PINS)));
  });

  it('declares its permissions, at the workflow or on every job, and never write-all', () => {
    for (const w of workflows.values()) {
      const jobs = Object.entries(w.jobs);
      const declared = w.permissions !== undefined || jobs.every(([, job]) => job.permissions !== undefined);
      expect(declared, `${w.file}: declare permissions`).toBe(true);
      for (const scope of [w.permissions, ...jobs.map(([, job]) => job.permissions)]) {
        expect(scope, w.file).not.toBe('write-all');
        expect(scope, w.file).not.toBe('read-all');
      }
    }
  });

  it('asks for an OIDC token only in the job that needs cloud credentials', () => {
    const oidc = [...workflows.values()].flatMap((w) =>
      Object.entries(w.jobs)
        .filter(([, job]) => typeof job.permissions === 'object' && job.permissions['id-token'] === 'write')
        .map(([name]) => `${w.file} ${name}`),
    );
    expect(oidc).toEqual(['apply.yml apply']);
    for (const w of workflows.values()) {
      expect(typeof w.permissions === 'object' ? w.permissions['id-token'] : undefined, w.file).toBeUndefined();
    }
  });

  it('keeps every ${{ }} out of run: scripts (inputs and event text go through env:)', () => {
    for (const w of workflows.values()) {
      for (const { job, step } of allSteps(w)) {
        if (step.run !== undefined) expect(step.run, `${w.file} ${job}: ${step.name ?? step.run}`).not.toContain('${{');
      }
    }
  });

  it('gives each local action only inputs its action.yml declares, and every required one', async () => {
    for (const w of workflows.values()) {
      for (const { job, step } of allSteps(w)) {
        if (!step.uses?.startsWith('./')) continue;
        const action = await localAction(step.uses);
        const given = Object.keys(step.with ?? {});
        const where = `${w.file} ${job}: ${step.name ?? step.uses}`;
        expect(
          given.filter((input) => !action.inputs.includes(input)),
          `${where}: unknown inputs`,
        ).toEqual([]);
        expect(
          action.required.filter((input) => !given.includes(input)),
          `${where}: missing inputs`,
        ).toEqual([]);
      }
    }
  });

  it('checks out without leaving the job token in the git config', () => {
    for (const w of workflows.values()) {
      for (const { job, step } of allSteps(w)) {
        if (step.uses?.startsWith('actions/checkout@')) expect(step.with?.['persist-credentials'], `${w.file} ${job}`).toBe(false);
      }
    }
  });
});

describe('apply.yml', () => {
  const apply = (): Job => workflow('apply.yml').jobs.apply as Job;
  const stepIndex = (predicate: (step: Step) => boolean, what: string): number => {
    const index = apply().steps.findIndex(predicate);
    expect(index, what).toBeGreaterThanOrEqual(0);
    return index;
  };
  const terraformStep = (mode: string) => (step: Step) => step.uses === './actions/terraform' && step.with?.mode === mode;

  it('runs on a push to the default branch that touches cluster-config/, and on demand for a re-run', () => {
    const w = workflow('apply.yml');
    expect(w.on.push).toEqual({ branches: ['main'], paths: ['cluster-config/**'] });
    expect(w.on.workflow_dispatch).toMatchObject({ inputs: { base: { default: 'HEAD~1', required: true } } });
    expect(w.permissions).toEqual({});
    expect(w.jobs.plan?.if).toBe('github.ref_name == github.event.repository.default_branch');
  });

  it('plans once, then runs one job per cluster scaled, each in a concurrency group of its own that never cancels a run', () => {
    const w = workflow('apply.yml');
    const plan = w.jobs.plan as Job;
    expect(plan.steps.find((step) => step.uses === './actions/plan')?.with).toEqual({ base: '${{ inputs.base }}' });
    expect(plan.outputs).toMatchObject({ clusters: '${{ steps.plan.outputs.clusters }}', plan: '${{ steps.plan.outputs.plan }}' });
    expect(apply().needs).toBe('plan');
    expect(apply().strategy).toEqual({ 'fail-fast': false, matrix: { cluster: '${{ fromJSON(needs.plan.outputs.clusters) }}' } });
    expect(apply().concurrency).toEqual({ group: 'apply-${{ matrix.cluster.id }}', 'cancel-in-progress': false });
    expect(apply().permissions).toEqual({ contents: 'read', 'id-token': 'write' });
  });

  it("goes in design.md's order: packer (only when nodes are added) → terraform plan → drain → apply of the saved plan → ansible", () => {
    const packer = stepIndex((step) => step.uses === './actions/packer', 'packer');
    const plan = stepIndex(terraformStep('plan'), 'terraform plan');
    const drain = stepIndex((step) => step.uses === './actions/drain', 'drain');
    const applyStep = stepIndex(terraformStep('apply'), 'terraform apply');
    const ansible = stepIndex((step) => step.uses === './actions/ansible', 'ansible');
    expect([packer, plan, drain, applyStep, ansible]).toEqual([...[packer, plan, drain, applyStep, ansible]].sort((a, b) => a - b));
    expect(apply().steps[packer]?.if).toBe('matrix.cluster.adds');
  });

  it('drains exactly the destroy set of the saved plan, and applies that file only if the drain did not fail', () => {
    const steps = apply().steps;
    const plan = steps.find(terraformStep('plan')) as Step;
    const drain = steps.find((step) => step.uses === './actions/drain') as Step;
    const applyStep = steps.find(terraformStep('apply')) as Step;
    expect(drain.with?.nodes).toBe(`\${{ steps.${plan.id}.outputs.destroy-nodes }}`);
    expect(applyStep.with).toMatchObject({
      'plan-file': `\${{ steps.${plan.id}.outputs.plan-file }}`,
      'working-directory': `\${{ steps.${plan.id}.outputs.working-directory }}`,
      'scale-plan': '${{ needs.plan.outputs.plan }}',
    });
    // No status function: the apply runs only while every step before it succeeded.
    expect(applyStep.if).toBeUndefined();
    for (const step of steps) expect(step.if ?? '', step.name ?? step.uses).not.toMatch(/always\(\)|failure\(\)|cancelled\(\)/);
  });

  it('configures the created nodes only, with the SSH key and kubeconfig from secrets, never from the cluster', () => {
    const steps = apply().steps;
    const applyStep = steps.find(terraformStep('apply')) as Step;
    const ansible = steps.find((step) => step.uses === './actions/ansible') as Step;
    const drain = steps.find((step) => step.uses === './actions/drain') as Step;
    expect(ansible.with?.hosts).toBe(`\${{ steps.${applyStep.id}.outputs.create }}`);
    expect(ansible.with?.['ssh-private-key']).toMatch(/^\$\{\{ secrets\[.*\] \|\| secrets\.SSH_PRIVATE_KEY \}\}$/);
    expect(drain.with?.kubeconfig).toMatch(/^\$\{\{ secrets\[.*\] \|\| secrets\.KUBECONFIG \}\}$/);
  });

  it('lets repository variables point the module, the state store and the image at local stand-ins (the demo)', () => {
    const steps = apply().steps;
    for (const step of [steps.find(terraformStep('plan')), steps.find(terraformStep('apply'))]) {
      expect(step?.with).toMatchObject({ module: '${{ vars.TERRAFORM_MODULE }}', 'backend-config': '${{ vars.STATE_BACKEND_CONFIG }}' });
    }
    expect(steps.find((step) => step.uses === './actions/packer')?.with).toMatchObject({
      template: '${{ vars.PACKER_TEMPLATE }}',
      'backend-config': '${{ vars.STATE_BACKEND_CONFIG }}',
    });
  });
});

describe('pr.yml', () => {
  it('validates, then posts the plan as one comment, also when validation failed', () => {
    const w = workflow('pr.yml');
    expect(w.on.pull_request).toEqual({ paths: ['cluster-config/**'] });
    const job = w.jobs.plan as Job;
    expect(job.permissions).toEqual({ contents: 'read', 'pull-requests': 'write' });
    const validate = job.steps.findIndex((step) => step.uses === './actions/validate');
    const plan = job.steps.findIndex((step) => step.uses === './actions/plan');
    expect(validate).toBeGreaterThan(0);
    expect(plan).toBeGreaterThan(validate);
    expect(job.steps[plan]?.with).toMatchObject({ comment: true });
    expect(job.steps[plan]?.if).toBe('${{ !cancelled() }}');
    expect(w.concurrency).toEqual({ group: 'plan-pr-${{ github.event.pull_request.number }}', 'cancel-in-progress': true });
  });
});

describe('scale.yml', () => {
  it('takes cluster, component, count and reason from a form and gives them to the scale action', () => {
    const w = workflow('scale.yml');
    expect(Object.keys((w.on.workflow_dispatch as { inputs: object }).inputs)).toEqual(['cluster', 'component', 'count', 'reason']);
    const job = w.jobs.scale as Job;
    expect(job.permissions).toEqual({ contents: 'write', 'pull-requests': 'write' });
    expect(job.steps.find((step) => step.uses === './actions/scale')?.with).toEqual({
      cluster: '${{ inputs.cluster }}',
      component: '${{ inputs.component }}',
      count: '${{ inputs.count }}',
      reason: '${{ inputs.reason }}',
      token: '${{ secrets.SCALE_TOKEN || github.token }}',
    });
  });
});

describe('ci.yml', () => {
  it('runs the set-up, bundles, lint, types, tests, terraform fmt and validate, and builds the watcher image', () => {
    const runs = allSteps(workflow('ci.yml')).map(({ step }) => step.run ?? '');
    for (const command of [
      'npm run setup',
      'npm run bundle:check',
      'npm run lint',
      'npm run typecheck',
      'npm test',
      'terraform fmt -check -recursive',
      'validate',
      'docker build',
    ]) {
      expect(
        runs.some((run) => run.includes(command)),
        command,
      ).toBe(true);
    }
    expect(workflow('ci.yml').jobs.terraform?.strategy?.matrix).toEqual({ module: ['aws', 'azure', 'local'] });
  });
});
