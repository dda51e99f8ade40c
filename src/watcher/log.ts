/**
 * The watcher's log: one JSON object per line (time, level, msg, then the fields), as log
 * collectors in a cluster read them. Secrets given to the logger (the GitHub token) are masked in
 * every line, whatever field or error message they turn up in, so no code path has to remember it.
 */
import { ConfigError, describeWithCauses, formatProblem, TransientError, UserError } from '../errors.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** The least severe level written. */
  level: LogLevel;
  /** Receives each line, without its newline. */
  write: (line: string) => void;
  /** Strings that must never appear in a line (the token): each is replaced by `***`. */
  secrets?: readonly (string | undefined)[];
  /** The clock of the `time` field (default: the process clock). */
  now?: () => number;
}

export const MASK = '***';

/** `text` with every secret replaced by the mask. Secrets shorter than 4 characters are not masked: they would mask ordinary words. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let masked = text;
  for (const secret of secrets) if (secret && secret.length >= 4) masked = masked.replaceAll(secret, MASK);
  return masked;
}

/** The kind of an error in the tool's taxonomy, as logs and metrics label it. */
export function errorKind(error: unknown): 'transient' | 'refused' | 'config' | 'internal' {
  if (error instanceof TransientError) return 'transient';
  if (error instanceof ConfigError) return 'config';
  if (error instanceof UserError) return 'refused';
  return 'internal';
}

/** An error as log fields: its message with its causes, its kind, and the stack of a bug. */
export function errorFields(error: unknown): Record<string, unknown> {
  const kind = errorKind(error);
  if (!(error instanceof Error)) return { error: String(error), errorKind: kind };
  const message = error instanceof ConfigError ? error.problems.map(formatProblem).join('\n') : describeWithCauses(error);
  return { error: message, errorKind: kind, ...(kind === 'internal' && error.stack ? { stack: error.stack } : {}) };
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Fields are JSON; what JSON cannot hold (an Error, a bigint, a Map) is turned into something readable. */
function jsonValue(_key: string, value: unknown): unknown {
  if (value instanceof Error) return errorFields(value).error;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const secrets = options.secrets ?? [];
  const line =
    (level: LogLevel) =>
    (msg: string, fields: LogFields = {}): void => {
      if (RANK[level] < RANK[options.level]) return;
      const time = new Date(now()).toISOString();
      // time, level and msg come first, and a field of the same name never replaces them.
      const rest = Object.entries(fields).filter(([key]) => key !== 'time' && key !== 'level' && key !== 'msg');
      let text: string;
      try {
        text = JSON.stringify({ time, level, msg, ...Object.fromEntries(rest) }, jsonValue);
      } catch (error) {
        // A cycle in the fields must not take the watcher down: the line says what it could not write.
        text = JSON.stringify({ time, level, msg, logError: `fields not serialisable: ${String(error)}` });
      }
      options.write(maskSecrets(text, secrets));
    };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}

/** A logger that writes nothing (tests that do not look at the log). */
export const silentLogger: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** The level LOG_LEVEL names; undefined or empty means info. */
export function parseLogLevel(value: string | undefined): LogLevel | undefined {
  if (value === undefined || value.trim() === '') return 'info';
  const level = value.trim().toLowerCase();
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LogLevel) : undefined;
}

/**
 * The error with every secret masked in its message and its causes', as the same class (so its
 * exit code is kept), for the CLI's report on stderr. An error without a secret is returned as is.
 */
export function redactError(error: unknown, secrets: readonly (string | undefined)[]): unknown {
  if (!(error instanceof Error)) return error;
  const text = error instanceof ConfigError ? error.message : describeWithCauses(error);
  if (maskSecrets(text, secrets) === text) return error;
  if (error instanceof ConfigError) {
    return new ConfigError(error.problems.map((problem) => ({ ...problem, message: maskSecrets(problem.message, secrets) })));
  }
  const message = maskSecrets(describeWithCauses(error), secrets);
  if (error instanceof TransientError) return new TransientError(message);
  if (error instanceof UserError) return new UserError(message);
  return new Error(message);
}
