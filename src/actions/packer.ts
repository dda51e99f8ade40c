// The `packer` action (actions/packer/action.yml): the worker image for a scale-up. It hashes what
// goes into the image (template, node playbooks, Kubernetes version, base image, provider
// settings), reuses the image recorded under that hash beside the cluster's terraform state, and
// otherwise bakes one with `packer build` and records it (create-only, so concurrent runs agree on
// one image per hash). Built into actions/packer/dist/index.js by `npm run bundle`.
import { isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import { clusterId, type RemoteState } from '../config/index.js';
import { UserError } from '../errors.js';
import { DirectoryStore } from '../infra/directory-store.js';
import { type ImageHash, imageHash } from '../infra/image-hash.js';
import { findImage, IMAGE_RECORD_SCHEMA, type ImageRecord, imageRecordKey, recordImage, recordPrefixOf } from '../infra/image-record.js';
import type { ObjectStore } from '../infra/object-store.js';
import { buildImage, TEMPLATE_VARIABLES, VARIABLE_NAME } from '../infra/packer.js';
import { objectStoreFor } from '../infra/state-store.js';
import { workerSettings } from '../infra/worker-settings.js';
import { clusterConfigInput, listInput, remoteStateInput, runnerTemp } from './infra-inputs.js';
import { workspaceDir, workspacePath } from './inputs.js';
import { runAction } from './run-action.js';
import { escapeHtml, fileLink, headerRow, writeSummary } from './summary.js';

/** The node playbooks an image bakes in, when the `playbooks` input does not say. */
const DEFAULT_PLAYBOOKS = 'infra/ansible';

/** `name=value` lines of the `variables` input, for the template's provider settings. */
function variablesInput(): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of core.getInput('variables').split('\n')) {
    if (line.trim() === '') continue;
    const equals = line.indexOf('=');
    const name = line.slice(0, Math.max(equals, 0)).trim();
    if (equals < 0 || !VARIABLE_NAME.test(name)) {
      throw new UserError(
        `input \`variables\`: ${JSON.stringify(line.trim())} is not \`name=value\`: write one packer variable a line, for example \`region=eu-west-1\``,
      );
    }
    if ((TEMPLATE_VARIABLES as readonly string[]).includes(name)) {
      throw new UserError(
        `input \`variables\`: ${name} is set by the action from the cluster config and its other inputs: remove it (use \`base-image\` for the base image)`,
      );
    }
    variables[name] = line.slice(equals + 1).trim();
  }
  return variables;
}

/**
 * The store the image record goes to: the `store` input's directory when given (local runs, the
 * demo, the tests), otherwise the one beside the terraform state that the cluster config's
 * configuration/remote-state document names.
 */
function storeFor(given: string, workspace: string, state: RemoteState | undefined, file: string): { store: ObjectStore; prefix: string } {
  if (given !== '') {
    const path = given.startsWith('file://') ? given.slice('file://'.length) : given;
    return { store: new DirectoryStore(isAbsolute(path) ? path : resolve(workspace, path)), prefix: '' };
  }
  if (!state) {
    throw new UserError(
      `${file} has no configuration/remote-state document: the image record lives beside the terraform state, so add one (or set input \`store\` to a directory for a local run)`,
    );
  }
  // The bucket or container of the state (S3 with its DynamoDB lock table arbitrating, or Azure Blob).
  return { store: objectStoreFor(state), prefix: recordPrefixOf(state.key) };
}

