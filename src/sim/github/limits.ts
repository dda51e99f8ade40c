import { ApiError, type ValidationErrorEntry, validationFailed } from './errors.js';

/**
 * Every size the simulator limits, GitHub's own where GitHub has one, so that nothing a client
 * sends can make it buffer or store without bound (a 30 MB PR body once went into the state file,
 * which is rewritten on every write).
 *
 * Request bodies (413 Payload too large, refused from `Content-Length` before a byte is read, or as
 * soon as a chunked body passes the limit; the connection is then closed):
 * - creating a blob and creating or updating a file (contents API): FILE_REQUEST_BODY_LIMIT, room
 *   for GitHub's largest file, 100 MiB, sent base64-encoded;
 * - everything else: REQUEST_BODY_LIMIT, 1 MiB: room for the largest text an endpoint takes, a
 *   65,536-character body, even sent entirely as JSON `\u` escapes (12 bytes a character at worst:
 *   786,432 bytes). A create-tree request of 1 MiB names about 10,000 entries by sha: create large
 *   files as blobs first and name them in the tree, as the watcher does, rather than inline.
 *
 * Fields (422 Validation Failed, in GitHub's words):
 * - issue and pull request titles: 256 characters; bodies: 65,536 characters;
 * - issue and pull request comments: 65,536 characters;
 * - labels on one issue or pull request: 100.
 * Characters are Unicode code points, as GitHub (Ruby) counts them: an emoji is one.
 *
 * Structure: JSON nested at most 100 deep (the default `max_nesting` of Ruby's JSON parser; deeper
 * is 400 Problems parsing JSON), and tree paths of at most 4,096 parts (git's own
 * `core.maxTreeDepth` default; longer is 422).
 */

const MiB = 1024 * 1024;

/** GitHub's largest file, for the contents API and for blobs through the git data API. */
export const MAX_FILE_BYTES = 100 * MiB;

const base64Length = Math.ceil(MAX_FILE_BYTES / 3) * 4;

/**
 * A 100 MiB file as base64 in GitHub's 60-character lines (each line break sent as the two
 * characters `\n` inside the JSON string), plus 1 MiB for the rest of the request: 145,519,050 bytes.
 */
export const FILE_REQUEST_BODY_LIMIT = base64Length + Math.ceil(base64Length / 60) * 2 + MiB;

/** Every other request body. */
export const REQUEST_BODY_LIMIT = MiB;

export const MAX_TITLE_CHARACTERS = 256;
export const MAX_BODY_CHARACTERS = 65_536;
export const MAX_LABELS_PER_ISSUE = 100;
export const MAX_JSON_DEPTH = 100;
export const MAX_TREE_DEPTH = 4096;

/** Unicode code points: what GitHub counts as characters (JavaScript's `length` counts UTF-16 units). */
export function characterCount(text: string): number {
  let count = 0;
  for (let at = 0; at < text.length; at++) {
    count++;
    const unit = text.charCodeAt(at);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(at + 1);
      if (next >= 0xdc00 && next <= 0xdfff) at++;
    }
  }
  return count;
}

function longerThan(text: string | null | undefined, max: number): boolean {
  // Code points never outnumber UTF-16 units, so most texts are answered without counting.
  return typeof text === 'string' && text.length > max && characterCount(text) > max;
}

/**
 * The title and body of an issue or a pull request. GitHub reports both as the Issue's (a pull
 * request is an issue underneath): `{"resource":"Issue","code":"custom","field":"body","message":
 * "body is too long (maximum is 65536 characters)"}`, for `POST /pulls` too.
 */
export function checkIssueText(fields: { title?: string | undefined; body?: string | null | undefined }): void {
  const tooLong = (field: 'title' | 'body', max: number): ValidationErrorEntry[] =>
    longerThan(fields[field], max)
      ? [{ resource: 'Issue', code: 'custom', field, message: `${field} is too long (maximum is ${max} characters)` }]
      : [];
  const errors = [...tooLong('title', MAX_TITLE_CHARACTERS), ...tooLong('body', MAX_BODY_CHARACTERS)];
  if (errors.length > 0) throw validationFailed(...errors);
}

/**
 * A comment body. GitHub words this one differently from an issue body:
 * `{"resource":"IssueComment","code":"unprocessable","field":"data","message":"Body is too long (maximum is 65536 characters)"}`.
 */
export function checkCommentBody(body: string): void {
  if (longerThan(body, MAX_BODY_CHARACTERS)) {
    throw validationFailed({
      resource: 'IssueComment',
      code: 'unprocessable',
      field: 'data',
      message: `Body is too long (maximum is ${MAX_BODY_CHARACTERS} characters)`,
    });
  }
}

/** 413 for a request body over the endpoint's limit. */
export function payloadTooLarge(limit: number): ApiError {
  return new ApiError(413, `Payload too large: this endpoint takes a request body of at most ${limit} bytes`);
}
