// Token and accessor strings, salted hashing, the self-contained batch-token format and the
// time formats of token lookups. Pure functions: the store owns the keys.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const SERVICE_PREFIX = 'hvs.';
export const BATCH_PREFIX = 'hvb.';
const LEGACY_BATCH_PREFIX = 'b.';

/** Random part of a service token and of an accessor: 24 base62 chars ≈ 142.9 bits. */
export const TOKEN_RANDOM_LENGTH = 24;

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

export function newServiceToken(): string {
  return SERVICE_PREFIX + randomBase62(TOKEN_RANDOM_LENGTH);
}

export function newAccessor(): string {
  return randomBase62(TOKEN_RANDOM_LENGTH);
}

export function isBatchToken(token: string): boolean {
  return token.startsWith(BATCH_PREFIX) || token.startsWith(LEGACY_BATCH_PREFIX);
}

/** Storage id of a token: "h" + hex HMAC-SHA256 under the store's salt (as Vault's new-format tokens). */
export function saltedId(salt: Uint8Array, token: string): string {
  return 'h' + createHmac('sha256', salt).update(token, 'utf8').digest('hex');
}

/** Storage id of an accessor index entry (domain-separated from token ids). */
export function saltedAccessor(salt: Uint8Array, accessor: string): string {
  return 'h' + createHmac('sha256', salt).update('accessor\u0000' + accessor, 'utf8').digest('hex');
}

const BATCH_VERSION = 1;
const BATCH_AAD = Buffer.from('coffer/batch-token/v1', 'utf8');

/** Encrypts a batch token payload: hvb. + base64url(version ‖ nonce(12) ‖ ciphertext ‖ tag(16)). */
export function encodeBatchToken(key: Uint8Array, payload: unknown): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(BATCH_AAD);
  const ct = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]);
  const blob = Buffer.concat([Buffer.from([BATCH_VERSION]), nonce, ct, cipher.getAuthTag()]);
  return BATCH_PREFIX + blob.toString('base64url');
}

/** The decrypted payload, or undefined for anything malformed, forged or encrypted under another key. */
export function decodeBatchToken(key: Uint8Array, token: string): unknown {
  if (!token.startsWith(BATCH_PREFIX) || token.length > 16384) return undefined;
  const body = token.slice(BATCH_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
  const blob = Buffer.from(body, 'base64url');
  if (blob.length < 1 + 12 + 16 + 2 || blob[0] !== BATCH_VERSION) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13));
    decipher.setAAD(BATCH_AAD);
    decipher.setAuthTag(blob.subarray(blob.length - 16));
    const pt = Buffer.concat([decipher.update(blob.subarray(13, blob.length - 16)), decipher.final()]);
    return JSON.parse(pt.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/**
 * RFC 3339 in the server's local offset, as Go prints time.Time in JSON (RFC3339Nano: trailing
 * zeros of the fraction dropped, "Z" for UTC). Vault's token lookups use local time.
 */
export function formatTokenTime(ms: number): string {
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000);
  let s = `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`
    + `T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
  const frac = local.getUTCMilliseconds();
  if (frac !== 0) s += '.' + pad(frac, 3).replace(/0+$/, '');
  if (offsetMin === 0) return s + 'Z';
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${s}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
