/**
 * Selectors on the API server's side. Label selectors are product code (`src/kube/label-selector.ts`,
 * which the decision engine shares); here their refusals become the 400 the API server answers.
 * Field selectors (`fieldSelector=spec.nodeName=n1`) exist only in the API server, so they live here.
 */
import { UserError } from '../../errors.js';
import {
  type LabelMatcher,
  type LabelRequirement,
  type LabelSelector,
  matchesRequirements,
  parseLabelSelector,
  labelSelectorMatcher as productLabelSelectorMatcher,
} from '../../kube/label-selector.js';
import { badRequest } from './status.js';

export type { LabelMatcher, LabelRequirement } from '../../kube/label-selector.js';

/** Runs product selector code, answering its refusal as the API server does: a 400 with the same message. */
function asBadRequest<T>(run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof UserError) throw badRequest(error.message);
    throw error;
  }
}

/** `?labelSelector=` as requirements; a syntax error is a 400 naming what was found where. */
export function labelQueryRequirements(text: string): LabelRequirement[] {
  return asBadRequest(() => parseLabelSelector(text));
}

/** `?labelSelector=` as a matcher; a syntax error is a 400 naming what was found where. */
export function labelQueryMatcher(text: string): LabelMatcher {
  const requirements = labelQueryRequirements(text);
  return (labels) => matchesRequirements(requirements, labels);
}

/** A `metav1.LabelSelector` as a matcher (a missing one matches nothing); an unknown operator is a 400. */
export function labelSelectorMatcher(selector: LabelSelector | undefined | null): LabelMatcher {
  return asBadRequest(() => productLabelSelectorMatcher(selector));
}

export interface FieldRequirement {
  field: string;
  op: '=' | '!=';
  value: string;
}

/** Splits on unescaped `sep`, keeping escapes (fields.Parse allows `\,` `\=` `\\` in values). */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      current += c + (text[i + 1] as string);
      i++;
    } else if (c === sep) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unescapeValue(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

/** Parses `fieldSelector`; which fields a resource supports is checked by the caller. */
export function parseFieldSelector(text: string): FieldRequirement[] {
  if (text.trim() === '') return [];
  return splitUnescaped(text, ',').map((term) => {
    const match = /^(.*?)(!=|==|=)(.*)$/s.exec(term);
    if (!match?.[1]) throw badRequest(`invalid selector: '${text}'; can't understand '${term}'`);
    const [, field, op, value] = match as unknown as [string, string, string, string];
    return { field: field.trim(), op: op === '!=' ? '!=' : '=', value: unescapeValue(value) };
  });
}
