import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeConfigFile, analyzeConfigText, loadConfigs, parseClusterConfig } from '../../src/config/index.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { DEFAULT_POLICY, resolvePolicy } from '../../src/policy/settings.js';
import { autoscalingLines, clusterLines, withTempDir, yaml } from './support.js';

const FILE = 'cluster-config/shop.yml';

/** AWS's documented example key id and secret, assembled so secret scanners do not trip on this file. */
const AWS_KEY_ID = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
const AWS_SECRET = ['wJalrXUtnFEMI/K7MDENG', '/bPxRfiCYEXAMPLEKEY'].join('');

function problemsOf(text: string) {
  const analysis = analyzeConfigText(FILE, text);
  if (analysis.problems.length > 0) expect(analysis.config).toBeUndefined();
  return analysis.problems;
}

function at(line: number, column: number, message: RegExp | string) {
  return {
    file: FILE,
    line,
    column,
    message: typeof message === 'string' ? expect.stringContaining(message) : expect.stringMatching(message),
  };
}

describe('a valid cluster config', () => {
  it('reads the cluster identity, every component count in order, and the autoscaling bounds', () => {
    const config = parseClusterConfig(FILE, yaml(...clusterLines(3), ...autoscalingLines(2, 10)));
    expect(config).toMatchObject({
      file: FILE,
      kind: 'lambdastack-cluster',
      provider: 'aws',
      name: 'shop',
      prefix: 'demo',
      counts: { kubernetes_master: 1, kubernetes_node: 3 },
      autoscaling: { kubernetes_node: { min: 2, max: 10 } },
      remoteState: undefined,
    });
    expect(Object.keys(config.counts)).toEqual(['kubernetes_master', 'kubernetes_node']);
  });

  it('without an autoscaling document is valid and not autoscaled (autoscaling is {})', () => {
    const analysis = analyzeConfigText(FILE, yaml(...clusterLines(3)));
    expect(analysis.problems).toEqual([]);
    expect(analysis.config?.autoscaling).toEqual({});
  });

  it('accepts the older `kind: epiphany-cluster`', () => {
    const text = yaml(...clusterLines(3)).replace('lambdastack-cluster', 'epiphany-cluster');
    expect(parseClusterConfig(FILE, text).kind).toBe('epiphany-cluster');
  });

  it('keeps unknown documents and unknown keys, as written, in config.documents', () => {
    const text = yaml(
      ...clusterLines(3),
      '  cloud:',
      '    region: eu-west-1',
      '    future_setting: {a: 1, b: [x, y]}',
      'build_path: build/path',
      '---',
      'kind: infrastructure/virtual-machine',
      'name: kubernetes-node-machine',
      'specification:',
      '  size: t3.medium',
      '---',
      'kind: something/nobody-knows',
      'whatever: [1, 2, 3]',
      ...autoscalingLines(1, 5),
      '      scale_up_usage_threshold: 0.8',
    );
    const config = parseClusterConfig(FILE, text);
    expect(config.documents.map((d) => [d.kind, d.name])).toEqual([
      ['lambdastack-cluster', 'default'],
      ['infrastructure/virtual-machine', 'kubernetes-node-machine'],
      ['something/nobody-knows', undefined],
      ['configuration/autoscaling', undefined],
    ]);
    expect(config.documents[0]?.value).toMatchObject({
      build_path: 'build/path',
      specification: { cloud: { region: 'eu-west-1', future_setting: { a: 1, b: ['x', 'y'] } } },
    });
    expect(config.documents[2]?.value).toEqual({ kind: 'something/nobody-knows', whatever: [1, 2, 3] });
    expect(config.autoscaling.kubernetes_node).toEqual({ min: 1, max: 5, scale_up_usage_threshold: 0.8 });
  });

  it('accepts a leading comment before the first `---` and a trailing `---`', () => {
    const text = yaml('# the shop cluster', '---', ...clusterLines(3), '---');
    expect(parseClusterConfig(FILE, text).counts.kubernetes_node).toBe(3);
  });

  it('accepts CRLF line endings', () => {
    const text = yaml(...clusterLines(3), ...autoscalingLines(1, 5)).replaceAll('\n', '\r\n');
    expect(parseClusterConfig(FILE, text).autoscaling.kubernetes_node).toEqual({ min: 1, max: 5 });
  });

  it('treats `prefix: null` as no prefix', () => {
    const text = yaml(...clusterLines(3)).replace('  prefix: demo', '  prefix:');
    expect(parseClusterConfig(FILE, text).prefix).toBeUndefined();
  });
});

