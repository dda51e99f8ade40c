import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { gitSince, parseSince, SINCE_FORMS } from '../../src/history/index.js';
import { git } from '../support/git.js';
import { tempDir } from '../support/temp.js';

// A fixed "now", so relative dates give the same instant on every run.
const NOW = new Date('2026-12-02T07:40:19.250Z');
const at = (iso: string): number => new Date(iso).getTime();
const refusal = (text: string, now = NOW): string => {
  try {
    parseSince(text, now);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error(`"${text}" was accepted`);
};

describe('--since: ISO 8601', () => {
  it('reads a date as midnight UTC', () => {
    expect(parseSince('2026-11-01', NOW)).toBe(at('2026-11-01T00:00:00Z'));
    expect(parseSince(' 2024-02-29 ', NOW)).toBe(at('2024-02-29T00:00:00Z'));
    expect(parseSince('2000-02-29', NOW)).toBe(at('2000-02-29T00:00:00Z'));
  });

  it('reads a date and time with Z or an offset, with or without seconds and fractions', () => {
    expect(parseSince('2026-11-01T09:00:00Z', NOW)).toBe(at('2026-11-01T09:00:00Z'));
    expect(parseSince('2026-11-01t09:00z', NOW)).toBe(at('2026-11-01T09:00:00Z'));
    // The form history's own text output prints, so a date can be copied from it.
    expect(parseSince('2026-11-07 10:00:00+02:00', NOW)).toBe(at('2026-11-07T08:00:00Z'));
    expect(parseSince('2026-11-01T09:00:00-0130', NOW)).toBe(at('2026-11-01T10:30:00Z'));
    expect(parseSince('2026-11-01T09:00+05', NOW)).toBe(at('2026-11-01T04:00:00Z'));
    expect(parseSince('2026-11-01T09:00:00.25Z', NOW)).toBe(at('2026-11-01T09:00:00.250Z'));
  });

  it('refuses a calendar date that does not exist, saying why', () => {
    expect(refusal('2026-13-45')).toBe('--since "2026-13-45" is not a date: there is no month 13');
    expect(refusal('2026-00-10')).toBe('--since "2026-00-10" is not a date: there is no month 00');
    expect(refusal('2026-02-30')).toBe('--since "2026-02-30" is not a date: 2026-02 has days 01 to 28');
    expect(refusal('2026-02-29')).toBe('--since "2026-02-29" is not a date: 2026-02 has days 01 to 28');
    expect(refusal('1900-02-29')).toMatch(/1900-02 has days 01 to 28/);
    expect(refusal('2026-04-31T09:00Z')).toMatch(/2026-04 has days 01 to 30/);
    expect(refusal('2026-11-00')).toMatch(/2026-11 has days 01 to 30/);
  });

  it('refuses a time of day or an offset that does not exist', () => {
    expect(refusal('2026-11-01T24:00Z')).toBe('--since "2026-11-01T24:00Z" is not a date: there is no hour 24');
    expect(refusal('2026-11-01T09:60Z')).toMatch(/there is no minute 60/);
    expect(refusal('2026-11-01T09:00:61Z')).toMatch(/there is no second 61/);
    expect(refusal('2026-11-01T09:00+24:00')).toMatch(/there is no offset hour 24/);
    expect(refusal('2026-11-01T09:00+02:75')).toMatch(/there is no offset minute 75/);
  });

  it('refuses a time without an offset: it would mean a different instant on every machine', () => {
    expect(refusal('2026-11-01T09:00:00')).toBe(`--since "2026-11-01T09:00:00" is not a date: give ${SINCE_FORMS}`);
    expect(refusal('2026-11-01 09:00')).toMatch(/is not a date: give a date/);
  });
});

describe('--since: N units ago', () => {
  it('counts seconds, minutes, hours, days and weeks back from now, singular or plural', () => {
    expect(parseSince('1 second ago', NOW)).toBe(NOW.getTime() - 1000);
    expect(parseSince('0 seconds ago', NOW)).toBe(NOW.getTime());
    expect(parseSince('90 minutes ago', NOW)).toBe(NOW.getTime() - 90 * 60_000);
    expect(parseSince('1 hours ago', NOW)).toBe(NOW.getTime() - 3_600_000);
    expect(parseSince('5 days ago', NOW)).toBe(at('2026-11-27T07:40:19.250Z'));
    expect(parseSince('  2   Weeks AGO ', NOW)).toBe(at('2026-11-18T07:40:19.250Z'));
  });

  it('counts months and years by the calendar, a day past the end of a shorter month becoming its last day', () => {
    expect(parseSince('1 month ago', NOW)).toBe(at('2026-11-02T07:40:19.250Z'));
    expect(parseSince('12 months ago', NOW)).toBe(at('2025-12-02T07:40:19.250Z'));
    expect(parseSince('1 month ago', new Date('2026-03-31T12:00:00Z'))).toBe(at('2026-02-28T12:00:00Z'));
    expect(parseSince('13 months ago', new Date('2025-03-31T12:00:00Z'))).toBe(at('2024-02-29T12:00:00Z'));
    expect(parseSince('1 year ago', new Date('2028-02-29T00:00:00Z'))).toBe(at('2027-02-28T00:00:00Z'));
    expect(parseSince('2 years ago', NOW)).toBe(at('2024-12-02T07:40:19.250Z'));
  });

  it('reads a number too large for any date as before every commit', () => {
    expect(parseSince(`${'9'.repeat(30)} years ago`, NOW)).toBe(Number.NEGATIVE_INFINITY);
    expect(gitSince(parseSince(`${'9'.repeat(30)} days ago`, NOW))).toBeUndefined();
  });
});

describe('--since: everything else is refused, quoting the input and listing the accepted forms', () => {
  it.each([
    '5 dasy ago',
    'yesterday',
    'banana',
    '',
    'now',
    'a day ago',
    '1.5 days ago',
    '-1 days ago',
    '5 days',
    '5 fortnights ago',
    '2 weeks ago and more',
    '2026-11-1',
    '26-11-01',
    '20261101',
    '2026/11/01',
    'Nov 1 2026',
    '@1793491200',
  ])('%j', (text) => {
    expect(refusal(text)).toBe(`--since "${text}" is not a date: give ${SINCE_FORMS}`);
  });

  it('names every unit in the accepted forms', () => {
    for (const unit of ['second', 'minute', 'hour', 'day', 'week', 'month', 'year']) expect(SINCE_FORMS).toContain(unit);
  });
});

describe("--since as git's argument", () => {
  it('is a UTC date-time to the second, rounded up so no earlier commit is listed', () => {
    expect(gitSince(at('2026-11-01T09:00:00Z'))).toBe('2026-11-01T09:00:00Z');
    expect(gitSince(at('2026-11-01T09:00:00.001Z'))).toBe('2026-11-01T09:00:01Z');
  });

  it('is left out when every commit is newer, and held at 2099 (the last year git reads) when none is', () => {
    expect(gitSince(0)).toBeUndefined();
    expect(gitSince(at('1960-01-01T00:00:00Z'))).toBeUndefined();
    expect(gitSince(Number.NEGATIVE_INFINITY)).toBeUndefined();
    expect(gitSince(at('1970-01-01T00:00:01Z'))).toBe('1970-01-01T00:00:01Z');
    expect(gitSince(at('2200-01-01T00:00:00Z'))).toBe('2099-12-31T23:59:59Z');
  });

  it('reads back as the same ISO text, for any instant', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1970-01-01T00:00:01Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          const seconds = new Date(Math.ceil(date.getTime() / 1000) * 1000);
          expect(gitSince(parseSince(date.toISOString(), NOW))).toBe(seconds.toISOString().replace('.000Z', 'Z'));
        },
      ),
    );
  });

  it('is the instant git 2.39 reads (git rev-parse --since prints it as --max-age=<seconds>)', async () => {
    const instants = fc.sample(fc.integer({ min: 1, max: 4_102_444_799 }), { numRuns: 200, seed: 7 });
    instants.push(1, 99_999_999, 2_147_483_648, 4_102_444_799, at('2024-02-29T23:59:59Z') / 1000);
    const args = instants.map((seconds) => `--since=${gitSince(seconds * 1000)}`);
    const dir = await tempDir();
    await git(dir, ['init', '-q']);
    const out = await git(dir, ['rev-parse', ...args]);
    expect(out.split('\n')).toEqual(instants.map((seconds) => `--max-age=${seconds}`));
  });
});
