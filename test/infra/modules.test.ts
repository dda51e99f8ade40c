import { readdir, readFile, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { WORKER_RESOURCE_NAME, WORKER_RESOURCE_TYPES } from '../../src/infra/plan-changes.js';
import { WORKER_POOL_OUTPUTS, WORKER_POOL_VARIABLES } from '../../src/infra/tfvars.js';
import { vmName } from '../../src/plan/naming.js';
import { tempDir } from '../support/temp.js';

const MODULES_DIR = resolve(import.meta.dirname, '..', '..', 'infra', 'terraform');
const MODULES = ['aws', 'azure', 'local'] as const;
/** The files that carry the contract and the naming rule: one copy in shared/, linked from every module. */
const SHARED_FILES = ['variables.tf', 'naming.tf', 'outputs.tf'];

const env = { PATH: process.env.PATH, HOME: process.env.HOME, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };
const terraform = (args: string[], cwd: string) => execa('terraform', args, { cwd, env, extendEnv: false, reject: false });

/** The names of the top-level blocks `kind "name"` in a module's .tf files (variable, output, resource type.name). */
async function blocks(module: string, kind: 'variable' | 'output' | 'resource'): Promise<string[]> {
  const dir = join(MODULES_DIR, module);
  const names: string[] = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith('.tf')).sort()) {
    const text = await readFile(join(dir, file), 'utf8');
    const pattern = kind === 'resource' ? /^resource\s+"([^"]+)"\s+"([^"]+)"/gm : new RegExp(`^${kind}\\s+"([^"]+)"`, 'gm');
    for (const match of text.matchAll(pattern)) names.push(kind === 'resource' ? `${match[1]}.${match[2]}` : (match[1] as string));
  }
  return names;
}

describe('the worker pool modules (infra/terraform/{aws,azure,local}): one contract', () => {
  it.each(MODULES)('%s declares exactly the contract’s variables and outputs (src/infra/tfvars.ts)', async (module) => {
    expect((await blocks(module, 'variable')).sort()).toEqual([...WORKER_POOL_VARIABLES].sort());
    expect((await blocks(module, 'output')).sort()).toEqual([...WORKER_POOL_OUTPUTS].sort());
  });

  it('links the contract and the naming rule from shared/, so no module can drift from the others', async () => {
    for (const module of MODULES) {
      for (const file of SHARED_FILES) {
        expect(await readlink(join(MODULES_DIR, module, file)), `${module}/${file}`).toBe(`../shared/${file}`);
      }
    }
  });

  it.each(MODULES)('%s has its worker VM as <type>.worker of a type the plan reader knows, and declares no backend', async (module) => {
    const workers = (await blocks(module, 'resource')).filter((r) => r.endsWith(`.${WORKER_RESOURCE_NAME}`));
    const vms = workers.filter((r) => (WORKER_RESOURCE_TYPES as readonly string[]).includes(r.split('.')[0] as string));
    expect(vms).toHaveLength(1);
    for (const file of (await readdir(join(MODULES_DIR, module))).filter((f) => f.endsWith('.tf'))) {
      expect(await readFile(join(MODULES_DIR, module, file), 'utf8')).not.toMatch(/^\s*backend\s+"/m);
    }
  });

  it('are formatted: terraform fmt -check', async () => {
    const result = await terraform(['fmt', '-check', '-recursive', '-diff', '.'], MODULES_DIR);
    expect(result.exitCode, `${result.stdout}${result.stderr}`).toBe(0);
  });

  // `terraform providers` reads a module without its providers: here, that is as far as aws and azure
  // can be checked (validate needs the providers, which cannot be downloaded on this machine; GitHub CI validates them).
  it.each([
    ['aws', 'hashicorp/aws'],
    ['azure', 'hashicorp/azurerm'],
  ])('%s parses and requires %s', async (module, provider) => {
    const dir = await tempDir('lsa-module-');
    await execa('cp', ['-rL', `${join(MODULES_DIR, module)}/.`, dir]);
    const result = await terraform(['providers', '-no-color'], dir);
    expect(result.exitCode, `${result.stdout}${result.stderr}`).toBe(0);
    expect(String(result.stdout)).toContain(`provider[registry.terraform.io/${provider}]`);
  });

  // aws and azure need their providers, which cannot be downloaded here: they are validated in GitHub CI.
  it('local validates (terraform validate, with terraform’s built-in provider only)', async () => {
    const dir = await tempDir('lsa-module-');
    await execa('cp', ['-rL', `${join(MODULES_DIR, 'local')}/.`, dir]);
    expect((await terraform(['init', '-backend=false', '-input=false', '-no-color'], dir)).exitCode).toBe(0);
    const result = await terraform(['validate', '-no-color'], dir);
    expect(result.exitCode, `${result.stdout}${result.stderr}`).toBe(0);
  });

  it('names workers by LambdaStack’s rule (src/plan/naming.ts vmName), hostnames included, for every kind of prefix', async () => {
    const dir = await tempDir('lsa-module-');
    await execa('cp', ['-rL', `${join(MODULES_DIR, 'local')}/.`, dir]);
    expect((await terraform(['init', '-backend=false', '-input=false', '-no-color'], dir)).exitCode).toBe(0);
    const cases: [string, string][] = [
      ['demo', 'shop'],
      ['', 'shop'],
      ['default', 'shop'],
      // LambdaStack compares with "default" case-sensitively, then lower-cases the whole name.
      ['Default', 'Shop'],
      ['Team-A', 'Big-Cluster'],
    ];
    for (const [prefix, cluster] of cases) {
      const vars = [
        '-var',
        `prefix=${prefix}`,
        '-var',
        `cluster_name=${cluster}`,
        '-var',
        'worker_count=3',
        '-var',
        'worker_size=t3.medium',
      ];
      const plan = await terraform(['plan', '-input=false', '-no-color', '-out=p.tfplan', ...vars], dir);
      expect(plan.exitCode, plan.stderr).toBe(0);
      const shown = JSON.parse(String((await terraform(['show', '-json', 'p.tfplan'], dir)).stdout));
      const expected = [0, 1, 2].map((i) => vmName(prefix, cluster, 'kubernetes_node', i));
      expect(shown.planned_values.outputs.worker_names.value, `${prefix}/${cluster}`).toEqual(expected);
      const inputs = shown.resource_changes.map(
        (c: { change: { after: { input: { name: string; hostname: string } } } }) => c.change.after.input,
      );
      expect(inputs.map((i: { hostname: string }) => i.hostname)).toEqual(expected);
    }
  });
});
