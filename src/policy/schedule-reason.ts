/**
 * Schedule windows in words, for the decision's reason and the PR body: when the window is, on the
 * wall clocks of its time zone (the reviewer's own, likely), and the min it keeps.
 */
import type { Decision } from './decide.js';
import type { WindowSpan } from './schedule.js';
import { formatDuration } from './settings.js';
import { wallClock } from './time-zone.js';

/** `2025-03-03 08:00 to 18:00 Europe/Warsaw`; the close keeps its date when it is another day. */
export function describeSpan(span: WindowSpan): string {
  const opens = wallClock(span.opensAt, span.timezone);
  if (span.closesAt === undefined) return `from ${opens} ${span.timezone}`;
  const closes = wallClock(span.closesAt, span.timezone);
  return `${opens} to ${closes.slice(0, 10) === opens.slice(0, 10) ? closes.slice(11) : closes} ${span.timezone}`;
}

/** `window business-hours (2025-03-03 08:00 to 18:00 Europe/Warsaw) raises min to 6, 15m before it opens`. */
export function describeWindow(span: WindowSpan): string {
  const early = span.open ? '' : `, ${formatDuration(span.lead)} before it opens`;
  return `window ${span.name} (${describeSpan(span)}) raises min to ${span.min}${early}`;
}

/** The PR body's line about the window that holds min up, when one does. */
export function scheduleEvidence(decision: Pick<Decision, 'rule' | 'evidence'>): string | undefined {
  const { rule } = decision;
  const raised = rule.kind === 'scheduled-min' ? { by: rule.window, base: rule.base } : decision.evidence?.schedule;
  const span = raised?.by;
  if (!raised || !span) return undefined;
  const lead = span.lead > 0 ? `, lead ${formatDuration(span.lead)}` : '';
  return (
    `window \`${span.name}\` (start \`${span.start}\`, end \`${span.end}\`, ${span.timezone}${lead}) keeps min at ${span.min} ` +
    `${span.open ? 'while open' : 'from before it opens'}, ${describeSpan(span)}; the component's own min is ${raised.base}`
  );
}