/** The `builtBy` of a record: the workflow run, when on GitHub. */
function builtBy(): ImageRecord['builtBy'] {
  const { GITHUB_REPOSITORY: repository, GITHUB_RUN_ID: runId, GITHUB_SHA: sha } = process.env;
  return { ...(repository ? { repository } : {}), ...(runId ? { runId } : {}), ...(sha ? { sha } : {}) };
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

interface Outcome {
  record: ImageRecord;
  cacheHit: boolean;
  /** The image this run baked and did not record (another run recorded the hash first). */
  unused?: string;
  buildMs?: number;
}

function addSummary(cluster: string, hashed: ImageHash, record: ImageRecord, outcome: Outcome, where: string): void {
  const image = `<code>${escapeHtml(record.imageId)}</code>`;
  const headline = outcome.cacheHit
    ? `♻️ cache hit: image ${image}, baked ${escapeHtml(record.builtAt)}; nothing built`
    : outcome.unused
      ? `⚠️ baked <code>${escapeHtml(outcome.unused)}</code> in ${seconds(outcome.buildMs ?? 0)}, but another run recorded ${image} for the same inputs first: using ${image}; <code>${escapeHtml(outcome.unused)}</code> is unused and can be deleted`
      : `🔨 baked image ${image} in ${seconds(outcome.buildMs ?? 0)} and recorded it`;
  core.summary
    .addHeading(`Worker image: ${escapeHtml(cluster)}`, 2)
    .addRaw(`<p>${headline}</p>`, true)
    .addTable([
      headerRow('What went in', 'Value'),
      ['Kubernetes version', escapeHtml(record.kubernetesVersion)],
      ['Base image', `<code>${escapeHtml(record.baseImage)}</code>`],
      ['Template', fileLink(record.template)],
      ['Content hash (sha256)', `<code>${hashed.hash}</code>`],
      ['Record', `<code>${escapeHtml(where)}</code>`],
    ])
    .addDetails(
      `${hashed.files.length} file(s) hashed`,
      `<table><tr><th>File</th><th>sha256</th></tr>${hashed.files
        .map((file) => `<tr><td>${fileLink(file.path)}</td><td><code>${file.sha256.slice(0, 16)}</code></td></tr>`)
        .join('')}</table>`,
    );
}

async function packer(): Promise<void> {
  const started = Date.now();
  const workspace = workspaceDir();
  const file = await clusterConfigInput('config', workspace);
  const settings = workerSettings(file);
  const cluster = clusterId(file.config);

  const templateGiven = core.getInput('template') || (file.config.provider === 'any' ? '' : `infra/packer/${file.config.provider}.pkr.hcl`);
  if (templateGiven === '') {
    throw new UserError(`${file.config.file} is for provider \`any\`: set input \`template\` to the packer template to build with`);
  }
  const template = await workspacePath('template', templateGiven, workspace);
  const playbooks = await Promise.all(
    (listInput('playbooks').length > 0 ? listInput('playbooks') : [DEFAULT_PLAYBOOKS]).map((path) =>
      workspacePath('playbooks', path, workspace),
    ),
  );
  const baseImage = core.getInput('base-image') || settings.baseImage;
  if (!baseImage) {
    throw new UserError(
      `input \`base-image\` is empty and ${file.config.file} does not name the workers' OS image (os_full_name, or storage_image_reference, of their infrastructure/virtual-machine document): set \`base-image\``,
    );
  }
  const variables = variablesInput();
  const state = remoteStateInput('backend-config', file.config.remoteState, file.config.file);
  const { store, prefix } = storeFor(core.getInput('store'), workspace, state, file.config.file);

  const hashed = await imageHash({ workspace, template, playbooks, kubernetesVersion: settings.kubernetesVersion, baseImage, variables });
  core.info(
    `content hash ${hashed.hash} of ${hashed.files.length} file(s), Kubernetes ${settings.kubernetesVersion}, base image ${baseImage}`,
  );
  core.debug(hashed.description);
  const where = `${store.location}/${imageRecordKey(hashed.hash, prefix)}`;

  let outcome: Outcome;
  const found = await findImage(store, hashed.hash, prefix);
  if (found) {
    core.info(`cache hit: ${where} records image ${found.imageId}; nothing to build`);
    outcome = { record: found, cacheHit: true };
  } else {
    core.info(`no image recorded at ${where}: baking one with packer`);
    const buildStarted = Date.now();
    const built = await buildImage(
      {
        template,
        cwd: workspace,
        variables: { ...variables, content_hash: hashed.hash, kubernetes_version: settings.kubernetesVersion, base_image: baseImage },
      },
      runnerTemp(),
    );
    const buildMs = Date.now() - buildStarted;
    const { record, lostRace } = await recordImage(
      store,
      {
        schema: IMAGE_RECORD_SCHEMA,
        hash: hashed.hash,
        imageId: built.imageId,
        artifactId: built.artifactId,
        builder: built.builderType,
        template,
        kubernetesVersion: settings.kubernetesVersion,
        baseImage,
        files: hashed.files,
        packerRunUuid: built.packerRunUuid,
        builtAt: new Date().toISOString(),
        builtBy: builtBy(),
      },
      prefix,
    );
    if (lostRace) {
      core.warning(
        `another run recorded image ${record.imageId} for these inputs while this one baked ${built.imageId}: using ${record.imageId}; ${built.imageId} is unused and can be deleted`,
      );
      outcome = { record, cacheHit: false, unused: built.imageId, buildMs };
    } else {
      core.info(`recorded image ${record.imageId} at ${where}`);
      outcome = { record, cacheHit: false, buildMs };
    }
  }

  core.setOutput('image-id', outcome.record.imageId);
  core.setOutput('cache-hit', String(outcome.cacheHit));
  core.setOutput('hash', hashed.hash);
  core.setOutput('record', where);
  addSummary(cluster, hashed, outcome.record, outcome, where);
  await writeSummary();
  core.info(`image ${outcome.record.imageId} (${outcome.cacheHit ? 'cache hit' : 'baked'}) in ${seconds(Date.now() - started)}`);
}

await runAction(packer);
