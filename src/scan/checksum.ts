// Offline validity checks for token formats that carry their own checksum or structure.
// A match that fails its check is not a credential (a typo, a fixture, a made-up example).
import { crc32 } from 'node:zlib';

export type ChecksumKind = 'github-crc32' | 'bech32' | 'jwt' | 'base64-key';

export const CHECKSUM_KINDS: readonly ChecksumKind[] = ['github-crc32', 'bech32', 'jwt', 'base64-key'];

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62-encodes a 32-bit number, left-padded with '0' to `width` characters. */
export function base62Encode(value: number, width: number): string {
  let v = value >>> 0;
  let out = '';
  while (v > 0) {
    out = BASE62[v % 62] + out;
    v = Math.floor(v / 62);
  }
  return out.padStart(width, '0');
}

/**
 * GitHub-style tokens (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, and npm's `npm_`): a prefix ending in `_`,
 * 30 random base62 characters, then the CRC32 of those 30 characters in 6 base62 characters.
 */
export function checkGithubCrc32(token: string): boolean {
  const us = token.lastIndexOf('_');
  const body = token.slice(us + 1);
  if (body.length !== 36) return false;
  const entropy = body.slice(0, 30);
  return base62Encode(crc32(entropy), 6) === body.slice(30);
}

const BECH32_CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const BECH32_GEN = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function bech32Polymod(values: number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= BECH32_GEN[i]!;
  }
  return chk >>> 0;
}

function hrpExpand(hrp: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) >> 5);
  out.push(0);
  for (let i = 0; i < hrp.length; i++) out.push(hrp.charCodeAt(i) & 31);
  return out;
}

/** Bech32 (BIP-173) checksum over a whole string such as `AGE-SECRET-KEY-1…` or `nsec1…`. */
export function checkBech32(value: string): boolean {
  const s = value.toLowerCase();
  const sep = s.lastIndexOf('1');
  if (sep < 1 || sep + 7 > s.length) return false;
  const data: number[] = [];
  for (const ch of s.slice(sep + 1)) {
    const d = BECH32_CHARSET.indexOf(ch);
    if (d < 0) return false;
    data.push(d);
  }
  return bech32Polymod([...hrpExpand(s.slice(0, sep)), ...data]) === 1;
}

/** Computes the 6-character bech32 checksum for `hrp` and 5-bit `data` (used by test generators). */
export function bech32Checksum(hrp: string, data: number[]): string {
  const mod = bech32Polymod([...hrpExpand(hrp), ...data, 0, 0, 0, 0, 0, 0]) ^ 1;
  let out = '';
  for (let i = 0; i < 6; i++) out += BECH32_CHARSET[(mod >>> (5 * (5 - i))) & 31];
  return out;
}

function decodeBase64Url(part: string): string | undefined {
  try {
    return Buffer.from(part, 'base64url').toString('utf8');
  } catch {
    return undefined;
  }
}

/** A JWT is three base64url parts whose header decodes to a JSON object with an `alg`. */
export function checkJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  const header = decodeBase64Url(parts[0]!);
  const payload = decodeBase64Url(parts[1]!);
  if (header === undefined || payload === undefined) return false;
  try {
    const h = JSON.parse(header) as unknown;
    const p = JSON.parse(payload) as unknown;
    return typeof h === 'object' && h !== null && 'alg' in h && typeof p === 'object' && p !== null;
  } catch {
    return false;
  }
}

/** A base64 key (Azure account keys, SAS keys): decodes to at least 32 bytes of binary data. */
export function checkBase64Key(value: string): boolean {
  const clean = value.replace(/%3D/gi, '=');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(clean) || clean.length % 4 !== 0) return false;
  return Buffer.from(clean, 'base64').length >= 32;
}

export function runChecksum(kind: ChecksumKind, value: string): boolean {
  switch (kind) {
    case 'github-crc32': return checkGithubCrc32(value);
    case 'bech32': return checkBech32(value);
    case 'jwt': return checkJwt(value);
    case 'base64-key': return checkBase64Key(value);
  }
}
