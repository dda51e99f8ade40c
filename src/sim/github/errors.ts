/**
 * GitHub's error bodies. Every error is `{ message, documentation_url, status }` (GitHub has sent
 * `status` as a string since 2023); 422 validation errors add `errors: [...]`. The documentation
 * URL is the one of the endpoint that answered, so handlers throw without it and the server fills
 * it in from the route.
 */

/** One entry of a 422 `errors` array, in GitHub's own shapes. */
export type ValidationErrorEntry =
  | { resource: string; code: 'missing_field' | 'invalid' | 'already_exists' | 'missing'; field: string; value?: unknown }
  | { resource: string; code: 'custom' | 'unprocessable'; field?: string; message: string };

export interface ErrorBody {
  message: string;
  documentation_url: string;
  status: string;
  errors?: ValidationErrorEntry[];
}

/** The documentation root GitHub answers with for paths it does not know. */
export const DOCS_ROOT = 'https://docs.github.com/rest';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors?: ValidationErrorEntry[],
    /** Set when the error must not take the route's documentation URL (rate limits, auth). */
    readonly documentation?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(documentationUrl: string): ErrorBody {
    return {
      message: this.message,
      documentation_url: this.documentation ?? documentationUrl,
      status: String(this.status),
      ...(this.errors ? { errors: this.errors } : {}),
    };
  }
}

/** 404 `Not Found`: unknown repositories, pull requests, refs, objects and paths alike. */
export function notFound(message = 'Not Found'): ApiError {
  return new ApiError(404, message);
}

/** 422 with a plain message, as the git data and refs endpoints answer (`Reference already exists`). */
export function unprocessable(message: string): ApiError {
  return new ApiError(422, message);
}

/** 422 `Validation Failed` with GitHub's `errors` array. */
export function validationFailed(...errors: ValidationErrorEntry[]): ApiError {
  return new ApiError(422, 'Validation Failed', errors);
}

/**
 * 422 for a request body that does not fit the endpoint's JSON schema. GitHub words these as
 * `Invalid request.\n\n"sha" wasn't supplied.`, and the contents API uses exactly that wording.
 */
export function invalidRequest(detail: string): ApiError {
  return new ApiError(422, `Invalid request.\n\n${detail}`);
}

/** `"field" wasn't supplied.` — GitHub's schema message for a missing required field. */
export function missingField(field: string): ApiError {
  return invalidRequest(`"${field}" wasn't supplied.`);
}

/** 409: a precondition on current state failed (a stale blob or head sha). */
export function conflict(message: string): ApiError {
  return new ApiError(409, message);
}

/** 405: the merge button would be disabled (`Pull Request is not mergeable`). */
export function methodNotAllowed(message: string): ApiError {
  return new ApiError(405, message);
}

/** 400 `Problems parsing JSON`: the body is not JSON (or not an object where one is needed). */
export function badJson(): ApiError {
  return new ApiError(400, 'Problems parsing JSON');
}
