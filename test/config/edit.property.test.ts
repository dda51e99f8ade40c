import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ClusterConfig, parseClusterConfig, setComponentCount } from '../../src/config/index.js';

/**
 * Property: for any valid cluster config, however it is written (comments, blank lines, quoting,
 * flow style, anchors, CRLF, a leading comment), setting one component's count to a value the
 * rules allow changes exactly that count, and the text differs in exactly one line.
 */

const FILE = 'cluster-config/generated.yml';

type Quote = 'plain' | 'single' | 'double';
const quote = (value: string, style: Quote): string => (style === 'single' ? `'${value}'` : style === 'double' ? `"${value}"` : value);

/** Plain words that YAML would read as something other than a string. */
const NOT_A_STRING = new Set(['true', 'false', 'null', 'y', 'n', 'yes', 'no', 'on', 'off']);
const word = fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,10}[a-z0-9])?$/).filter((w) => !NOT_A_STRING.has(w));
const quoteStyle = fc.constantFrom<Quote>('plain', 'single', 'double');
/** Comment text: any printable ASCII, `#` and `:` included. */
const commentText = fc.stringMatching(/^[ -~]{0,24}$/);
const maybeComment = fc.option(commentText, { nil: undefined, freq: 3 });

const OTHER_COMPONENTS = [
  'kafka',
  'logging',
  'monitoring',
  'postgresql',
  'load_balancer',
  'rabbitmq',
  'ignite',
  'repository',
  'opendistro_for_elasticsearch',
];

interface Component {
  name: string;
  count: number;
  machine: string;
  countFirst: boolean;
  comments: [string | undefined, string | undefined, string | undefined];
}

interface Model {
  provider: 'aws' | 'azure' | 'any';
  kind: 'lambdastack-cluster' | 'epiphany-cluster';
  name: string;
  prefix: string | undefined;
  quotes: { name: Quote; prefix: Quote; machine: Quote; title: Quote };
  components: Component[];
  flowNode: boolean;
  anchorMachine: boolean;
  /** Bounds per autoscaled component (kubernetes_node, maybe one more); undefined: no autoscaling document. */
  bounds: Record<string, { min: number; max: number }> | undefined;
  extraDocs: ('vm' | 'node-config')[];
  autoscalingFirst: boolean;
  leadingComment: string | undefined;
  insertions: { at: number; line: string }[];
  trailingSpaces: { at: number; spaces: number }[];
  crlf: boolean;
  finalNewline: boolean;
}

const component = (name: string, count: fc.Arbitrary<number>): fc.Arbitrary<Component> =>
  fc.record({
    name: fc.constant(name),
    count,
    machine: word,
    countFirst: fc.boolean(),
    comments: fc.tuple(maybeComment, maybeComment, maybeComment),
  });

const modelArb: fc.Arbitrary<Model> = fc
  .record({
    provider: fc.constantFrom('aws' as const, 'azure' as const, 'any' as const),
    kind: fc.constantFrom('lambdastack-cluster' as const, 'epiphany-cluster' as const),
    name: word,
    prefix: fc.option(fc.oneof(word, fc.constantFrom('default', '')), { nil: undefined }),
    quotes: fc.record({ name: quoteStyle, prefix: quoteStyle, machine: quoteStyle, title: quoteStyle }),
    master: component('kubernetes_master', fc.integer({ min: 0, max: 3 })),
    node: component('kubernetes_node', fc.integer({ min: 0, max: 40 })),
    others: fc.subarray(OTHER_COMPONENTS).chain((names) => fc.tuple(...names.map((n) => component(n, fc.integer({ min: 0, max: 5 }))))),
    order: fc.nat(),
    flowNode: fc.boolean(),
    anchorMachine: fc.boolean(),
    autoscaled: fc.boolean(),
    boundsSlack: fc.tuple(fc.nat({ max: 40 }), fc.nat({ max: 40 }), fc.nat({ max: 5 }), fc.nat({ max: 5 })),
    boundOther: fc.boolean(),
    extraDocs: fc.subarray(['vm', 'node-config'] as ('vm' | 'node-config')[]),
    autoscalingFirst: fc.boolean(),
    leadingComment: fc.option(commentText, { nil: undefined }),
    insertions: fc.array(
      fc.record({
        at: fc.nat(),
        line: fc.oneof(
          fc.constant(''),
          fc.nat({ max: 6 }).map((n) => ' '.repeat(n)),
          fc.tuple(fc.nat({ max: 8 }), commentText).map(([indent, text]) => `${' '.repeat(indent)}#${text}`),
        ),
      }),
      { maxLength: 8 },
    ),
    trailingSpaces: fc.array(fc.record({ at: fc.nat(), spaces: fc.integer({ min: 1, max: 3 }) }), { maxLength: 5 }),
    crlf: fc.boolean(),
    finalNewline: fc.boolean(),
  })
  .map((r): Model => {
    // Components in a random order (a rotation of master, node, others).
    const all = [r.master, r.node, ...r.others];
    const shift = r.order % all.length;
    const components = [...all.slice(shift), ...all.slice(0, shift)];
    let bounds: Model['bounds'];
    if (r.autoscaled) {
      const [below, above, belowOther, aboveOther] = r.boundsSlack;
      bounds = { kubernetes_node: { min: Math.max(0, r.node.count - below), max: r.node.count + above } };
      const other = r.others[0];
      if (r.boundOther && other) bounds[other.name] = { min: Math.max(0, other.count - belowOther), max: other.count + aboveOther };
    }
    return { ...r, components, bounds };
  });

