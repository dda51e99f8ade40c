// The one builder of cluster-config text for tests. Line numbers are documented where tests
// assert positions: with the defaults, `clusterLines()` is 12 lines, line 9 is
// `kubernetes_master.count` and line 11 `kubernetes_node.count` (values at column 14).

export interface ClusterTextOptions {
  kind?: 'lambdastack-cluster' | 'epiphany-cluster';
  provider?: string;
  /** `specification.name`. Default `shop`. */
  name?: string;
  /** `specification.prefix`. Default `demo`; null leaves the key out. */
  prefix?: string | null;
  /** `kubernetes_node.count` as written (a number, or any YAML such as `&n 3`). Default 3. */
  nodes?: number | string;
  /** `kubernetes_master.count` as written. Default 1. */
  masters?: number | string;
  /** A `# comment` line before the document (shifts every line by one). */
  comment?: string;
}

export interface ConfigTextOptions extends ClusterTextOptions {
  /** Appends a `configuration/autoscaling` document for kubernetes_node. */
  autoscaling?: { min: number; max: number };
  /** Appends a `configuration/remote-state` document. */
  remoteState?: 's3' | 'azurerm';
  /** Lines appended at the end (more documents, with their own `---`). */
  extra?: string[];
}

/** A YAML text from its lines, LF-terminated: line `n` of the text is argument `n`. */
export function yaml(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** The cluster document's lines (see the positions at the top of this file). */
export function clusterLines(options: ClusterTextOptions | number | string = {}, masters?: number | string): string[] {
  const o: ClusterTextOptions = typeof options === 'object' ? options : { nodes: options, ...(masters === undefined ? {} : { masters }) };
  const prefix = o.prefix === undefined ? 'demo' : o.prefix;
  return [
    ...(o.comment === undefined ? [] : [`# ${o.comment}`]),
    `kind: ${o.kind ?? 'lambdastack-cluster'}`,
    `provider: ${o.provider ?? 'aws'}`,
    'name: default',
    'specification:',
    ...(prefix === null ? [] : [`  prefix: ${prefix}`]),
    `  name: ${o.name ?? 'shop'}`,
    '  components:',
    '    kubernetes_master:',
    `      count: ${o.masters ?? 1}`,
    '    kubernetes_node:',
    `      count: ${o.nodes ?? 3}`,
    '      machine: kubernetes-node-machine',
  ];
}

/** An autoscaling document, 7 lines starting with `---`: `min` is its line 6 and `max` its line 7. */
export function autoscalingLines(min: number, max: number, component = 'kubernetes_node'): string[] {
  return [
    '---',
    'kind: configuration/autoscaling',
    'specification:',
    '  components:',
    `    ${component}:`,
    `      min: ${min}`,
    `      max: ${max}`,
  ];
}

/** A remote-state document starting with `---`. */
export function remoteStateLines(backend: 's3' | 'azurerm', cluster = 'shop'): string[] {
  const settings =
    backend === 's3'
      ? [
          '  backend: s3',
          `  bucket: ${cluster}-tfstate`,
          `  key: clusters/${cluster}/terraform.tfstate`,
          '  region: eu-west-1',
          `  dynamodb_table: ${cluster}-tflock`,
        ]
      : [
          '  backend: azurerm',
          `  storage_account_name: ${cluster}tfstate`,
          '  container_name: tfstate',
          `  key: clusters/${cluster}/terraform.tfstate`,
        ];
  return ['---', 'kind: configuration/remote-state', 'name: default', 'specification:', ...settings];
}

/** A whole cluster-config file. */
export function clusterConfig(options: ConfigTextOptions = {}): string {
  return yaml(
    ...clusterLines(options),
    ...(options.autoscaling ? autoscalingLines(options.autoscaling.min, options.autoscaling.max) : []),
    ...(options.remoteState ? remoteStateLines(options.remoteState, options.name) : []),
    ...(options.extra ?? []),
  );
}

/** The lines of `after` that differ from `before` (both split on `\n`), with their 1-based numbers. */
export function changedLines(before: string, after: string): { line: number; before: string; after: string }[] {
  const a = before.split('\n');
  const b = after.split('\n');
  const changes: { line: number; before: string; after: string }[] = [];
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) changes.push({ line: i + 1, before: a[i] ?? '<none>', after: b[i] ?? '<none>' });
  }
  return changes;
}

/**
 * The shop cluster in eu-west-1 on t3.medium workers (a size and region the price table prices),
 * bounds [2, 10]; `count` is on line 11, column 14. The plan comment's tests and pr.yml's use it.
 */
export function pricedShop(count: number | string): string {
  return yaml(
    'kind: lambdastack-cluster',
    'provider: aws',
    'name: default',
    'specification:',
    '  prefix: demo',
    '  name: shop',
    '  cloud:',
    '    region: eu-west-1',
    '  components:',
    '    kubernetes_node:',
    `      count: ${count}`,
    '      machine: kubernetes-node-machine',
    '---',
    'kind: infrastructure/virtual-machine',
    'provider: aws',
    'name: kubernetes-node-machine',
    'specification:',
    '  size: t3.medium',
    '---',
    'kind: configuration/autoscaling',
    'specification:',
    '  components:',
    '    kubernetes_node:',
    '      min: 2',
    '      max: 10',
  );
}