describe('validation reports each problem at its 1-based line:column', () => {
  it('a negative count', () => {
    expect(problemsOf(yaml(...clusterLines(-1)))).toEqual([
      at(11, 14, 'specification.components.kubernetes_node.count: must be 0 or more'),
    ]);
  });

  it.each(['2.5', '"3"', "'3'", 'three', '[3]'])('a count that is not a whole number: `count: %s`', (value) => {
    expect(problemsOf(yaml(...clusterLines(value)))).toEqual([at(11, 14, 'kubernetes_node.count: must be a whole number')]);
  });

  it('says what is wrong with a count in each case: quoted, missing, too large, from a merge key', () => {
    expect(problemsOf(yaml(...clusterLines('"3"')))).toEqual([
      at(11, 14, 'must be a whole number, not the text "3": write it without quotes'),
    ]);
    expect(problemsOf(yaml(...clusterLines('')))).toEqual([at(11, 14, 'count is missing: write `count: <number>`')]);
    for (const huge of ['10001', String(2 ** 53 - 1), '1e400']) {
      expect(problemsOf(yaml(...clusterLines(huge))), huge).toEqual([at(11, 14, 'count: is too large: at most 10000')]);
    }
    const merged = yaml(
      'kind: lambdastack-cluster',
      'provider: aws',
      'node_defaults: &node_defaults',
      '  count: 3',
      'specification:',
      '  name: shop',
      '  components:',
      '    kubernetes_node:',
      '      <<: *node_defaults',
    );
    expect(problemsOf(merged)).toEqual([at(9, 7, 'count comes from a merge key (<<: *anchor): write `count: <number>` in this component')]);
    // An alias before its anchor is an error of its own, not an alias bomb.
    expect(problemsOf(yaml(...clusterLines('*later')))).toEqual([at(1, 1, /^cannot read this document: Unresolved alias/)]);
  });

  it('min greater than max in configuration/autoscaling (pointing at min)', () => {
    expect(problemsOf(yaml(...clusterLines(3), ...autoscalingLines(5, 2)))).toEqual([
      at(18, 12, 'kubernetes_node: min 5 is greater than max 2'),
    ]);
  });

  it('negative or fractional bounds', () => {
    const text = yaml(...clusterLines(3), ...autoscalingLines(-1, 2.5));
    expect(problemsOf(text)).toEqual([at(18, 12, /min: must be 0 or more/), at(19, 12, /max: must be a whole number/)]);
  });

  it('an autoscaling entry for a component the cluster does not have (pointing at the entry)', () => {
    expect(problemsOf(yaml(...clusterLines(3), ...autoscalingLines(1, 2, 'kafka')))).toEqual([
      at(17, 5, 'kafka: the cluster has no such component (it has kubernetes_master, kubernetes_node)'),
    ]);
  });

  it('an autoscaling entry for a component the cluster does not have, written in flow style', () => {
    const text = yaml(
      ...clusterLines(3),
      '---',
      'kind: configuration/autoscaling',
      'specification:',
      '  components: {kafka: {min: 1, max: 2}}',
    );
    expect(problemsOf(text)).toEqual([at(16, 16, 'kafka: the cluster has no such component')]);
  });

  it('an autoscaling entry named like a property every JavaScript object has (`constructor`) is still a missing component', () => {
    expect(problemsOf(yaml(...clusterLines(3), ...autoscalingLines(1, 2, 'constructor')))).toEqual([
      expect.objectContaining({ message: expect.stringContaining('constructor: the cluster has no such component') }),
    ]);
  });

  it('an autoscaling entry for kubernetes_master: masters are never autoscaled', () => {
    expect(problemsOf(yaml(...clusterLines(3), ...autoscalingLines(1, 3, 'kubernetes_master')))).toEqual([
      at(17, 5, 'kubernetes_master: masters are never autoscaled; remove this entry'),
    ]);
  });

  it.each([
    [0, 1, 5],
    [30, 1, 10],
  ])('a count (%i) outside its autoscaling bounds [%i, %i] (pointing at the count)', (count, min, max) => {
    expect(problemsOf(yaml(...clusterLines(count), ...autoscalingLines(min, max)))).toEqual([
      at(11, 14, `kubernetes_node.count ${count} is outside its autoscaling bounds [${min}, ${max}]`),
    ]);
  });

  it('counts on the bounds are inside them', () => {
    expect(problemsOf(yaml(...clusterLines(2), ...autoscalingLines(2, 2)))).toEqual([]);
  });

  it('YAML syntax errors', () => {
    const text = yaml(...clusterLines(3), '---', 'kind: infrastructure/virtual-machine', 'name: a: b');
    expect(problemsOf(text)).toEqual([at(15, 7, /^YAML syntax error: /)]);
  });

  it('an unclosed flow sequence', () => {
    const text = yaml(...clusterLines(3), '      subnets: [10.1.1.0/24, 10.1.2.0/24', '    kafka:', '      count: 1');
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems.every((p) => p.message.startsWith('YAML syntax error: '))).toBe(true);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(13);
  });

  it('tabs used for indentation', () => {
    const text = yaml(...clusterLines(3)).replace('      count: 3', '\tcount: 3');
    expect(problemsOf(text)).toContainEqual(at(11, 1, 'YAML syntax error: Tabs are not allowed as indentation'));
  });

  it('duplicate keys (pointing at the second one)', () => {
    const text = yaml(...clusterLines(3), '    kubernetes_node:', '      count: 4');
    expect(problemsOf(text)).toEqual([at(13, 5, /^duplicate key: /)]);
  });

  it('duplicate keys at the top of a document', () => {
    const text = yaml(...clusterLines(3), 'provider: azure');
    expect(problemsOf(text)).toEqual([at(13, 1, /^duplicate key: /)]);
  });

  it('a document without a kind', () => {
    const text = yaml(...clusterLines(3), '---', 'name: orphan', 'specification: {}');
    expect(problemsOf(text)).toEqual([at(14, 1, 'every document needs a `kind`')]);
  });

  it('a wrong provider, a missing name and missing components, all at once', () => {
    const text = yaml('kind: lambdastack-cluster', 'provider: gcp', 'specification:', '  prefix: demo');
    expect(problemsOf(text)).toEqual([
      at(2, 11, 'provider: must be aws, azure or any'),
      at(4, 3, 'specification.name: must be a string'),
      at(4, 3, 'specification.components: must be a mapping of component name to settings'),
    ]);
  });

  it('several missing keys of one mapping are each reported, though they share a location', () => {
    const text = yaml(...clusterLines(3), '---', 'kind: configuration/remote-state', 'specification:', '  backend: s3', '  bucket: b');
    const messages = problemsOf(text).map((p) => p.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^specification\.key: /),
        expect.stringMatching(/^specification\.region: /),
        expect.stringMatching(/^specification\.dynamodb_table: /),
      ]),
    );
  });

  it('every problem in one file, not only the first', () => {
    const text = yaml(
      'kind: lambdastack-cluster', // 1
      'provider: aws', // 2
      'specification:', // 3
      '  name: shop', // 4
      '  cloud:', // 5
      '    credentials:', // 6
      '      key: XXXXXXXXXX', // 7
      `      secret: ${AWS_SECRET}`, // 8
      '  components:', // 9
      '    kubernetes_master:', // 10
      '      count: -1', // 11
      '    kubernetes_node:', // 12
      '      count: 2.5', // 13
      '---', // 14
      'kind: infrastructure/virtual-machine', // 15
      'specification:', // 16
      `  user_data: "export AWS_ACCESS_KEY_ID=${AWS_KEY_ID}"`, // 17
      '---', // 18
      'kind: configuration/autoscaling', // 19
      'specification:', // 20
      '  components:', // 21
      '    kubernetes_node: {min: 4, max: 3}', // 22
      '---', // 23
      'kind: configuration/remote-state', // 24
      'specification:', // 25
      '  backend: s3', // 26
      '  bucket: ""', // 27
    );
    const problems = problemsOf(text);
    expect(problems).toEqual(
      expect.arrayContaining([
        at(8, 15, 'specification.cloud.credentials.secret looks like a real credential'),
        at(11, 14, 'kubernetes_master.count: must be 0 or more'),
        at(13, 14, 'kubernetes_node.count: must be a whole number'),
        at(17, 14, 'specification.user_data holds an AWS access key id'),
        at(22, 28, 'kubernetes_node: min 4 is greater than max 3'),
        at(27, 11, 'specification.bucket: must not be empty'),
      ]),
    );
    // ... and the remote-state document's missing key, region and dynamodb_table.
    for (const key of ['key', 'region', 'dynamodb_table']) {
      expect(problems.map((p) => p.message)).toContainEqual(expect.stringContaining(`specification.${key}: `));
    }
    expect(() => parseClusterConfig(FILE, text)).toThrow(ConfigError);
    try {
      parseClusterConfig(FILE, text);
    } catch (error) {
      expect((error as ConfigError).problems).toEqual(problems);
      expect((error as ConfigError).message.split('\n')).toContain(
        `${FILE}:11:14: specification.components.kubernetes_master.count: must be 0 or more`,
      );
    }
  });

  it('syntax errors in several documents are all listed', () => {
    const text = yaml(
      ...clusterLines(3), // 1-12
      '---', // 13
      'kind: infrastructure/virtual-machine', // 14
      'name: a: b', // 15
      '---', // 16
      'kind: configuration/kubernetes-node', // 17
      'specification: {version: 1.20', // 18
    );
    const problems = problemsOf(text);
    expect(problems.map((p) => p.line)).toContain(15);
    expect(problems.some((p) => p.line >= 18)).toBe(true);
  });

  it('refuses a file with two cluster documents (pointing at the second)', () => {
    const text = yaml(...clusterLines(3), '---', ...clusterLines(2));
    expect(problemsOf(text)).toEqual([at(14, 7, 'a second cluster document: keep one cluster per file')]);
  });

  it('refuses a second autoscaling or remote-state document', () => {
    const text = yaml(...clusterLines(3), ...autoscalingLines(1, 5), ...autoscalingLines(1, 6));
    expect(problemsOf(text)).toEqual([at(21, 7, 'a second configuration/autoscaling document')]);
  });
});

