import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError } from '../errors.js';

/**
 * The SSH private key of an ansible run, on disk only while the run lasts: in a directory of its
 * own (0700) under the runner's temporary directory, as a file only its owner can read (0600, which
 * ssh insists on), removed afterwards whatever happened.
 */
export interface KeyFile {
  /** The key file, for `--private-key`. */
  readonly path: string;
  /** Removes the key and its directory; safe to call more than once. */
  remove(): Promise<void>;
}

/** The PEM or OpenSSH armour of a private key: `-----BEGIN … PRIVATE KEY-----`. */
const PRIVATE_KEY = /^-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY-----\n[\s\S]+\n-----END ([A-Z0-9]+ )*PRIVATE KEY-----\n$/;

/**
 * The key as ssh reads it: LF line endings and a final newline (a secret pasted from a Windows
 * editor has CRLF, and one copied without its last line break is refused by OpenSSH as "invalid
 * format"). Throws a UserError that names the input, and never quotes the key.
 */
export function normalisePrivateKey(key: string, input: string): string {
  const text = `${key.replace(/\r\n?/g, '\n').trim()}\n`;
  if (!PRIVATE_KEY.test(text)) {
    throw new UserError(
      `input \`${input}\` is not an SSH private key: put the whole key file, from its -----BEGIN … PRIVATE KEY----- line to its -----END … PRIVATE KEY----- line, in the secret`,
    );
  }
  return text;
}

/**
 * Writes `key` (already normalised) to a new file under `parent`. The file is created with mode
 * 0600 and exclusively (`wx`), so nothing else's file is ever written through, and chmod'ed again
 * in case a umask took bits away from what ssh needs.
 */
export async function writeKeyFile(key: string, parent: string): Promise<KeyFile> {
  const dir = await mkdtemp(join(parent, 'lsa-ssh-'));
  const path = join(dir, 'id');
  let removed = false;
  // On SIGINT or SIGTERM (a cancelled job), the key goes before the process does: synchronously,
  // since nothing asynchronous runs once the process is exiting.
  const onSignal = (signal: NodeJS.Signals): void => {
    rmSync(dir, { recursive: true, force: true });
    process.kill(process.pid, signal);
  };
  const remove = async (): Promise<void> => {
    if (removed) return;
    removed = true;
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await writeFile(path, key, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
  } catch (error) {
    await remove();
    throw error;
  }
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return { path, remove };
}
