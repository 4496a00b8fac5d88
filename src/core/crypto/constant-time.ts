// Constant-time equality for secrets (token hashes, accessors, HMACs): the bytes are compared with
// timingSafeEqual, so how many leading bytes match never shows in the timing. Lengths are compared
// in the clear: every caller compares values of a fixed, public length (salted ids, accessors).
import { timingSafeEqual } from 'node:crypto';

function bytes(v: string | Uint8Array): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** True when `a` and `b` hold the same bytes (strings compare as UTF-8). */
export function constantTimeEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  const ba = bytes(a);
  const bb = bytes(b);
  return ba.length === bb.length && timingSafeEqual(ba, bb);
}