describe('the policy settings of an autoscaled component', () => {
  // autoscalingLines() puts `min` on line 18 and `max` on line 19; settings follow from line 20.
  const withSettings = (...settings: string[]): string => yaml(...clusterLines(3), ...autoscalingLines(1, 5), ...settings);

  it('are kept as written next to min and max, and resolve with their defaults', () => {
    const config = parseClusterConfig(
      FILE,
      withSettings('      scale_down_unneeded_time: 15m', '      scale_up_max_step: 3', '      scale_down_utilization_threshold: 0.4'),
    );
    const entry = config.autoscaling.kubernetes_node;
    expect(entry).toEqual({ min: 1, max: 5, scale_down_unneeded_time: '15m', scale_up_max_step: 3, scale_down_utilization_threshold: 0.4 });
    expect(resolvePolicy(entry ?? { min: 1, max: 5 })).toEqual({
      ...DEFAULT_POLICY,
      scaleDownUnneededTime: 15 * 60_000,
      scaleUpMaxStep: 3,
      scaleDownUtilizationThreshold: 0.4,
    });
  });

  it('refuse an unknown key at the key, listing the known ones', () => {
    expect(problemsOf(withSettings('      scale_down_unneded_time: 15m'))).toEqual([
      at(
        20,
        7,
        'kubernetes_node.scale_down_unneded_time: not a policy setting; the settings are min, max, schedules, scale_up_requests_threshold, ' +
          'scale_up_usage_threshold, scale_up_sustained_time, scale_up_max_step, scale_down_utilization_threshold, ' +
          'scale_down_unneeded_time, scale_down_delay_after_add, scale_down_max_step, provisioning_timeout, metrics_max_age',
      ),
    ]);
  });

  it('refuse a duration without its unit, in other units, or longer than a day, at the value', () => {
    expect(
      problemsOf(
        withSettings('      scale_down_unneeded_time: 600', '      provisioning_timeout: 15 minutes', '      metrics_max_age: 25h'),
      ),
    ).toEqual([
      at(
        20,
        33,
        'kubernetes_node.scale_down_unneeded_time: must be a duration with its unit, not the number 600: write a duration such as 90s, 10m or 1h30m',
      ),
      at(21, 29, 'kubernetes_node.provisioning_timeout: "15 minutes" is not a duration'),
      at(22, 24, 'kubernetes_node.metrics_max_age: "25h" is longer than a day'),
    ]);
  });

  it('refuse a ratio outside 0..1 or quoted, and a step that is not a whole number of at least 1', () => {
    expect(
      problemsOf(
        withSettings(
          '      scale_down_utilization_threshold: 50',
          "      scale_up_usage_threshold: '0.8'",
          '      scale_up_max_step: 0',
          '      scale_down_max_step: 1.5',
        ),
      ),
    ).toEqual([
      at(20, 41, 'kubernetes_node.scale_down_utilization_threshold: must be from 0 to 1 (a share: 0.5 is half), not 50'),
      at(21, 33, 'kubernetes_node.scale_up_usage_threshold: must be a number from 0 to 1, not the text "0.8"'),
      at(22, 26, 'kubernetes_node.scale_up_max_step: must be 1 or more'),
      at(23, 28, 'kubernetes_node.scale_down_max_step: must be a whole number of nodes'),
    ]);
  });

  it('are reported together with a problem of min or max', () => {
    const text = yaml(...clusterLines(3), ...autoscalingLines(-1, 5), '      scale_up_max_step: many');
    expect(problemsOf(text)).toEqual([
      at(18, 12, /min: must be 0 or more/),
      at(20, 26, 'kubernetes_node.scale_up_max_step: must be a whole number'),
    ]);
  });

  it('accept the boundaries: 0 and 1 for ratios, 0s and 24h for durations', () => {
    const text = withSettings(
      '      scale_up_requests_threshold: 1',
      '      scale_down_utilization_threshold: 0',
      '      scale_down_delay_after_add: 0s',
      '      provisioning_timeout: 24h',
      '      scale_up_sustained_time: 1h30m',
    );
    expect(problemsOf(text)).toEqual([]);
  });
});

