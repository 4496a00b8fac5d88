// PGP master keys (spec §4.2) through openpgp. Key material comes from, in order:
//   1. COFFER_PGP_KEY_FILE — one or more (`:`-separated) armored key files or binary keyring exports;
//      a file may hold several armored blocks, each read on its own;
//   2. the GnuPG home (GNUPGHOME or ~/.gnupg), exported with `gpg --export[-secret-keys]` when gpg is
//      installed;
//   3. for decryption only, `gpg --decrypt` itself (so keys protected by a passphrase still work
//      through gpg-agent).
// Fingerprints are 40 hex characters; spaces are removed and they are stored upper case.

import { readFileSync } from 'node:fs';
import * as openpgp from 'openpgp';
import type { PgpKey } from '../metadata.js';
import { hasProgram, runProgram } from './process.js';

// The sops functional-test keys include RSA-1024; sops (via gpg) accepts them, so do we.
const PGP_CONFIG = { minRSABits: 1024 } as const;

export function normalizeFingerprint(fp: string): string {
  const clean = fp.replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(clean)) throw new Error(`invalid PGP fingerprint ${JSON.stringify(fp)}: expected 40 hex characters`);
  return clean;
}

const ARMOR_RE = /-----BEGIN PGP (?:PRIVATE|PUBLIC) KEY BLOCK-----[\s\S]*?-----END PGP (?:PRIVATE|PUBLIC) KEY BLOCK-----/g;

/** Reads every key in an armored (possibly multi-block) or binary key file. */
export async function readKeysFromBytes(bytes: Uint8Array): Promise<openpgp.Key[]> {
  const text = Buffer.from(bytes).toString('latin1');
  const keys: openpgp.Key[] = [];
  if (text.includes('-----BEGIN PGP')) {
    for (const block of text.match(ARMOR_RE) ?? []) {
      keys.push(...(await openpgp.readKeys({ armoredKeys: block, config: PGP_CONFIG })));
    }
  } else if (bytes.length > 0) {
    keys.push(...(await openpgp.readKeys({ binaryKeys: bytes, config: PGP_CONFIG })));
  }
  return keys;
}

function matches(key: openpgp.Key, fp: string): boolean {
  if (key.getFingerprint().toUpperCase() === fp) return true;
  return key.getSubkeys().some((s) => s.getFingerprint().toUpperCase() === fp);
}

export interface PgpKeyring {
  publicKey(fp: string): Promise<openpgp.Key>;
  decrypt(key: PgpKey): Promise<Uint8Array>;
}

export function createPgpKeyring(env: NodeJS.ProcessEnv): PgpKeyring {
  const gpg = env.SOPS_GPG_EXEC || 'gpg';
  let fileKeys: Promise<{ keys: openpgp.Key[]; problems: string[] }> | undefined;
  const loadFiles = () => {
    fileKeys ??= (async () => {
      const keys: openpgp.Key[] = [];
      const problems: string[] = [];
      for (const path of (env.COFFER_PGP_KEY_FILE ?? '').split(':').filter(Boolean)) {
        try {
          keys.push(...(await readKeysFromBytes(readFileSync(path))));
        } catch (err) {
          problems.push(`COFFER_PGP_KEY_FILE=${path}: ${(err as NodeJS.ErrnoException).code ?? 'not a readable PGP key file'}`);
        }
      }
      return { keys, problems };
    })();
    return fileKeys;
  };
  const gpgEnv = { ...env, LC_ALL: 'C' };
  const gpgExport = async (fp: string, secret: boolean): Promise<openpgp.Key[]> => {
    if (!hasProgram(gpg)) return [];
    const r = await runProgram(gpg, ['--batch', '--no-tty', secret ? '--export-secret-keys' : '--export', fp], { env: gpgEnv });
    if (r.code !== 0 || r.stdout.length === 0) return [];
    try {
      return await readKeysFromBytes(r.stdout);
    } catch {
      return [];
    }
  };

  return {
    async publicKey(fp) {
      const { keys } = await loadFiles();
      const found = keys.find((k) => matches(k, fp)) ?? (await gpgExport(fp, false)).find((k) => matches(k, fp));
      if (!found) {
        throw new Error(`public key ${fp} not found (looked in COFFER_PGP_KEY_FILE${hasProgram(gpg) ? ' and the GnuPG keyring' : '; gpg is not installed'})`);
      }
      return found.isPrivate() ? found.toPublic() : found;
    },
    async decrypt(key) {
      const fp = key.fp.replace(/\s+/g, '').toUpperCase();
      const reasons: string[] = [];
      let message: openpgp.Message<Uint8Array>;
      try {
        message = await openpgp.readMessage({ armoredMessage: key.enc, config: PGP_CONFIG });
      } catch {
        throw new Error('the stored PGP data key is not a valid armored PGP message');
      }
      const { keys, problems } = await loadFiles();
      reasons.push(...problems);
      const candidates = [...keys.filter((k) => k.isPrivate() && matches(k, fp))];
      if (candidates.length === 0) candidates.push(...(await gpgExport(fp, true)).filter((k) => k.isPrivate() && matches(k, fp)));
      const usable = candidates.filter((k) => (k as openpgp.PrivateKey).isDecrypted());
      if (usable.length) {
        try {
          const r = await openpgp.decrypt({ message, decryptionKeys: usable as openpgp.PrivateKey[], format: 'binary', config: PGP_CONFIG });
          return r.data as Uint8Array;
        } catch (err) {
          reasons.push(`openpgp: ${(err as Error).message}`);
        }
      } else if (candidates.length) {
        reasons.push('the secret key is protected by a passphrase');
      } else {
        reasons.push(`no secret key found in COFFER_PGP_KEY_FILE${hasProgram(gpg) ? ' or the GnuPG keyring' : ''}`);
      }
      if (hasProgram(gpg)) {
        const r = await runProgram(gpg, ['--batch', '--no-tty', '--quiet', '--decrypt'], { input: key.enc, env: gpgEnv });
        if (r.code === 0) return new Uint8Array(r.stdout);
        reasons.push(`gpg --decrypt failed: ${r.stderr.trim().split('\n').pop() ?? `status ${r.code}`}`);
      } else {
        reasons.push('gpg is not installed');
      }
      throw new Error(reasons.join('; '));
    },
  };
}

/** Encrypts a data key (or share) to a PGP key; armored, without a trailing newline (as sops). */
export async function pgpEncrypt(keyring: PgpKeyring, fp: string, plaintext: Uint8Array): Promise<string> {
  const pub = await keyring.publicKey(fp);
  const armored = await openpgp.encrypt({
    message: await openpgp.createMessage({ binary: plaintext }),
    encryptionKeys: pub,
    format: 'armored',
    config: PGP_CONFIG,
  });
  return (armored as string).trim();
}
