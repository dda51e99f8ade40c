import { describe, expect, it } from 'vitest';
import { describeWindow, nextEdge, resolveSchedules, type Schedule, type ScheduleBounds, scheduledMin } from '../../src/policy/index.js';

// Schedule windows in time: the effective min at an instant and the next instant it changes. The
// instants are written in UTC with the wall-clock time of the window's zone beside them.

const MINUTE = 60_000;
const utc = (iso: string): number => Date.parse(`${iso}Z`);

/** A window as the document writes it, resolved the way the watcher resolves one. */
function window(fields: Record<string, string | number>): Schedule {
  const [schedule] = resolveSchedules({ min: 2, max: 10, schedules: [{ name: 'w', timezone: 'Europe/Warsaw', min: 6, ...fields }] });
  if (!schedule) throw new Error('no window');
  return schedule;
}

const BOUNDS: ScheduleBounds = { min: 2, max: 10 };
const businessHours = (lead?: string): Schedule =>
  window({ name: 'business-hours', start: '0 8 * * 1-5', end: '0 18 * * 1-5', ...(lead ? { lead } : {}) });

const minAt = (schedules: Schedule[], at: number, bounds = BOUNDS): number => scheduledMin(schedules, bounds, at).min;

/** The edges from `from` on: when the effective min changes, and to what. */
function edges(schedules: Schedule[], from: number, count: number, bounds = BOUNDS): Array<[string, number]> {
  const found: Array<[string, number]> = [];
  let at = from;
  for (let i = 0; i < count; i++) {
    const edge = nextEdge(schedules, bounds, at);
    if (!edge) break;
    found.push([new Date(edge.at).toISOString(), edge.min]);
    at = edge.at;
  }
  return found;
}

describe('a business-hours window (Monday to Friday, 08:00 to 18:00 in Warsaw, min 6)', () => {
  // March 2025 before the 30th: Warsaw is UTC+1, so 08:00 there is 07:00Z. 3 March is a Monday.
  const schedules = [businessHours()];

  it('raises min to 6 from 08:00 until 18:00, and leaves the component its own min outside', () => {
    expect(minAt(schedules, utc('2025-03-03T06:59:59'))).toBe(2);
    expect(minAt(schedules, utc('2025-03-03T07:00:00'))).toBe(6);
    expect(minAt(schedules, utc('2025-03-03T16:59:59'))).toBe(6);
    expect(minAt(schedules, utc('2025-03-03T17:00:00'))).toBe(2);
    expect(minAt(schedules, utc('2025-03-08T10:00:00'))).toBe(2); // Saturday
  });

  it('says which window holds min up, when it opened and when it closes', () => {
    expect(scheduledMin(schedules, BOUNDS, utc('2025-03-03T09:30:00'))).toEqual({
      min: 6,
      base: 2,
      by: {
        name: 'business-hours',
        min: 6,
        start: '0 8 * * 1-5',
        end: '0 18 * * 1-5',
        timezone: 'Europe/Warsaw',
        lead: 0,
        opensAt: utc('2025-03-03T07:00:00'),
        closesAt: utc('2025-03-03T17:00:00'),
        open: true,
      },
      windows: [expect.objectContaining({ name: 'business-hours' })],
    });
  });

  it('changes at the open and at the close, and over the weekend not at all', () => {
    expect(edges(schedules, utc('2025-03-07T12:00:00'), 3)).toEqual([
      ['2025-03-07T17:00:00.000Z', 2], // Friday 18:00
      ['2025-03-10T07:00:00.000Z', 6], // Monday 08:00
      ['2025-03-10T17:00:00.000Z', 2],
    ]);
  });

  it('with a lead of 15m, raises min at 07:45, and still lowers it at 18:00', () => {
    const early = [businessHours('15m')];
    expect(minAt(early, utc('2025-03-03T06:44:59'))).toBe(2);
    const ahead = scheduledMin(early, BOUNDS, utc('2025-03-03T06:45:00'));
    expect(ahead).toMatchObject({ min: 6, by: { open: false, opensAt: utc('2025-03-03T07:00:00'), lead: 15 * MINUTE } });
    expect(minAt(early, utc('2025-03-03T16:59:59'))).toBe(6);
    expect(minAt(early, utc('2025-03-03T17:00:00'))).toBe(2);
    expect(edges(early, utc('2025-03-02T12:00:00'), 2)).toEqual([
      ['2025-03-03T06:45:00.000Z', 6],
      ['2025-03-03T17:00:00.000Z', 2],
    ]);
  });

  it('reads, in the decision, in the wall-clock time of its zone', () => {
    const ahead = scheduledMin([businessHours('15m')], BOUNDS, utc('2025-03-03T06:50:00')).by;
    expect(ahead && describeWindow(ahead)).toBe(
      'window business-hours (2025-03-03 08:00 to 18:00 Europe/Warsaw) raises min to 6, 15m before it opens',
    );
    const open = scheduledMin([businessHours('15m')], BOUNDS, utc('2025-03-03T12:00:00')).by;
    expect(open && describeWindow(open)).toBe('window business-hours (2025-03-03 08:00 to 18:00 Europe/Warsaw) raises min to 6');
  });
});