describe('an alias bomb (billion laughs)', () => {
  const bomb = yaml(
    'kind: lambdastack-cluster',
    'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    'h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]',
    'i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]',
  );

  it('is refused quickly, not expanded', () => {
    const started = performance.now();
    const problems = problemsOf(bomb);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problems).toEqual([at(1, 1, 'too many aliases in this document (more than 100): refused as a possible alias bomb')]);
  });

  it('in a document after the cluster is refused too', () => {
    const text = yaml(...clusterLines(3), '---', ...bomb.trimEnd().split('\n').slice(1), 'kind: x');
    const started = performance.now();
    expect(problemsOf(text)).toEqual([at(14, 1, /alias bomb/)]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('while a few ordinary aliases are fine', () => {
    const text = yaml(
      ...clusterLines(3),
      '      subnets: &subnets',
      '        - address_pool: 10.1.1.0/24',
      '    kafka:',
      '      count: 1',
      '      subnets: *subnets',
    );
    const config = parseClusterConfig(FILE, text);
    expect(config.counts).toEqual({ kubernetes_master: 1, kubernetes_node: 3, kafka: 1 });
  });

  it('an anchor used inside its own value (a recursive structure) is reported, not thrown', () => {
    const text = yaml(...clusterLines(3), '---', 'kind: infrastructure/virtual-machine', 'specification: &self', '  again: *self');
    let analysis: ReturnType<typeof analyzeConfigText> | undefined;
    expect(() => {
      analysis = analyzeConfigText(FILE, text);
    }).not.toThrow();
    expect(analysis?.config).toBeUndefined();
    expect(analysis?.problems.length).toBeGreaterThanOrEqual(1);
  });
});

describe('committed cloud credentials are refused', () => {
  const withCloud = (...cloud: string[]) => yaml(...clusterLines(3), '  cloud:', ...cloud);

  it('an AWS access key id as a credential value', () => {
    const problems = problemsOf(withCloud('    credentials:', `      key: ${AWS_KEY_ID}`, '      secret: XXXXXXXXXX'));
    expect(problems).toContainEqual(at(15, 12, 'specification.cloud.credentials.key holds an AWS access key id'));
    expect(problems.every((p) => p.line === 15)).toBe(true);
  });

  it('an AWS access key id anywhere: inside a longer string, in a list, in any document', () => {
    const text = yaml(
      ...clusterLines(3), // 1-12
      '      tags:', // 13
      `        - owner=${AWS_KEY_ID}`, // 14
      '---', // 15
      'kind: configuration/shared-config', // 16
      'specification:', // 17
      `  url: "https://example.com/?AWSAccessKeyId=${AWS_KEY_ID}&x=1"`, // 18
    );
    expect(problemsOf(text)).toEqual([
      at(14, 11, 'specification.components.kubernetes_node.tags.0 holds an AWS access key id'),
      at(18, 8, 'specification.url holds an AWS access key id'),
    ]);
  });

  it.each([
    ['ASIA', 'temporary (STS) key id'],
    ['AKIA', 'long-term key id'],
  ])('an AWS %s… key id (%s)', (prefix) => {
    const problems = problemsOf(withCloud('    credentials:', `      key: ${prefix}IOSFODNN7EXAMPLE`));
    expect(problems).toContainEqual(at(15, 12, 'holds an AWS access key id'));
  });

  it('an AWS access key id in a comment (a commented-out key is still committed)', () => {
    const text = withCloud('    credentials:', `      # old key: ${AWS_KEY_ID}`, '      key: XXXXXXXXXX');
    expect(problemsOf(text)).toEqual([at(15, 18, /AWS access key id/)]); // at the key itself, inside the comment
  });

  it('a 40-character secret under specification.cloud.credentials.secret', () => {
    const text = withCloud('    credentials:', '      key: XXXXXXXXXX', `      secret: ${AWS_SECRET}`);
    expect(problemsOf(text)).toEqual([at(16, 15, 'specification.cloud.credentials.secret looks like a real credential')]);
  });

  it('an Azure service principal password', () => {
    const text = withCloud(
      '    service_principal:',
      '      appId: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
      '      password: "Qx8~abcdEFGH1234ijklMNOP5678qrstUVWX"',
    );
    expect(problemsOf(text)).toEqual([at(16, 17, 'specification.cloud.service_principal.password looks like a real credential')]);
  });

  it("a real-looking secret in the remote-state document's access_key", () => {
    const text = yaml(
      ...clusterLines(3),
      '---', // 13
      'kind: configuration/remote-state', // 14
      'specification:', // 15
      '  backend: azurerm', // 16
      '  storage_account_name: shopstate', // 17
      '  container_name: tfstate', // 18
      '  key: clusters/shop.tfstate', // 19
      '  access_key: "dGhpcyBpcyBub3QgYSByZWFsIGtleSBidXQgbG9va3MgbGlrZSBvbmU="', // 20
    );
    expect(problemsOf(text)).toEqual([at(20, 15, 'specification.access_key looks like a real credential')]);
  });

  it.each([
    'XXXXXXXXXX',
    'XXXXXXXXXXX',
    'xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx',
    '"<your secret>"',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is literal text
    '"${AWS_SECRET}"',
    '$AWS_SECRET',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the placeholder is literal text
    '"${{ secrets.AWS }}"',
    '""',
    "''",
    '',
  ])('while the placeholder `%s` passes', (placeholder) => {
    const text = yaml(
      ...clusterLines(3),
      '  cloud:',
      '    credentials:',
      `      key: ${placeholder}`,
      `      secret: ${placeholder}`,
      '    service_principal:',
      `      password: ${placeholder}`,
      '---',
      'kind: configuration/remote-state',
      'specification:',
      '  backend: s3',
      '  bucket: b',
      '  key: clusters/shop.tfstate',
      '  region: eu-west-1',
      '  dynamodb_table: locks',
      `  access_key: ${placeholder}`,
      `  secret_key: ${placeholder}`,
    );
    expect(problemsOf(text)).toEqual([]);
  });

  it('the remote-state `key` (the state object name) is not a secret, however long', () => {
    const text = yaml(
      ...clusterLines(3),
      '---',
      'kind: configuration/remote-state',
      'specification:',
      '  backend: s3',
      '  bucket: shop-lambdastack-tfstate',
      '  key: clusters/demo-shop/production/terraform.tfstate',
      '  region: eu-west-1',
      '  dynamodb_table: shop-lambdastack-tflock',
    );
    expect(problemsOf(text)).toEqual([]);
  });
});

describe('the remote-state document', () => {
  const stateDoc = (...spec: string[]) =>
    yaml(...clusterLines(3), '---', 'kind: configuration/remote-state', 'name: default', 'specification:', ...spec);

  it('with the s3 backend lands in config.remoteState', () => {
    const config = parseClusterConfig(
      FILE,
      stateDoc(
        '  backend: s3',
        '  bucket: shop-tfstate',
        '  key: clusters/shop.tfstate',
        '  region: eu-west-1',
        '  dynamodb_table: shop-tflock',
        '  encrypt: true',
        '  endpoint: http://127.0.0.1:4568',
      ),
    );
    expect(config.remoteState).toEqual({
      backend: 's3',
      bucket: 'shop-tfstate',
      key: 'clusters/shop.tfstate',
      region: 'eu-west-1',
      dynamodb_table: 'shop-tflock',
      encrypt: true,
      endpoint: 'http://127.0.0.1:4568',
    });
  });

  it('with the azurerm backend lands in config.remoteState', () => {
    const config = parseClusterConfig(
      FILE,
      stateDoc(
        '  backend: azurerm',
        '  resource_group_name: rg',
        '  storage_account_name: shopstate',
        '  container_name: tfstate',
        '  key: shop.tfstate',
      ),
    );
    expect(config.remoteState).toEqual({
      backend: 'azurerm',
      resource_group_name: 'rg',
      storage_account_name: 'shopstate',
      container_name: 'tfstate',
      key: 'shop.tfstate',
    });
  });

  it('with another backend is refused (pointing at the backend)', () => {
    expect(problemsOf(stateDoc('  backend: gcs', '  bucket: b'))).toEqual([at(17, 12, 'backend must be s3 or azurerm')]);
  });

  it('with s3 but no dynamodb_table (no locking) is refused', () => {
    const problems = problemsOf(stateDoc('  backend: s3', '  bucket: b', '  key: k', '  region: eu-west-1'));
    expect(problems).toEqual([expect.objectContaining({ message: expect.stringContaining('specification.dynamodb_table') })]);
  });

  it('with azurerm but no container is refused', () => {
    const problems = problemsOf(stateDoc('  backend: azurerm', '  storage_account_name: s', '  key: k'));
    expect(problems).toEqual([expect.objectContaining({ message: expect.stringContaining('specification.container_name') })]);
  });
});

describe('files without a cluster', () => {
  it('only infrastructure/configuration documents: noCluster, no problems, no config', () => {
    const analysis = analyzeConfigText(FILE, yaml('kind: configuration/kubernetes-node', 'specification:', '  version: 1.20.12'));
    expect(analysis).toMatchObject({ config: undefined, problems: [], noCluster: true });
  });

  it('an empty file or one with only comments: noCluster', () => {
    expect(analyzeConfigText(FILE, '')).toMatchObject({ config: undefined, problems: [], noCluster: true });
    expect(analyzeConfigText(FILE, '# nothing yet\n')).toMatchObject({ config: undefined, problems: [], noCluster: true });
  });

  it('asked for a cluster anyway (parseClusterConfig), throws a ConfigError that says there is none', () => {
    let thrown: unknown;
    try {
      parseClusterConfig(FILE, yaml('kind: configuration/kubernetes-node', 'specification: {}'));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([at(1, 1, 'no lambdastack-cluster or epiphany-cluster document')]);
  });

  it('a cluster file broken by a syntax error is reported, not skipped as "no cluster"', () => {
    const analysis = analyzeConfigText(FILE, yaml(...clusterLines(3), '  name: a: b'));
    expect(analysis.noCluster).toBe(false);
    expect(analysis.problems).not.toEqual([]);
  });
});

describe('reading files', () => {
  it('refuses bytes that are not UTF-8 with the problem "not UTF-8 text"', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'latin1.yml');
      await writeFile(
        path,
        Buffer.concat([Buffer.from(yaml(...clusterLines(3), '  owner: ')), Buffer.from([0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x0a])]),
      );
      const analysis = await analyzeConfigFile(path, 'latin1.yml');
      expect(analysis).toMatchObject({ config: undefined, noCluster: false });
      expect(analysis.problems).toEqual([{ file: 'latin1.yml', line: 1, column: 1, message: 'not UTF-8 text' }]);
    });
  });

  it('reads a UTF-8 file with non-ASCII text and a byte-order mark', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'utf8.yml');
      await writeFile(path, `\uFEFF${yaml(...clusterLines(3), '  owner: Müller — 東京')}`);
      const analysis = await analyzeConfigFile(path);
      expect(analysis.problems).toEqual([]);
      expect(analysis.config?.documents[0]?.value).toMatchObject({ specification: { owner: 'Müller — 東京' } });
    });
  });
});

