/**
 * Schedules in time, pure: which windows hold the component's min up at an instant, the effective
 * min they give, and the next instant it changes (the watcher wakes then).
 *
 * A window is open from a run of its `start` expression until the next run of its `end`: at an
 * instant, it is open when the last `start` run at or before it is later than the last `end` run
 * (so a `start` and an `end` at the same minute leave it closed, and a `start` while it is open
 * changes nothing). Its min applies `lead` before it opens, and until it closes; the effective min
 * is the component's min raised to the largest min of the windows that apply, never above max.
 */
import { type CronRuns, cronRuns } from './cron.js';
import type { Schedule } from './schedule-settings.js';
import type { PolicyState } from './state.js';

/** A window whose min applies at an instant: open, or opening within its lead. */
export interface WindowSpan {
  name: string;
  min: number;
  start: string;
  end: string;
  timezone: string;
  lead: number;
  /** When this opening of the window happens (or happened). */
  opensAt: number;
  /** When it closes; undefined if croner finds no later run of its `end`. */
  closesAt: number | undefined;
  /** False while only its lead applies. */
  open: boolean;
}

/** The component's min at an instant. */
export interface ScheduledMin {
  /** The effective min: the component's, raised by the windows, at most max. */
  min: number;
  /** The component's own min. */
  base: number;
  /** The window whose min is the effective one (the largest; the first written on a tie), when one raises it. */
  by: WindowSpan | undefined;
  /** Every window that applies, in the order written. */
  windows: WindowSpan[];
}

export interface Bounds {
  min: number;
  max: number;
}

// Bounds on the loops below. Only pathological expressions reach MAX_RUNS (start runs cancelled,
// one after another, by end runs at the same instants); spans that follow each other within their
// lead for more than MAX_CHAIN are looked at again from there; past MAX_EDGES the next edge is not
// known, and the watcher falls back to its interval.
const MAX_RUNS = 100;
const MAX_CHAIN = 16;
const MAX_EDGES = 200;

interface Runs {
  schedule: Schedule;
  start: CronRuns;
  end: CronRuns;
}

const runsOf = (schedule: Schedule): Runs => ({
  schedule,
  start: cronRuns(schedule.start, schedule.timezone),
  end: cronRuns(schedule.end, schedule.timezone),
});

/**
 * The first `start` run after `after` and at or before `until` that no `end` run at the same instant
 * cancels. `gaveUpAt` is the last run looked at when MAX_RUNS cancelled runs came first: no opening
 * is known up to there, and the search may go on from it.
 */
function searchOpening(w: Runs, after: number, until: number): { at?: number; gaveUpAt?: number } {
  let run = w.start.after(after);
  let last: number | undefined;
  for (let n = 0; run !== undefined && run <= until; n++) {
    if (n === MAX_RUNS) return last === undefined ? {} : { gaveUpAt: last };
    if (w.end.atOrBefore(run) !== run) return { at: run };
    last = run;
    run = w.start.after(run);
  }
  return {};
}

/** The first opening in (after, until], or undefined when none is found within MAX_RUNS runs. */
function openingIn(w: Runs, after: number, until: number): number | undefined {
  return searchOpening(w, after, until).at;
}

/** The window at `at`, when its min applies then. */
function spanAt(w: Runs, at: number): WindowSpan | undefined {
  const { schedule } = w;
  const span = { name: schedule.name, min: schedule.min, start: schedule.start, end: schedule.end };
  const zone = { timezone: schedule.timezone, lead: schedule.lead };
  const started = w.start.atOrBefore(at);
  const ended = w.end.atOrBefore(at);
  if (started !== undefined && (ended === undefined || ended < started)) {
    const opensAt = ended === undefined ? started : (w.start.after(ended) as number);
    return { ...span, ...zone, opensAt, closesAt: w.end.after(at), open: true };
  }
  const opensAt = schedule.lead > 0 ? openingIn(w, at, at + schedule.lead) : undefined;
  if (opensAt === undefined) return undefined;
  return { ...span, ...zone, opensAt, closesAt: w.end.after(opensAt), open: false };
}

function minAt(windows: readonly Runs[], bounds: Bounds, at: number): ScheduledMin {
  const spans = windows.flatMap((w) => spanAt(w, at) ?? []);
  let by: WindowSpan | undefined;
  for (const span of spans) if (span.min > (by?.min ?? bounds.min)) by = span;
  const min = Math.min(bounds.max, Math.max(bounds.min, by?.min ?? bounds.min));
  return { min, base: bounds.min, by, windows: spans };
}

