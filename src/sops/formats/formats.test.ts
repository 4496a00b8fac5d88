import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ParseError } from '../errors.js';
import { branch, sopsFloat, sopsInt } from '../tree.js';
import { createDotenvStore } from './dotenv.js';
import { createIniStore } from './ini.js';
import { formatFromPath, sniffEncryptedFormat } from './index.js';
import { createJsonStore, goJsonString, parseJsonDocument } from './json.js';
import { flattenMeta, unflattenMeta } from './store.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

test('JSON: order, duplicate keys, int vs float, Go layout', () => {
  const b = parseJsonDocument('{"z": 1, "a": 1.0, "big": 9223372036854775807, "huge": 1e400, "z": "dup", "n": null, "l": [], "o": {}}');
  assert.deepEqual(b.items.map((i) => i.key), ['z', 'a', 'big', 'huge', 'z', 'n', 'l', 'o']);
  assert.deepEqual(b.items[0]!.value, sopsInt(1));
  assert.deepEqual(b.items[1]!.value, sopsFloat(1));
  assert.deepEqual(b.items[2]!.value, sopsInt(9223372036854775807n));
  const out = dec(createJsonStore().emit([branch([{ key: 'a', value: 'x<&>' }, { key: 'l', value: [] }, { key: 'o', value: branch() }, { key: 'f', value: sopsFloat(25.4) }])]));
  assert.equal(out, '{\n\t"a": "x\\u003c\\u0026\\u003e",\n\t"l": [],\n\t"o": {},\n\t"f": 25.4\n}\n');
  assert.equal(goJsonString('\u2028\n"'), '"\\u2028\\n\\""');
});

test('JSON: only a top-level object; syntax errors name the position', () => {
  assert.throws(() => parseJsonDocument('[1]'), /top-level object/);
  assert.throws(() => parseJsonDocument('{"a": }'), (e: unknown) => e instanceof ParseError && /line 1, column 7/.test(e.message));
  assert.throws(() => parseJsonDocument('{"a": 1} x'), ParseError);
});

test('dotenv: untrimmed keys, \\n escapes, comments, no quoting', () => {
  const s = createDotenvStore();
  const doc = s.parse(enc('# c\nfoo =bar\nMULTI=a\\nb\n\nQ="kept"\n'));
  assert.deepEqual(doc[0]!.items.map((i) => i.key), [{ kind: 'comment', value: ' c' }, 'foo ', 'MULTI', 'Q']);
  assert.equal(doc[0]!.items[2]!.value, 'a\nb');
  assert.equal(dec(s.emit(doc)), '# c\nfoo =bar\nMULTI=a\\nb\nQ="kept"\n');
  assert.throws(() => s.parse(enc('novalue\n')), /no '=' found/);
});

test('INI: sections, aligned keys, quoting, comments', () => {
  const s = createIniStore();
  const doc = s.parse(enc('; about\n[sec]\nname = x\nlonger_key = has ; semicolon`\n[other]\nk = """two\nlines"""\n'));
  const text = dec(s.emit(doc));
  assert.equal(text, '; about\n[sec]\nname       = x\nlonger_key = has\n\n[other]\nk = """two\nlines"""\n');
  assert.throws(() => s.parse(enc('[broken\n')), ParseError);
  assert.throws(() => s.parse(enc('[s]\njust words\n')), /delimiter/);
});

test('metadata flattening round-trips through dotenv/INI keys', () => {
  const meta = { age: [{ enc: 'a\nb', recipient: 'age1x' }], key_groups: [{ pgp: [{ fp: 'F' }] }], lastmodified: 't', shamir_threshold: 2 };
  const flat = flattenMeta(meta);
  assert.deepEqual(flat[0], ['age__list_0__map_enc', 'a\nb']);
  assert.deepEqual(flat.find(([k]) => k.startsWith('key_groups')), ['key_groups__list_0__map_pgp__list_0__map_fp', 'F']);
  assert.deepEqual(unflattenMeta(flat), { ...meta, shamir_threshold: '2' });
});

test('format detection by extension and by content', () => {
  assert.equal(formatFromPath('a.yml'), 'yaml');
  assert.equal(formatFromPath('x.env'), 'dotenv');
  assert.equal(formatFromPath('x.txt'), 'binary');
  assert.equal(sniffEncryptedFormat(enc('a=1\nsops_version=3.13.2\n')), 'dotenv');
  assert.equal(sniffEncryptedFormat(enc('[a]\nb = 1\n\n[sops]\nversion = 1\n')), 'ini');
  assert.equal(sniffEncryptedFormat(enc('{\n\t"data": "ENC[x]",\n\t"sops": {}}')), 'binary');
  assert.equal(sniffEncryptedFormat(enc('{"a": 1}')), 'json');
  assert.equal(sniffEncryptedFormat(enc('a: 1\n')), 'yaml');
});

test('INI: keys outside any section (DEFAULT) are written first, without a header', () => {
  const s = createIniStore();
  const doc = [branch([{ key: 'sec', value: branch([{ key: 'a', value: '1' }]) }, { key: 'DEFAULT', value: branch([{ key: 'top', value: 'x' }]) }])];
  const text = dec(s.emit(doc));
  assert.equal(text, 'top = x\n\n[sec]\na = 1\n');
  assert.deepEqual(s.parse(enc(text))[0]!.items.map((i) => i.key), ['DEFAULT', 'sec']);
});
