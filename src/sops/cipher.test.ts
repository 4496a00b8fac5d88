import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createValueCipher, parseEncryptedString } from './cipher.js';
import { comment, sopsFloat, sopsInt } from './tree.js';

const KEY = new TextEncoder().encode('f'.repeat(32));

test('decrypts the sops repository test vector (32-byte IV, AAD "bar:")', () => {
  const c = createValueCipher(KEY);
  const r = c.decrypt('ENC[AES256_GCM,data:oYyi,iv:MyIDYbT718JRr11QtBkcj3Dwm4k1aCGZBVeZf0EyV8o=,tag:t5z2Z023Up0kxwCgw1gNxg==,type:str]', 'bar:');
  assert.deepEqual(r, { ok: true, value: 'foo' });
});

test('a wrong AAD or a flipped bit fails authentication, never throws', () => {
  const c = createValueCipher(KEY);
  const enc = c.encrypt('secret', 'a:b:');
  assert.deepEqual(c.decrypt(enc, 'a:c:'), { ok: false, reason: 'auth' });
  const tampered = enc.replace(/data:(.)/, (_m, ch: string) => `data:${ch === 'A' ? 'B' : 'A'}`);
  assert.equal(c.decrypt(tampered, 'a:b:').ok, false);
  assert.deepEqual(c.decrypt('not encrypted', 'a:'), { ok: false, reason: 'format' });
});

test('encrypted values use 32-byte IVs, 16-byte tags and type tags', () => {
  const c = createValueCipher(KEY);
  for (const [v, type] of [['x', 'str'], [sopsInt(5), 'int'], [sopsFloat(1.5), 'float'], [true, 'bool'], [comment(' hi'), 'comment']] as const) {
    const p = parseEncryptedString(c.encrypt(v, 'k:'))!;
    assert.equal(p.iv.length, 32);
    assert.equal(p.tag.length, 16);
    assert.equal(p.type, type);
  }
});

test('IV stash: re-encrypting a decrypted value gives identical ciphertext; other values do not', () => {
  const writer = createValueCipher(KEY);
  const enc = writer.encrypt('same', 'k:');
  const c = createValueCipher(KEY);
  assert.equal(c.decrypt(enc, 'k:').ok, true);
  assert.equal(c.encrypt('same', 'k:'), enc);
  assert.notEqual(c.encrypt('same', 'other:'), enc);
  assert.notEqual(c.encrypt('changed', 'k:'), c.encrypt('changed', 'k:'));
});

test('typed values round-trip, unknown types are rejected', () => {
  const c = createValueCipher(KEY);
  assert.deepEqual(c.decrypt(c.encrypt(sopsInt(-7), 'n:'), 'n:'), { ok: true, value: sopsInt(-7) });
  assert.deepEqual(c.decrypt(c.encrypt(false, 'b:'), 'b:'), { ok: true, value: false });
  const bad = c.encrypt('x', 'k:').replace('type:str', 'type:weird');
  assert.equal(c.decrypt(bad, 'k:').ok, false);
});
