import { badJson, invalidRequest, missingField } from './errors.js';
import type { GitStore } from './git-store.js';
import type { RateLimitStatus } from './rate-limit.js';
import type { StateStore } from './state.js';

/** The one repository a simulator serves, and everything a handler needs to answer for it. */
export interface Sim {
  /** `http://127.0.0.1:PORT`: API URLs in responses point back at the simulator. */
  readonly baseUrl: string;
  readonly owner: string;
  readonly repo: string;
  readonly repositoryId: number;
  readonly store: GitStore;
  readonly state: StateStore;
  /** The login every token authenticates as. */
  readonly login: string;
}

export interface RequestContext {
  readonly sim: Sim;
  readonly method: string;
  /** Path parameters, already percent-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body, or undefined when there was none. */
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request URL as the client sent it (pagination links keep its query). */
  readonly url: URL;
  /** The caller's rate-limit budget after this request (`GET /rate_limit` reports it). */
  readonly rateLimit: RateLimitStatus;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** Bytes sent as they are (the contents API's raw media type). */
  raw?: { data: Buffer; contentType: string };
  headers?: Record<string, string>;
}

export function json(status: number, body: unknown, headers?: Record<string, string>): Reply {
  return { status, body, ...(headers ? { headers } : {}) };
}

export const noContent: Reply = { status: 204 };

/** The request body as an object; GitHub answers anything else with 400 `Problems parsing JSON`. */
export function bodyObject(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body === undefined) return {};
  if (typeof ctx.body !== 'object' || ctx.body === null || Array.isArray(ctx.body)) throw badJson();
  return ctx.body as Record<string, unknown>;
}

/** A required string field: missing → `"x" wasn't supplied.`, wrong type → GitHub's schema message. */
export function requiredString(body: Record<string, unknown>, field: string): string {
  const value = body[field];
  if (value === undefined || value === null) throw missingField(field);
  if (typeof value !== 'string') throw invalidRequest(`For 'properties/${field}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

export function optionalString(body: Record<string, unknown>, field: string): string | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw invalidRequest(`For 'properties/${field}', ${JSON.stringify(value)} is not a string.`);
  return value;
}

/** A string field that may be `null` (a PR body, a label description). */
export function nullableString(body: Record<string, unknown>, field: string): string | null | undefined {
  const value = body[field];
  if (value === null) return null;
  return optionalString(body, field);
}

export function optionalBoolean(body: Record<string, unknown>, field: string): boolean | undefined {
  const value = body[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'boolean') throw invalidRequest(`For 'properties/${field}', ${JSON.stringify(value)} is not a boolean.`);
  return value;
}

/** A positive whole number from the path (`{pull_number}`), or undefined (the route then answers 404). */
export function pathNumber(value: string | undefined): number | undefined {
  if (value === undefined || !/^[1-9][0-9]{0,9}$/.test(value)) return undefined;
  return Number(value);
}
