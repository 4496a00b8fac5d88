import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { decodeBatchToken, encodeBatchToken, formatTokenTime, newAccessor, newServiceToken, randomBase62, saltedAccessor, saltedId } from './token-format.js';

test('service tokens and accessors: prefix, alphabet, length, uniqueness', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const t = newServiceToken();
    assert.match(t, /^hvs\.[0-9A-Za-z]{24}$/);
    seen.add(t);
    assert.match(newAccessor(), /^[0-9A-Za-z]{24}$/);
  }
  assert.equal(seen.size, 200);
  assert.equal(randomBase62(0), '');
  // Every base62 symbol is reachable.
  assert.equal(new Set(randomBase62(20000)).size, 62);
});

test('salted ids depend on the salt and separate tokens from accessors', () => {
  const s1 = randomBytes(32);
  const s2 = randomBytes(32);
  assert.match(saltedId(s1, 'x'), /^h[0-9a-f]{64}$/);
  assert.equal(saltedId(s1, 'x'), saltedId(s1, 'x'));
  assert.notEqual(saltedId(s1, 'x'), saltedId(s2, 'x'));
  assert.notEqual(saltedId(s1, 'x'), saltedAccessor(s1, 'x'));
});

test('batch token round trip; wrong key, truncation and garbage are rejected', () => {
  const k = randomBytes(32);
  const t = encodeBatchToken(k, { a: 1 });
  assert.ok(t.startsWith('hvb.'));
  assert.deepEqual(decodeBatchToken(k, t), { a: 1 });
  assert.notEqual(encodeBatchToken(k, { a: 1 }), t);
  assert.equal(decodeBatchToken(randomBytes(32), t), undefined);
  assert.equal(decodeBatchToken(k, t.slice(0, -4)), undefined);
  assert.equal(decodeBatchToken(k, 'hvb.'), undefined);
  assert.equal(decodeBatchToken(k, 'hvs.abc'), undefined);
  assert.equal(decodeBatchToken(k, 'hvb.a+b/c'), undefined);
});

test('formatTokenTime is RFC 3339 and round-trips through Date', () => {
  for (const ms of [0, 1_700_000_000_123, 1_700_000_000_500, 1_700_000_000_000]) {
    const s = formatTokenTime(ms);
    assert.match(s, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?(Z|[+-]\d\d:\d\d)$/);
    assert.equal(Date.parse(s), ms);
  }
  assert.ok(!formatTokenTime(1_700_000_000_500).includes('.500'));
});
