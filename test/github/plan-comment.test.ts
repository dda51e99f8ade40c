import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CostChange, monthlyCostChange } from '../../src/cost/monthly.js';
import { parsePriceTable } from '../../src/cost/price-table.js';
import {
  codeSpan,
  markdownText,
  PLAN_COMMENT_MARKER,
  type PlanCommentInput,
  renderPlanComment,
  type WhatIfMarkdown,
  whatIfLeftOut,
  withWhatIf,
} from '../../src/github/plan-comment.js';
import { MAX_BODY_CHARS } from '../../src/github/pr-body.js';
import type { ClusterPlan, ScalePlan } from '../../src/plan/index.js';
import { countChangeNodes } from '../../src/plan/index.js';
import { yaml } from '../support/config-text.js';

const PRICES = parsePriceTable(
  yaml(
    'currency: USD',
    'compiled: "2026-12-02"',
    'providers:',
    '  aws:',
    '    source: https://aws.amazon.com/ec2/pricing/on-demand/',
    '    terms: EC2 On-Demand, Linux',
    '    regions:',
    '      eu-west-1:',
    '        t3.medium: 0.0456',
    '  azure:',
    '    source: https://azure.microsoft.com/en-us/pricing/details/virtual-machines/linux/',
    '    terms: pay-as-you-go, Linux',
    '    regions:',
    '      eastus:',
    '        Standard_D2s_v3: 0.096',
  ),
  'data/prices.yml',
);

const BASE = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';
const HEAD = 'f0e9d8c7b6a5f4e3d2c1f0e9d8c7b6a5f4e3d2c1';

function scaled(file: string, provider: 'aws' | 'azure', prefix: string, name: string, from: number, to: number): ClusterPlan {
  return {
    file,
    name,
    provider,
    change: 'scaled',
    counts: { kubernetes_master: 1, kubernetes_node: to },
    components: [{ component: 'kubernetes_node', from, to, ...countChangeNodes(prefix, name, 'kubernetes_node', from, to) }],
  };
}

const SHOP = scaled('cluster-config/aws-demo.yml', 'aws', 'demo', 'shop', 3, 5);
const ANALYTICS = scaled('cluster-config/azure-demo.yml', 'azure', 'demo', 'analytics', 4, 2);
const ids = new Map([
  [SHOP, 'aws/demo-shop'],
  [ANALYTICS, 'azure/demo-analytics'],
]);

function costChange(cluster: ClusterPlan, region: string, size: string): CostChange {
  const change = cluster.components[0] as ClusterPlan['components'][number];
  return {
    cluster: ids.get(cluster) ?? '',
    file: cluster.file,
    component: 'kubernetes_node',
    provider: cluster.provider,
    region,
    before: { count: change.from, size },
    after: { count: change.to, size },
  };
}

function input(more: Partial<PlanCommentInput> = {}): PlanCommentInput {
  const plan: ScalePlan = { clusters: [SHOP, ANALYTICS] };
  return {
    base: BASE,
    head: HEAD,
    dir: 'cluster-config',
    plan,
    nameOf: (cluster) => ids.get(cluster) ?? `${cluster.provider}/${cluster.name}`,
    cost: monthlyCostChange(PRICES, [costChange(SHOP, 'eu-west-1', 't3.medium'), costChange(ANALYTICS, 'West Europe', 'Standard_D2s_v3')]),
    prices: PRICES,
    problems: [],
    refused: [],
    runUrl: 'https://github.com/example/clusters/actions/runs/42',
    ...more,
  };
}

