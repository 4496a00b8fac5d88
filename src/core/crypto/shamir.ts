// Shamir secret sharing over GF(2^8) with the AES polynomial x^8+x^4+x^3+x+1 (0x11b), share
// format compatible with Vault's sdk/helper/shamir: the y-bytes followed by one x-coordinate
// byte, so a 32-byte secret gives 33-byte shares. Every byte of the secret gets its own random
// polynomial whose constant term is that byte; combining interpolates at x = 0.
import { randomBytes, randomInt } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';

// log/exp tables with generator 3. EXP is doubled so exp[log a + log b] needs no modulo.
const EXP = new Uint8Array(510);
const LOG = new Uint8Array(256);
{
  let value = 1;
  for (let i = 0; i < 255; i++) {
    EXP[i] = value;
    EXP[i + 255] = value;
    LOG[value] = i;
    // value *= 3, i.e. value ^ xtime(value)
    const doubled = (value << 1) ^ (value & 0x80 ? 0x11b : 0);
    value = doubled ^ value;
  }
}

// Branch-free on the operand values: the result is masked to 0 when either factor is 0.
export function gfMul(a: number, b: number): number {
  const product = EXP[LOG[a]! + LOG[b]!]!;
  const nonZero = -((a !== 0 ? 1 : 0) & (b !== 0 ? 1 : 0)) & 0xff;
  return product & nonZero;
}

/** a / b for b ≠ 0. */
export function gfDiv(a: number, b: number): number {
  if (b === 0) throw new RangeError('division by zero in GF(256)');
  const quotient = EXP[LOG[a]! + 255 - LOG[b]!]!;
  return quotient & (-(a !== 0 ? 1 : 0) & 0xff);
}

function evaluate(coefficients: Uint8Array, x: number): number {
  // Horner's rule from the highest coefficient down.
  let result = 0;
  for (let i = coefficients.length - 1; i >= 0; i--) result = gfMul(result, x) ^ coefficients[i]!;
  return result;
}

/** x-coordinates: a random selection of distinct values in 1..255 (Fisher–Yates). */
function randomXCoordinates(count: number): Uint8Array {
  const pool = Uint8Array.from({ length: 255 }, (_, i) => i + 1);
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = t;
  }
  return pool.slice(0, count);
}

export function split(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new InvalidRequestError('parts and threshold must be integers');
  if (parts < 1) throw new InvalidRequestError('parts must be at least one');
  if (parts > 255) throw new InvalidRequestError('parts cannot exceed 255');
  if (threshold < 1) throw new InvalidRequestError('threshold must be at least one');
  if (parts < threshold) throw new InvalidRequestError('parts cannot be less than threshold');
  if (parts > 1 && threshold < 2) throw new InvalidRequestError('threshold must be at least 2');
  if (secret.length === 0) throw new InvalidRequestError('cannot split an empty secret');

  const xs = randomXCoordinates(parts);
  const shares = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = xs[i]!;
    return share;
  });
  const coefficients = new Uint8Array(threshold);
  for (let b = 0; b < secret.length; b++) {
    coefficients[0] = secret[b]!;
    coefficients.set(randomBytes(threshold - 1), 1);
    for (let i = 0; i < parts; i++) shares[i]![b] = evaluate(coefficients, xs[i]!);
  }
  coefficients.fill(0);
  return shares;
}

export function combine(shares: Uint8Array[]): Uint8Array {
  if (shares.length === 0) throw new InvalidRequestError('at least one part is required to reconstruct the secret');
  const length = shares[0]!.length;
  if (length < 2) throw new InvalidRequestError('parts must be at least two bytes');
  const xs = new Uint8Array(shares.length);
  const seen = new Set<number>();
  for (let i = 0; i < shares.length; i++) {
    const share = shares[i]!;
    if (share.length !== length) throw new InvalidRequestError('all parts must be the same length');
    const x = share[length - 1]!;
    if (x === 0) throw new InvalidRequestError('invalid part: x-coordinate must not be zero');
    if (seen.has(x)) throw new InvalidRequestError('duplicate part detected');
    seen.add(x);
    xs[i] = x;
  }

  // Lagrange basis at 0: l_i = Π_{j≠i} x_j / (x_i ⊕ x_j) (subtraction is XOR in GF(2^8)).
  const basis = new Uint8Array(shares.length);
  for (let i = 0; i < shares.length; i++) {
    let l = 1;
    for (let j = 0; j < shares.length; j++) if (j !== i) l = gfMul(l, gfDiv(xs[j]!, xs[i]! ^ xs[j]!));
    basis[i] = l;
  }
  const secret = new Uint8Array(length - 1);
  for (let b = 0; b < secret.length; b++) {
    let value = 0;
    for (let i = 0; i < shares.length; i++) value ^= gfMul(shares[i]![b]!, basis[i]!);
    secret[b] = value;
  }
  return secret;
}
