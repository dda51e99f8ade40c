// Whether an event triggers a workflow (`on:` with its filters), and the workflow_dispatch inputs
// checked as GitHub's form checks them. Pure: the changed files come from the caller.
import { UserError } from '../errors.js';
import { selectedBy } from './filters.js';
import { isJsonObject, type Json } from './json.js';

/** The facts about an event that `on:` filters look at. */
export interface EventFacts {
  name: string;
  /** github.ref: refs/heads/…, refs/tags/…, refs/pull/N/merge. */
  ref: string;
  /** A pull request's base branch (its `branches:` filter applies to it). */
  baseRef?: string;
  /** A pull request's activity type (opened, synchronize…). */
  action?: string;
  /** The files the push or pull request changes; needed only when a paths filter is set. */
  changedFiles?: readonly string[];
}

const DEFAULT_PULL_REQUEST_TYPES = ['opened', 'synchronize', 'reopened'];

function list(config: Json | undefined, key: string): string[] | undefined {
  const value = isJsonObject(config) ? config[key] : undefined;
  return Array.isArray(value) ? value.map(String) : undefined;
}

/** Whether deciding the trigger needs the changed files (a paths or paths-ignore filter on the event). */
export function needsChangedFiles(events: Record<string, Json>, event: string): boolean {
  const config = events[event];
  return list(config, 'paths') !== undefined || list(config, 'paths-ignore') !== undefined;
}

const shown = (patterns: string[]): string => `[${patterns.join(', ')}]`;

function refFilter(kind: 'branch' | 'tag', name: string, config: Json | undefined): string | undefined {
  const key = kind === 'branch' ? 'branches' : 'tags';
  const only = list(config, key);
  const ignore = list(config, `${key}-ignore`);
  if (only !== undefined && !selectedBy(name, only)) return `the ${kind} ${name} matches none of ${key} ${shown(only)}`;
  if (ignore !== undefined && selectedBy(name, ignore)) return `the ${kind} ${name} matches ${key}-ignore ${shown(ignore)}`;
  return undefined;
}

function pathFilter(config: Json | undefined, files: readonly string[] | undefined): string | undefined {
  const only = list(config, 'paths');
  const ignore = list(config, 'paths-ignore');
  if (only === undefined && ignore === undefined) return undefined;
  const changed = files ?? [];
  if (only !== undefined && !changed.some((file) => selectedBy(file, only))) {
    return `no changed file matches paths ${shown(only)} (changed: ${changed.length === 0 ? 'none' : changed.slice(0, 5).join(', ')}${changed.length > 5 ? ', …' : ''})`;
  }
  if (ignore !== undefined && changed.every((file) => selectedBy(file, ignore))) {
    return `every changed file matches paths-ignore ${shown(ignore)}`;
  }
  return undefined;
}

/** Why the event does not trigger the workflow, or undefined when it does. */
export function notTriggeredBecause(events: Record<string, Json>, facts: EventFacts): string | undefined {
  if (!(facts.name in events)) {
    const listed = Object.keys(events);
    return `the workflow is not triggered by ${facts.name} (on: ${listed.join(', ') || 'nothing'})`;
  }
  const config = events[facts.name];
  if (facts.name === 'push') {
    const branch = /^refs\/heads\/(.+)$/.exec(facts.ref)?.[1];
    const tag = /^refs\/tags\/(.+)$/.exec(facts.ref)?.[1];
    const branchFiltered = list(config, 'branches') !== undefined || list(config, 'branches-ignore') !== undefined;
    const tagFiltered = list(config, 'tags') !== undefined || list(config, 'tags-ignore') !== undefined;
    if (branch !== undefined) {
      if (tagFiltered && !branchFiltered) return `a push to the branch ${branch}: the workflow filters tags only`;
      const refused = refFilter('branch', branch, config);
      if (refused) return refused;
      return pathFilter(config, facts.changedFiles);
    }
    if (tag !== undefined) {
      if (branchFiltered && !tagFiltered) return `a push of the tag ${tag}: the workflow filters branches only`;
      return refFilter('tag', tag, config);
    }
    return `${facts.ref} is neither a branch nor a tag`;
  }
  if (facts.name === 'pull_request' || facts.name === 'pull_request_target') {
    const types = list(config, 'types') ?? DEFAULT_PULL_REQUEST_TYPES;
    const action = facts.action ?? 'opened';
    if (!types.includes(action)) return `the pull request activity ${action} is not one of types ${shown(types)}`;
    if (facts.baseRef !== undefined) {
      const refused = refFilter('branch', facts.baseRef, config);
      if (refused) return `the base ${refused.slice('the '.length)}`;
    }
    return pathFilter(config, facts.changedFiles);
  }
  return undefined;
}

/** A workflow_dispatch input's value in the `inputs` context: booleans and numbers typed, the rest strings. */
export type InputValue = string | boolean | number;

export interface DispatchInputs {
  /** The `inputs` context. */
  inputs: Record<string, InputValue>;
  /** `github.event.inputs`: every value a string, as GitHub sends them. */
  eventInputs: Record<string, string>;
}

/**
 * The inputs of a workflow_dispatch run, with defaults filled in and each value checked as
 * GitHub's form and API check it: unknown names, a missing required input, a choice not among the
 * options, a boolean other than true/false and a number that is not one are refused, all at once.
 */
export function dispatchInputs(events: Record<string, Json>, given: Readonly<Record<string, string>>): DispatchInputs {
  const declared =
    isJsonObject(events.workflow_dispatch) && isJsonObject(events.workflow_dispatch.inputs) ? events.workflow_dispatch.inputs : {};
  const problems: string[] = [];
  const unknown = Object.keys(given).filter((name) => !(name in declared));
  if (unknown.length > 0) {
    problems.push(`unexpected input(s) ${unknown.join(', ')}: the workflow declares ${Object.keys(declared).join(', ') || 'no inputs'}`);
  }
  const inputs: Record<string, InputValue> = {};
  const eventInputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(declared)) {
    const type = isJsonObject(spec) && typeof spec.type === 'string' ? spec.type : 'string';
    const required = isJsonObject(spec) && spec.required === true;
    const fallback = isJsonObject(spec) && spec.default !== undefined && spec.default !== null ? String(spec.default) : undefined;
    const value = given[name] ?? fallback;
    if (value === undefined || (required && value === '')) {
      if (required) problems.push(`the input ${name} is required: give it with --input ${name}=…`);
      inputs[name] = type === 'boolean' ? false : '';
      eventInputs[name] = type === 'boolean' ? 'false' : '';
      continue;
    }
    if (type === 'choice') {
      const options = isJsonObject(spec) && Array.isArray(spec.options) ? spec.options.map(String) : [];
      if (!options.includes(value))
        problems.push(`the input ${name} is ${JSON.stringify(value)}, not one of its options ${shown(options)}`);
    }
    if (type === 'boolean') {
      if (value !== 'true' && value !== 'false')
        problems.push(`the input ${name} is a boolean: give true or false, not ${JSON.stringify(value)}`);
      inputs[name] = value === 'true';
    } else if (type === 'number') {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) problems.push(`the input ${name} is a number, not ${JSON.stringify(value)}`);
      inputs[name] = number;
    } else {
      inputs[name] = value;
    }
    eventInputs[name] = value;
  }
  if (problems.length > 0) throw new UserError(`workflow_dispatch inputs refused:\n  ${problems.join('\n  ')}`);
  return { inputs, eventInputs };
}