describe('loading a directory (loadConfigs)', () => {
  const shop = yaml(...clusterLines(3), ...autoscalingLines(1, 5));
  const cluster = (name: string, prefix = 'demo', provider = 'aws') =>
    yaml(...clusterLines(2))
      .replace('  name: shop', `  name: ${name}`)
      .replace('  prefix: demo', `  prefix: ${prefix}`)
      .replace('provider: aws', `provider: ${provider}`);

  it('reads every .yml/.yaml file below it in sorted order, and lists files without a cluster as skipped', async () => {
    await withTempDir(async (dir) => {
      await mkdir(join(dir, 'eu', 'west'), { recursive: true });
      await writeFile(join(dir, 'zeta.yml'), cluster('zeta'));
      await writeFile(join(dir, 'alpha.yaml'), cluster('alpha'));
      await writeFile(join(dir, 'eu', 'west', 'shop.YML'), shop);
      await writeFile(join(dir, 'eu', 'defaults.yml'), yaml('kind: configuration/kubernetes-node', 'specification: {version: 1.20.12}'));
      await writeFile(join(dir, 'notes.txt'), 'kind: lambdastack-cluster\n');
      await writeFile(join(dir, 'README.md'), '# configs\n');
      const result = await loadConfigs([dir], dir);
      expect(result.problems).toEqual([]);
      expect(result.configs.map((c) => [c.file, c.name])).toEqual([
        ['alpha.yaml', 'alpha'],
        ['eu/west/shop.YML', 'shop'],
        ['zeta.yml', 'zeta'],
      ]);
      expect(result.skipped).toEqual(['eu/defaults.yml']);
    });
  });

  it('collects the problems of every file, named relative to cwd', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.yml'), yaml(...clusterLines(-1)));
      await writeFile(join(dir, 'b.yml'), Buffer.from([0xff, 0xfe, 0x00]));
      await writeFile(join(dir, 'c.yml'), cluster('fine'));
      const result = await loadConfigs([dir], dir);
      expect(result.problems).toEqual([
        { file: 'a.yml', line: 11, column: 14, message: expect.stringContaining('must be 0 or more') },
        { file: 'b.yml', line: 1, column: 1, message: 'not UTF-8 text' },
      ]);
      expect(result.configs.map((c) => c.file)).toEqual(['c.yml']);
      expect(result.skipped).toEqual([]);
    });
  });

  it('accepts single files as well as directories', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'one.yml'), cluster('one'));
      await writeFile(join(dir, 'two.yml'), cluster('two'));
      const result = await loadConfigs([join(dir, 'two.yml'), join(dir, 'one.yml')], dir);
      expect(result.configs.map((c) => c.file)).toEqual(['two.yml', 'one.yml']);
    });
  });

  it('refuses a path that does not exist with a UserError', async () => {
    await withTempDir(async (dir) => {
      await expect(loadConfigs([join(dir, 'missing')], dir)).rejects.toThrow(UserError);
    });
  });

  it('refuses two files that define the same cluster (same provider, prefix and name)', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.yml'), cluster('shop'));
      await writeFile(join(dir, 'b.yml'), cluster('shop'));
      const result = await loadConfigs([dir], dir);
      expect(result.problems).toEqual([
        { file: 'b.yml', line: 1, column: 1, message: 'cluster aws/demo-shop is also defined in a.yml: each cluster belongs in one file' },
      ]);
    });
  });

  it('treats prefix `default` and no prefix as the same cluster (they make the same VM names)', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.yml'), cluster('shop', 'default'));
      await writeFile(join(dir, 'b.yml'), cluster('shop', '""'));
      const result = await loadConfigs([dir], dir);
      expect(result.problems).toEqual([
        expect.objectContaining({ file: 'b.yml', message: expect.stringContaining('also defined in a.yml') }),
      ]);
    });
  });

  it('treats names that differ only in letter case as the same cluster (VM names are lower-cased)', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.yml'), cluster('shop', 'demo'));
      await writeFile(join(dir, 'b.yml'), cluster('Shop', 'DEMO'));
      const result = await loadConfigs([dir], dir);
      expect(result.problems).toEqual([
        expect.objectContaining({ file: 'b.yml', message: expect.stringContaining('also defined in a.yml') }),
      ]);
    });
  });

  it('allows the same name under another prefix or another provider', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'a.yml'), cluster('shop', 'demo'));
      await writeFile(join(dir, 'b.yml'), cluster('shop', 'prod'));
      await writeFile(join(dir, 'c.yml'), cluster('shop', 'demo', 'azure'));
      const result = await loadConfigs([dir], dir);
      expect(result.problems).toEqual([]);
      expect(result.configs).toHaveLength(3);
    });
  });
});

