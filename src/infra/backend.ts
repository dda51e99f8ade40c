import { type RemoteState, remoteStateDocumentSchema } from '../config/index.js';
import { UserError } from '../errors.js';

/**
 * terraform's backend configuration, from the cluster config's `configuration/remote-state`
 * document. The document's keys are terraform's own backend settings (README, cluster-config), so
 * they pass as they are, written as a `.tfbackend` file for `terraform init -backend-config=FILE`:
 * a file rather than `-backend-config=key=value` arguments because only the file form takes
 * nested values such as the S3 backend's `endpoints = { s3 = …, dynamodb = … }`.
 *
 * Credentials are never rendered. `validate` already refuses anything shaped like a real one, but a
 * placeholder (`XXXXXXXXXX`, `${SECRET}`) would reach terraform as a literal and fail with an
 * authentication error far from its cause, so credential settings are left out and terraform reads
 * the environment variables named here instead (set from Actions secrets or by an OIDC login).
 */

/** Backend settings that hold credentials → the environment variable terraform reads in their place. */
const CREDENTIAL_SETTINGS: Record<RemoteState['backend'], Record<string, string>> = {
  s3: {
    access_key: 'AWS_ACCESS_KEY_ID',
    secret_key: 'AWS_SECRET_ACCESS_KEY',
    token: 'AWS_SESSION_TOKEN',
  },
  azurerm: {
    access_key: 'ARM_ACCESS_KEY',
    sas_token: 'ARM_SAS_TOKEN',
    client_secret: 'ARM_CLIENT_SECRET',
    client_certificate_password: 'ARM_CLIENT_CERTIFICATE_PASSWORD',
    oidc_token: 'ARM_OIDC_TOKEN',
    oidc_request_token: 'ARM_OIDC_REQUEST_TOKEN',
  },
};

export interface BackendConfig {
  backend: RemoteState['backend'];
  /** The settings passed to terraform, as written in the document (credentials left out). */
  settings: Record<string, unknown>;
  /** Credential settings that were left out, each with the environment variable that replaces it. */
  omitted: { setting: string; variable: string }[];
}

/** The backend and its settings for `terraform init`. */
export function backendConfig(state: RemoteState): BackendConfig {
  const { backend, ...rest } = state;
  const credentials = CREDENTIAL_SETTINGS[backend];
  const settings: Record<string, unknown> = {};
  const omitted: BackendConfig['omitted'] = [];
  for (const [key, value] of Object.entries(rest)) {
    const variable = credentials[key];
    if (variable !== undefined) omitted.push({ setting: key, variable });
    else if (value !== undefined && value !== null) settings[key] = value;
  }
  return { backend, settings, omitted };
}

/**
 * The file that declares the backend in the working directory. The modules declare none (one
 * module serves every backend); a partial `backend "<type>" {}` block with every setting given at
 * init is terraform's way to choose it per run.
 */
export function backendBlock(backend: RemoteState['backend']): string {
  return `# Written by the terraform action: the backend of configuration/remote-state, configured at init.\nterraform {\n  backend "${backend}" {}\n}\n`;
}

/** The `.tfbackend` file of the settings: one `key = value` line each, values as HCL literals. */
export function renderBackendFile(config: BackendConfig): string {
  const lines = [`# Written by the terraform action from configuration/remote-state (backend "${config.backend}").`];
  for (const [key, value] of Object.entries(config.settings)) lines.push(`${hclKey(key, key)} = ${hclValue(value, key)}`);
  return `${lines.join('\n')}\n`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function hclKey(key: string, path: string): string {
  if (IDENTIFIER.test(key)) return key;
  throw new UserError(
    `configuration/remote-state: specification.${path} is not a terraform backend setting name (letters, digits, '_' and '-'): correct or remove it`,
  );
}

/**
 * A value as an HCL literal. Strings are JSON strings (HCL's escapes are JSON's) with template
 * sequences escaped, so a `${…}` or `%{…}` in a value reaches terraform as those characters
 * rather than as an interpolation.
 */
function hclValue(value: unknown, path: string): string {
  // Function replacers: in a replacement string `$$` would mean one `$`.
  if (typeof value === 'string')
    return JSON.stringify(value)
      .replaceAll('${', () => '$${')
      .replaceAll('%{', () => '%%{');
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map((item, i) => hclValue(item, `${path}[${i}]`)).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).map(([key, item]) => `${hclKey(key, `${path}.${key}`)} = ${hclValue(item, `${path}.${key}`)}`);
    return `{ ${entries.join(', ')} }`;
  }
  throw new UserError(
    `configuration/remote-state: specification.${path} must be a string, number, boolean, list or mapping (terraform backend settings are), not ${value === null ? 'null' : typeof value}`,
  );
}

/** Where the state lives, for messages and the job summary (no credentials are ever in these settings). */
export function stateLocation(state: RemoteState): string {
  if (state.backend === 's3') return `s3: ${state.bucket}/${state.key}`;
  return `azurerm: ${state.storage_account_name}/${state.container_name}/${state.key}`;
}

/** How the state is locked, for the job summary. */
export function lockDescription(state: RemoteState): string {
  if (state.backend === 's3') {
    const lockfile = state.use_lockfile === true ? ` and the lock file ${state.key}.tflock` : '';
    return `DynamoDB table ${state.dynamodb_table}${lockfile}`;
  }
  return `the lease of blob ${state.key}`;
}

/**
 * The remote state with `overrides` layered over its settings: for a store the config does not
 * name, such as an S3-compatible server in a local run (`{"endpoints": {"s3": …, "dynamodb": …},
 * "use_path_style": true}`). The backend itself cannot change, and credential settings are
 * refused as they are in the document: terraform and the store read them from the environment.
 * A key set to null removes the document's setting. `input` names the input in messages.
 */
export function overrideRemoteState(state: RemoteState, overrides: Record<string, unknown>, input: string): RemoteState {
  const credentials = CREDENTIAL_SETTINGS[state.backend];
  const merged: Record<string, unknown> = { ...state };
  for (const [key, value] of Object.entries(overrides)) {
    if (key === 'backend') {
      if (value === state.backend) continue;
      throw new UserError(
        `input \`${input}\`: backend ${JSON.stringify(value)} differs from the config's ${state.backend}: the backend comes from configuration/remote-state; override its settings only`,
      );
    }
    const variable = credentials[key];
    if (variable !== undefined) {
      throw new UserError(`input \`${input}\`: ${key} is a credential: set ${variable} in the step's environment from a secret instead`);
    }
    if (value === null) delete merged[key];
    else merged[key] = value;
  }
  const checked = remoteStateDocumentSchema.shape.specification.safeParse(merged);
  if (!checked.success) {
    const problems = checked.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new UserError(`input \`${input}\`: the remote state it makes is not valid: ${problems.join('; ')}`);
  }
  return checked.data;
}
