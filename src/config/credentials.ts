/**
 * Finds cloud credentials committed to a cluster config. Config lives in git and every clone
 * sees it, so a real key there is a leak; the pipeline gets credentials from Actions secrets.
 */

/** Keys whose value is a secret under the cluster document's `specification.cloud`. */
export const CLOUD_SECRET_KEY =
  /^(key|secret|password|client_secret|access_key|secret_key|secret_access_key|access_key_id|aws_access_key_id|aws_secret_access_key|session_token|sas_token|token|connection_string|primary_access_key)$/i;

/**
 * Keys whose value is a secret in the remote-state settings: terraform's backend credentials.
 * (There `key` is the state object's name, not a secret.)
 */
export const BACKEND_SECRET_KEY =
  /^(access_key|secret_key|token|sas_token|client_secret|client_certificate_password|connection_string|session_token|secret_access_key)$/i;

/** Patterns that are a credential wherever they appear, whatever the key. */
const LEAK_PATTERNS: ReadonlyArray<{ pattern: RegExp; what: string }> = [
  { pattern: /\b(AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/, what: 'an AWS access key id' },
  { pattern: /AccountKey=[A-Za-z0-9+/=]{20,}/, what: 'an Azure storage account key' },
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, what: 'a private key' },
  { pattern: /\bsig=[A-Za-z0-9%+/=]{20,}/, what: 'an Azure SAS token' },
];

/**
 * A value that stands in for a secret: empty, a run of X's (`XXXXXXXXXX`, GUID-shaped
 * `xxxxxxxx-xxxx-...`), `<your secret>`, `YOUR-...`, `SET_BY_AUTOMATION`, or a reference to an
 * environment variable or secret store (`${AWS_SECRET}`, `$AWS_SECRET`, `${{ secrets.X }}`,
 * `{{ lookup('env', 'X') }}`, `env:X`).
 */
export function isPlaceholder(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value !== 'string') return false;
  const v = value.trim();
  if (v === '') return true;
  if (/^[Xx*][Xx*\-_.]*$/.test(v)) return true;
  if (/^<[^<>]*>$/.test(v)) return true;
  if (/^your[-_ ]/i.test(v)) return true;
  if (/^(SET_BY_AUTOMATION|CHANGEME|CHANGE_ME|PLACEHOLDER|REDACTED)$/i.test(v)) return true;
  if (/^\$\{?[A-Za-z_][A-Za-z0-9_]*\}?$/.test(v)) return true;
  if (/^\$\{\{.*\}\}$/.test(v)) return true;
  if (/^\{\{.*\}\}$/.test(v)) return true;
  if (/^env:[A-Za-z_][A-Za-z0-9_]*$/.test(v)) return true;
  return false;
}

export interface CredentialFinding {
  path: (string | number)[];
  message: string;
}

function describe(path: readonly (string | number)[]): string {
  return path.join('.');
}

/**
 * Known key formats anywhere in the raw text: comments and keys included, since a commented-out
 * key is as committed as a live one. Returns the offset of each.
 */
export function findLeaksInText(text: string): Array<{ offset: number; what: string }> {
  const found: Array<{ offset: number; what: string }> = [];
  for (const { pattern, what } of LEAK_PATTERNS) {
    for (const match of text.matchAll(new RegExp(pattern.source, 'g'))) found.push({ offset: match.index, what });
  }
  return found;
}

/** The message for a known key format found in the text. */
export function leakMessage(what: string, where?: string): string {
  return `${where ? `${where} holds` : 'this is'} ${what}: remove it from the config, rotate it, and pass it to the pipeline as an Actions secret`;
}

/** Credentials anywhere in `value` that look like known key formats. */
export function findLeakedKeys(value: unknown, path: (string | number)[] = []): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  walk(value, path, (leaf, at) => {
    if (typeof leaf !== 'string') return;
    for (const { pattern, what } of LEAK_PATTERNS) {
      if (pattern.test(leaf)) {
        findings.push({ path: at, message: leakMessage(what, describe(at)) });
        return;
      }
    }
  });
  return findings;
}

/**
 * Every AWS and Azure key, secret and token is 20 characters or more; shorter values under a
 * secret-named key are the dummies that LambdaStack's and Epiphany's own defaults ship with.
 */
const CREDENTIAL_MIN_LENGTH = 20;

/** True when a value has the shape of a real cloud credential rather than a placeholder. */
export function looksLikeCredential(value: unknown): boolean {
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  if (isPlaceholder(value)) return false;
  const v = String(value).trim();
  return v.length >= CREDENTIAL_MIN_LENGTH && !/\s/.test(v);
}

/** Secret-named keys under `value` whose values look like real credentials. */
export function findCommittedSecrets(value: unknown, path: (string | number)[], secretKey: RegExp): CredentialFinding[] {
  const findings: CredentialFinding[] = [];
  walk(value, path, (leaf, at) => {
    const key = at[at.length - 1];
    if (typeof key !== 'string' || !secretKey.test(key)) return;
    if (!looksLikeCredential(leaf)) return;
    if (typeof leaf === 'string' && LEAK_PATTERNS.some(({ pattern }) => pattern.test(leaf))) return; // reported as that key format
    findings.push({
      path: at,
      message: `${describe(at)} looks like a real credential: commit a placeholder (XXXXXXXXXX) or an environment reference (\${VAR}) and pass the value as an Actions secret`,
    });
  });
  return findings;
}

/** Visits every leaf; a structure that contains itself (a recursive YAML anchor) is visited once. */
function walk(
  value: unknown,
  path: (string | number)[],
  visit: (leaf: unknown, path: (string | number)[]) => void,
  seen = new WeakSet<object>(),
): void {
  if (value !== null && typeof value === 'object') {
    if (seen.has(value)) return;
    seen.add(value);
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      walk(item, [...path, i], visit, seen);
    });
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, [...path, k], visit, seen);
  } else {
    visit(value, path);
  }
}
