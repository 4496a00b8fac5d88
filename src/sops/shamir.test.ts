import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { combine, gfDiv, gfInv, gfMul, split } from './shamir.js';

test('GF(256) arithmetic with the AES polynomial', () => {
  assert.equal(gfMul(0x53, 0xca), 0x01); // classic AES inverse pair
  assert.equal(gfMul(0x57, 0x83), 0xc1); // FIPS-197 example
  for (let a = 1; a < 256; a++) assert.equal(gfMul(a, gfInv(a)), 1);
  assert.equal(gfDiv(gfMul(7, 9), 9), 7);
});

test('shares are 33 bytes with x = 1..n in the last byte', () => {
  const shares = split(randomBytes(32), 5, 3);
  assert.equal(shares.length, 5);
  shares.forEach((s, i) => {
    assert.equal(s.length, 33);
    assert.equal(s[32], i + 1);
  });
});

test('any threshold-sized subset recovers the secret; fewer do not', () => {
  const secret = new Uint8Array(randomBytes(32));
  const shares = split(secret, 5, 3);
  for (const idx of [[0, 1, 2], [0, 2, 4], [4, 3, 1], [0, 1, 2, 3, 4]]) {
    assert.deepEqual(combine(idx.map((i) => shares[i]!)), secret);
  }
  assert.notDeepEqual(combine([shares[0]!, shares[1]!]), secret);
});

test('combine accepts arbitrary x coordinates and rejects duplicates', () => {
  const secret = new Uint8Array(randomBytes(16));
  const shares = split(secret, 3, 2);
  // Re-label x coordinates by evaluating again is not possible; instead check order independence.
  assert.deepEqual(combine([shares[2]!, shares[0]!]), secret);
  assert.throws(() => combine([shares[0]!, shares[0]!]), /duplicate/);
  assert.throws(() => split(secret, 2, 3), /less than threshold/);
  assert.throws(() => split(secret, 3, 1), /at least 2/);
});

test('shares interoperate with the independent shamir-secret-sharing package (Vault layout)', async () => {
  const other = await import('shamir-secret-sharing');
  const secret = new Uint8Array(randomBytes(32));
  // Ours → theirs.
  const ours = split(secret, 4, 3);
  assert.deepEqual(await other.combine([ours[3]!, ours[0]!, ours[2]!]), secret);
  // Theirs (random x coordinates) → ours.
  const theirs = await other.split(secret, 5, 3);
  assert.equal(theirs[0]!.length, 33);
  assert.deepEqual(combine([theirs[1]!, theirs[4]!, theirs[2]!]), secret);
});
