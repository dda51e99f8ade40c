/**
 * The Prometheus server the watcher queries: `--prometheus-url`, or the PROMETHEUS_URL variable.
 * Checked at start, so a typo is refused before the first cycle rather than read as "Prometheus
 * down" (which only rules out scale-downs) for ever.
 */
import { UserError } from '../errors.js';

const EXAMPLE = 'http://prometheus-server.monitoring.svc:9090';

/**
 * The base URL without a trailing slash (a route prefix such as `/prometheus` kept), or undefined
 * when neither the flag nor the variable gives one; the flag wins over the variable.
 */
export function prometheusBaseUrl(flag: string | undefined, env: Readonly<Record<string, string | undefined>>): string | undefined {
  const fromFlag = flag !== undefined;
  const raw = (fromFlag ? flag : env.PROMETHEUS_URL)?.trim() ?? '';
  const source = fromFlag ? '--prometheus-url' : 'PROMETHEUS_URL';
  if (raw === '') {
    if (fromFlag) throw new UserError(`--prometheus-url is empty: give Prometheus' base URL, e.g. ${EXAMPLE}`);
    return undefined;
  }
  if (!URL.canParse(raw)) throw new UserError(`${source}=${JSON.stringify(raw)} is not a URL: give Prometheus' base URL, e.g. ${EXAMPLE}`);
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`${source}=${JSON.stringify(raw)} is not an http(s) URL: give Prometheus' base URL, e.g. ${EXAMPLE}`);
  }
  if (url.username || url.password) {
    // fetch refuses such a URL, and the log would show the password.
    throw new UserError(`${source} must not hold credentials: the watcher queries Prometheus without authentication`);
  }
  if (url.search || url.hash) {
    throw new UserError(`${source}=${JSON.stringify(raw)} has a query or fragment: give only the base URL, e.g. ${EXAMPLE}`);
  }
  if (/\/api\/v1(\/.*)?$/.test(url.pathname)) {
    throw new UserError(`${source}=${JSON.stringify(raw)} names an API path: give the base URL; the watcher adds /api/v1/query`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
