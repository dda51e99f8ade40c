import { describe, expect, it } from 'vitest';
import { applyPatch, jsonPatch, mergePatch, strategicMergePatch } from '../../../src/sim/kube/patch.js';

/** The Status code and message a call fails with (it must fail). */
function failure(run: () => unknown): { code: number; message: string } {
  try {
    run();
  } catch (error) {
    return { code: (error as { code: number }).code, message: (error as Error).message };
  }
  throw new Error('expected the patch to be refused');
}

describe('the three patch formats', () => {
  const node = { metadata: { name: 'n', labels: { a: '1' } }, spec: { taints: [{ key: 'x', effect: 'NoSchedule' }] } };

  it('merge patch deletes with null and replaces lists', () => {
    expect(mergePatch(node, { metadata: { labels: { a: null, b: '2' } }, spec: { taints: [] } })).toEqual({
      metadata: { name: 'n', labels: { b: '2' } },
      spec: { taints: [] },
    });
  });

  it('strategic merge patch merges containers by name and conditions by type, replaces taints', () => {
    const pod = {
      spec: {
        containers: [
          { name: 'a', image: 'a:1' },
          { name: 'b', image: 'b:1' },
        ],
      },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    };
    expect(
      strategicMergePatch(pod, {
        spec: { containers: [{ name: 'b', image: 'b:2' }] },
        status: { conditions: [{ type: 'Ready', status: 'True' }] },
      }),
    ).toEqual({
      spec: {
        containers: [
          { name: 'a', image: 'a:1' },
          { name: 'b', image: 'b:2' },
        ],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    });
    expect(strategicMergePatch(node, { spec: { unschedulable: true, taints: [{ key: 'y', effect: 'NoExecute' }] } })).toMatchObject({
      spec: { unschedulable: true, taints: [{ key: 'y', effect: 'NoExecute' }] },
    });
    expect(strategicMergePatch(pod, { spec: { containers: [{ name: 'a', $patch: 'delete' }] } })).toMatchObject({
      spec: { containers: [{ name: 'b' }] },
    });
  });

  it('JSON patch applies operations in order and fails a test with 422', () => {
    expect(
      jsonPatch(node, [
        { op: 'add', path: '/spec/unschedulable', value: true },
        { op: 'remove', path: '/spec/taints/0' },
      ]),
    ).toEqual({
      metadata: { name: 'n', labels: { a: '1' } },
      spec: { taints: [], unschedulable: true },
    });
    expect(() => jsonPatch(node, [{ op: 'test', path: '/metadata/name', value: 'other' }])).toThrow(expect.objectContaining({ code: 422 }));
  });
});

describe('JSON Patch (RFC 6902) with RFC 6901 pointers', () => {
  const pod = () => ({
    metadata: { name: 'web-1', labels: { app: 'web', tier: 'front' } },
    spec: { containers: [{ name: 'a' }, { name: 'b' }], tolerations: [] as unknown[] },
  });

  it('compares test values deeply: an object with the same members in another order is equal', () => {
    const patched = jsonPatch(pod(), [
      { op: 'test', path: '/metadata/labels', value: { tier: 'front', app: 'web' } },
      { op: 'replace', path: '/metadata/labels/tier', value: 'back' },
    ]);
    expect(patched).toMatchObject({ metadata: { labels: { app: 'web', tier: 'back' } } });
    expect(failure(() => jsonPatch(pod(), [{ op: 'test', path: '/metadata/labels', value: { app: 'web' } }]))).toEqual({
      code: 422,
      message: 'testing value /metadata/labels failed: test failed',
    });
    expect(jsonPatch(pod(), [{ op: 'test', path: '/spec/containers', value: [{ name: 'a' }, { name: 'b' }] }])).toEqual(pod());
    expect(failure(() => jsonPatch(pod(), [{ op: 'test', path: '/spec/containers', value: [{ name: 'b' }, { name: 'a' }] }])).code).toBe(
      422,
    );
  });

  it('appends with "-" and inserts at an index up to the length', () => {
    expect(jsonPatch(pod(), [{ op: 'add', path: '/spec/containers/-', value: { name: 'c' } }])).toMatchObject({
      spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    });
    expect(jsonPatch(pod(), [{ op: 'add', path: '/spec/containers/0', value: { name: 'z' } }])).toMatchObject({
      spec: { containers: [{ name: 'z' }, { name: 'a' }, { name: 'b' }] },
    });
    expect(jsonPatch(pod(), [{ op: 'add', path: '/spec/containers/2', value: { name: 'c' } }])).toMatchObject({
      spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] },
    });
    expect(failure(() => jsonPatch(pod(), [{ op: 'add', path: '/spec/containers/3', value: {} }])).code).toBe(422);
    expect(failure(() => jsonPatch(pod(), [{ op: 'replace', path: '/spec/containers/-', value: {} }])).code).toBe(422);
  });

  it.each([
    ['add', '/spec/containers/01'],
    ['remove', '/spec/containers/01'],
    ['replace', '/spec/containers/00'],
    ['test', '/spec/containers/01'],
    ['remove', '/spec/containers/-1'],
    ['remove', '/spec/containers/1e0'],
  ])('refuses the array index in %s %s: 0 or digits without a leading zero', (op, path) => {
    const { code, message } = failure(() => jsonPatch(pod(), [{ op, path, value: {} }]));
    expect(code).toBe(422);
    expect(message).toMatch(new RegExp(`^${op} operation does not apply: doc is missing path: ${path}: invalid array index`));
  });

  it('reads ~1 as "/" and ~0 as "~", and refuses any other escape', () => {
    expect(jsonPatch({ a: {} }, [{ op: 'add', path: '/a/example.com~1role', value: 'x' }])).toEqual({ a: { 'example.com/role': 'x' } });
    expect(jsonPatch({ a: {} }, [{ op: 'add', path: '/a/x~0y', value: 1 }])).toEqual({ a: { 'x~y': 1 } });
    expect(failure(() => jsonPatch({ a: {} }, [{ op: 'add', path: '/a/x~2', value: 1 }])).message).toMatch(
      /"~" must be followed by 0 or 1/,
    );
  });

  it('names own members only: what every object inherits is not there', () => {
    for (const path of ['/metadata/labels/toString', '/metadata/constructor', '/hasOwnProperty']) {
      expect(failure(() => jsonPatch(pod(), [{ op: 'replace', path, value: 1 }]))).toEqual({
        code: 422,
        message: `replace operation does not apply: doc is missing path: ${path}: missing value`,
      });
      expect(failure(() => jsonPatch(pod(), [{ op: 'test', path, value: 1 }])).code).toBe(422);
    }
    expect(failure(() => jsonPatch(pod(), [{ op: 'add', path: '/constructor/polluted', value: 1 }])).code).toBe(422);
    expect((Object as unknown as Record<string, unknown>).polluted).toBeUndefined();
    // A member that happens to be called constructor is an ordinary member.
    expect(jsonPatch({ labels: {} }, [{ op: 'add', path: '/labels/constructor', value: 'x' }])).toEqual({ labels: { constructor: 'x' } });
  });

  it.each([['/__proto__/polluted'], ['/metadata/__proto__'], ['/metadata/labels/__proto__'], ['/constructor/prototype/polluted']])(
    'refuses the path %s with 422: it would reach a prototype',
    (path) => {
      const { code, message } = failure(() => jsonPatch(pod(), [{ op: 'add', path, value: { polluted: true } }]));
      expect(code).toBe(422);
      expect(message).toContain('names the prototype of a JavaScript object, not a field');
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    },
  );

  it('refuses __proto__ in a from pointer and as a key inside a value', () => {
    expect(failure(() => jsonPatch(pod(), [{ op: 'copy', from: '/__proto__', path: '/x' }])).code).toBe(422);
    const inValue = failure(() =>
      jsonPatch(pod(), [{ op: 'add', path: '/metadata/annotations', value: JSON.parse('{"__proto__":{"x":1}}') }]),
    );
    expect(inValue).toEqual({
      code: 400,
      message:
        'JSON patch value (operation 0) key "__proto__" at the top level is refused: "__proto__" names the prototype of a JavaScript object, not a field',
    });
  });

  it('moves and copies, but never a value into itself', () => {
    expect(jsonPatch({ a: { b: 1 }, c: {} }, [{ op: 'move', from: '/a/b', path: '/c/b' }])).toEqual({ a: {}, c: { b: 1 } });
    expect(jsonPatch({ a: [1] }, [{ op: 'copy', from: '/a', path: '/b' }])).toEqual({ a: [1], b: [1] });
    expect(failure(() => jsonPatch({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/c' }]))).toEqual({
      code: 422,
      message: 'move operation (0) cannot move /a into itself (to /a/c)',
    });
    expect(failure(() => jsonPatch({ a: {} }, [{ op: 'move', from: '/missing', path: '/b' }])).code).toBe(422);
  });

  it('answers a malformed patch with 400', () => {
    expect(failure(() => jsonPatch(pod(), { op: 'add' })).code).toBe(400);
    expect(failure(() => jsonPatch(pod(), [{ op: 'add' }])).code).toBe(400);
    expect(failure(() => jsonPatch(pod(), [{ op: 'frob', path: '/a' }])).message).toMatch(/^Unexpected kind: frob/);
    expect(failure(() => jsonPatch(pod(), [{ op: 'add', path: '/a' }])).code).toBe(400);
    expect(failure(() => jsonPatch(pod(), [{ op: 'add', path: 'a', value: 1 }])).code).toBe(400);
    expect(failure(() => jsonPatch(pod(), [{ op: 'move', path: '/a' }])).code).toBe(400);
  });

  it('changes nothing it was given when a later operation fails', () => {
    const target = pod();
    const before = structuredClone(target);
    const ops = [
      { op: 'add', path: '/metadata/labels/new', value: { deep: ['x'] } },
      { op: 'add', path: '/metadata/labels/new/deep/-', value: 'y' },
      { op: 'remove', path: '/spec/containers/0' },
      { op: 'test', path: '/metadata/name', value: 'other' },
    ];
    const opsBefore = structuredClone(ops);
    expect(failure(() => jsonPatch(target, ops)).code).toBe(422);
    expect(target).toEqual(before);
    expect(ops).toEqual(opsBefore);
  });

  it('leaves its input untouched when it succeeds too', () => {
    const target = pod();
    const value = { deep: ['x'] };
    const patched = jsonPatch(target, [
      { op: 'add', path: '/metadata/labels/new', value },
      { op: 'add', path: '/metadata/labels/new/deep/-', value: 'y' },
    ]);
    expect(patched).toMatchObject({ metadata: { labels: { new: { deep: ['x', 'y'] } } } });
    expect(target).toEqual(pod());
    expect(value).toEqual({ deep: ['x'] });
  });
});

describe('merge patches and prototypes', () => {
  const node = () => ({ metadata: { name: 'n', labels: { a: '1' } }, spec: {} });

  it.each([
    ['merge patch', (t: unknown, p: unknown) => mergePatch(t, p)],
    ['strategic merge patch', (t: unknown, p: unknown) => strategicMergePatch(t, p)],
  ])('%s: refuses a __proto__ key with 400, naming where it is', (what, patch) => {
    const body = JSON.parse('{"metadata":{"labels":{"__proto__":{"polluted":"yes"}}}}');
    expect(failure(() => patch(node(), body))).toEqual({
      code: 400,
      message: `${what} key "__proto__" at metadata.labels is refused: "__proto__" names the prototype of a JavaScript object, not a field`,
    });
    expect(failure(() => patch(node(), JSON.parse('{"__proto__":{"polluted":"yes"}}'))).message).toContain('at the top level');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('strategic merge patch: refuses directives that name __proto__', () => {
    const body = JSON.parse('{"spec":{"$setElementOrder/__proto__":[{"name":"a"}]}}');
    expect(failure(() => strategicMergePatch(node(), body)).message).toMatch(/key "\$setElementOrder\/__proto__" at spec is refused/);
    const inList = JSON.parse('{"spec":{"containers":[{"name":"a","__proto__":{}}]}}');
    expect(failure(() => strategicMergePatch(node(), inList)).message).toContain('at spec.containers[0]');
  });

  it('treats constructor and prototype as ordinary keys: they never reach a prototype', () => {
    const body = { metadata: { labels: { constructor: { prototype: { polluted: 'yes' } } } } };
    expect(mergePatch(node(), body)).toEqual({
      metadata: { name: 'n', labels: { a: '1', constructor: { prototype: { polluted: 'yes' } } } },
      spec: {},
    });
    expect(strategicMergePatch(node(), body)).toMatchObject({ metadata: { labels: { constructor: { prototype: { polluted: 'yes' } } } } });
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    expect(mergePatch({ a: {} }, { a: { toString: null } })).toEqual({ a: {} });
  });

  it('changes nothing it was given', () => {
    const target = node();
    const patch = { metadata: { labels: { a: null, b: { c: 1 } } } };
    const patchBefore = structuredClone(patch);
    mergePatch(target, patch);
    strategicMergePatch(target, patch);
    expect(target).toEqual(node());
    expect(patch).toEqual(patchBefore);
  });
});

describe('applyPatch: one entry for every PATCH', () => {
  it('picks the format by Content-Type, parameters and case aside', () => {
    const current = { metadata: { labels: { a: '1' } } };
    expect(applyPatch('application/merge-patch+json; charset=utf-8', current, { metadata: { labels: { b: '2' } } })).toEqual({
      metadata: { labels: { a: '1', b: '2' } },
    });
    expect(applyPatch('Application/JSON-Patch+JSON', current, [{ op: 'remove', path: '/metadata/labels/a' }])).toEqual({
      metadata: { labels: {} },
    });
    expect(applyPatch('application/strategic-merge-patch+json', current, { metadata: { labels: { a: null } } })).toEqual({
      metadata: { labels: {} },
    });
  });

  it('answers another type with 415 listing the three, and a merge patch that is not an object with 400', () => {
    const unsupported = failure(() => applyPatch('application/apply-patch+yaml', {}, {}));
    expect(unsupported.code).toBe(415);
    expect(unsupported.message).toContain(
      'application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json',
    );
    expect(failure(() => applyPatch(undefined, {}, {})).code).toBe(415);
    expect(failure(() => applyPatch('application/merge-patch+json', {}, [1])).code).toBe(400);
    expect(failure(() => applyPatch('application/strategic-merge-patch+json', {}, 'x')).code).toBe(400);
  });
});
