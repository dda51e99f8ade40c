/**
 * A realistic large cluster config: the cluster document, then VM, configuration and unknown
 * documents with comments, quoting, flow style and anchors, `documents` in all.
 * @param {number} documents
 * @param {'\n' | '\r\n'} eol
 * @returns {string}
 */
export function largeConfig(documents, eol = '\n') {
  const parts = [
    [
      '# A generated cluster with many documents',
      'kind: lambdastack-cluster',
      'title: "LambdaStack Cluster Config"',
      'provider: aws',
      'name: "default"',
      'specification:',
      '  prefix: bench',
      '  name: big',
      '  cloud:',
      '    region: eu-west-1',
      '    credentials: {key: XXXXXXXXXX, secret: XXXXXXXXXX}',
      '  components:',
      '    kubernetes_master:',
      '      count: 3',
      '    kubernetes_node:',
      '      count: 40  # autoscaled',
      '      machine: kubernetes-node-machine',
      '    kafka: {count: 3, machine: kafka-machine}',
    ].join(eol),
    ['kind: configuration/autoscaling', 'name: default', 'specification:', '  components:', '    kubernetes_node: {min: 3, max: 200}'].join(
      eol,
    ),
  ];
  for (let i = parts.length; i < documents; i++) {
    const kind = ['infrastructure/virtual-machine', 'configuration/applications', 'x-unknown/thing'][i % 3];
    parts.push(
      [
        `# document ${i}`,
        `kind: ${kind}`,
        `name: machine-${i}`,
        'specification:',
        `  size: 't3.medium'`,
        `  tags: &tags${i} {team: "platform", cost-center: ${1000 + i}}`,
        '  security:',
        '    rules:',
        `      - name: rule-${i}`,
        '        protocol: Tcp',
        `        destination_port_range: "${8000 + i}"`,
        `        source_address_prefix: "10.1.${i % 256}.0/24"`,
        `  labels: *tags${i}`,
      ].join(eol),
    );
  }
  return `${parts.join(`${eol}---${eol}`)}${eol}`;
}
