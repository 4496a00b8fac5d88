// Encrypting unseal-key shares (and the root token) to operators' PGP public keys at init, as
// Vault's pgp_keys / root_token_pgp_key do. Keys are base64 of the binary public key (what
// `gpg --export | base64` gives) or ASCII-armored. Keybase lookups are not supported.
import * as openpgp from 'openpgp';
import { InvalidRequestError } from '../errors.js';

export type PgpPublicKey = openpgp.PublicKey;

export async function parsePgpPublicKey(input: unknown, label: string): Promise<PgpPublicKey> {
  if (typeof input !== 'string' || input.trim() === '') throw new InvalidRequestError(`${label}: PGP key must be a non-empty string`);
  if (input.startsWith('keybase:')) throw new InvalidRequestError(`${label}: keybase lookups are not supported; give the public key itself`);
  try {
    if (input.includes('-----BEGIN PGP')) return await openpgp.readKey({ armoredKey: input });
    const compact = input.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('not base64');
    return await openpgp.readKey({ binaryKey: new Uint8Array(Buffer.from(compact, 'base64')) });
  } catch {
    throw new InvalidRequestError(`${label}: error parsing PGP key: expected a base64-encoded or armored public key`);
  }
}

export async function encryptToPgpKey(key: PgpPublicKey, plaintext: Uint8Array): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: plaintext });
  return openpgp.encrypt({ message, encryptionKeys: key, format: 'binary' });
}

/** The key's fingerprint as Vault reports it (lower-case hex of the primary key's fingerprint). */
export function pgpFingerprint(key: PgpPublicKey): string {
  return key.getFingerprint().toLowerCase();
}
