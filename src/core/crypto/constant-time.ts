// Constant-time equality for secrets (token hashes, accessors, HMACs). Both inputs are hashed
// first so neither the content nor the length of the expected value leaks through timing.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(v: string | Uint8Array): Buffer {
  return createHash('sha256').update(v).digest();
}

/** True when `a` and `b` hold the same bytes (strings compare as UTF-8). */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  // Comparing digests is length-independent; the final byte check rules out hash collisions
  // only in theory, but keeps the function exact.
  const same = timingSafeEqual(digest(a), digest(b));
  if (!same) return false;
  const ba = typeof a === 'string' ? Buffer.from(a, 'utf8') : Buffer.from(a);
  const bb = typeof b === 'string' ? Buffer.from(b, 'utf8') : Buffer.from(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
