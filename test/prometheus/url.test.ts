import { describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { prometheusBaseUrl } from '../../src/prometheus/url.js';

// --prometheus-url, or PROMETHEUS_URL: Prometheus' base URL, checked before the first cycle.

describe("Prometheus' base URL", () => {
  it('comes from the flag, else the variable, else there is none', () => {
    expect(prometheusBaseUrl('http://prometheus:9090', { PROMETHEUS_URL: 'http://other:9090' })).toBe('http://prometheus:9090');
    expect(prometheusBaseUrl(undefined, { PROMETHEUS_URL: ' http://prometheus:9090 ' })).toBe('http://prometheus:9090');
    expect(prometheusBaseUrl(undefined, {})).toBeUndefined();
    expect(prometheusBaseUrl(undefined, { PROMETHEUS_URL: '' })).toBeUndefined();
  });

  it('keeps a route prefix, without a trailing slash', () => {
    expect(prometheusBaseUrl('https://monitoring.example/prometheus/', {})).toBe('https://monitoring.example/prometheus');
    expect(prometheusBaseUrl('http://prometheus:9090/', {})).toBe('http://prometheus:9090');
  });

  it.each([
    ['prometheus:9090', /^--prometheus-url="prometheus:9090" is not an http\(s\) URL: give Prometheus' base URL, e\.g\. http:\/\//],
    ['not a url', /^--prometheus-url="not a url" is not a URL/],
    ['', /^--prometheus-url is empty/],
    ['http://admin:secret@prometheus:9090', /^--prometheus-url must not hold credentials/],
    ['http://prometheus:9090/api/v1/query', /names an API path: give the base URL; the watcher adds \/api\/v1\/query$/],
    ['http://prometheus:9090/?x=1', /has a query or fragment/],
  ])('refuses %j, saying what to give instead', (value, message) => {
    expect(() => prometheusBaseUrl(value, {})).toThrow(UserError);
    expect(() => prometheusBaseUrl(value, {})).toThrow(message);
  });

  it('names the variable when the value came from it', () => {
    expect(() => prometheusBaseUrl(undefined, { PROMETHEUS_URL: 'ftp://prometheus' })).toThrow(
      /^PROMETHEUS_URL="ftp:\/\/prometheus" is not an http\(s\) URL/,
    );
  });
});
