import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertKeyLength, decodeUnsealKey } from './unseal-key.js';

describe('decodeUnsealKey', () => {
  it('prefers hex when it decodes to a plausible key length, else base64', () => {
    const key = Buffer.from(Array.from({ length: 33 }, (_, i) => i));
    assert.deepEqual(decodeUnsealKey(key.toString('hex')), key);
    assert.deepEqual(decodeUnsealKey(key.toString('base64')), key);
    const short = Buffer.alloc(32, 7);
    assert.deepEqual(decodeUnsealKey(short.toString('base64')), short);
    assert.throws(() => decodeUnsealKey(short.toString('base64').replace(/=+$/, '')), /'key' must be/);
    // 32 hex chars that are also base64: hex wins (16 bytes is a valid length).
    assert.equal(decodeUnsealKey('ab'.repeat(16)).length, 16);
    // Too short as hex, so read as base64.
    assert.equal(decodeUnsealKey('abcd').length, 3);
  });

  it('rejects what is neither', () => {
    for (const bad of ['', 'zz!', 'abc', 'a=b=', '====']) assert.throws(() => decodeUnsealKey(bad), /'key' must be/);
    assert.throws(() => decodeUnsealKey(42));
  });

  it('checks lengths', () => {
    assert.throws(() => assertKeyLength(new Uint8Array(15), 33), /shorter than minimum 16/);
    assert.throws(() => assertKeyLength(new Uint8Array(34), 33), /longer than maximum 33/);
    assert.throws(() => assertKeyLength(new Uint8Array(32), 33), /expected a 33-byte key/);
    assertKeyLength(new Uint8Array(33), 33);
  });
});