describe('the plan comment', () => {
  it('starts with its hidden marker and reads as the plan: clusters, counts, nodes and cost', () => {
    const body = renderPlanComment(input());

    expect(body.startsWith(`${PLAN_COMMENT_MARKER}\n## Scale plan\n`)).toBe(true);
    expect(body).toContain('2 clusters scaled: 2 nodes added, 2 removed; monthly cost change **+$66.58 (incomplete)**.');
    expect(body).toContain(
      [
        '| Cluster | File | Count | Nodes | Monthly cost |',
        '| --- | --- | --- | --- | --- |',
        '| `aws/demo-shop` | `cluster-config/aws-demo.yml` | kubernetes\\_node 3 → 5 | +2 | +$66.58 |',
        '| `azure/demo-analytics` | `cluster-config/azure-demo.yml` | kubernetes\\_node 4 → 2 | −2 | no price (below) |',
      ].join('\n'),
    );
  });

  it('names every node added and removed, exactly, in a diff block per cluster', () => {
    const body = renderPlanComment(input());
    expect(body).toContain(
      ['**`aws/demo-shop`**', '', '```diff', '+ demo-shop-kubernetes-node-vm-3', '+ demo-shop-kubernetes-node-vm-4', '```'].join('\n'),
    );
    expect(body).toContain(
      [
        '**`azure/demo-analytics`**',
        '',
        '```diff',
        '- demo-analytics-kubernetes-node-vm-3',
        '- demo-analytics-kubernetes-node-vm-2',
        '```',
      ].join('\n'),
    );
  });

  it('shows how each cost was worked out, says which have no price and why, and where the prices come from', () => {
    const body = renderPlanComment(input());
    expect(body).toContain('### Monthly cost change: +$66.58 for what has a price; 1 change without one');
    expect(body).toContain('- `aws/demo-shop` kubernetes\\_node 3 → 5: +2 × `t3.medium` × $0.0456/h × 730 h = **+$66.58**');
    expect(body).toContain(
      '- `azure/demo-analytics` kubernetes\\_node 4 → 2: no price for Standard\\_D2s\\_v3 in westeurope: data/prices.yml has azure prices for eastus only',
    );
    expect(body).toContain(
      'from `data/prices.yml` (compiled 2026-12-02; AWS: EC2 On-Demand, Linux, https://aws.amazon.com/ec2/pricing/on-demand/;',
    );
    expect(body).toContain('A size or region the table lacks is reported, never estimated.');
  });

  it('gives the whole total when every change has a price', () => {
    const body = renderPlanComment(
      input({
        plan: { clusters: [SHOP, ANALYTICS] },
        cost: monthlyCostChange(PRICES, [costChange(SHOP, 'eu-west-1', 't3.medium'), costChange(ANALYTICS, 'eastus', 'Standard_D2s_v3')]),
      }),
    );
    // +2 × 0.0456 × 730 − 2 × 0.096 × 730 = 66.576 − 140.16
    expect(body).toContain('### Monthly cost change: -$73.58\n');
    expect(body).toContain('monthly cost change **-$73.58**.');
    expect(body).toContain('- `azure/demo-analytics` kubernetes\\_node 4 → 2: −2 × `Standard_D2s_v3` × $0.096/h × 730 h = **-$140.16**');
  });

  it('lists problems at file:line:column instead of a plan, each one line', () => {
    const body = renderPlanComment(
      input({
        plan: undefined,
        cost: undefined,
        problems: [
          {
            file: 'cluster-config/aws-demo.yml',
            line: 34,
            column: 14,
            message: 'specification.components.kubernetes_node.count: must be 0 or more',
          },
          { file: 'cluster-config/aws-demo.yml', line: 70, column: 7, message: 'kubernetes_node: min 5 is\ngreater than max 2' },
        ],
      }),
    );
    expect(body).toContain('❌ 2 problems in the cluster configs: nothing can be planned until they are fixed.');
    expect(body).toContain(
      [
        '### Problems',
        '',
        '- `cluster-config/aws-demo.yml:34:14`: specification.components.kubernetes\\_node.count: must be 0 or more',
        '- `cluster-config/aws-demo.yml:70:7`: kubernetes\\_node: min 5 is greater than max 2',
      ].join('\n'),
    );
    expect(body).not.toContain('| Cluster |');
    expect(body).not.toContain('Monthly cost change');
  });

  it('says what the apply pipeline refuses, and the whole-cluster changes it leaves alone', () => {
    const added: ClusterPlan = {
      file: 'cluster-config/new.yml',
      name: 'new',
      provider: 'aws',
      change: 'added',
      counts: { kubernetes_node: 2 },
      components: [],
    };
    const body = renderPlanComment(
      input({
        plan: { clusters: [SHOP, added] },
        refused: ['cluster aws/demo-old (cluster-config/old.yml) was removed: restore the file'],
      }),
    );
    expect(body).toContain('❌ The apply pipeline refuses 1 change (below).');
    expect(body).toContain(
      '### Refused by the apply pipeline\n\n- cluster aws/demo-old \\(cluster-config/old.yml\\) was removed: restore the file',
    );
    expect(body).toContain('- `cluster-config/new.yml`: `aws/new` cluster added with kubernetes\\_node 2');
  });

  it('says so when no count changes', () => {
    const body = renderPlanComment(input({ plan: { clusters: [] }, cost: monthlyCostChange(PRICES, []) }));
    expect(body).toContain('No node count changes: merging this applies nothing.');
    expect(body).not.toContain('Monthly cost change');
  });

  it('ends with the commits compared and the run', () => {
    expect(renderPlanComment(input())).toMatch(
      /<sub>`a1b2c3d4e5f6` → `f0e9d8c7b6a5` \(this pull request merged into its base\), configs under `cluster-config`\. Updated in place on every push by lambdastack-autoscaler · \[workflow run\]\(https:\/\/github\.com\/example\/clusters\/actions\/runs\/42\)\.<\/sub>\n$/,
    );
  });

  it('keeps text from the configs inert: no HTML, no mention, no early end of the marker or a code span', () => {
    const hostile = '<!-- x --> @org/admins `tick` [link](http://evil) | pipe';
    const body = renderPlanComment(
      input({
        plan: { clusters: [] },
        cost: monthlyCostChange(PRICES, []),
        problems: [{ file: 'cluster-config/`odd`.yml', line: 1, column: 1, message: hostile }],
      }),
    );
    expect(body.split(PLAN_COMMENT_MARKER)).toHaveLength(2);
    expect(body).toContain(
      '- ``cluster-config/`odd`.yml:1:1``: \\<\\!-- x --\\> \\@org/admins \\`tick\\` \\[link\\]\\(http://evil\\) \\| pipe',
    );
    expect(markdownText('a\r\nb')).toBe('a b');
    expect(codeSpan('`x`')).toBe('`` `x` ``');
  });

  it('caps long node lists and stays within the 65,536 characters GitHub allows', () => {
    const huge = scaled('cluster-config/big.yml', 'aws', 'demo', 'big', 0, 5000);
    const body = renderPlanComment(input({ plan: { clusters: [huge] }, cost: monthlyCostChange(PRICES, []) }));
    expect(body).toContain('+ demo-big-kubernetes-node-vm-49\n+ … and 4950 more\n');
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);

    const many = Array.from({ length: 400 }, (_, i) => scaled(`cluster-config/c${i}.yml`, 'aws', 'demo', `c${i}`, 0, 60));
    const long = renderPlanComment(input({ plan: { clusters: many }, cost: monthlyCostChange(PRICES, []) }));
    expect(long.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(long.startsWith(PLAN_COMMENT_MARKER)).toBe(true);
    expect(long).toContain('400 clusters scaled: 24,000 nodes added, 0 removed.');
    expect(long).toContain('The whole plan is too long for a comment: it is in the job summary of the workflow run.');
  });
});

