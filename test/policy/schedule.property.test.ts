// Properties of schedule windows over generated windows, time zones and instants: the effective
// min stays within the bounds, the next edge is the next change, a decision made again and again
// around an edge (the clock wavering) changes the count once, and daylight saving never makes a
// daily window open twice in a day, or not at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CLOCK_STEP_BACK_MS,
  decide,
  nextEdge,
  type Policy,
  type PolicyState,
  type Schedule,
  type ScheduleBounds,
  scheduledMin,
} from '../../src/policy/index.js';
import { wallClock } from '../../src/policy/time-zone.js';
import { cluster, policy, settled, snapshot, workers } from './builders.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const ZONES = [
  'UTC',
  'Europe/Warsaw',
  'America/New_York',
  'Europe/London',
  'Australia/Sydney', // daylight saving in the other half of the year
  'Asia/Kolkata', // +05:30, none
  'America/St_Johns', // -03:30 with daylight saving
  'Pacific/Chatham', // +12:45 / +13:45
];

/** Instants from 2024 to 2027: leap day, several daylight-saving changes of every zone. */
const instant = fc.integer({ min: Date.UTC(2024, 0, 1), max: Date.UTC(2027, 11, 31) });

const minuteField = fc.oneof(fc.integer({ min: 0, max: 59 }).map(String), fc.constantFrom('0,30', '*/15', '0-30/10'));
const hourField = fc.oneof(
  fc.integer({ min: 0, max: 23 }).map(String),
  fc.constantFrom('*/6', '8-17', '2,14', '1-3'),
  fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 23 })).map(([a, b]) => `${Math.min(a, b)}-${Math.max(a, b)}`),
);
const dayOfMonthField = fc.constantFrom('*', '*', '*', '1', '15', 'L', '1-7');
const monthField = fc.constantFrom('*', '*', '*', '1-6', '3,10', 'DEC');
const dayOfWeekField = fc.constantFrom('*', '1-5', '0,6', 'MON', 'FRI', '*');
const cron = fc.tuple(minuteField, hourField, dayOfMonthField, monthField, dayOfWeekField).map((fields) => fields.join(' '));

/** Any window: cron expressions with lists, ranges and steps, any of the zones, a lead up to 3h, any min. */
const anyWindow = (index: number): fc.Arbitrary<Schedule> =>
  fc.record({
    name: fc.constant(`w${index}`),
    start: cron,
    end: cron,
    timezone: fc.constantFrom(...ZONES),
    min: fc.integer({ min: 0, max: 15 }),
    lead: fc.integer({ min: 0, max: 180 }).map((m) => m * MINUTE),
  });

const anySchedules: fc.Arbitrary<Schedule[]> = fc
  .integer({ min: 1, max: 3 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => anyWindow(i))));

const boundsArb: fc.Arbitrary<ScheduleBounds> = fc
  .tuple(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 8 }))
  .map(([min, span]) => ({ min, max: min + span }));

describe('the effective min', () => {
  it('is within [min, max] at every instant: the component min, or a window min capped at max', () => {
    fc.assert(
      fc.property(anySchedules, boundsArb, instant, (schedules, bounds, at) => {
        const { min, by } = scheduledMin(schedules, bounds, at);
        expect(min).toBeGreaterThanOrEqual(bounds.min);
        expect(min).toBeLessThanOrEqual(bounds.max);
        expect(min).toBe(by ? Math.min(bounds.max, by.min) : bounds.min);
      }),
      { numRuns: 300 },
    );
  });

  it('holds until the next edge, where it changes', () => {
    fc.assert(
      fc.property(anySchedules, boundsArb, instant, (schedules, bounds, at) => {
        const before = scheduledMin(schedules, bounds, at).min;
        const edge = nextEdge(schedules, bounds, at);
        if (!edge) return;
        expect(edge.at).toBeGreaterThan(at);
        expect(scheduledMin(schedules, bounds, edge.at).min).toBe(edge.min);
        expect(edge.min).not.toBe(before);
        // Samples in between, the last millisecond before the edge among them.
        const span = edge.at - at;
        for (const offset of [1, Math.floor(span / 3), Math.floor(span / 2), span - 1000, span - 1]) {
          if (offset <= 0 || offset >= span) continue;
          expect(scheduledMin(schedules, bounds, at + offset).min, `at +${offset} ms of ${span}`).toBe(before);
        }
      }),
      { numRuns: 100 },
    );
  });
});

