import { describe, expect, it } from 'vitest';
import {
  adviceComment,
  autoscalePrBody,
  MAX_BODY_CHARS,
  MAX_EVIDENCE_ROWS,
  type PrMarker,
  readAdviceMarker,
  readPrMarker,
  renderPrBody,
  withPrMarker,
} from '../../src/github/pr-body.js';

// What the autoscale PR says to people, and what it keeps hidden for the next cycle.

const decision = { file: 'cluster-config/aws.yml', cluster: 'demo-shop', component: 'kubernetes_node', from: 3, to: 5 };
const marker: PrMarker = { ...decision, head: 'a'.repeat(40) };
const nodes = { add: ['prod-demo-shop-kubernetes-node-vm-3', 'prod-demo-shop-kubernetes-node-vm-4'], remove: [] };

function body(evidence: Parameters<typeof renderPrBody>[0] | undefined): string {
  return autoscalePrBody({ decision, reason: '4 pods pending', branch: 'autoscale/demo-shop', base: 'main', nodes, evidence, marker });
}

describe('renderPrBody: the evidence', () => {
  it('renders the summary, a table whose columns are the keys in first-seen order, and the chart', () => {
    const text = renderPrBody({
      summary: 'Pods are pending.',
      rows: [
        { rule: 'pending pods', value: 4 },
        { rule: 'cpu', value: '92%', threshold: '80%' },
      ],
      chart: 'xychart-beta\n  line [1, 2]',
    });
    expect(text).toBe(
      [
        'Pods are pending.',
        '',
        '| rule | value | threshold |',
        '| --- | --- | --- |',
        '| pending pods | 4 |  |',
        '| cpu | 92% | 80% |',
        '',
        '```mermaid',
        'xychart-beta',
        '  line [1, 2]',
        '```',
      ].join('\n'),
    );
  });

  it('keeps every cell on one line of the table: pipes escaped, line breaks as <br>, no HTML', () => {
    const text = renderPrBody({ rows: [{ pod: 'a|b', why: 'too big\nfor any node', note: '<!-- x', missing: null }] });
    expect(text.split('\n')[2]).toBe('| a\\|b | too big<br>for any node | &lt;!-- x |  |');
  });

  it(`shows at most ${MAX_EVIDENCE_ROWS} rows and says how many more there were`, () => {
    const rows = Array.from({ length: MAX_EVIDENCE_ROWS + 7 }, (_, i) => ({ pod: `pod-${i}` }));
    const lines = renderPrBody({ rows }).split('\n');
    expect(lines.filter((line) => line.startsWith('| pod-'))).toHaveLength(MAX_EVIDENCE_ROWS);
    expect(lines.at(-1)).toBe('… and 7 more rows');
  });

  it('fences a chart that holds backticks with a longer fence', () => {
    expect(renderPrBody({ chart: 'graph TD\n  A["```"] --> B' })).toBe('````mermaid\ngraph TD\n  A["```"] --> B\n````');
  });

  it('is empty for no evidence', () => {
    expect(renderPrBody({})).toBe('');
  });
});

describe('the PR body', () => {
  it('says what changes, why, which nodes, the evidence, and hides the decision for the next cycle', () => {
    const text = body({ summary: 'Pods are pending.' });
    expect(text).toMatch(/^The autoscaler proposes \*\*kubernetes_node 3 → 5\*\* for cluster `demo-shop`: merging this PR adds 2 nodes\./);
    expect(text).toContain('**Why:** 4 pods pending');
    expect(text).toContain('```\n+ prod-demo-shop-kubernetes-node-vm-3\n+ prod-demo-shop-kubernetes-node-vm-4\n```');
    expect(text).toContain('### Evidence\n\nPods are pending.');
    expect(readPrMarker(text)).toEqual(marker);
  });

  it('stays within GitHub’s size limit: the chart goes first, then the table', () => {
    const huge = 'x'.repeat(MAX_BODY_CHARS);
    const withoutChart = body({ summary: 'short', chart: huge });
    expect(withoutChart.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(withoutChart).toContain('short');
    expect(withoutChart).not.toContain('mermaid');
    const withoutAnything = body({ summary: huge });
    expect(withoutAnything.length).toBeLessThanOrEqual(MAX_BODY_CHARS);
    expect(withoutAnything).toContain('The evidence is too long for a pull request body');
    expect(readPrMarker(withoutAnything)).toEqual(marker);
  });
});

describe('the hidden markers', () => {
  it('cannot be ended early by a value: < and > are escaped inside the JSON', () => {
    const tricky: PrMarker = { ...marker, file: 'cluster-config/--> <!-- x.yml' };
    const text = withPrMarker('A body.', tricky);
    expect(text).not.toContain('--> <!--');
    expect(readPrMarker(text)).toEqual(tricky);
  });

  it('reads the last valid marker, ignores one a person broke, and replaces it in place', () => {
    const broken = `<!-- lambdastack-autoscaler {"file": 1} -->`;
    const text = `${withPrMarker('Body.', marker)}\n${broken}\n`;
    expect(readPrMarker(text)).toEqual(marker);
    expect(readPrMarker('no marker here')).toBeUndefined();
    expect(readPrMarker(null)).toBeUndefined();

    const closed = withPrMarker(text, { ...marker, closed: 'load went down' });
    expect(closed.match(/lambdastack-autoscaler \{/g)).toHaveLength(1);
    expect(closed.startsWith('Body.')).toBe(true);
    expect(readPrMarker(closed)).toEqual({ ...marker, closed: 'load went down' });
  });

  it('an advice comment carries its decision, and is not read as a PR marker', () => {
    const text = adviceComment({ ...decision, to: 6 }, '6 pods pending', 'autoscale/demo-shop', 'b'.repeat(40));
    expect(text).toContain('set `kubernetes_node.count: 6` in `cluster-config/aws.yml` on this branch');
    expect(readAdviceMarker(text)).toEqual({ ...decision, to: 6 });
    expect(readPrMarker(text)).toBeUndefined();
  });
});
