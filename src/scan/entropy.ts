// Shannon entropy of a string, in bits per character, over its UTF-16 code units.
// A random base62 token scores about 5.2-5.9 depending on length; English words and
// code identifiers usually stay under 3.5.

const counts = new Uint32Array(65536);
const seen = new Uint16Array(65536); // distinct code units in first-seen order (no allocation per call)

export function shannonEntropy(value: string): number {
  const n = value.length;
  if (n === 0) return 0;
  let distinct = 0;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (counts[c] === 0) seen[distinct++] = c;
    counts[c]!++;
  }
  let h = 0;
  for (let j = 0; j < distinct; j++) {
    const c = seen[j]!;
    const p = counts[c]! / n;
    h -= p * Math.log2(p);
    counts[c] = 0;
  }
  return h;
}

/** Number of character classes (lower, upper, digit, other) present in the value. */
export function charClassCount(value: string): number {
  let lower = 0, upper = 0, digit = 0, other = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 97 && c <= 122) lower = 1;
    else if (c >= 65 && c <= 90) upper = 1;
    else if (c >= 48 && c <= 57) digit = 1;
    else other = 1;
  }
  return lower + upper + digit + other;
}
