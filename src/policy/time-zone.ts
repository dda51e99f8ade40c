/**
 * Time zones as Intl knows them: whether a name is one (with a suggestion when it is nearly one),
 * and an instant written as a wall clock there, for reasons a person in that zone reads at a glance.
 */

/** The longest name distance still offered as a suggestion: a typo or two, not another city. */
const SUGGEST_WITHIN = 3;

/** Why `name` is not a time zone, or undefined when Intl knows it (IANA names, `UTC`, offsets such as `+01:00`). */
export function timeZoneProblem(name: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return undefined;
  } catch {
    const suggestion = closestTimeZone(name);
    const hint = suggestion ? `did you mean ${suggestion}?` : 'write an IANA name such as Europe/Warsaw, America/New_York or UTC';
    return `${JSON.stringify(name)} is not a time zone: ${hint}`;
  }
}

const simplified = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');

function closestTimeZone(name: string): string | undefined {
  const wanted = simplified(name);
  const zones = ['UTC', ...Intl.supportedValuesOf('timeZone')];
  // A city without its region ("Warsaw") is the likeliest slip.
  const city = zones.find((zone) => simplified(zone.slice(zone.lastIndexOf('/') + 1)) === wanted);
  if (city) return city;
  let best: { zone: string; distance: number } | undefined;
  for (const zone of zones) {
    const distance = editDistance(wanted, simplified(zone));
    if (distance <= SUGGEST_WITHIN && (!best || distance < best.distance)) best = { zone, distance };
  }
  return best?.zone;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(substitution, (previous[j] as number) + 1, (current[j - 1] as number) + 1));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** `2025-03-03 08:00` on the wall clocks of `timeZone` (a valid one). */
export function wallClock(at: number, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    if (formats.size >= 256) formats.clear();
    formats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  return `${part.year}-${part.month}-${part.day} ${part.hour}:${part.minute}`;
}
