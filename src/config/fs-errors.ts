import { TransientError, UserError } from '../errors.js';

/**
 * A file-system failure in the tool's taxonomy. Permissions, missing files and wrong kinds of
 * file are the user's to fix (refused, exit 1, naming the path); anything else (a full disk, an
 * I/O error, too many open files) may pass, so it is "retry later".
 */
export function fileSystemFailure(error: unknown, path: string): Error {
  if (error instanceof UserError || error instanceof TransientError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return new UserError(`${path}: permission denied`, { cause: error });
    case 'ENOENT':
      return new UserError(`${path}: no such file or directory`, { cause: error });
    case 'ENOTDIR':
      return new UserError(`${path}: a part of the path is not a directory`, { cause: error });
    case 'EISDIR':
      return new UserError(`${path}: is a directory, not a file`, { cause: error });
    case 'ELOOP':
      return new UserError(`${path}: too many symbolic links (a link that points to itself?)`, { cause: error });
    case 'EROFS':
      return new UserError(`${path}: the file system is read-only`, { cause: error });
    default:
      return new TransientError(`${path}: ${(error as Error | undefined)?.message ?? String(error)}`, { cause: error });
  }
}

/** Runs a file-system call, turning its failure into `fileSystemFailure`. */
export async function onFile<T>(path: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw fileSystemFailure(error, path);
  }
}
