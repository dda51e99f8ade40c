import { describe, expect, it } from 'vitest';
import { analyzeConfigText, parseClusterConfig } from '../../src/config/index.js';
import { ConfigError, formatProblem, UserError } from '../../src/errors.js';
import { resolvePrometheusSignal } from '../../src/policy/index.js';
import { watchedCluster } from '../../src/watcher/cluster.js';
import { parsePolicyFile } from '../../src/watcher/policy-file.js';
import { autoscalingLines, clusterLines, yaml } from '../support/config-text.js';

// The `prometheus` entry of an autoscaled component: a query and the share of its value one worker
// takes. Checked with the other policy settings, each problem at its file:line:column.

const FILE = 'cluster-config/shop.yml';
// autoscalingLines() puts min on line 18 and max on line 19; the prometheus entry starts on line 20.
const withEntry = (...lines: string[]): string => yaml(...clusterLines(3), ...autoscalingLines(1, 10), ...lines);
const problemsOf = (text: string): string[] => analyzeConfigText(FILE, text).problems.map(formatProblem);

describe('a component’s Prometheus signal', () => {
  it('is a query and a target per worker, kept as written and resolved for the watcher', () => {
    const text = withEntry('      prometheus:', "        query: 'sum(rate(http_requests_total[2m]))'", '        target_per_node: 100');
    const config = parseClusterConfig(FILE, text);
    expect(config.autoscaling.kubernetes_node?.prometheus).toEqual({ query: 'sum(rate(http_requests_total[2m]))', target_per_node: 100 });
    expect(watchedCluster(FILE, text).prometheus).toEqual({ query: 'sum(rate(http_requests_total[2m]))', targetPerNode: 100 });
  });

  it('may be written as a flow mapping, with a fractional target', () => {
    const text = withEntry("      prometheus: { query: 'avg(queue_depth)', target_per_node: 0.5 }");
    expect(watchedCluster(FILE, text).prometheus).toEqual({ query: 'avg(queue_depth)', targetPerNode: 0.5 });
  });

  it('is absent unless written', () => {
    expect(watchedCluster(FILE, withEntry()).prometheus).toBeUndefined();
  });

  it('refuses a wrong target at its value, saying what it is for', () => {
    const entry = (target: string): string =>
      withEntry('      prometheus:', '        query: sum(rate(http_requests_total[2m]))', `        target_per_node: ${target}`);
    expect(problemsOf(entry('0'))).toEqual([
      `${FILE}:22:26: kubernetes_node.prometheus.target_per_node: must be greater than 0 (how much of the query's value one worker takes), not 0`,
    ]);
    expect(problemsOf(entry('"100"'))).toEqual([
      `${FILE}:22:26: kubernetes_node.prometheus.target_per_node: must be a number, not the text "100": write it without quotes`,
    ]);
    expect(problemsOf(entry('.inf'))).toEqual([`${FILE}:22:26: kubernetes_node.prometheus.target_per_node: must be a finite number`]);
  });

  it('refuses an empty query at its value, and a missing key at the entry, with an example', () => {
    expect(problemsOf(withEntry('      prometheus:', "        query: ''", '        target_per_node: 100'))).toEqual([
      `${FILE}:21:16: kubernetes_node.prometheus.query: must not be empty: write the PromQL query whose value the workers share`,
    ]);
    expect(problemsOf(withEntry('      prometheus:', '        query: sum(up)'))).toEqual([
      `${FILE}:20:7: kubernetes_node.prometheus.target_per_node is missing: write how much of the query's value one worker takes, e.g. {query: 'sum(rate(http_requests_total[2m]))', target_per_node: 100}`,
    ]);
  });

  it('refuses an unknown key at the key, listing the known ones: a misspelt target is never silently missing', () => {
    expect(problemsOf(withEntry('      prometheus:', '        query: sum(up)', '        target_per_nodes: 100'))).toEqual([
      `${FILE}:20:7: kubernetes_node.prometheus.target_per_node is missing: write how much of the query's value one worker takes, e.g. {query: 'sum(rate(http_requests_total[2m]))', target_per_node: 100}`,
      `${FILE}:22:9: kubernetes_node.prometheus.target_per_nodes: not a prometheus setting; the settings are query, target_per_node`,
    ]);
  });

  it('refuses anything but a mapping, and is listed among the settings a misspelt key is told of', () => {
    expect(problemsOf(withEntry('      prometheus: sum(up)'))).toEqual([
      `${FILE}:20:19: kubernetes_node.prometheus: must be a mapping of query and target_per_node, e.g. {query: 'sum(rate(http_requests_total[2m]))', target_per_node: 100}`,
    ]);
    expect(problemsOf(withEntry('      prometheus_query: sum(up)'))).toEqual([
      expect.stringMatching(
        /^cluster-config\/shop\.yml:20:7: kubernetes_node\.prometheus_query: not a policy setting; the settings are min, max, .*, metrics_max_age, prometheus$/,
      ),
    ]);
  });

  it('may come from the --policy-file, where the document sets none, with problems located there too', () => {
    const defaults = parsePolicyFile('policy.yaml', 'prometheus:\n  query: sum(up)\n  target_per_node: 3\n');
    expect(watchedCluster(FILE, withEntry(), defaults).prometheus).toEqual({ query: 'sum(up)', targetPerNode: 3 });
    const document = withEntry("      prometheus: { query: 'sum(x)', target_per_node: 7 }");
    expect(watchedCluster(FILE, document, defaults).prometheus).toEqual({ query: 'sum(x)', targetPerNode: 7 });
    try {
      parsePolicyFile('policy.yaml', 'prometheus:\n  query: sum(up)\n  target_per_node: -1\n');
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems.map(formatProblem)).toEqual([
        "policy.yaml:3:20: prometheus.target_per_node: must be greater than 0 (how much of the query's value one worker takes), not -1",
      ]);
    }
  });

  it('is refused unresolved when it did not pass validation, never replaced by nothing', () => {
    expect(() => resolvePrometheusSignal({ prometheus: { query: 'sum(up)' } })).toThrow(UserError);
    expect(() => resolvePrometheusSignal({ prometheus: { query: 'sum(up)' } })).toThrow(/target_per_node is missing/);
  });
});