describe('the what-if sections of the plan comment', () => {
  const section = (cluster: string, size: number): WhatIfMarkdown => ({
    cluster,
    markdown: `### What-if replay of the autoscaling settings\n\n${'x'.repeat(Math.max(0, size - 47))}\n`,
  });

  it('come after the plan and before the footer, each whole', () => {
    const body = renderPlanComment(input({ whatIf: [section('aws/demo-shop', 500), section('azure/demo-analytics', 300)] }));
    const at = (text: string): number => body.indexOf(text);
    expect(at('### Monthly cost change')).toBeLessThan(at('### What-if replay'));
    expect(body.split('### What-if replay of the autoscaling settings')).toHaveLength(3);
    expect(at('### What-if replay')).toBeLessThan(at('<sub>`a1b2c3d4e5f6` → '));
    expect(body.endsWith('.</sub>\n')).toBe(true);
  });

  it('stand aside for the plan: one too long for what is left is replaced by a line saying where it is', () => {
    const plain = renderPlanComment(input());
    const fits = section('aws/demo-shop', 1000);
    const tooLong = section('azure/demo-analytics', MAX_BODY_CHARS - plain.length - 500);
    const body = renderPlanComment(input({ whatIf: [fits, tooLong] }));
    expect(body.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(body).toContain(fits.markdown.trimEnd());
    expect(body).not.toContain(tooLong.markdown.trimEnd());
    expect(body).toContain(
      `_The what-if replay of \`azure/demo-analytics\` (${tooLong.markdown.length.toLocaleString('en-US')} characters) does not fit in this comment: it is in the job summary of the [workflow run](https://github.com/example/clusters/actions/runs/42)._`,
    );
  });

  it('never take the comment past the limit, and each is there whole or named in a line, or left out only when neither fits', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 40 }).filter((line) => !line.includes('aws/c')),
          { minLength: 1, maxLength: 20 },
        ),
        fc.array(fc.integer({ min: 0, max: 3000 }), { maxLength: 8 }),
        fc.integer({ min: 200, max: 6000 }),
        (lines, sizes, max) => {
          const sections = sizes.map((size, i) => section(`aws/c${i}`, size));
          const footer = ['', '<sub>footer</sub>'];
          const body = withWhatIf(lines, footer, sections, undefined, max);
          const bare = `${[...lines, ...footer].join('\n')}\n`;
          if (bare.length > max) return; // the plan itself is kept to the limit by renderPlanComment
          expect(body.length).toBeLessThanOrEqual(max);
          expect(body.startsWith(lines.join('\n'))).toBe(true);
          expect(body.endsWith(`${footer.join('\n')}\n`)).toBe(true);
          let room = max - bare.length;
          for (const s of sections) {
            const whole = s.markdown.trimEnd();
            const note = whatIfLeftOut(s, undefined);
            if (whole.length + 2 <= room) {
              expect(body).toContain(whole);
              room -= whole.length + 2;
            } else if (note.length + 2 <= room) {
              expect(body).toContain(note);
              room -= note.length + 2;
            } else expect(body).not.toContain(s.cluster);
          }
        },
      ),
    );
  });
});
