/** Where cluster configs live in a repository, unless a command is told otherwise. */
export const DEFAULT_CONFIG_DIR = 'cluster-config';

/** A file name that can hold a cluster config. */
export function isYamlFile(name: string): boolean {
  return /\.ya?ml$/i.test(name);
}
