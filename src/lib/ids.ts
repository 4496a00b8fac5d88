// Random identifiers: token and lease id suffixes.
import { randomBytes } from 'node:crypto';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` uniformly random base62 characters (rejection sampling, no modulo bias). */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b >= 248) continue; // 248 = 4 * 62
      out += BASE62[b % 62];
      if (out.length === n) break;
    }
  }
  return out;
}

