// The on-disk format of one barrier entry, as Vault's barrier "version 2":
//   4-byte big-endian key term ‖ 1-byte version ‖ 12-byte random nonce ‖ ciphertext ‖ 16-byte tag
// AES-256-GCM with the storage path as additional data, so an entry only decrypts at its own path.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { InternalError } from '../errors.js';

export const ENTRY_VERSION = 2;
const TERM_BYTES = 4;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = TERM_BYTES + 1 + NONCE_BYTES;
export const ENTRY_OVERHEAD = HEADER_BYTES + TAG_BYTES;

/** Constant message: decryption failures must not say why (no oracle). */
export class DecryptionFailedError extends InternalError {
  constructor() {
    super('barrier: entry decryption failed');
  }
}

export function encryptEntry(term: number, key: Uint8Array, path: string, plaintext: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(ENTRY_OVERHEAD + plaintext.length);
  out.writeUInt32BE(term, 0);
  out[TERM_BYTES] = ENTRY_VERSION;
  const nonce = randomBytes(NONCE_BYTES);
  nonce.copy(out, TERM_BYTES + 1);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(path, 'utf8'));
  let offset = HEADER_BYTES;
  offset += cipher.update(plaintext).copy(out, offset);
  offset += cipher.final().copy(out, offset);
  cipher.getAuthTag().copy(out, offset);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/** The key term an entry was written with, or undefined when the bytes are too short to be an entry. */
export function entryTerm(entry: Uint8Array): number | undefined {
  if (entry.length < ENTRY_OVERHEAD) return undefined;
  return ((entry[0]! << 24) | (entry[1]! << 16) | (entry[2]! << 8) | entry[3]!) >>> 0;
}

export function decryptEntry(key: Uint8Array, path: string, entry: Uint8Array): Uint8Array {
  if (entry.length < ENTRY_OVERHEAD || entry[TERM_BYTES] !== ENTRY_VERSION) throw new DecryptionFailedError();
  const nonce = entry.subarray(TERM_BYTES + 1, HEADER_BYTES);
  const tag = entry.subarray(entry.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(path, 'utf8'));
  decipher.setAuthTag(tag);
  // GCM releases plaintext before the tag is checked; wipe it if the check fails.
  const head = decipher.update(entry.subarray(HEADER_BYTES, entry.length - TAG_BYTES));
  let tail: Buffer;
  try {
    tail = decipher.final();
  } catch {
    head.fill(0);
    throw new DecryptionFailedError();
  }
  const plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
}
