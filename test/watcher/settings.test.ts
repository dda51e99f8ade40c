import { describe, expect, it } from 'vitest';
import { ConfigError, formatProblem, UserError } from '../../src/errors.js';
import { DEFAULT_POLICY } from '../../src/policy/index.js';
import { watchedCluster, workerVmSize } from '../../src/watcher/cluster.js';
import { pickConfig } from '../../src/watcher/discover.js';
import { watcherEnvironment } from '../../src/watcher/env.js';
import { parsePolicyFile } from '../../src/watcher/policy-file.js';
import { clusterConfig } from '../support/config-text.js';
import { demoConfig, FILE } from './support.js';

// What the watcher reads before its first cycle: the environment, the --policy-file, the cluster
// config's worker entry, and (without --config) which config names the cluster's nodes.

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map(formatProblem);
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('the environment', () => {
  const env = { GITHUB_TOKEN: 'ghs_x1234', GITHUB_REPOSITORY: 'example/cluster-config' };

  it('reads the repository, the API (the public one by default) and the log level', () => {
    expect(watcherEnvironment(env)).toEqual({
      token: 'ghs_x1234',
      owner: 'example',
      repo: 'cluster-config',
      apiUrl: 'https://api.github.com',
      logLevel: 'info',
    });
    expect(watcherEnvironment({ ...env, GITHUB_API_URL: 'https://ghe.example/api/v3/', LOG_LEVEL: 'debug' })).toMatchObject({
      apiUrl: 'https://ghe.example/api/v3',
      logLevel: 'debug',
    });
  });

  it('names every variable that is missing or wrong, at once', () => {
    expect(() => watcherEnvironment({})).toThrow(UserError);
    expect(() => watcherEnvironment({})).toThrow(/GITHUB_TOKEN is not set[\s\S]*GITHUB_REPOSITORY is not set/);
    expect(() => watcherEnvironment({ ...env, GITHUB_REPOSITORY: 'cluster-config' })).toThrow(
      /GITHUB_REPOSITORY="cluster-config" is not owner\/name/,
    );
    expect(() => watcherEnvironment({ ...env, GITHUB_API_URL: 'ftp://x' })).toThrow(/GITHUB_API_URL="ftp:\/\/x" is not an http\(s\) URL/);
    expect(() => watcherEnvironment({ ...env, GITHUB_API_URL: 'https://me:pw@x' })).toThrow(/must not hold credentials/);
    expect(() => watcherEnvironment({ ...env, LOG_LEVEL: 'loud' })).toThrow(/LOG_LEVEL="loud" is not one of debug, info, warn, error/);
  });
});

describe('--policy-file', () => {
  it('reads a mapping of policy settings; an empty file sets none', () => {
    expect(parsePolicyFile('policy.yaml', 'scale_down_unneeded_time: 20m\nscale_up_max_step: 4\n')).toEqual({
      scale_down_unneeded_time: '20m',
      scale_up_max_step: 4,
    });
    expect(parsePolicyFile('policy.yaml', '')).toEqual({});
    expect(parsePolicyFile('policy.yaml', '# nothing\n')).toEqual({});
  });

  it('reports every problem at its file:line:column, as validate does for the autoscaling document', () => {
    const text = 'scale_up_max_step: 0\nscale_down_unneeded: 10m\nmin: 1\nmetrics_max_age: 90\n';
    expect(problemsOf(() => parsePolicyFile('policy.yaml', text))).toEqual([
      'policy.yaml:1:20: scale_up_max_step: must be 1 or more (a step of 0 would never change the count)',
      expect.stringMatching(
        /^policy\.yaml:2:1: scale_down_unneeded: not a policy setting; the settings are scale_up_requests_threshold, .*, metrics_max_age, prometheus$/,
      ),
      "policy.yaml:3:1: min: the bounds are the cluster's own, set in its configuration/autoscaling document",
      'policy.yaml:4:18: metrics_max_age: must be a duration with its unit, not the number 90: write a duration such as 90s, 10m or 1h30m',
    ]);
  });

  it('refuses what is not one mapping, and YAML that does not parse', () => {
    expect(problemsOf(() => parsePolicyFile('p.yaml', '- a\n- b\n'))).toEqual([
      'p.yaml:1:1: must be a mapping of policy settings, e.g. scale_down_unneeded_time: 20m',
    ]);
    expect(problemsOf(() => parsePolicyFile('p.yaml', 'a: 1\n---\nb: 2\n'))).toEqual([
      'p.yaml:2:1: a second document: the policy file is one mapping of settings',
    ]);
    expect(problemsOf(() => parsePolicyFile('p.yaml', 'a: [1\n'))[0]).toMatch(/^p\.yaml:\d+:\d+: YAML syntax error/);
  });
});

describe('the watched cluster', () => {
  it('takes count, bounds and the worker VM size from the config, and its settings over the policy file’s', () => {
    const cluster = watchedCluster(FILE, demoConfig({ min: 2, max: 10, scale_down_unneeded_time: '1m' }), {
      scale_down_unneeded_time: '20m',
      scale_up_max_step: 4,
    });
    expect(cluster).toMatchObject({
      name: 'shop',
      prefix: 'demo',
      count: 3,
      min: 2,
      max: 10,
      vmSize: 't3.medium',
      component: 'kubernetes_node',
    });
    expect(cluster.policy).toEqual({ ...DEFAULT_POLICY, scaleDownUnneededTime: 60_000, scaleUpMaxStep: 4 });
  });

  it('refuses a cluster that is not autoscaled, and reports an invalid one as validate does', () => {
    expect(() => watchedCluster('c.yml', clusterConfig())).toThrow(
      /c\.yml: cluster shop is not autoscaled: add a configuration\/autoscaling/,
    );
    expect(problemsOf(() => watchedCluster('c.yml', clusterConfig({ nodes: -1, autoscaling: { min: 0, max: 5 } })))).toEqual([
      'c.yml:11:14: specification.components.kubernetes_node.count: must be 0 or more',
    ]);
  });

  it('uses LambdaStack’s default worker size when the config names none', () => {
    const cluster = watchedCluster('c.yml', clusterConfig({ autoscaling: { min: 1, max: 5 } }));
    expect(cluster.vmSize).toBe('t3.medium');
    expect(workerVmSize({ ...cluster.config, provider: 'any' })).toBeUndefined();
  });
});

describe('which config to watch without --config', () => {
  const shop = { path: 'cluster-config/aws.yml', cluster: 'shop', nodes: ['demo-shop-kubernetes-node-vm-0'] };
  const analytics = { path: 'cluster-config/azure.yml', cluster: 'analytics', nodes: ['demo-analytics-kubernetes-node-vm-0'] };

  it('the only one, or the one whose nodes the cluster has', () => {
    expect(pickConfig([shop], new Set())).toBe(shop.path);
    expect(pickConfig([shop, analytics], new Set(['demo-analytics-kubernetes-node-vm-0', 'x']))).toBe(analytics.path);
  });

  it('refuses to guess: none, no match, or more than one match', () => {
    expect(() => pickConfig([], new Set())).toThrow(/no cluster config under cluster-config\/ .*: pass --config/);
    expect(() => pickConfig([shop, analytics], new Set(['other']))).toThrow(
      'none of the cluster configs in cluster-config/ names a node of this cluster (cluster-config/aws.yml (shop), cluster-config/azure.yml (analytics)): pass --config',
    );
    expect(() => pickConfig([shop, { ...analytics, nodes: shop.nodes }], new Set(shop.nodes))).toThrow(/all name nodes of this cluster/);
  });
});