function renderComponent(m: Model, c: Component, first: boolean): string[] {
  const machineValue = m.anchorMachine
    ? first
      ? `&mach ${quote(c.machine, m.quotes.machine)}`
      : '*mach'
    : quote(c.machine, m.quotes.machine);
  const tail = (comment: string | undefined) => (comment === undefined ? '' : ` #${comment}`);
  if (m.flowNode && c.name === 'kubernetes_node') {
    const entries = [`count: ${c.count}`, `machine: ${machineValue}`];
    if (!c.countFirst) entries.reverse();
    return [`    ${c.name}: {${entries.join(', ')}}${tail(c.comments[0])}`];
  }
  const count = `      count: ${c.count}${tail(c.comments[1])}`;
  const machine = `      machine: ${machineValue}${tail(c.comments[2])}`;
  return [`    ${c.name}:${tail(c.comments[0])}`, ...(c.countFirst ? [count, machine] : [machine, count]), '      configuration: default'];
}

function render(m: Model): string {
  const cluster = [
    `kind: ${m.kind}`,
    `title: ${quote('LambdaStack Cluster Config', m.quotes.title === 'plain' ? 'double' : m.quotes.title)}`,
    `provider: ${m.provider}`,
    'name: default',
    'specification:',
    ...(m.prefix === undefined ? [] : [`  prefix: ${m.prefix === '' ? '""' : quote(m.prefix, m.quotes.prefix)}`]),
    `  name: ${quote(m.name, m.quotes.name)}`,
    '  admin_user:',
    '    name: operations',
    '  components:',
    ...m.components.flatMap((c, i) => renderComponent(m, c, i === 0)),
  ];
  const docs: string[][] = [];
  if (m.bounds) {
    const autoscaling = [
      'kind: configuration/autoscaling',
      'title: Autoscaling',
      'name: default',
      'specification:',
      '  components:',
      ...Object.entries(m.bounds).flatMap(([name, b]) => [`    ${name}:`, `      min: ${b.min}`, `      max: ${b.max}`]),
    ];
    docs.push(autoscaling);
  }
  for (const extra of m.extraDocs) {
    docs.push(
      extra === 'vm'
        ? [
            'kind: infrastructure/virtual-machine',
            `provider: ${m.provider}`,
            'name: kubernetes-node-machine',
            'specification:',
            '  size: t3.medium',
          ]
        : [
            'kind: configuration/kubernetes-node',
            'name: default',
            'specification:',
            '  version: 1.20.12',
            '  node_labels: "node-type=lambdastack"',
          ],
    );
  }
  const ordered = m.autoscalingFirst ? [...docs, cluster] : [cluster, ...docs];
  const lines: string[] = m.leadingComment === undefined ? [] : [`#${m.leadingComment}`, '---'];
  ordered.forEach((doc, i) => {
    if (i > 0) lines.push('---');
    lines.push(...doc);
  });
  // Blank lines, whitespace-only lines and own-line comments between any two lines...
  for (const { at, line } of m.insertions) lines.splice(at % (lines.length + 1), 0, line);
  // ... and trailing spaces after any line.
  for (const { at, spaces } of m.trailingSpaces) {
    const i = at % lines.length;
    lines[i] = `${lines[i]}${' '.repeat(spaces)}`;
  }
  const eol = m.crlf ? '\r\n' : '\n';
  return lines.join(eol) + (m.finalNewline ? eol : '');
}

