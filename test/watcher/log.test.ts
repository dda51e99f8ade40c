import { describe, expect, it } from 'vitest';
import { ConfigError, TransientError, UserError } from '../../src/errors.js';
import { createLogger, errorFields, maskSecrets, parseLogLevel, redactError } from '../../src/watcher/log.js';

const TOKEN = 'ghp_0123456789abcdefABCDEF0123456789abcd';
const T = Date.parse('2026-11-05T10:00:00Z');

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info'): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level, write: (line) => lines.push(line), secrets: [TOKEN], now: () => T }) };
}

describe('the JSON log', () => {
  it('writes one object per line: time, level and msg first, then the fields', () => {
    const { lines, log } = capture();
    log.info('cycle', { cluster: 'shop', desired: 5, msg: 'a field cannot replace the message' });
    expect(lines).toEqual(['{"time":"2026-11-05T10:00:00.000Z","level":"info","msg":"cycle","cluster":"shop","desired":5}']);
  });

  it('leaves out the levels below LOG_LEVEL', () => {
    const { lines, log } = capture('warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['warn', 'error']);
  });

  it('never writes the token: in a field, an error message or its causes, or deep in a value', () => {
    const { lines, log } = capture('debug');
    const cause = new Error(`request to https://x-access-token:${TOKEN}@github.example failed`);
    log.error('failed', { error: new TransientError('GitHub: cannot read', { cause }), header: `token ${TOKEN}`, deep: { list: [TOKEN] } });
    log.debug(`authorization: Bearer ${TOKEN}`);
    expect(lines.join('\n')).not.toContain(TOKEN);
    expect(lines.join('\n')).not.toContain(TOKEN.slice(4));
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ header: 'token ***', deep: { list: ['***'] } });
    expect(JSON.parse(lines[0] ?? '{}').error).toContain('x-access-token:***@github.example');
  });

  it('writes a line even when a field cannot be serialised', () => {
    const { lines, log } = capture();
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    log.info('odd', { loop });
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ msg: 'odd', logError: expect.stringContaining('not serialisable') });
  });
});

describe('errors in the log', () => {
  it('gives the message with its causes and the kind; a bug also its stack', () => {
    expect(errorFields(new TransientError('retry', { cause: new Error('socket hang up') }))).toEqual({
      error: 'retry: socket hang up',
      errorKind: 'transient',
    });
    expect(errorFields(new UserError('refused'))).toEqual({ error: 'refused', errorKind: 'refused' });
    expect(errorFields(new ConfigError([{ file: 'a.yml', line: 3, column: 4, message: 'bad' }]))).toEqual({
      error: 'a.yml:3:4: bad',
      errorKind: 'config',
    });
    expect(errorFields(new TypeError('oops'))).toMatchObject({
      error: 'oops',
      errorKind: 'internal',
      stack: expect.stringContaining('TypeError'),
    });
  });

  it('redacts the token from an error for stderr, keeping its class (and so its exit code)', () => {
    const leaked = redactError(new TransientError('failed', { cause: new Error(`token ${TOKEN}`) }), [TOKEN]);
    expect(leaked).toBeInstanceOf(TransientError);
    expect((leaked as Error).message).toBe('failed: token ***');
    expect(redactError(new UserError(`bad ${TOKEN}`), [TOKEN])).toBeInstanceOf(UserError);
    const clean = new UserError('nothing secret');
    expect(redactError(clean, [TOKEN])).toBe(clean);
    const config = redactError(new ConfigError([{ file: 'a', line: 1, column: 1, message: TOKEN }]), [TOKEN]) as ConfigError;
    expect(config.problems[0]?.message).toBe('***');
  });
});

describe('maskSecrets and parseLogLevel', () => {
  it('masks every occurrence, and ignores empty or very short secrets', () => {
    expect(maskSecrets('a tok b tok', ['tok', undefined, ''])).toBe('a tok b tok');
    expect(maskSecrets('a token1 b token1', ['token1'])).toBe('a *** b ***');
  });

  it('reads LOG_LEVEL in any case, info by default, undefined for anything else', () => {
    expect(parseLogLevel(undefined)).toBe('info');
    expect(parseLogLevel('')).toBe('info');
    expect(parseLogLevel('DEBUG')).toBe('debug');
    expect(parseLogLevel('verbose')).toBeUndefined();
  });
});
