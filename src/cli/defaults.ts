/** Where cluster configs live in a repository, unless a command is told otherwise. */
export const DEFAULT_CONFIG_DIR = 'cluster-config';
