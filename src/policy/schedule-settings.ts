/**
 * The `schedules` of an autoscaled component: time windows that raise its `min` for their span,
 * written in the `configuration/autoscaling` document next to `min` and `max`:
 *
 * ```yaml
 * schedules:
 *   - name: business-hours
 *     start: "0 8 * * 1-5"      # cron: when the window opens
 *     end: "0 18 * * 1-5"       # cron: when it closes
 *     timezone: Europe/Warsaw   # IANA name
 *     min: 6
 *     lead: 15m                 # optional: raise min (open the PR) this long before it opens
 * ```
 *
 * A window is open from a run of `start` until the next run of `end` (src/policy/schedule.ts says
 * exactly when). Validated with the rest of the config: src/config/load.ts reports each problem at
 * its key or value, and `resolveSchedules` reads the windows of an entry that passed.
 */
import { UserError } from '../errors.js';
import { cronProblem } from './cron.js';
import { parseDuration } from './settings.js';
import { timeZoneProblem } from './time-zone.js';

/** The key of a component's entry that holds its windows. */
export const SCHEDULES_KEY = 'schedules';

/** One window, resolved: plain data. */
export interface Schedule {
  name: string;
  /** A five-field cron expression in `timezone`: when the window opens. */
  start: string;
  /** When it closes. */
  end: string;
  timezone: string;
  /** The component's min while the window is open; always above the component's min and at most its max. */
  min: number;
  /** Milliseconds before the window opens that its min already applies, so the nodes are there on time. */
  lead: number;
}

/** The keys of a window, in the order the messages list them. */
const WINDOW_KEYS = ['name', 'start', 'end', 'timezone', 'min', 'lead'] as const;
type WindowKey = (typeof WINDOW_KEYS)[number];

/** A window name: it appears in logs, PR bodies and commit trailers. */
const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,62})$/;
/** The largest count there is (src/config/schema.ts MAX_COUNT). */
const MAX_COUNT = 10_000;
const CRON_EXAMPLE = 'five fields, minute hour day-of-month month day-of-week, in quotes, e.g. "0 8 * * 1-5"';
const ZONE_EXAMPLE = 'an IANA time zone such as Europe/Warsaw, America/New_York or UTC';

/** One thing wrong with a component's schedules, at a path below its entry (`['schedules', 0, 'start']`). */
export interface ScheduleProblem {
  path: ReadonlyArray<string | number>;
  /** True when the problem is the key itself (an unknown key), so it is reported at the key. */
  atKey: boolean;
  message: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);

/** A count as the bounds are checked (min and max of the entry), or undefined when it is not one. */
const countOf = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_COUNT ? value : undefined;

/**
 * What is wrong with the `schedules` of one component's entry. The windows' `min` is checked
 * against the entry's `min` and `max` when those are valid (their own problems are the schema's).
 */
