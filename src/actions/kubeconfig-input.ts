/**
 * The kubeconfig an action reaches its cluster with: the content of a kubeconfig file given as an
 * input (from an Actions secret), or else the KUBECONFIG variable (a step before, such as a cloud
 * provider's login action, may have written one). The content is a credential: it is masked, with
 * every credential in it, before anything can print it; it is on disk (0600, under RUNNER_TEMP) only
 * while the action runs; and no message ever quotes it.
 */
import * as core from '@actions/core';
import { KubeConfig } from '@kubernetes/client-node';
import { UserError } from '../errors.js';
import { loadKubeConfig } from '../kube/kubeconfig.js';
import { withSecretFile } from './secret-file.js';

/**
 * Masks each credential of the kubeconfig. The content as a whole is masked too, but the runner
 * masks what a log line holds, and a multi-line secret never is one line: its parts are.
 */
function maskCredentials(kubeConfig: KubeConfig): void {
  const secrets = new Set<string>();
  for (const user of kubeConfig.getUsers()) {
    for (const value of [user.token, user.password, user.keyData, user.certData]) if (value) secrets.add(value);
    for (const value of Object.values((user.authProvider?.config ?? {}) as Record<string, unknown>)) {
      if (typeof value === 'string' && value !== '') secrets.add(value);
    }
    for (const variable of (user.exec?.env ?? []) as Array<{ value?: unknown }>) {
      if (typeof variable.value === 'string' && variable.value !== '') secrets.add(variable.value);
    }
  }
  for (const secret of secrets) core.setSecret(secret);
}

/**
 * The kubeconfig in `path`, written from input `input`. The YAML parser quotes the lines around a
 * mistake in its message, so a parse failure says only where it is.
 */
function loadInputFile(input: string, path: string): KubeConfig {
  const kubeConfig = new KubeConfig();
  try {
    kubeConfig.loadFromFile(path);
  } catch (error) {
    const at = /\((\d+):(\d+)\)/.exec(error instanceof Error ? error.message : '');
    throw new UserError(
      `input \`${input}\` is not the content of a kubeconfig file${at ? ` (a YAML mistake at line ${at[1]}, column ${at[2]})` : ''}: ` +
        `give the whole file, for example \`${input}: \${{ secrets.KUBECONFIG }}\` with the file stored as that secret`,
    );
  }
  maskCredentials(kubeConfig);
  if (!kubeConfig.getCurrentCluster()) {
    throw new UserError(
      `input \`${input}\`: the kubeconfig's current-context "${kubeConfig.getCurrentContext()}" names no cluster of the file: set current-context to one of its contexts`,
    );
  }
  return kubeConfig;
}

/**
 * The kubeconfig KUBECONFIG names; a failure says that the input was empty, which is the usual fix.
 * Only the first line of the reason is kept: a YAML parser's message goes on to quote the file.
 */
function defaultKubeConfig(input: string): KubeConfig {
  try {
    return loadKubeConfig();
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(
      `input \`${input}\` is empty, so the kubeconfig comes from the environment, and ${error.message.split('\n')[0]}: pass the kubeconfig's content, for example \`${input}: \${{ secrets.KUBECONFIG }}\``,
      { cause: error },
    );
  }
}

/**
 * Runs `use` with the kubeconfig of input `input`, or of KUBECONFIG when the input is empty; the
 * input's temporary file is removed afterwards, whatever happened.
 */
export async function withKubeConfigInput<T>(input: string, use: (kubeConfig: KubeConfig) => Promise<T>): Promise<T> {
  const content = core.getInput(input);
  if (content === '') return use(defaultKubeConfig(input));
  core.setSecret(content);
  return withSecretFile(content, 'kubeconfig', (path) => use(loadInputFile(input, path)));
}
