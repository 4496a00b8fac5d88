import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidRequestError, NotFoundError } from '../core/errors.js';
import { mapStorage } from '../../test/helpers/backend.js';
import {
  createPasswordPolicyStore, decodePasswordPolicyText, generateDefaultPassword, generatePassword, parsePasswordPolicy,
} from './password-policy.js';

const HCL = `
length = 12
rule "charset" {
  charset = "abcdefghijklmnopqrstuvwxyz"
  min-chars = 2
}
rule "charset" {
  charset = "0123456789"
  min-chars = 3
}
rule "charset" {
  charset = "!@#$"
  min-chars = 1
}
`;

test('parses HCL, JSON and base64 forms alike', () => {
  const p = parsePasswordPolicy(HCL);
  assert.equal(p.length, 12);
  assert.deepEqual(p.rules.map((r) => r.minChars), [2, 3, 1]);
  assert.equal(p.charset.length, 26 + 10 + 4);
  const json = parsePasswordPolicy('{"length":20,"rule":[{"charset":{"charset":"abc","min-chars":1}},{"charset":{"charset":"XYZ"}}]}');
  assert.deepEqual(json, { length: 20, rules: [{ charset: ['a', 'b', 'c'], minChars: 1 }, { charset: ['X', 'Y', 'Z'], minChars: 0 }], charset: ['a', 'b', 'c', 'X', 'Y', 'Z'] });
  assert.equal(decodePasswordPolicyText(Buffer.from(HCL).toString('base64')), HCL);
  assert.equal(decodePasswordPolicyText(HCL), HCL);
});

test('unusable policies are refused with InvalidRequestError', () => {
  const bad: Array<[string, RegExp]> = [
    ['length = 3\nrule "charset" { charset = "abc" }', /at least 4/],
    ['length = 101\nrule "charset" { charset = "abc" }', /at most 100/],
    ['rule "charset" { charset = "abc" }', /length is required/],
    ['length = 10', /at least one charset rule/],
    ['length = 10\nrule "charset" { charset = "" }', /must not be empty/],
    ['length = 4\nrule "charset" { charset = "abc" min-chars = 3 }\nrule "charset" { charset = "123" min-chars = 2 }', /require at least 5 characters but length is 4/],
    ['length = 10\nrule "charset" { charset = "abc" min-chars = -1 }', /must not be negative/],
    ['length = 10\nrule "charset" { charset = "abc" min-chars = 1.5 }', /integer/],
    ['length = 10\nrule "nope" { charset = "abc" }', /unrecognized rule type/],
    ['length = 10\nrule "charset" { charset = "abc" max-chars = 2 }', /unknown attribute "max-chars"/],
    ['length = 10\nfoo = 1\nrule "charset" { charset = "abc" }', /unknown policy field "foo"/],
    ['length = "ten"\nrule "charset" { charset = "abc" }', /integer/],
    ['length = 10\nrule "charset" {', /line/],
    ['{"length": 10, "rule": 5}', /rule must be an object/],
    ['{"length": 10', /unable to parse policy/],
    ['', /missing policy/],
  ];
  for (const [text, re] of bad) {
    assert.throws(() => parsePasswordPolicy(text), (err: unknown) => err instanceof InvalidRequestError && re.test(err.message), text);
  }
});

test('generated passwords meet every rule and use only the policy\'s characters', async () => {
  const p = parsePasswordPolicy(HCL);
  const allowed = new Set(p.charset);
  for (let i = 0; i < 200; i++) {
    const pw = await generatePassword(p);
    assert.equal(pw.length, 12);
    assert.ok([...pw].every((c) => allowed.has(c)));
    assert.ok([...pw].filter((c) => /[a-z]/.test(c)).length >= 2, pw);
    assert.ok([...pw].filter((c) => /[0-9]/.test(c)).length >= 3, pw);
    assert.ok([...pw].filter((c) => '!@#$'.includes(c)).length >= 1, pw);
  }
  const def = await generateDefaultPassword();
  assert.match(def, /^[a-zA-Z0-9-]{20}$/);
  assert.match(def, /[a-z]/);
  assert.match(def, /[A-Z]/);
  assert.match(def, /[0-9]/);
  assert.match(def, /-/);
});

test('overlapping charsets are de-duplicated, so characters are drawn evenly (and multi-byte characters work)', async () => {
  // "ab" appears three times across rules: without de-duplication 'a'/'b' would dominate 'é'.
  const p = parsePasswordPolicy('length = 100\nrule "charset" { charset = "aab" }\nrule "charset" { charset = "abé" }');
  assert.deepEqual(p.charset, ['a', 'b', 'é']);
  const counts = new Map<string, number>();
  for (let i = 0; i < 60; i++) for (const c of await generatePassword(p)) counts.set(c, (counts.get(c) ?? 0) + 1);
  for (const c of p.charset) {
    const share = counts.get(c)! / 6000;
    assert.ok(share > 0.28 && share < 0.39, `${c}: ${share}`); // expected 1/3; bounds are > 8 standard deviations wide
  }
});

test('store: set validates, get/list/delete, generate; unknown names are 404', async () => {
  const storage = mapStorage();
  const store = createPasswordPolicyStore(storage);
  await store.set('app', HCL);
  await store.set('b64', Buffer.from('length = 8\nrule "charset" { charset = "xyz" }').toString('base64'));
  assert.deepEqual(await store.get('app'), { policy: HCL });
  assert.deepEqual(await store.get('b64'), { policy: 'length = 8\nrule "charset" { charset = "xyz" }' });
  assert.deepEqual(await store.list(), ['app', 'b64']);
  assert.match(await store.generate('b64'), /^[xyz]{8}$/);
  await store.delete('b64');
  assert.deepEqual(await store.list(), ['app']);
  assert.equal(await store.get('b64'), undefined);
  await assert.rejects(store.generate('b64'), NotFoundError);
  await assert.rejects(store.set('bad/name', HCL), InvalidRequestError);
  await assert.rejects(store.set('bad', 'length = 2\nrule "charset" { charset = "a" }'), InvalidRequestError);
  assert.deepEqual(await store.list(), ['app']); // nothing stored for refused policies
});

test('a policy that can practically never be met is refused at write time (generation times out)', async () => {
  const store = createPasswordPolicyStore(mapStorage());
  // Valid on paper (min-chars sum = length) but a candidate drawn from 26 letters almost never has 60 'a's.
  const text = 'length = 60\nrule "charset" { charset = "a" min-chars = 60 }\nrule "charset" { charset = "abcdefghijklmnopqrstuvwxyz" }';
  await assert.rejects(store.set('never', text), (err: unknown) => err instanceof InvalidRequestError && /timed out generating string/.test(err.message));
  assert.equal(await store.get('never'), undefined);
});