describe('windows', () => {
  it('overlap: the largest min wins, and each close gives way to the window still open', () => {
    const lunch = window({ name: 'lunch', start: '0 12 * * 1-5', end: '0 13 * * 1-5', min: 9 });
    const schedules = [businessHours(), lunch];
    expect(scheduledMin(schedules, BOUNDS, utc('2025-03-03T11:30:00'))).toMatchObject({ min: 9, by: { name: 'lunch' } });
    expect(edges(schedules, utc('2025-03-03T06:00:00'), 4)).toEqual([
      ['2025-03-03T07:00:00.000Z', 6],
      ['2025-03-03T11:00:00.000Z', 9],
      ['2025-03-03T12:00:00.000Z', 6],
      ['2025-03-03T17:00:00.000Z', 2],
    ]);
  });

  it('never raise min above max', () => {
    expect(minAt([window({ start: '0 8 * * *', end: '0 18 * * *', min: 9 })], utc('2025-03-03T10:00:00'), { min: 2, max: 5 })).toBe(5);
  });

  it('span a weekend, from Friday 22:00 to Monday 06:00', () => {
    const weekend = [window({ start: '0 22 * * 5', end: '0 6 * * 1' })];
    expect(minAt(weekend, utc('2025-03-07T20:59:00'))).toBe(2);
    expect(minAt(weekend, utc('2025-03-08T12:00:00'))).toBe(6);
    expect(minAt(weekend, utc('2025-03-10T04:59:00'))).toBe(6);
    expect(minAt(weekend, utc('2025-03-10T05:00:00'))).toBe(2);
  });

  it('follow the calendar: the last day of every month, 20:00 to 06:00 the next morning', () => {
    const monthEnd = [window({ start: '0 20 L * *', end: '0 6 1 * *', timezone: 'UTC', min: 8 })];
    expect(edges(monthEnd, utc('2025-02-02T00:00:00'), 4)).toEqual([
      ['2025-02-28T20:00:00.000Z', 8],
      ['2025-03-01T06:00:00.000Z', 2],
      ['2025-03-31T20:00:00.000Z', 8],
      ['2025-04-01T06:00:00.000Z', 2],
    ]);
  });

  it('ignore an end while closed and a start while open: only the last of each counts', () => {
    // Weekdays from 08:00; it closes at 18:00 every day, Saturday's close finding it closed.
    const ends = [window({ start: '0 8 * * 1-5', end: '0 18 * * *' })];
    expect(minAt(ends, utc('2025-03-07T08:00:00'))).toBe(6);
    expect(minAt(ends, utc('2025-03-08T08:00:00'))).toBe(2);
    // Opens at 08:00 and again every hour: still one window, closing at 18:00.
    const starts = [window({ start: '0 8-17 * * *', end: '0 18 * * *' })];
    expect(edges(starts, utc('2025-03-03T05:00:00'), 2)).toEqual([
      ['2025-03-03T07:00:00.000Z', 6],
      ['2025-03-03T17:00:00.000Z', 2],
    ]);
  });

  it('stay closed when a start and an end fall on the same minute', () => {
    // Opens every day at 08:00, closes on Mondays at 08:00: open from Tuesday 08:00 to Monday 08:00.
    const weekly = [window({ start: '0 8 * * *', end: '0 8 * * 1' })];
    expect(minAt(weekly, utc('2025-03-03T08:00:00'))).toBe(2);
    expect(minAt(weekly, utc('2025-03-04T07:00:00'))).toBe(6);
    expect(minAt(weekly, utc('2025-03-10T06:59:00'))).toBe(6);
    expect(minAt(weekly, utc('2025-03-10T07:00:00'))).toBe(2);
  });

  it('with a lead that reaches back past a close, keep min raised from one span to the next', () => {
    // Open 08:00 to 11:30 and 12:00 to 18:30, 45m lead: the 12:00 opening is within the lead of the 11:30 close.
    const split = [window({ start: '0 8,12 * * *', end: '30 11,18 * * *', lead: '45m' })];
    expect(edges(split, utc('2025-03-03T05:00:00'), 2)).toEqual([
      ['2025-03-03T06:15:00.000Z', 6],
      ['2025-03-03T17:30:00.000Z', 2],
    ]);
    // The same with two windows: the second's lead begins before the first closes.
    const two = [
      window({ name: 'morning', start: '0 8 * * *', end: '0 12 * * *', lead: '45m' }),
      window({ name: 'afternoon', start: '30 12 * * *', end: '0 18 * * *', lead: '45m' }),
    ];
    expect(edges(two, utc('2025-03-03T05:00:00'), 2)).toEqual([
      ['2025-03-03T06:15:00.000Z', 6],
      ['2025-03-03T17:00:00.000Z', 2],
    ]);
  });

  it('are found again after months of start runs that an end at the same minutes cancels (found by the property test)', () => {
    // "a" opens at 0 and 30 past every sixth hour, and its end cancels each of those runs from January
    // to June: closed until July, then open until the first end in January. "b" opens daily at 00:00
    // and 00:30 and closes in March and October. The sweep used to stop looking at "a" after 100
    // cancelled runs, and reported October 1st, when "b" closes, as the edge.
    const a = window({ name: 'a', start: '0,30 */6 * * *', end: '0,30 0-18 * 1-6 *', timezone: 'UTC', min: 3 });
    const b = window({ name: 'b', start: '0,30 0 * * *', end: '0,30 0 * 3,10 *', timezone: 'UTC', min: 3 });
    const edge = nextEdge([a, b], BOUNDS, utc('2027-04-01T00:00:00'));
    expect(minAt([a, b], utc('2027-10-01T00:00:00'))).toBe(3);
    expect(edge && [new Date(edge.at).toISOString(), edge.min]).toEqual(['2028-03-01T00:00:00.000Z', 2]);
  });

  it('have no edge when there are none', () => {
    expect(nextEdge([], BOUNDS, utc('2025-03-03T05:00:00'))).toBeUndefined();
  });
});