/** The component's min at `at`, with the windows that hold it up. */
export function scheduledMin(schedules: readonly Schedule[], bounds: Bounds, at: number): ScheduledMin {
  return minAt(schedules.map(runsOf), bounds, at);
}

/**
 * Whether the window's min applies at `at`, and the next instant after it at which that may change
 * (it does, unless a chain of spans was cut short at MAX_CHAIN, or the search for an opening at
 * MAX_RUNS: then it is where to look again).
 */
function activity(w: Runs, at: number): { applies: boolean; changesAt: number | undefined } {
  const { lead } = w.schedule;
  const span = spanAt(w, at);
  if (!span) {
    const opening = searchOpening(w, at + lead, Number.POSITIVE_INFINITY);
    if (opening.at !== undefined) return { applies: false, changesAt: opening.at - lead };
    // Start runs cancelled by end runs, more than MAX_RUNS of them (a start and an end at the same
    // minutes for months): not an edge, but where to look again, or the window would never be.
    return { applies: false, changesAt: opening.gaveUpAt === undefined ? undefined : Math.max(at + 1, opening.gaveUpAt - lead) };
  }
  // It applies until it closes, unless its next opening falls within its lead of that close.
  let closes = span.closesAt;
  for (let n = 0; closes !== undefined; n++) {
    const reopens = openingIn(w, closes, closes + lead);
    if (reopens === undefined || n === MAX_CHAIN) return { applies: true, changesAt: closes };
    closes = w.end.after(reopens);
  }
  return { applies: true, changesAt: undefined };
}

/** An instant at which the effective min changes. */
export interface Edge {
  at: number;
  /** The effective min from then on. */
  min: number;
}

/**
 * The first instant after `at` at which the effective min changes, or undefined when none is
 * found (no windows, or none that will ever change it within the search's bounds). A sweep over
 * the instants each window starts or stops applying, in order, until the largest min changes.
 */
export function nextEdge(schedules: readonly Schedule[], bounds: Bounds, at: number): Edge | undefined {
  // A window whose min is not above the component's never changes the effective min.
  const windows = schedules.filter((schedule) => schedule.min > bounds.min).map(runsOf);
  const states = windows.map((w) => activity(w, at));
  const effective = (): number =>
    Math.min(bounds.max, Math.max(bounds.min, ...windows.map((w, i) => (states[i]?.applies ? w.schedule.min : bounds.min))));
  const from = effective();
  for (let n = 0; n < MAX_EDGES; n++) {
    let next: number | undefined;
    for (const state of states) {
      if (state.changesAt !== undefined && (next === undefined || state.changesAt < next)) next = state.changesAt;
    }
    if (next === undefined) return undefined;
    for (const [i, w] of windows.entries()) if (states[i]?.changesAt === next) states[i] = activity(w, next);
    const min = effective();
    if (min !== from) return { at: next, min };
  }
  return undefined;
}

/**
 * How far back the clock may step and still be taken for jitter (NTP correcting a drift, a
 * leap-second smear). A clock that steps back further was set, and is believed.
 */
export const CLOCK_STEP_BACK_MS = 5 * 60_000;

/**
 * The instant the schedules are read at: `now`, or the latest instant they were read at when the
 * clock stepped back by less than CLOCK_STEP_BACK_MS. So a clock that wavers around a window's
 * edge crosses it once: the min it raised is not lowered again a second later (nor a PR closed
 * and reopened).
 */
export function scheduleInstant(lastRead: number | undefined, now: number): number {
  return lastRead !== undefined && lastRead > now && lastRead - now <= CLOCK_STEP_BACK_MS ? lastRead : now;
}

/**
 * The decision engine's view of the schedules: the bounds with min raised for `now`, and the state
 * that remembers the instant they were read at. Without schedules, the input as it is.
 */
export function applySchedules<C extends Bounds & { schedules?: readonly Schedule[] | undefined }>(
  cluster: C,
  state: PolicyState,
  now: number,
): { cluster: C; state: PolicyState; scheduled: ScheduledMin | undefined } {
  if (!cluster.schedules || cluster.schedules.length === 0) return { cluster, state, scheduled: undefined };
  const at = scheduleInstant(state.scheduleClock, now);
  const scheduled = scheduledMin(cluster.schedules, cluster, at);
  return { cluster: { ...cluster, min: scheduled.min }, state: { ...state, scheduleClock: at }, scheduled };
}