/** The edits the rules allow for this model: a component and a count. */
function targetArb(m: Model): fc.Arbitrary<{ component: string; count: number }> {
  return fc.constantFrom(...m.components).chain((c) => {
    const b = m.bounds?.[c.name];
    const range = b
      ? { min: b.min, max: b.max }
      : c.name === 'kubernetes_master'
        ? { min: c.count, max: c.count + 4 }
        : { min: 0, max: 60 };
    return fc.integer(range).map((count) => ({ component: c.name, count }));
  });
}

/** The kubernetes_node edit in particular (the one the autoscaler makes). */
function nodeTargetArb(m: Model): fc.Arbitrary<{ component: string; count: number }> {
  const b = m.bounds?.kubernetes_node ?? { min: 0, max: 60 };
  return fc.integer(b).map((count) => ({ component: 'kubernetes_node', count }));
}

const withCount = (config: ClusterConfig, component: string, count: number) => {
  const documents = structuredClone(config.documents);
  const cluster = documents.find((d) => d.kind === config.kind)?.value as {
    specification: { components: Record<string, { count: number }> };
  };
  const entry = cluster.specification.components[component];
  if (entry) entry.count = count;
  return documents;
};

function checkEdit(m: Model, target: { component: string; count: number }): void {
  const text = render(m);
  const before = parseClusterConfig(FILE, text);
  // The generator itself: what was written is what is read.
  expect(before.counts).toEqual(Object.fromEntries(m.components.map((c) => [c.name, c.count])));
  expect(before.name).toBe(m.name);
  expect(before.autoscaling).toEqual(m.bounds ?? {});

  const result = setComponentCount(FILE, text, target.component, target.count);
  const after = parseClusterConfig(FILE, result.text);
  expect(after.counts).toEqual({ ...before.counts, [target.component]: target.count });
  expect(after.documents).toEqual(withCount(before, target.component, target.count));
  expect(result.config.counts).toEqual(after.counts);

  const a = text.split('\n');
  const b = result.text.split('\n');
  expect(b.length).toBe(a.length);
  const differing = a.flatMap((line, i) => (line === b[i] ? [] : [i]));
  const from = before.counts[target.component] as number;
  if (from === target.count) {
    expect(result.text).toBe(text);
    return;
  }
  expect(differing).toEqual([result.line - 1]);
  // That line differs only in the digits of the count: from's digits replaced by to's.
  const old = a[result.line - 1] as string;
  const now = b[result.line - 1] as string;
  const replacedAt = [...old.matchAll(new RegExp(`(?<![0-9])${from}(?![0-9])`, 'g'))].map((match) => match.index);
  expect(replacedAt.some((k) => `${old.slice(0, k)}${target.count}${old.slice(k + String(from).length)}` === now)).toBe(true);
  expect(now).toMatch(/count: /);
}

describe('setComponentCount on generated configs (property)', () => {
  it('sets exactly the intended kubernetes_node count, in exactly one line', () => {
    fc.assert(
      fc.property(
        modelArb.chain((m) => fc.tuple(fc.constant(m), nodeTargetArb(m))),
        ([m, target]) => checkEdit(m, target),
      ),
      { numRuns: 200 },
    );
  });

  it('sets exactly the intended count of any component the rules allow, in exactly one line', () => {
    fc.assert(
      fc.property(
        modelArb.chain((m) => fc.tuple(fc.constant(m), targetArb(m))),
        ([m, target]) => checkEdit(m, target),
      ),
      { numRuns: 150 },
    );
  });

  it('refuses every kubernetes_node count outside the bounds, with a UserError', () => {
    fc.assert(
      fc.property(
        modelArb
          .filter((m) => m.bounds !== undefined)
          .chain((m) => {
            const b = m.bounds?.kubernetes_node ?? { min: 0, max: 0 };
            const outside =
              b.min > 0
                ? fc.oneof(fc.integer({ min: 0, max: b.min - 1 }), fc.integer({ min: b.max + 1, max: b.max + 50 }))
                : fc.integer({ min: b.max + 1, max: b.max + 50 });
            return fc.tuple(fc.constant(m), outside);
          }),
        ([m, count]) => {
          const text = render(m);
          expect(() => setComponentCount(FILE, text, 'kubernetes_node', count)).toThrow(/outside the autoscaling bounds/);
        },
      ),
      { numRuns: 100 },
    );
  });
});
