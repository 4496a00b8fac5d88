import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { InvalidRequestError } from '../errors.js';
import { combine, gfDiv, gfMul, split } from './shamir.js';

function subsets<T>(items: T[], size: number): T[][] {
  if (size === 0) return [[]];
  if (items.length < size) return [];
  const [first, ...rest] = items;
  return [...subsets(rest, size - 1).map((s) => [first!, ...s]), ...subsets(rest, size)];
}

describe('GF(256) arithmetic', () => {
  it('matches FIPS-197 examples', () => {
    assert.equal(gfMul(0x57, 0x83), 0xc1);
    assert.equal(gfMul(0x57, 0x13), 0xfe);
    assert.equal(gfMul(0x53, 0xca), 0x01); // inverses
    assert.equal(gfMul(0, 0x53), 0);
    assert.equal(gfMul(0x53, 0), 0);
    assert.equal(gfDiv(0, 0x53), 0);
  });

  it('division inverts multiplication for every pair', () => {
    for (let a = 0; a < 256; a++) for (let b = 1; b < 256; b++) assert.equal(gfDiv(gfMul(a, b), b), a);
  });
});

describe('shamir', () => {
  it('gives 33-byte shares for a 32-byte secret, distinct non-zero x-coordinates', () => {
    const shares = split(randomBytes(32), 5, 3);
    assert.equal(shares.length, 5);
    const xs = shares.map((s) => s[32]!);
    for (const share of shares) assert.equal(share.length, 33);
    assert.ok(xs.every((x) => x !== 0));
    assert.equal(new Set(xs).size, 5);
  });

  it('every subset of at least threshold shares recovers the secret (5 shares, threshold 3)', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 3);
    for (const size of [3, 4, 5]) {
      for (const subset of subsets(shares, size)) assert.deepEqual(Buffer.from(combine(subset)), secret);
    }
  });

  it('fewer shares than the threshold give a different value', () => {
    const secret = randomBytes(32);
    const shares = split(secret, 5, 3);
    for (const subset of subsets(shares, 2)) assert.notDeepEqual(Buffer.from(combine(subset)), secret);
  });

  it('round trips other sizes and thresholds', () => {
    for (const [parts, threshold] of [[2, 2], [3, 3], [10, 7], [255, 2]] as const) {
      const secret = randomBytes(1 + (parts % 40));
      const shares = split(secret, parts, threshold);
      assert.deepEqual(Buffer.from(combine(shares.slice(parts - threshold))), secret);
    }
    const single = split(Uint8Array.of(7, 8, 9), 1, 1);
    assert.deepEqual(combine(single), Uint8Array.of(7, 8, 9));
  });

  it('combines a hand-made vector', () => {
    // f(x) = s ⊕ 0x02·x per byte, secret bytes 0x2a and 0xff, shares at x = 1 and x = 3.
    const y = (s: number, x: number): number => s ^ gfMul(0x02, x);
    const shareAt = (x: number): Uint8Array => Uint8Array.of(y(0x2a, x), y(0xff, x), x);
    assert.deepEqual(shareAt(1), Uint8Array.of(0x28, 0xfd, 1));
    assert.deepEqual(shareAt(3), Uint8Array.of(0x2c, 0xf9, 3));
    assert.deepEqual(combine([shareAt(1), shareAt(3)]), Uint8Array.of(0x2a, 0xff));
    assert.deepEqual(combine([Uint8Array.of(0x28, 0xfd, 1), Uint8Array.of(0x2c, 0xf9, 3)]), Uint8Array.of(0x2a, 0xff));
  });

  it('rejects invalid parameters with InvalidRequestError', () => {
    const secret = randomBytes(32);
    const cases: [number, number][] = [[0, 1], [256, 3], [3, 0], [3, 4], [3, 1], [2.5, 2]];
    for (const [parts, threshold] of cases) {
      assert.throws(() => split(secret, parts, threshold), InvalidRequestError, `${parts}/${threshold}`);
    }
    assert.throws(() => split(new Uint8Array(0), 3, 2), InvalidRequestError);
  });

  it('rejects duplicate, mismatched and malformed shares', () => {
    const shares = split(randomBytes(32), 3, 2);
    assert.throws(() => combine([shares[0]!, shares[0]!]), /duplicate part/);
    assert.throws(() => combine([shares[0]!, shares[1]!.subarray(1)]), /same length/);
    assert.throws(() => combine([]), InvalidRequestError);
    assert.throws(() => combine([Uint8Array.of(1)]), InvalidRequestError);
    const zeroX = Uint8Array.from(shares[0]!);
    zeroX[32] = 0;
    assert.throws(() => combine([zeroX, shares[1]!]), InvalidRequestError);
  });
});