export function scheduleProblems(entry: Readonly<Record<string, unknown>>): ScheduleProblem[] {
  if (!Object.hasOwn(entry, SCHEDULES_KEY)) return [];
  const list = entry[SCHEDULES_KEY];
  const problems: ScheduleProblem[] = [];
  if (!Array.isArray(list)) {
    const message = `${SCHEDULES_KEY}: must be a list of windows, each \`- name: …\` with start, end, timezone and min`;
    return [{ path: [SCHEDULES_KEY], atKey: false, message }];
  }
  const bounds = { min: countOf(entry.min), max: countOf(entry.max) };
  const names = new Set<string>();
  list.forEach((window: unknown, index) => {
    const at = (key: WindowKey | undefined, message: string, atKey = false): void => {
      const where = `${SCHEDULES_KEY}[${index}]${key ? `.${key}` : ''}`;
      problems.push({ path: key ? [SCHEDULES_KEY, index, key] : [SCHEDULES_KEY, index], atKey, message: `${where}${message}` });
    };
    if (!isRecord(window)) {
      at(undefined, ': must be a window, a mapping with name, start, end, timezone and min');
      return;
    }
    for (const key of Object.keys(window)) {
      if (!(WINDOW_KEYS as readonly string[]).includes(key)) {
        problems.push({
          path: [SCHEDULES_KEY, index, key],
          atKey: true,
          message: `${SCHEDULES_KEY}[${index}].${key}: not a window setting; the settings are ${WINDOW_KEYS.join(', ')}`,
        });
      }
    }
    const missing = (key: WindowKey, what: string): boolean => {
      if (window[key] !== undefined && window[key] !== null) return false;
      at(key, ` is missing: ${what}`);
      return true;
    };

    if (!missing('name', "name the window (letters, digits, '-' and '_'), e.g. business-hours")) {
      const name = window.name;
      if (typeof name !== 'string' || !NAME.test(name)) {
        at('name', `: must be letters, digits, '-' and '_' (at most 63), not ${JSON.stringify(name)}`);
      } else if (names.has(name)) {
        at('name', `: a second window named ${name}: give each window its own name`);
      } else {
        names.add(name);
      }
    }

    let zone: string | undefined;
    if (!missing('timezone', `write ${ZONE_EXAMPLE}`)) {
      const problem = typeof window.timezone === 'string' ? timeZoneProblem(window.timezone) : `must be ${ZONE_EXAMPLE}`;
      if (problem) at('timezone', `: ${problem}`);
      else zone = window.timezone as string;
    }

    const expression = (key: 'start' | 'end', when: string): void => {
      if (missing(key, `write when the window ${when} as a cron expression: ${CRON_EXAMPLE}`)) return;
      const pattern = window[key];
      if (typeof pattern !== 'string') {
        at(key, `: must be a cron expression: ${CRON_EXAMPLE}`);
        return;
      }
      // Without a valid zone the expression is still checked, in UTC: its syntax does not depend on it.
      const problem = cronProblem(pattern, zone ?? 'UTC');
      if (problem) at(key, `: ${JSON.stringify(pattern)} is not a usable cron expression (${problem}): write ${CRON_EXAMPLE}`);
    };
    expression('start', 'opens');
    expression('end', 'closes');
    if (typeof window.start === 'string' && window.start.trim() === (typeof window.end === 'string' ? window.end.trim() : undefined)) {
      at('end', ': the same as start, so the window would close as it opens: write when it closes');
    }

    if (!missing('min', 'write the min the window keeps, e.g. `min: 6`')) {
      const min = window.min;
      if (typeof min === 'string') at('min', `: must be a whole number, not the text ${JSON.stringify(min)}: write it without quotes`);
      else if (countOf(min) === undefined) at('min', `: must be a whole number of nodes from 0 to ${MAX_COUNT}`);
      else if (bounds.max !== undefined && (min as number) > bounds.max) {
        at('min', `: ${min} is greater than the component's max ${bounds.max}: a window raises min within the bounds`);
      } else if (bounds.min !== undefined && (min as number) <= bounds.min) {
        at('min', `: ${min} does not raise the component's min ${bounds.min}: a window's min must be above it`);
      }
    }

    if (window.lead !== undefined) {
      const lead = window.lead;
      if (typeof lead === 'string' && lead.trim().startsWith('-')) {
        at('lead', ': must not be negative: it is how long before the window opens its min applies, e.g. 15m');
      } else {
        const parsed = parseDuration(lead);
        if (typeof parsed === 'string') at('lead', `: ${parsed}`);
      }
    }
  });
  return problems;
}

/**
 * The windows of a component's entry (none when it has no `schedules`). An entry that passed
 * validation always resolves; any other is refused with its first problem.
 */
export function resolveSchedules(entry: Readonly<Record<string, unknown>>): Schedule[] {
  const problem = scheduleProblems(entry)[0];
  if (problem) throw new UserError(`autoscaling schedules: ${problem.message}`);
  const list = (entry[SCHEDULES_KEY] ?? []) as Array<Record<string, unknown>>;
  return list.map((window) => ({
    name: window.name as string,
    start: window.start as string,
    end: window.end as string,
    timezone: window.timezone as string,
    min: window.min as number,
    lead: window.lead === undefined ? 0 : (parseDuration(window.lead) as number),
  }));
}