describe('daylight saving', () => {
  // A window from 02:30 to 05:00 every night, min 4.
  const nightly = (timezone: string, lead?: string): Schedule[] => [
    window({ name: 'batch', start: '30 2 * * *', end: '0 5 * * *', timezone, min: 4, ...(lead ? { lead } : {}) }),
  ];

  it('Europe/Warsaw, spring forward (30 March 2025, 02:00 → 03:00): 02:30 does not exist, the window opens at 03:00', () => {
    expect(edges(nightly('Europe/Warsaw'), utc('2025-03-29T12:00:00'), 4)).toEqual([
      ['2025-03-30T01:00:00.000Z', 4], // 03:00 CEST, the first minute after the gap
      ['2025-03-30T03:00:00.000Z', 2], // 05:00 CEST: two hours open instead of two and a half
      ['2025-03-31T00:30:00.000Z', 4], // 02:30 CEST the next night
      ['2025-03-31T03:00:00.000Z', 2],
    ]);
  });

  it('America/New_York, spring forward (9 March 2025, 02:00 → 03:00): the window opens at 03:00 EDT', () => {
    expect(edges(nightly('America/New_York'), utc('2025-03-08T12:00:00'), 3)).toEqual([
      ['2025-03-09T07:00:00.000Z', 4], // 03:00 EDT
      ['2025-03-09T09:00:00.000Z', 2], // 05:00 EDT
      ['2025-03-10T06:30:00.000Z', 4], // 02:30 EDT
    ]);
  });

  it('a lead is counted back in real time from the shifted opening: 15m before 03:00 CEST is 01:45 CET', () => {
    expect(edges(nightly('Europe/Warsaw', '15m'), utc('2025-03-29T12:00:00'), 1)).toEqual([['2025-03-30T00:45:00.000Z', 4]]);
  });

  it('Europe/Warsaw, fall back (26 October 2025, 03:00 → 02:00): 02:30 happens twice, the window opens once, at the first', () => {
    expect(edges(nightly('Europe/Warsaw'), utc('2025-10-25T12:00:00'), 3)).toEqual([
      ['2025-10-26T00:30:00.000Z', 4], // 02:30 CEST
      ['2025-10-26T04:00:00.000Z', 2], // 05:00 CET: three and a half hours open
      ['2025-10-27T01:30:00.000Z', 4], // 02:30 CET
    ]);
  });

  it('America/New_York, fall back (2 November 2025, 02:00 → 01:00): a window at 01:30 opens once, at the first 01:30', () => {
    const early = [window({ start: '30 1 * * *', end: '0 5 * * *', timezone: 'America/New_York', min: 4 })];
    expect(edges(early, utc('2025-11-01T12:00:00'), 3)).toEqual([
      ['2025-11-02T05:30:00.000Z', 4], // 01:30 EDT
      ['2025-11-02T10:00:00.000Z', 2], // 05:00 EST
      ['2025-11-03T06:30:00.000Z', 4], // 01:30 EST
    ]);
  });

  it('a window wholly inside the skipped hour does not happen that night (its start and end meet at 03:00)', () => {
    const skipped = [window({ start: '15 2 * * *', end: '45 2 * * *', timezone: 'Europe/Warsaw', min: 4 })];
    expect(edges(skipped, utc('2025-03-29T12:00:00'), 2)).toEqual([
      ['2025-03-31T00:15:00.000Z', 4],
      ['2025-03-31T00:45:00.000Z', 2],
    ]);
  });
});