/** A daily window (some days of the week), from h:m for `length` minutes, in one zone. */
const dailyWindow = (zones: readonly string[], minLength: number): fc.Arbitrary<Schedule> =>
  fc
    .record({
      hour: fc.integer({ min: 0, max: 23 }),
      minute: fc.integer({ min: 0, max: 59 }),
      length: fc.integer({ min: minLength, max: 20 * 60 }),
      days: fc.constantFrom('*', '1-5', '0,6', '3'),
      timezone: fc.constantFrom(...zones),
      min: fc.integer({ min: 3, max: 8 }),
      lead: fc.integer({ min: 0, max: 90 }).map((m) => m * MINUTE),
    })
    .map(({ hour, minute, length, days, timezone, min, lead }) => {
      const end = (hour * 60 + minute + length) % (24 * 60);
      return {
        name: 'w',
        start: `${minute} ${hour} * * ${days}`,
        end: `${end % 60} ${Math.floor(end / 60)} * * *`,
        timezone,
        min,
        lead,
      };
    });

/** Idle Ready workers, as many as the count: nothing but the bounds and the unneeded time decide. */
const quiet = (count: number, now: number) => snapshot({ nodes: workers(count), takenAt: now });

describe('no PR storm at a window edge', () => {
  // The watcher decides at uneven instants around an edge (the loop wakes at it, a pod arrives, the
  // clock wavers by NTP's corrections), in any order within a few minutes, and a proposal merges
  // after a few decisions. Each change of the desired count would be a PR opened, updated or closed.
  const JITTER = 2 * MINUTE;
  const policyOf: Policy = policy(); // unneeded time and delay after add (10m) longer than the jitter

  it('deciding over an edge, with the clock jittering around it, changes the count at most once', () => {
    fc.assert(
      fc.property(
        dailyWindow(ZONES, 30),
        fc.integer({ min: 0, max: 2 }),
        instant,
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.integer({ min: -JITTER, max: JITTER }), { minLength: 5, maxLength: 40 }),
        fc.integer({ min: 0, max: 3 }),
        (schedule, base, from, nth, jitters, mergeLag) => {
          const schedules = [schedule];
          const bounds = { min: base, max: 10 };
          let edge = nextEdge(schedules, bounds, from);
          for (let i = 0; i < nth && edge; i++) edge = nextEdge(schedules, bounds, edge.at);
          if (!edge) return;
          const edgeAt = edge.at;
          // Settled before the jitter begins: the count is the min then.
          let count = scheduledMin(schedules, bounds, edgeAt - JITTER - 1).min;
          let state: PolicyState = settled(count);
          let pr: { desired: number; merges: number } | undefined;
          let last = count;
          let changes = 0;
          for (const jitter of jitters) {
            const now = edgeAt + jitter;
            const output = decide({
              snapshot: quiet(count, now),
              state,
              policy: policyOf,
              cluster: cluster(count, { ...bounds, schedules }),
              now,
            });
            state = output.state;
            const { desired } = output.decision;
            if (desired !== last) changes++;
            last = desired;
            if (desired === count) {
              pr = undefined;
              continue;
            }
            if (pr?.desired !== desired) pr = { desired, merges: mergeLag }; // opened, or updated
            if (pr.merges-- <= 0) {
              count = desired; // merged: the next decision sees the new count, its nodes Ready
              pr = undefined;
            }
          }
          expect(changes, `around ${new Date(edgeAt).toISOString()} (${edge.min})`).toBeLessThanOrEqual(1);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a clock that steps back further than a jitter is believed: the window reads as it is then', () => {
    const schedules: Schedule[] = [{ name: 'w', start: '0 8 * * *', end: '0 18 * * *', timezone: 'UTC', min: 5, lead: 0 }];
    const open = Date.UTC(2025, 2, 3, 8);
    const read = (now: number, state: PolicyState) =>
      decide({ snapshot: quiet(2, now), state, policy: policyOf, cluster: cluster(2, { min: 2, max: 10, schedules }), now });
    const after = read(open + MINUTE, settled(2));
    expect(after.decision.desired).toBe(5);
    expect(read(open - MINUTE, after.state).decision.desired).toBe(5);
    expect(read(open - CLOCK_STEP_BACK_MS - 2 * MINUTE, after.state).decision.desired).toBe(2);
  });
});

describe('daylight saving', () => {
  // A daily window in zones that move their clocks, over the weeks around every change of 2025 and
  // 2026 (March and April, October and November: both hemispheres): every local day the window
  // applies exactly once (never twice on the night the clocks go back, never not at all on the night
  // they go forward), for its length on the wall clock, give or take the hour the clocks moved.
  const DST_ZONES = ['Europe/Warsaw', 'America/New_York', 'Australia/Sydney'];
  const SEASONS: ReadonlyArray<[month: number, day: number, days: number]> = [
    [2, 1, 46], // 1 March to 15 April
    [8, 25, 47], // 25 September to 10 November
  ];

  /** The opens and closes of the window from `from` for `days` days, checked as they come; the opens per local day. */
  function opensPerDay(schedule: Schedule, from: number, days: number): Map<string, number> {
    const schedules = [schedule];
    const bounds = { min: 1, max: 10 };
    const [sm, sh] = schedule.start.split(' ').map(Number) as [number, number];
    const [em, eh] = schedule.end.split(' ').map(Number) as [number, number];
    const length = ((eh * 60 + em - (sh * 60 + sm) + 24 * 60) % (24 * 60)) * MINUTE;
    const opens = new Map<string, number>();
    // Open at the start: its first close ends a span that began before, unmeasured.
    let skipClose = scheduledMin(schedules, bounds, from).by !== undefined;
    let openedAt: number | undefined;
    for (let at = from, n = 0; n < 4 * days; n++) {
      const edge = nextEdge(schedules, bounds, at);
      if (!edge || edge.at > from + days * DAY) break;
      at = edge.at;
      if (skipClose) {
        skipClose = false;
        continue;
      }
      if (edge.min === schedule.min) {
        expect(openedAt, 'opens only while closed').toBeUndefined();
        openedAt = edge.at;
        const day = wallClock(edge.at, schedule.timezone).slice(0, 10);
        opens.set(day, (opens.get(day) ?? 0) + 1);
      } else {
        expect(openedAt, 'closes only while open').toBeDefined();
        const open = edge.at - (openedAt as number);
        expect(Math.abs(open - length), `open ${open / MINUTE}m of ${length / MINUTE}m`).toBeLessThanOrEqual(HOUR);
        openedAt = undefined;
      }
    }
    return opens;
  }

  it('a daily window opens once every local day, for its length ± the hour the clocks moved', () => {
    fc.assert(
      fc.property(
        dailyWindow(DST_ZONES, 61).map((w) => ({ ...w, start: w.start.replace(/ \S+$/, ' *'), lead: 0 })),
        fc.constantFrom(2025, 2026),
        (schedule, year) => {
          for (const [month, day, days] of SEASONS) {
            const opens = opensPerDay(schedule, Date.UTC(year, month, day), days);
            expect([...opens.values()].every((n) => n === 1)).toBe(true);
            // Every local day from the first open to the last: none missing.
            const dates = [...opens.keys()].sort();
            const span = Math.round((Date.parse(dates.at(-1) as string) - Date.parse(dates[0] as string)) / DAY) + 1;
            expect(dates.length).toBe(span);
            expect(dates.length).toBeGreaterThanOrEqual(days - 2);
          }
        },
      ),
      { numRuns: 20 },
    );
  });
});
