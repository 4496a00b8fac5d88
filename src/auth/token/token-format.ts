// Token and accessor strings, salted hashing, the self-contained batch-token format and the
// time formats of token lookups. Pure functions: the store owns the keys.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const SERVICE_PREFIX = 'hvs.';
export const BATCH_PREFIX = 'hvb.';
const LEGACY_BATCH_PREFIX = 'b.';

/** Random part of a service token and of an accessor: 24 base62 chars ≈ 142.9 bits. */
export const TOKEN_RANDOM_LENGTH = 24;

export { randomBase62 } from '../../lib/ids.js';
import { randomBase62 } from '../../lib/ids.js';

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

export { formatGoTime as formatTokenTime } from '../../lib/go-time.js';
