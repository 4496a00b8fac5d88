import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../errors.js';
import { isBranch, isComment, sopsFloat, sopsInt, sopsTime } from '../tree.js';
import { createYamlStore, resolvePlainScalar } from './yaml.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);
const store = createYamlStore();

test('plain scalars are typed like go-yaml v3', () => {
  assert.equal(resolvePlainScalar('true'), true);
  assert.equal(resolvePlainScalar('FALSE'), false);
  assert.equal(resolvePlainScalar('yes'), 'yes');
  assert.equal(resolvePlainScalar('~'), null);
  assert.deepEqual(resolvePlainScalar('0x1F'), sopsInt(31));
  assert.deepEqual(resolvePlainScalar('0755'), sopsInt(493));
  assert.deepEqual(resolvePlainScalar('1_000'), sopsInt(1000));
  assert.deepEqual(resolvePlainScalar('9007199254740993'), sopsInt(9007199254740993n));
  assert.deepEqual(resolvePlainScalar('1.5e3'), sopsFloat(1500));
  assert.deepEqual(resolvePlainScalar('.inf'), sopsFloat(Infinity));
  assert.deepEqual(resolvePlainScalar('2024-01-01'), sopsTime('2024-01-01T00:00:00Z'));
  assert.equal(resolvePlainScalar('2025-01-02T03:04:05'), '2025-01-02T03:04:05'); // no zone: a string
  assert.throws(() => resolvePlainScalar('18446744073709551615'), /uint64/);
});

test('comments, order, anchors, unicode and multi-line strings survive a round trip', () => {
  const src = `# head
b: 1 # inline
a:
    # inside a
    x: "quoted 123"
    list:
        - one
        # between
        - k: v
          k2: v2
anchor: &anc
    deep: value
alias: *anc
unicode: héllo ✓ 日本
multi: |
    line one
    line two
strip: |-
    no newline
# foot
`;
  const doc = store.parse(enc(src));
  const again = store.parse(store.emit(doc));
  assert.deepEqual(again, doc);
  const text = dec(store.emit(doc));
  assert.match(text, /^# head\nb: 1 # inline\na:\n {4}# inside a\n {4}x: quoted 123\n/);
  assert.match(text, /alias:\n {4}deep: value\n/);
  assert.match(text, /multi: \|\n {4}line one\n {4}line two\n/);
  assert.match(text, /# foot\n$/);
  const root = doc[0]!;
  assert.deepEqual(root.items.map((i) => (typeof i.key === 'string' ? i.key : `#${i.key.value}`)), ['# head', 'b', '# inline', 'a', 'anchor', 'alias', 'unicode', 'multi', 'strip', '# foot']);
});

test('strings that would change type are double quoted on output', () => {
  const doc = store.parse(enc('a: "123"\nb: "true"\nc: "2019-12-10T22:45:53Z"\nd: ""\ne: "null"\n'));
  assert.equal(dec(store.emit(doc)), 'a: "123"\nb: "true"\nc: "2019-12-10T22:45:53Z"\nd: ""\ne: "null"\n');
});

test('multi-document files keep every document', () => {
  const doc = store.parse(enc('a: 1\n---\nb: 2\n'));
  assert.equal(doc.length, 2);
  assert.equal(dec(store.emit(doc)), 'a: 1\n---\nb: 2\n');
});

test('bad YAML, duplicate keys, non-string keys and top-level lists are parse errors', () => {
  assert.throws(() => store.parse(enc('a: [1, 2\n')), ParseError);
  assert.throws(() => store.parse(enc('a: 1\na: 2\n')), ParseError);
  assert.throws(() => store.parse(enc('1: x\n')), /non-string key \(type int\)/);
  assert.throws(() => store.parse(enc('- a\n- b\n')), /sequences are not supported/);
});

test('inline comments are kept as inline comment items', () => {
  const doc = store.parse(enc('k: v # note\n'));
  const c = doc[0]!.items[1]!.key;
  assert.ok(isComment(c) && c.inline && c.value === ' note');
  assert.ok(isBranch(doc[0]));
});
