import { describe, expect, it } from 'vitest';
import { parseClusterConfig, setComponentCount } from '../../src/config/index.js';
import { ConfigError, UserError } from '../../src/errors.js';
import { autoscalingLines, changedLines, clusterLines, yaml } from './support.js';

const FILE = 'cluster-config/shop.yml';

/** Edits `before`, checks the result is exactly `after`, and that exactly one line changed. */
function expectEdit(before: string, component: string, count: number, after: string): void {
  const result = setComponentCount(FILE, before, component, count);
  expect(result.text).toBe(after);
  const changes = changedLines(before, after);
  expect(changes).toHaveLength(1);
  expect(result.line).toBe(changes[0]?.line);
  expect(result.config.counts[component]).toBe(count);
  expect(parseClusterConfig(FILE, result.text).counts[component]).toBe(count);
}

/** Calls `edit` expecting a refusal of class `type` whose message matches `message`. */
function expectRefusal(edit: () => unknown, type: typeof UserError | typeof ConfigError, message: RegExp): void {
  let thrown: unknown;
  try {
    edit();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(type);
  expect((thrown as Error).message).toMatch(message);
}

describe('setComponentCount changes only the bytes of the count', () => {
  it('in a plain block mapping, and reports what it did', () => {
    const before = yaml(...clusterLines(3));
    const result = setComponentCount(FILE, before, 'kubernetes_node', 5);
    expect(result.text).toBe(yaml(...clusterLines(5)));
    expect(result).toMatchObject({ component: 'kubernetes_node', from: 3, to: 5, line: 11 });
    expect(result.config.counts).toEqual({ kubernetes_master: 1, kubernetes_node: 5 });
  });

  it('keeps a comment on the same line', () => {
    expectEdit(
      yaml(
        'kind: lambdastack-cluster',
        'provider: aws',
        'specification:',
        '  name: shop',
        '  components:',
        '    kubernetes_node:',
        '      count: 3 # workers',
      ),
      'kubernetes_node',
      4,
      yaml(
        'kind: lambdastack-cluster',
        'provider: aws',
        'specification:',
        '  name: shop',
        '  components:',
        '    kubernetes_node:',
        '      count: 4 # workers',
      ),
    );
  });

  it('keeps a same-line comment right after a count that gets longer or shorter', () => {
    const text = (n: number) =>
      yaml(
        'kind: lambdastack-cluster',
        'provider: aws',
        'specification:',
        '  name: shop',
        '  components:',
        `    kubernetes_node: {count: ${n}}  # pool`,
      );
    expectEdit(text(9), 'kubernetes_node', 10, text(10));
    expectEdit(text(10), 'kubernetes_node', 9, text(9));
    expectEdit(text(100), 'kubernetes_node', 0, text(0));
  });

  it('keeps comments elsewhere, including ones at column 0 inside a mapping', () => {
    const text = (n: number) =>
      yaml(
        '# The shop cluster.',
        'kind: lambdastack-cluster # the kind',
        'provider: aws',
        'specification:',
        '  # identity',
        '  name: shop',
        '  components:',
        '    kubernetes_node:',
        '# This line tells we generate the availability-set terraform template',
        '      availability_set: kube-node  # Short and simple name is preferred',
        `      count: ${n}`,
        '      # count: 7 (commented out)',
        '    kafka:',
        '      count: 3 # brokers',
        '# the end',
      );
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('keeps the quoting of other values', () => {
    const text = (n: number) =>
      yaml(
        'kind: "lambdastack-cluster"',
        "title: 'LambdaStack Cluster Config'",
        'provider: "aws"',
        'name: "default"',
        'specification:',
        "  prefix: 'demo'",
        '  name: "shop"',
        '  components:',
        '    kubernetes_node:',
        `      count: ${n}`,
        '      machine: "kubernetes-node-machine"',
        "      configuration: 'default'",
        '      note: "count: 3"',
      );
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('edits inside a flow mapping (count first or not)', () => {
    const text = (a: number, b: number) =>
      yaml(
        'kind: lambdastack-cluster',
        'provider: aws',
        'specification:',
        '  name: shop',
        '  components:',
        `    kubernetes_node: {count: ${a}, machine: x}`,
        `    kafka: {machine: k, count: ${b}, subnets: [{address_pool: 10.1.5.0/24}]}`,
      );
    expectEdit(text(3, 2), 'kubernetes_node', 4, text(4, 2));
    expectEdit(text(3, 2), 'kafka', 5, text(3, 5));
  });

  it('edits when all components are one flow mapping', () => {
    const text = (n: number) =>
      yaml(
        'kind: lambdastack-cluster',
        'provider: aws',
        'specification:',
        '  name: shop',
        `  components: {kubernetes_master: {count: 1}, kubernetes_node: {count: ${n}}}`,
      );
    expectEdit(text(3), 'kubernetes_node', 12, text(12));
  });

  it('keeps anchors and aliases elsewhere', () => {
    const text = (n: number) =>
      yaml(
        'kind: lambdastack-cluster',
        'provider: aws',
        'specification:',
        '  name: shop',
        '  components:',
        '    kubernetes_node:',
        `      count: ${n}`,
        '      machine: &machine kubernetes-node-machine',
        '      subnets: &subnets',
        '        - address_pool: 10.1.1.0/24',
        '    kafka:',
        '      count: 3',
        '      machine: *machine',
        '      subnets: *subnets',
      );
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('edits a count that carries an anchor nothing refers to, keeping the anchor', () => {
    const text = (n: number) => yaml(...clusterLines(`&workers ${n}`));
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('keeps an explicit !!int tag', () => {
    const text = (n: number) => yaml(...clusterLines(`!!int ${n}`));
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('keeps a leading comment before `---`, and the documents after the cluster', () => {
    const text = (n: number) =>
      yaml(
        '# Test availability set config',
        '---',
        ...clusterLines(n),
        '---',
        'kind: infrastructure/virtual-machine',
        'name: kubernetes-node-machine',
        'specification:',
        '  size: t3.medium   # count: 3',
        ...autoscalingLines(1, 10),
      );
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('keeps CRLF line endings', () => {
    const text = (n: number) => yaml(...clusterLines(`${n} # workers`), ...autoscalingLines(1, 10)).replaceAll('\n', '\r\n');
    const result = setComponentCount(FILE, text(3), 'kubernetes_node', 4);
    expect(result.text).toBe(text(4));
    expect(result.text.split('\r\n')).toHaveLength(text(3).split('\r\n').length);
    expect(result.text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    expect(changedLines(text(3), result.text)).toEqual([
      { line: 11, before: '      count: 3 # workers\r', after: '      count: 4 # workers\r' },
    ]);
  });

  it('keeps trailing spaces, on the count line and elsewhere', () => {
    const text = (n: number) => yaml(...clusterLines(`${n}   `).map((line, i) => (i === 5 ? `${line}  ` : line)));
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
    expect(setComponentCount(FILE, text(3), 'kubernetes_node', 4).text).toContain('      count: 4   \n');
  });

  it('keeps a missing final newline', () => {
    const text = (n: number) => clusterLines(n).join('\n');
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
    expect(setComponentCount(FILE, text(3), 'kubernetes_node', 4).text.endsWith('count: 4\n      machine: kubernetes-node-machine')).toBe(
      true,
    );
  });

  it('keeps a UTF-8 byte-order mark and non-ASCII text', () => {
    const text = (n: number) => `\uFEFF${yaml(...clusterLines(n), '  owner: Müller — 東京')}`;
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('writes the count in decimal even when it was written otherwise', () => {
    expect(setComponentCount(FILE, yaml(...clusterLines('0x3')), 'kubernetes_node', 4).text).toBe(yaml(...clusterLines(4)));
  });

  it('edits the epiphany-cluster kind too', () => {
    const text = (n: number) => yaml(...clusterLines(n)).replace('lambdastack-cluster', 'epiphany-cluster');
    expectEdit(text(3), 'kubernetes_node', 4, text(4));
  });

  it('edits other components than the worker pool', () => {
    const text = (n: number) => yaml(...clusterLines(3), '    kafka:', `      count: ${n}`);
    expectEdit(text(2), 'kafka', 0, text(0));
  });

  it('allows raising kubernetes_master', () => {
    expectEdit(yaml(...clusterLines(3, 1)), 'kubernetes_master', 3, yaml(...clusterLines(3, 3)));
  });

  it('allows counts on the autoscaling bounds', () => {
    const text = (n: number) => yaml(...clusterLines(n), ...autoscalingLines(2, 6));
    expectEdit(text(3), 'kubernetes_node', 2, text(2));
    expectEdit(text(3), 'kubernetes_node', 6, text(6));
  });

  it('returns the text unchanged (the same string) when the count is already that', () => {
    const text = yaml(...clusterLines('3 # workers'), ...autoscalingLines(1, 5));
    const result = setComponentCount(FILE, text, 'kubernetes_node', 3);
    expect(result.text).toBe(text);
    expect(result).toMatchObject({ from: 3, to: 3, line: 11 });
  });
});

describe('setComponentCount refuses, leaving the text as it was', () => {
  const bounded = yaml(...clusterLines(3), ...autoscalingLines(2, 6));

  it.each([1, 7, 100])('a count (%i) outside the autoscaling bounds [2, 6] (UserError)', (count) => {
    expectRefusal(() => setComponentCount(FILE, bounded, 'kubernetes_node', count), UserError, /outside the autoscaling bounds \[2, 6\]/);
  });

  it('lowering kubernetes_master, even without bounds (UserError)', () => {
    expectRefusal(
      () => setComponentCount(FILE, yaml(...clusterLines(3, 3)), 'kubernetes_master', 2),
      UserError,
      /kubernetes_master count 3 → 2 refused/,
    );
  });

  it('a count written as an alias (UserError)', () => {
    const text = yaml(...clusterLines('*one', '&one 1'));
    expectRefusal(() => setComponentCount(FILE, text, 'kubernetes_node', 2), UserError, /kubernetes_node\.count is an alias \(\*one\)/);
  });

  it('a count with an anchor that other keys refer to (UserError)', () => {
    const text = yaml(...clusterLines('&n 3'), '    kafka:', '      count: *n');
    expectRefusal(() => setComponentCount(FILE, text, 'kubernetes_node', 4), UserError, /carries the anchor &n that other keys refer to/);
  });

  it('a component written as an alias of another (UserError)', () => {
    const text = yaml(
      'kind: lambdastack-cluster',
      'provider: aws',
      'specification:',
      '  name: shop',
      '  components:',
      '    kafka: &pool',
      '      count: 3',
      '    kubernetes_node: *pool',
    );
    expectRefusal(() => setComponentCount(FILE, text, 'kubernetes_node', 4), UserError, /kubernetes_node is an alias \(\*pool\)/);
  });

  it('a component the cluster does not have (UserError naming the ones it has)', () => {
    const text = yaml(...clusterLines(3));
    expectRefusal(
      () => setComponentCount(FILE, text, 'kafka', 1),
      UserError,
      /has no component "kafka" \(its components: kubernetes_master, kubernetes_node\)/,
    );
  });

  it('a component named like a property every JavaScript object has (UserError naming the ones it has)', () => {
    const text = yaml(...clusterLines(3));
    expectRefusal(() => setComponentCount(FILE, text, 'toString', 1), UserError, /has no component "toString"/);
  });

  it.each([-1, 2.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, 10_001])('a requested count of %d (UserError)', (count) => {
    expectRefusal(
      () => setComponentCount(FILE, yaml(...clusterLines(3)), 'kubernetes_node', count),
      UserError,
      /a count is a whole number from 0 to 10000/,
    );
  });

  it('an invalid cluster document (ConfigError listing its problems)', () => {
    let thrown: unknown;
    try {
      setComponentCount(FILE, yaml(...clusterLines(-3)), 'kubernetes_node', 2);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      { file: FILE, line: 11, column: 14, message: expect.stringContaining('must be 0 or more') },
    ]);
  });

  it('a file whose count is outside its bounds already (ConfigError)', () => {
    expectRefusal(
      () => setComponentCount(FILE, yaml(...clusterLines(9), ...autoscalingLines(2, 6)), 'kubernetes_node', 5),
      ConfigError,
      /outside its autoscaling bounds/,
    );
  });

  it('a file with two cluster documents (ConfigError)', () => {
    expectRefusal(
      () => setComponentCount(FILE, yaml(...clusterLines(3), '---', ...clusterLines(2)), 'kubernetes_node', 4),
      ConfigError,
      /second cluster document/,
    );
  });

  it('a file that is not YAML (ConfigError)', () => {
    expectRefusal(() => setComponentCount(FILE, 'kind: [lambdastack-cluster\n', 'kubernetes_node', 4), ConfigError, /YAML syntax error/);
  });

  it('a file with no cluster at all (ConfigError)', () => {
    expectRefusal(
      () => setComponentCount(FILE, yaml('kind: configuration/kubernetes-node', 'specification: {}'), 'kubernetes_node', 4),
      ConfigError,
      /no lambdastack-cluster/,
    );
  });

  it('a file with a committed AWS key in another document (ConfigError): keys are found in the whole text', () => {
    const key = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
    const text = yaml(...clusterLines(3), '---', 'kind: infrastructure/virtual-machine', `# ${key}`);
    expectRefusal(() => setComponentCount(FILE, text, 'kubernetes_node', 4), ConfigError, /AWS access key id/);
  });

  it('a file with a committed AWS key in another document (ConfigError)', () => {
    const key = ['AKIA', 'IOSFODNN7EXAMPLE'].join('');
    const text = yaml(
      ...clusterLines(3),
      '---',
      'kind: infrastructure/virtual-machine',
      'specification:',
      `  user_data: "AWS_ACCESS_KEY_ID=${key}"`,
    );
    expectRefusal(() => setComponentCount(FILE, text, 'kubernetes_node', 4), ConfigError, /AWS access key id/);
  });
});

describe('setComponentCount reads only what a count edit needs', () => {
  it('edits a file whose unrelated documents are invalid (the edit touches neither; `validate` and the CLI refuse such a file)', () => {
    const text = yaml(...clusterLines(3), '---', 'kind: infrastructure/virtual-machine', 'name: a: b');
    const result = setComponentCount(FILE, text, 'kubernetes_node', 4);
    expect(result.text).toBe(text.replace('count: 3', 'count: 4'));
  });
});
