// Encrypting unseal-key shares (and the root token) to operators' PGP public keys, as Vault's
// pgp_keys / root_token_pgp_key do at init, and at rekey and root token generation. Keys are
// base64 of the binary public key (what `gpg --export | base64` gives) or ASCII-armored. Keybase
// lookups are not supported.
import * as openpgp from 'openpgp';
import { InvalidRequestError } from '../errors.js';

export type PgpPublicKey = openpgp.PublicKey;

export async function parsePgpPublicKey(input: unknown, label: string): Promise<PgpPublicKey> {
  if (typeof input !== 'string' || input.trim() === '') throw new InvalidRequestError(`${label}: PGP key must be a non-empty string`);
  if (input.startsWith('keybase:')) throw new InvalidRequestError(`${label}: keybase lookups are not supported; give the public key itself`);
  let key: PgpPublicKey;
  try {
    if (input.includes('-----BEGIN PGP')) key = await openpgp.readKey({ armoredKey: input });
    else {
      const compact = input.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('not base64');
      key = await openpgp.readKey({ binaryKey: new Uint8Array(Buffer.from(compact, 'base64')) });
    }
  } catch {
    throw new InvalidRequestError(`${label}: error parsing PGP key: expected a base64-encoded or armored public key`);
  }
  // Refuse now what encryption would refuse later (expired, revoked, no encryption subkey, RSA
  // under 2048 bits): by then unseal key shares would already have been spent.
  try {
    await key.getEncryptionKey();
  } catch (err) {
    throw new InvalidRequestError(`${label}: PGP key ${key.getFingerprint()} cannot be used for encryption: ${(err as Error).message}`);
  }
  return key;
}

export async function encryptToPgpKey(key: PgpPublicKey, plaintext: Uint8Array): Promise<Uint8Array> {
  const message = await openpgp.createMessage({ binary: plaintext });
  return openpgp.encrypt({ message, encryptionKeys: key, format: 'binary' });
}

/** The key's fingerprint as Vault reports it (lower-case hex of the primary key's fingerprint). */
export function pgpFingerprint(key: PgpPublicKey): string {
  return key.getFingerprint().toLowerCase();
}
