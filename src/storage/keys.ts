// Key rules and one-level listing shared by every backend, so they all agree on what a key is
// and in which order `list` returns names (Unicode code-point order, the byte order of UTF-8,
// which is what SQLite and PostgreSQL's "C" collation sort by).
import { InvalidRequestError } from '../core/errors.js';

export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0) throw new InvalidRequestError('storage key must not be empty');
  if (key.includes('\0')) throw new InvalidRequestError('storage key must not contain NUL');
  // A lone surrogate would be replaced when encoded as UTF-8, so two keys could collide.
  if (LONE_SURROGATE.test(key)) throw new InvalidRequestError('storage key must be valid Unicode');
}

const LONE_SURROGATE = /\p{Cs}/u;

export function assertValidPrefix(prefix: string): void {
  if (typeof prefix !== 'string') throw new InvalidRequestError('storage prefix must be a string');
  if (prefix.includes('\0')) throw new InvalidRequestError('storage prefix must not contain NUL');
}

// Maps a UTF-16 code unit so that comparing mapped units gives code-point order: surrogates
// (which encode code points above U+FFFF) must sort after U+E000..U+FFFF.
function rank(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

/** Code-point order (equal to UTF-8 byte order). */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return rank(x) - rank(y);
  }
  return a.length - b.length;
}

/**
 * The smallest string greater than every string starting with `prefix` (exclusive upper bound of
 * a range scan), or undefined when there is none.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix);
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      const next = last + 1 === 0xd800 ? 0xe000 : last + 1;
      return points.join('') + String.fromCodePoint(next);
    }
  }
  return undefined;
}

/** The child of `prefix` that `key` belongs to: a leaf name, or a folder name ending in '/'. */
export function childOf(prefix: string, key: string): string {
  const rest = key.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash === -1 ? rest : rest.slice(0, slash + 1);
}
