import { UserError } from '../errors.js';

// `history --since`, parsed strictly. git reads any text as a date: what it cannot make sense of
// becomes some day near now ("5 dasy ago" is the 5th of this month, "2026-13-45" a day next
// month), and a date alone keeps the current time of day, so a typo printed an empty or cut-short
// history with exit 0. Here every input either means one instant or is refused, and git is given
// that instant in the one form it reads exactly.

/** The forms `--since` accepts, for help texts and error messages. */
export const SINCE_FORMS =
  'a date (2026-11-01, midnight UTC), a date and time with Z or an offset (2026-11-01T09:00:00Z, 2026-11-01T09:00+02:00), ' +
  'or "N units ago" with a whole number N and a unit second, minute, hour, day, week, month or year ("2 weeks ago")';

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
const AGO = /^(\d+)\s+(second|minute|hour|day|week|month|year)s?\s+ago$/i;

const FIXED_UNITS: Readonly<Record<string, number>> = {
  second: 1_000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 604_800_000,
};

/**
 * The instant `text` names, in milliseconds since the epoch: ISO 8601 (a date alone is midnight
 * UTC; a date and time must say its offset, since "09:00" alone means a different instant on every
 * machine), or `N units ago` counted back from `now` (months and years by the UTC calendar, the
 * day clamped to the end of a shorter month). Anything else is refused with a UserError.
 * An `N` so large that the instant is before any date is -Infinity: every commit is newer.
 */
export function parseSince(text: string, now: Date): number {
  const input = text.trim();
  const ago = AGO.exec(input);
  if (ago) return before(now, Number(ago[1]), (ago[2] as string).toLowerCase());
  const date = DATE.exec(input);
  if (date) return instant(text, date.slice(1, 4));
  const dateTime = DATE_TIME.exec(input);
  if (!dateTime) throw new UserError(`--since "${text}" is not a date: give ${SINCE_FORMS}`);
  const [, year, month, day, hour, minute, second = '0', fraction = '', zulu, sign, offsetHours = '0', offsetMinutes = '0'] = dateTime;
  checkRange(text, 'hour', hour, 23);
  checkRange(text, 'minute', minute, 59);
  checkRange(text, 'second', second, 59);
  checkRange(text, 'offset hour', offsetHours, 23);
  checkRange(text, 'offset minute', offsetMinutes, 59);
  const offset = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) * 60_000;
  // Commit dates are whole seconds; a fraction is rounded up so no commit before the instant is listed.
  const millis = Math.ceil(Number(`0.${fraction || '0'}`) * 1000);
  const clock = ((Number(hour) * 60 + Number(minute)) * 60 + Number(second)) * 1000 + millis;
  return instant(text, [year, month, day]) + clock - offset;
}

/**
 * The `--since` argument that makes git list exactly the commits at or after `since`, or
 * undefined when every commit is (the instant is at or before the epoch).
 */
export function gitSince(since: number): string | undefined {
  const seconds = Math.ceil(since / 1000);
  if (!(seconds > 0)) return undefined;
  // Measured with git 2.39: `--since=YYYY-MM-DDTHH:MM:SSZ` is read exactly for every second from
  // 1970 through 2099, while `@<seconds>` fails below 100000000 and `--max-age` above 2^31 (it is
  // read as an int). git misreads years from 2100 on, and cannot store commits that late in
  // practice, so a later instant becomes the last second it reads (still: nothing is newer).
  const clamped = Math.min(seconds, LAST_GIT_SECOND);
  return new Date(clamped * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 2099-12-31T23:59:59Z */
const LAST_GIT_SECOND = 4_102_444_799;

function before(now: Date, n: number, unit: string): number {
  const fixed = FIXED_UNITS[unit];
  if (fixed !== undefined) return now.getTime() - n * fixed;
  const months = unit === 'year' ? n * 12 : n;
  const target = new Date(0);
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  target.setUTCFullYear(now.getUTCFullYear(), now.getUTCMonth() - months, 1);
  // So many months back that no Date can hold it: before every commit.
  if (!Number.isFinite(target.getTime())) return Number.NEGATIVE_INFINITY;
  const year = target.getUTCFullYear();
  const month = target.getUTCMonth() + 1;
  target.setUTCDate(Math.min(now.getUTCDate(), daysInMonth(year, month)));
  target.setUTCHours(now.getUTCHours(), now.getUTCMinutes(), now.getUTCSeconds(), now.getUTCMilliseconds());
  return target.getTime();
}

/** Midnight UTC of a calendar date, refused when the date does not exist (2026-02-30, 2026-13-45). */
function instant(text: string, [year, month, day]: ReadonlyArray<string | undefined>): number {
  const y = Number(year);
  const m = Number(month);
  const d = Number(day);
  if (m < 1 || m > 12) throw new UserError(`--since "${text}" is not a date: there is no month ${month}`);
  const days = daysInMonth(y, m);
  if (d < 1 || d > days) throw new UserError(`--since "${text}" is not a date: ${year}-${month} has days 01 to ${days}`);
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d);
  return date.getTime();
}

function checkRange(text: string, what: string, value: string | undefined, max: number): void {
  if (Number(value) > max) throw new UserError(`--since "${text}" is not a date: there is no ${what} ${value}`);
}

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0;
}