describe('hostile or unlucky input is refused with its reason, never misread', () => {
  it('old Mac (CR-only) line endings, which YAML would read as one long comment', () => {
    const text = yaml('# worker pool', ...clusterLines(3)).replaceAll('\n', '\r');
    expect(problemsOf(text)).toEqual([at(1, 14, 'a carriage return without a line feed (old Mac line endings)')]);
  });

  it('a NUL byte, at its line and column', () => {
    const text = yaml(...clusterLines(3)).replace('name: shop', 'name: sh\0op');
    expect(problemsOf(text)).toEqual([at(6, 11, 'a NUL byte: this is not a text file')]);
  });

  it('a file over 1 MiB, unread', async () => {
    await withTempDir(async (dir) => {
      await writeFile(join(dir, 'big.yml'), `${yaml(...clusterLines(3))}${'# padding\n'.repeat(110_000)}`);
      const result = await loadConfigs(['big.yml'], dir);
      expect(result.problems).toEqual([
        {
          file: 'big.yml',
          line: 1,
          column: 1,
          message: "larger than 1 MiB, the most a cluster config may be (LambdaStack's own are tens of KiB): refused unread",
        },
      ]);
    });
  });

  it('a duplicate key at the end of a mapping of 40,000 keys, found in one pass', () => {
    const keys = Array.from({ length: 40_000 }, (_, i) => `    k${i}: v`);
    const text = yaml(...clusterLines(3), '  extra:', ...keys, '    k17: again');
    expect(problemsOf(text)).toEqual([at(40_014, 5, 'duplicate key: "k17" is already set at line 31 of this mapping')]);
  });

  it('keys that YAML tells apart are not duplicates: 1 and "1", true and "true"', () => {
    expect(problemsOf(yaml(...clusterLines(3), '  extra:', '    1: a', '    "1": b', '    true: c', '    "true": d'))).toEqual([]);
  });
});
