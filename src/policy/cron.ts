/**
 * The one way a schedule's cron expression is read: croner, in the window's time zone, so that
 * time zones and daylight saving come from Intl's rules rather than from arithmetic here.
 *
 * Expressions have the five classic fields (minute hour day-of-month month day-of-week, names and
 * nicknames such as `@daily` allowed); croner's seconds and years are refused, so an expression
 * means what it means to `crontab`. Around daylight saving, croner follows Vixie cron, with every
 * time of day written without `*` or a step counted as a fixed time (`fixedTimeRule: no-wildcard`):
 * a time the clocks skip happens once, at the end of the gap (02:30 on a spring-forward night is
 * 03:00), and a time the clocks repeat happens once, at its first occurrence.
 */
import { Cron } from 'croner';

/** When an expression happens, in epoch milliseconds. */
export interface CronRuns {
  /** The first run strictly after `at`. */
  after(at: number): number | undefined;
  /** The last run at or before `at`. */
  atOrBefore(at: number): number | undefined;
}

const OPTIONS = { mode: '5-part', fixedTimeRule: 'no-wildcard' } as const;

function compile(pattern: string, timezone: string): Cron {
  return new Cron(pattern, { ...OPTIONS, timezone });
}

/** Why `pattern` is not a usable expression in `timezone` (a valid zone), or undefined. */
export function cronProblem(pattern: string, timezone: string): string | undefined {
  try {
    // An expression such as "0 0 30 2 *" parses but never happens: a window that never opens or closes.
    if (compile(pattern, timezone).nextRun(new Date(0)) === null) return 'it never happens (no such date)';
  } catch (error) {
    // croner's messages start with the class that threw ("CronPattern: Invalid value for hour: 25").
    return error instanceof Error ? error.message.replace(/^CronPattern: /, '') : String(error);
  }
  return undefined;
}

/**
 * `find` with its last answers kept: finding the next edge asks about the same instants again and
 * again (a window's close, then where it stands at that close), and each croner search costs tens
 * of microseconds.
 */
function remembered(find: (at: number) => number | undefined): (at: number) => number | undefined {
  const answers = new Map<number, number | undefined>();
  return (at) => {
    if (answers.has(at)) return answers.get(at);
    const answer = find(at);
    if (answers.size >= 64) answers.clear();
    answers.set(at, answer);
    return answer;
  };
}

// Windows are evaluated many times a cycle (every window, every edge looked at): each expression
// is compiled once. The bound only guards against a watcher that reads many different configs.
const CACHE_LIMIT = 256;
const cache = new Map<string, CronRuns>();

/** The runs of a valid expression (see cronProblem) in a valid time zone. */
export function cronRuns(pattern: string, timezone: string): CronRuns {
  const key = `${timezone}\u0000${pattern}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const cron = compile(pattern, timezone);
  const runs: CronRuns = {
    after: remembered((at) => cron.nextRun(new Date(at))?.getTime() ?? undefined),
    // previousRuns is strictly before its reference; croner counts whole seconds, so 1 ms later includes `at`.
    atOrBefore: remembered((at) => cron.previousRuns(1, new Date(at + 1))[0]?.getTime()),
  };
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, runs);
  return runs;
}
