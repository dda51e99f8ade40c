import { describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateCondition,
  evaluateEmbedded,
  evaluateString,
  evaluateTemplate,
  type Scope,
  toJson,
} from '../../src/workflow/expressions.js';
import type { Template } from '../../src/workflow/template.js';

const scope: Scope = {
  file: 'w.yml',
  contexts: {
    github: { event_name: 'push', event: { commits: [{ id: 'a' }, { id: 'b' }] } },
    needs: { plan: { result: 'success', outputs: { clusters: '[{"name":"shop"},{"name":"analytics"}]' } } },
    inputs: { count: 3, 'dry-run': false },
  },
};
const expression = (text: string): Template => ({ kind: 'expression', expression: text, line: 4, column: 9 });

describe("expressions (GitHub's engine)", () => {
  it('reads contexts case-insensitively, with fromJSON, filters and format', () => {
    expect(toJson(evaluate('fromJSON(needs.plan.outputs.clusters)[1].name', scope))).toBe('analytics');
    expect(toJson(evaluate('github.event.commits.*.id', scope))).toEqual(['a', 'b']);
    expect(toJson(evaluate("format('{0} of {1}', inputs.count, GITHUB.EVENT_NAME)", scope))).toBe('3 of push');
    expect(toJson(evaluate('needs.missing.outputs.x', scope))).toBeNull();
  });

  it("unescapes every '' of a string literal (the engine's own lexer undoes only the first)", () => {
    expect(toJson(evaluate("format('echo ''a'' ''b'' {0}', 1)", scope))).toBe("echo 'a' 'b' 1");
  });

  it('decides conditions with the status functions given, and reads strings as GitHub does', () => {
    const failed: Scope = { ...scope, status: { success: () => false, failure: () => true, cancelled: () => false } };
    expect(evaluateCondition('success()', failed)).toBe(false);
    expect(evaluateCondition('failure() && inputs.count == 3', failed)).toBe(true);
    expect(evaluateCondition('always()', failed)).toBe(true);
    expect(evaluateCondition('success() && (inputs.dry-run)', scope)).toBe(false);
    expect(evaluateString(expression('inputs.count'), scope, 'env.COUNT')).toBe('3');
    expect(evaluateString(expression('inputs.dry-run'), scope, 'env.DRY')).toBe('false');
    expect(evaluateEmbedded(`token \${{ inputs.count }} and \${{ github.event_name }}`, scope)).toBe('token 3 and push');
  });

  it('evaluates a template tree, and names the place of what fails', () => {
    const template: Template = {
      kind: 'mapping',
      line: 1,
      column: 1,
      entries: [
        ['matrix', { kind: 'mapping', line: 2, column: 3, entries: [['cluster', expression('fromJSON(needs.plan.outputs.clusters)')]] }],
        ['fail-fast', { kind: 'literal', value: false, line: 3, column: 3 }],
      ],
    };
    expect(evaluateTemplate(template, scope)).toEqual({
      matrix: { cluster: [{ name: 'shop' }, { name: 'analytics' }] },
      'fail-fast': false,
    });
    expect(() => evaluateString(expression('fromJSON(needs.plan.outputs.clusters)'), scope, 'env.X')).toThrow(
      `w.yml:4:9: env.X must be a string, but \${{ fromJSON(needs.plan.outputs.clusters) }} is an array`,
    );
    expect(() => evaluate("fromJSON('not json')", scope, { line: 7, column: 2 })).toThrow(
      `w.yml:7:2: \${{ fromJSON('not json') }}: Error parsing JSON when evaluating fromJson`,
    );
  });
});
