// Local stand-ins for the third-party actions this project's workflows use, matched by owner/name
// whatever ref or SHA pins them. Each says what it does instead ("stand-in: …"); any other action
// from a repository is refused before the run starts (unsupported.ts).
import { isAbsolute, relative, resolve } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../errors.js';
import { checkout } from './checkout.js';

/** What a stand-in may use of the job and step it runs in. */
export interface StandInContext {
  uses: string;
  /** `with:`, evaluated. */
  inputs: Readonly<Record<string, string>>;
  workspace: string;
  repositoryDir: string;
  repository: string;
  /** github.sha and github.ref of the run. */
  sha: string;
  ref: string;
  /** The environment the step would run with (PATH included). */
  env: Readonly<Record<string, string>>;
  /** Prints a line of the step's log. */
  say(line: string): void;
  /** Sets a variable for the steps after this one (as GITHUB_ENV does). */
  exportVariable(name: string, value: string, secret?: boolean): void;
  warn(message: string): void;
}

export interface StandInResult {
  outputs: Record<string, string>;
}

type StandIn = (context: StandInContext) => Promise<StandInResult>;

function number(inputs: Readonly<Record<string, string>>, name: string, fallback: number): number {
  const value = inputs[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0)
    throw new UserError(`with.${name}: a whole number of 0 or more, not ${JSON.stringify(value)}`);
  return parsed;
}

/** Inputs a stand-in ignores that change what the real action does: said, never silently dropped. */
function ignored(context: StandInContext, names: Record<string, string>): void {
  for (const [name, why] of Object.entries(names)) {
    if (context.inputs[name] !== undefined && context.inputs[name] !== '') context.say(`  with.${name} ignored: ${why}`);
  }
}

const actionsCheckout: StandIn = async (context) => {
  const repository = context.inputs.repository;
  if (repository !== undefined && repository !== '' && repository.toLowerCase() !== context.repository.toLowerCase()) {
    throw new UserError(
      `actions/checkout of another repository (${repository}) is not supported locally: only ${context.repository} (${context.repositoryDir})`,
    );
  }
  const path = context.inputs.path ?? '';
  const dest = resolve(context.workspace, path);
  const inside = relative(context.workspace, dest);
  if (inside.startsWith('..') || isAbsolute(inside)) throw new UserError(`actions/checkout: path ${path} is outside the workspace`);
  const fetchDepth = number(context.inputs, 'fetch-depth', 1);
  const ref = context.inputs.ref !== undefined && context.inputs.ref !== '' ? context.inputs.ref : context.sha;
  ignored(context, {
    token: 'no credentials are needed for a local clone',
    'ssh-key': 'no credentials are needed for a local clone',
    submodules: 'submodules are not checked out locally',
    lfs: 'Git LFS files are not fetched locally',
    'sparse-checkout': 'the whole tree is checked out locally',
  });
  const result = await checkout({
    repositoryDir: context.repositoryDir,
    ref,
    branchRef: ref === context.sha ? context.ref : ref,
    fetchDepth,
    fetchTags: context.inputs['fetch-tags'] === 'true',
    dest,
  });
  context.say(
    `stand-in: actions/checkout → a fresh clone of ${context.repositoryDir} at ${result.commit.slice(0, 12)}` +
      `${result.branch === undefined ? ' (detached)' : ` on ${result.branch}`}, ${fetchDepth === 0 ? 'all history (fetch-depth 0)' : `fetch-depth ${fetchDepth}`}, in ${dest}`,
  );
  return { outputs: { ref: result.branch === undefined ? ref : `refs/heads/${result.branch}`, commit: result.commit } };
};

const setupNode: StandIn = async (context) => {
  const running = process.versions.node;
  const asked = context.inputs['node-version'] ?? '';
  const major = running.split('.')[0];
  context.say(`stand-in: actions/setup-node → Node ${running}, the Node running this runner, first on PATH; nothing is downloaded`);
  if (asked !== '' && !new RegExp(`^v?${major}(\\b|\\.|$)`).test(asked.trim()) && asked.trim() !== 'lts/*') {
    context.warn(`actions/setup-node asked for node-version ${asked}; the steps run on Node ${running}`);
  }
  ignored(context, { cache: 'no dependency cache is restored or saved locally', 'registry-url': 'no .npmrc is written locally' });
  return { outputs: { 'node-version': `v${running}`, 'cache-hit': 'false' } };
};

