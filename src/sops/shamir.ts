// Shamir secret sharing over GF(2^8), share-compatible with the scheme sops uses (spec §4.6):
// field polynomial x^8+x^4+x^3+x+1, one random polynomial of degree threshold-1 per secret byte with
// that byte as constant term, and each share laid out as the y-values followed by one x byte.
//
// Field arithmetic is written without secret-dependent branches or table look-ups.

import { randomBytes } from 'node:crypto';

/** Carry-less multiply modulo the AES polynomial, constant time over 8 rounds. */
export function gfMul(a: number, b: number): number {
  let r = 0;
  let x = a & 0xff;
  let y = b & 0xff;
  for (let i = 0; i < 8; i++) {
    r ^= x & -(y & 1);
    const hi = -((x >> 7) & 1);
    x = ((x << 1) ^ (0x1b & hi)) & 0xff;
    y >>= 1;
  }
  return r & 0xff;
}

/** Multiplicative inverse as a^254 (0 maps to 0). */
export function gfInv(a: number): number {
  let result = 1;
  let base = a & 0xff;
  let e = 254;
  while (e > 0) {
    if (e & 1) result = gfMul(result, base);
    base = gfMul(base, base);
    e >>= 1;
  }
  return result;
}

export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero');
  return gfMul(a, gfInv(b));
}

function evalPoly(coeffs: Uint8Array, x: number): number {
  // Horner's rule from the highest coefficient.
  let out = 0;
  for (let i = coeffs.length - 1; i >= 0; i--) out = gfMul(out, x) ^ coeffs[i]!;
  return out;
}

/**
 * Splits `secret` into `parts` shares, any `threshold` of which recover it. Share i has x = i + 1,
 * stored as the last byte (so a 32-byte secret gives 33-byte shares).
 */
export function split(secret: Uint8Array, parts: number, threshold: number, random: (n: number) => Uint8Array = (n) => randomBytes(n)): Uint8Array[] {
  if (parts < threshold) throw new RangeError('parts cannot be less than threshold');
  if (parts > 255) throw new RangeError('parts cannot exceed 255');
  if (threshold < 2) throw new RangeError('threshold must be at least 2');
  if (threshold > 255) throw new RangeError('threshold cannot exceed 255');
  if (secret.length === 0) throw new RangeError('cannot split an empty secret');
  const shares = Array.from({ length: parts }, (_, i) => {
    const s = new Uint8Array(secret.length + 1);
    s[secret.length] = i + 1;
    return s;
  });
  const coeffs = new Uint8Array(threshold);
  for (let b = 0; b < secret.length; b++) {
    coeffs[0] = secret[b]!;
    coeffs.set(random(threshold - 1), 1);
    for (let i = 0; i < parts; i++) shares[i]![b] = evalPoly(coeffs, i + 1);
  }
  coeffs.fill(0);
  return shares;
}

/** Recovers the secret from at least `threshold` shares (Lagrange interpolation at x = 0). */
export function combine(shares: Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new RangeError('less than two parts cannot be used to reconstruct the secret');
  const len = shares[0]!.length;
  if (len < 2) throw new RangeError('parts must be at least two bytes');
  if (shares.some((s) => s.length !== len)) throw new RangeError('all parts must be the same length');
  const xs = shares.map((s) => s[len - 1]!);
  if (new Set(xs).size !== xs.length) throw new RangeError('duplicate part detected');
  const secret = new Uint8Array(len - 1);
  // Lagrange basis at 0: l_i = prod_{j != i} x_j / (x_j - x_i); subtraction is XOR in GF(2^8).
  const basis = xs.map((xi, i) => {
    let num = 1;
    let den = 1;
    xs.forEach((xj, j) => {
      if (j === i) return;
      num = gfMul(num, xj);
      den = gfMul(den, xj ^ xi);
    });
    return gfDiv(num, den);
  });
  for (let b = 0; b < len - 1; b++) {
    let acc = 0;
    for (let i = 0; i < shares.length; i++) acc ^= gfMul(shares[i]![b]!, basis[i]!);
    secret[b] = acc;
  }
  return secret;
}
