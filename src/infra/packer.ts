import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { TransientError, UserError } from '../errors.js';
import { utf8LocaleEnv } from './locale.js';

/**
 * Runs packer for the packer action: `validate`, then `build`, then reads what the build made from
 * the manifest post-processor's file. Always an argument array, never a shell, so a variable's
 * value is one argument whatever it holds.
 *
 * The template contract (infra/packer/*.pkr.hcl): it declares the variables `content_hash`,
 * `kubernetes_version`, `base_image` and `manifest_path`, builds one source, and ends with
 * `post-processor "manifest" { output = var.manifest_path }`.
 */

/** The variables the action always passes; a template must declare them. */
export const TEMPLATE_VARIABLES = ['content_hash', 'kubernetes_version', 'base_image', 'manifest_path'] as const;

/** A packer variable name (HCL2 identifiers). */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface PackerRun {
  /** The template, relative to `cwd` or absolute. */
  template: string;
  /** The directory packer runs in (the workspace). */
  cwd: string;
  /** Every `-var`: the template contract's (but manifest_path, which is made here) and the user's. */
  variables: Record<string, string>;
  /** The packer executable. */
  packer?: string;
  /** Extra environment (credentials come from the step's environment already). */
  env?: Record<string, string>;
  /** Where packer's log goes: this process's output (the Actions log), or nowhere (tests). */
  log?: 'inherit' | 'ignore';
}

/** What one `packer build` made, from its manifest. */
export interface BuiltImage {
  /** The id later steps use: the manifest's `custom_data.image_id` when the template sets one, else the AMI or image id. */
  imageId: string;
  /** The builder's artifact id as the manifest has it: `eu-west-1:ami-0abc…` for amazon-ebs, the managed image's resource id for azure-arm. */
  artifactId: string;
  builderType: string;
  packerRunUuid: string;
}

/** The manifest post-processor's file, as far as it is read here. */
interface Manifest {
  builds?: Array<{
    name?: string;
    builder_type?: string;
    artifact_id?: string;
    packer_run_uuid?: string;
    custom_data?: Record<string, unknown> | null;
  }>;
  last_run_uuid?: string;
}

/**
 * The environment of every packer process: no update check (there is nothing to update on a
 * runner, and it is a network call), no colour codes in the log.
 */
function packerEnv(extra: Record<string, string> | undefined): Record<string, string> {
  // The null template runs ansible-playbook, which needs a UTF-8 locale.
  return { CHECKPOINT_DISABLE: '1', PACKER_NO_COLOR: '1', ...utf8LocaleEnv(), ...extra };
}

function varArgs(variables: Record<string, string>): string[] {
  return Object.entries(variables).flatMap(([name, value]) => ['-var', `${name}=${value}`]);
}

/** The last lines of a process's output, for a message. */
function tail(text: string, lines = 20): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * The id later steps use from a manifest entry. The null builder has no artifact of its own
 * ("Null"), so a template may name the image in `custom_data.image_id`; amazon-ebs writes
 * `region:ami-…` (one pair per region it copied to), of which the first region's AMI is the id.
 */
export function imageIdOf(build: NonNullable<Manifest['builds']>[number]): string {
  const custom = build.custom_data?.image_id;
  if (typeof custom === 'string' && custom !== '') return custom;
  const artifact = build.artifact_id ?? '';
  const ami = /^[a-z0-9-]+:(ami-[0-9a-f]+)(,|$)/.exec(artifact);
  return ami?.[1] ?? artifact;
}

/** Checks the template with the variables a build would get: a broken template is the user's to fix, not a reason to retry. */
export async function validateTemplate(run: PackerRun, manifestPath = '/dev/null'): Promise<void> {
  const result = await execa(
    run.packer ?? 'packer',
    ['validate', ...varArgs({ ...run.variables, manifest_path: manifestPath }), run.template],
    { cwd: run.cwd, env: packerEnv(run.env), reject: false, all: true },
  );
  if (result.exitCode !== 0) {
    throw new UserError(
      `packer validate refused ${run.template}:\n${tail(String(result.all))}\n` +
        `The template must declare the variables ${TEMPLATE_VARIABLES.join(', ')} and every name of the \`variables\` input, and end with a manifest post-processor writing var.manifest_path`,
    );
  }
}

/**
 * Builds the image: packer's log streams to this process's stdout (the Actions log) as it runs,
 * and the manifest is written to a fresh temporary file, so only this build's entry is in it.
 */
export async function buildImage(run: PackerRun, tempParent: string): Promise<BuiltImage> {
  const dir = await mkdtemp(join(tempParent, 'lsa-packer-'));
  const manifestPath = join(dir, 'manifest.json');
  try {
    await validateTemplate(run, manifestPath);
    const result = await execa(
      run.packer ?? 'packer',
      ['build', '-color=false', ...varArgs({ ...run.variables, manifest_path: manifestPath }), run.template],
      { cwd: run.cwd, env: packerEnv(run.env), reject: false, stdin: 'ignore', stdout: run.log ?? 'inherit', stderr: run.log ?? 'inherit' },
    );
    if (result.exitCode !== 0) {
      throw new TransientError(
        `packer build of ${run.template} failed (exit ${result.exitCode ?? result.signal}): the log above says why; nothing was recorded`,
      );
    }
    // Awaited here, so the manifest is read before `finally` removes its directory.
    return await readManifest(manifestPath, run.template);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** This run's build in a manifest file. */
async function readManifest(path: string, template: string): Promise<BuiltImage> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(path, 'utf8')) as Manifest;
  } catch (error) {
    throw new UserError(
      `packer build of ${template} wrote no readable manifest at var.manifest_path: end the template's build with \`post-processor "manifest" { output = var.manifest_path }\``,
      { cause: error },
    );
  }
  const builds = (manifest.builds ?? []).filter((build) => build.packer_run_uuid === manifest.last_run_uuid);
  const [build] = builds;
  if (!build || builds.length > 1) {
    throw new UserError(`packer build of ${template} made ${builds.length} artifacts: a worker image template builds exactly one source`);
  }
  const imageId = imageIdOf(build);
  // The null builder's artifact id is the word "Null", which names no image.
  if (imageId === '' || (build.builder_type === 'null' && imageId === build.artifact_id)) {
    throw new UserError(
      `packer build of ${template} gave no image id: its builder has no artifact id, so set \`custom_data = { image_id = … }\` in the manifest post-processor`,
    );
  }
  return {
    imageId,
    artifactId: build.artifact_id ?? '',
    builderType: build.builder_type ?? 'unknown',
    packerRunUuid: build.packer_run_uuid ?? '',
  };
}