const setupTerraform: StandIn = async (context) => {
  const found = await execa('terraform', ['version', '-json'], {
    env: { ...context.env, CHECKPOINT_DISABLE: '1' },
    extendEnv: false,
    reject: false,
  });
  if (found.exitCode !== 0) {
    throw new UserError(
      'hashicorp/setup-terraform: terraform is not on PATH here (install it: https://developer.hashicorp.com/terraform/install)',
    );
  }
  let version = 'unknown';
  try {
    version = String((JSON.parse(String(found.stdout)) as { terraform_version?: string }).terraform_version ?? version);
  } catch {
    // An old terraform without -json: the version stays unknown, which changes nothing here.
  }
  context.say(`stand-in: hashicorp/setup-terraform → terraform ${version} already on PATH; nothing is downloaded`);
  const asked = context.inputs.terraform_version ?? '';
  if (asked !== '' && asked !== 'latest' && !version.startsWith(asked.replace(/^[~^<>=v ]+/, ''))) {
    context.warn(`hashicorp/setup-terraform asked for terraform ${asked}; the steps run terraform ${version}`);
  }
  if (context.inputs.terraform_wrapper !== 'false') {
    context.say('  the terraform wrapper is not installed: terraform steps have no stdout, stderr or exitcode outputs');
  }
  ignored(context, { cli_config_credentials_token: 'no terraform CLI credentials file is written locally' });
  return { outputs: {} };
};

const configureAwsCredentials: StandIn = async (context) => {
  context.say('stand-in: aws-actions/configure-aws-credentials → no AWS login happens and no role is assumed');
  const region = context.inputs['aws-region'];
  if (region !== undefined && region !== '') {
    context.exportVariable('AWS_REGION', region);
    context.exportVariable('AWS_DEFAULT_REGION', region);
  }
  const pairs: Array<[string, string]> = [
    ['aws-access-key-id', 'AWS_ACCESS_KEY_ID'],
    ['aws-secret-access-key', 'AWS_SECRET_ACCESS_KEY'],
    ['aws-session-token', 'AWS_SESSION_TOKEN'],
  ];
  const given = pairs.filter(([input]) => (context.inputs[input] ?? '') !== '');
  for (const [input, variable] of given) context.exportVariable(variable, context.inputs[input] as string, true);
  if (context.inputs['role-to-assume']) context.say(`  role-to-assume ${context.inputs['role-to-assume']} is not assumed`);
  const present = [
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_S3',
  ].filter((name) => (context.env[name] ?? '') !== '' || given.some(([, variable]) => variable === name));
  context.say(
    `  credentials the steps get: ${given.length > 0 ? 'the keys given in with:, ' : ''}${present.length > 0 ? `this environment's ${present.join(', ')}` : 'none in this environment (set AWS_* variables or pass them with --secret)'}`,
  );
  return { outputs: {} };
};

const azureLogin: StandIn = async (context) => {
  context.say('stand-in: azure/login → no Azure login happens (no az CLI session)');
  const present = Object.keys(context.env).filter((name) => /^(ARM|AZURE)_/.test(name));
  context.say(
    `  credentials the steps get: ${present.length > 0 ? `this environment's ${present.sort().join(', ')}` : 'none in this environment (set ARM_* or AZURE_* variables)'}`,
  );
  ignored(context, { creds: 'no service principal login happens locally' });
  return { outputs: {} };
};

const STAND_INS: Record<string, StandIn> = {
  'actions/checkout': actionsCheckout,
  'actions/setup-node': setupNode,
  'hashicorp/setup-terraform': setupTerraform,
  'aws-actions/configure-aws-credentials': configureAwsCredentials,
  'azure/login': azureLogin,
};

/** The actions that have a stand-in, by owner/name. */
export const STAND_IN_NAMES: readonly string[] = Object.keys(STAND_INS);

/** `owner/name` of a `uses: owner/name[/path]@ref`, lower-cased; undefined for local and docker actions. */
export function actionName(uses: string): { name: string; path: string; ref: string } | undefined {
  const match = /^([^./][^/@]*)\/([^/@]+)((?:\/[^@]*)?)@(.+)$/.exec(uses);
  if (!match) return undefined;
  return { name: `${match[1]}/${match[2]}`.toLowerCase(), path: match[3] ?? '', ref: match[4] ?? '' };
}

/** The stand-in for `uses`, or undefined when there is none. */
export function standInFor(uses: string): StandIn | undefined {
  const action = actionName(uses);
  if (action === undefined || action.path !== '') return undefined;
  return STAND_INS[action.name];
}
