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

test('emitter: tricky strings and keys round-trip through our parser and the yaml package', async () => {
  const YAML = (await import('yaml')).default;
  const { branch } = await import('../tree.js');
  const tricky = [
    '-dash', '- dash space', '-', '?', ': colon', 'a: b', 'ends:', 'has #hash', '#start', 'tab\there', ' lead', 'trail ',
    "it's", '"dq"', '[flow]', '{flow}', '*alias', '&anchor', '!tag', '|pipe', '>fold', '%pct', '@at', '`tick`',
    '---', '...', 'null', 'Null', '~', 'true', 'no', '0x10', '1e3', '.5', '2024-01-01', 'ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]',
    'multi\nline', 'multi\nline\n', 'keep\n\n\n', '  indented\nfirst', 'trailing space \nline', 'cr\r\nlf', 'nel\u0085x', 'ls\u2028x',
    'bom\ufeff', 'ctrl\u0001', 'émoji ✓ 日本', '', 'a\n\nb', '\n', '\nleading newline',
  ];
  const b = branch(tricky.map((v, i) => ({ key: i % 2 ? v || 'k' : `k${i}`, value: v })));
  // Keys must be unique and non-ambiguous strings for the tree; drop keys that resolve to other types.
  b.items = b.items.filter((it, i, all) => typeof resolvePlainScalar(it.key as string) === 'string' && all.findIndex((x) => x.key === it.key) === i);
  const text = dec(store.emit([b]));
  assert.deepEqual(store.parse(enc(text)), [b]);
  const viaLib = YAML.parse(text) as Record<string, string>;
  for (const it of b.items) assert.equal(viaLib[it.key as string], it.value, `yaml package disagrees on ${JSON.stringify(it.key)}`);
});
