// Rekey (Vault's sys/rekey/*): replace the unseal key shares, optionally with a new share count and
// threshold, given a quorum of the current shares. A new root key is generated, split and handed
// out (PGP-encrypted per holder if asked, with an optional plaintext-of-ciphertext backup in
// storage), and the keyring is re-encrypted under it. With verification required, the new shares
// only take effect once a quorum of them has been entered back (sys/rekey/verify), so shares lost
// on the way to their holders cannot lock anyone out.
//
// State lives in memory only, like Vault's: sealing (or a restart) forgets the attempt, and every
// share entered or generated is held in a Buffer that is zeroed when the attempt ends.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createKeyedMutex } from '../../lib/keyed-mutex.js';
import type { StorageBackend } from '../../storage/backend.js';
import { encodeJSON, getJSON } from '../../storage/json.js';
import { combine, split } from '../crypto/shamir.js';
import { InternalError, InvalidRequestError, SealedError } from '../errors.js';
import { encryptToPgpKey, parsePgpPublicKey, pgpFingerprint, type PgpPublicKey } from './pgp.js';
import { intField, sealConfigProblem } from './seal-config.js';
import type { SealManager } from './seal-manager.js';
import { assertKeyLength, checkQuorum, decodeUnsealKey } from './unseal-key.js';

/** Physical path of the backup of PGP-encrypted shares (outside the barrier, as in Vault). */
export const UNSEAL_KEYS_BACKUP_PATH = 'core/unseal-keys-backup';
/** Within this long after init, a cancel must carry the nonce (Vault 1.17.18+). */
export const CANCEL_NONCE_WINDOW_MS = 10 * 60 * 1000;

const ROOT_KEY_BYTES = 32;

/** GET/PUT sys/rekey/init, and sys/rekey/update before the threshold is reached. */
export interface RekeyStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
  required: number;
  pgp_fingerprints: string[] | null;
  backup: boolean;
  verification_required: boolean;
  verification_nonce?: string;
}

/** sys/rekey/update once the threshold of current shares is reached. */
export interface RekeyResult {
  nonce: string;
  complete: true;
  keys: string[];
  keys_base64: string[];
  pgp_fingerprints: string[] | null;
  backup: boolean;
  verification_required: boolean;
  verification_nonce?: string;
}

/** GET sys/rekey/verify, PUT before the threshold of new shares, DELETE. */
export interface RekeyVerifyStatus {
  nonce: string;
  started: boolean;
  t: number;
  n: number;
  progress: number;
}

/** GET sys/rekey/backup (envelope data). */
export interface RekeyBackup {
  nonce: string;
  keys: Record<string, string[]>;
  keys_base64: Record<string, string[]>;
}

/** The body of PUT sys/rekey/init, as parsed JSON. */
export interface RekeyInitRequest {
  secret_shares?: unknown;
  secret_threshold?: unknown;
  pgp_keys?: unknown;
  backup?: unknown;
  require_verification?: unknown;
  stored_shares?: unknown;
}

interface Attempt {
  nonce: string;
  createdMs: number;
  shares: number;
  threshold: number;
  recipients: PgpPublicKey[];
  fingerprints: string[];
  backup: boolean;
  verificationRequired: boolean;
  /** Current shares entered so far. */
  progress: Buffer[];
  /** The new root key while verification is pending. */
  verificationKey?: Buffer;
  verificationNonce: string;
  /** New shares entered back so far. */
  verificationProgress: Buffer[];
}

/** Stored at UNSEAL_KEYS_BACKUP_PATH; field names as Vault's RekeyBackup struct. */
interface StoredBackup {
  Nonce: string;
  Keys: Record<string, string[]>;
}

function boolField(value: unknown, name: string): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === '1' || value === 1) return true;
  if (value === 'false' || value === '0' || value === 0 || value === '') return false;
  throw new InvalidRequestError(`${name} must be a boolean`);
}

function wipe(buffers: Buffer[]): void {
  for (const b of buffers) b.fill(0);
}

export interface RekeyDeps {
  seal: Pick<SealManager, 'sealed' | 'initialized' | 'config' | 'replaceRootKey' | 'verifyRootKey' | 'unsealKeyLength' | 'onSeal'>;
  physical: StorageBackend;
  now?: () => number;
}

export function createRekeyOperation(deps: RekeyDeps) {
  const { seal, physical } = deps;
  const now = deps.now ?? Date.now;
  let attempt: Attempt | undefined;
  // One rekey step at a time (Vault's rekeyLock).
  const lock = createKeyedMutex();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => lock.run('rekey', work);

  function clear(): void {
    if (!attempt) return;
    wipe(attempt.progress);
    wipe(attempt.verificationProgress);
    attempt.verificationKey?.fill(0);
    attempt = undefined;
  }
  // Sealing forgets the attempt and its shares; pending new shares never take effect.
  seal.onSeal.push(async () => clear());

  /** The current seal configuration, or Vault's errors for an uninitialised or sealed node. */
  async function current(): Promise<{ shares: number; threshold: number }> {
    if (!(await seal.initialized())) throw new InvalidRequestError('server is not yet initialized');
    if (seal.sealed) throw new SealedError();
    const config = await seal.config();
    if (!config) throw new InvalidRequestError('server is not yet initialized');
    return { shares: config.secret_shares, threshold: config.secret_threshold };
  }

  function statusOf(required: number): RekeyStatus {
    const a = attempt;
    const s: RekeyStatus = {
      nonce: a?.nonce ?? '', started: a !== undefined, t: a?.threshold ?? 0, n: a?.shares ?? 0, progress: a?.progress.length ?? 0,
      required, pgp_fingerprints: a && a.fingerprints.length > 0 ? [...a.fingerprints] : null,
      backup: a !== undefined && a.fingerprints.length > 0 && a.backup, verification_required: a?.verificationRequired ?? false,
    };
    if (a?.verificationNonce) s.verification_nonce = a.verificationNonce;
    return s;
  }

  async function status(): Promise<RekeyStatus> {
    const { threshold } = await current();
    return statusOf(threshold);
  }

  async function init(request: RekeyInitRequest): Promise<RekeyStatus> {
    const shares = intField(request.secret_shares, 'secret_shares');
    const threshold = intField(request.secret_threshold, 'secret_threshold');
    const backup = boolField(request.backup, 'backup');
    const verificationRequired = boolField(request.require_verification, 'require_verification');
    const pgpInput = request.pgp_keys ?? [];
    if (!Array.isArray(pgpInput)) throw new InvalidRequestError('pgp_keys must be a list of PGP public keys');
    if (backup && pgpInput.length === 0) {
      throw new InvalidRequestError('cannot request a backup of the new keys without providing PGP keys for encryption');
    }
    if (pgpInput.length > 0 && pgpInput.length !== shares) throw new InvalidRequestError('incorrect number of PGP keys for rekey');
    if (threshold > shares) throw new InvalidRequestError('provided threshold greater than the total shares');
    const problem = sealConfigProblem(shares, threshold);
    if (problem) throw new InvalidRequestError(`invalid rekey seal configuration: ${problem}`);
    const recipients = await Promise.all(pgpInput.map((key, i) => parsePgpPublicKey(key, `pgp_keys[${i}]`)));
    return exclusive(async () => {
      const { threshold: required } = await current();
      if (attempt) throw new InvalidRequestError('rekey already in progress');
      attempt = {
        nonce: randomUUID(), createdMs: now(), shares, threshold, recipients, fingerprints: recipients.map(pgpFingerprint),
        backup, verificationRequired, progress: [], verificationNonce: '', verificationProgress: [],
      };
      return statusOf(required);
    });
  }

  /**
   * Cancels the attempt. Within ten minutes of its start the caller must give its nonce (Vault
   * 1.17.18+: otherwise anyone could cancel an operator's rekey); after that, or with none running,
   * no nonce is needed.
   */
  function cancel(nonce: string | undefined): Promise<void> {
    return exclusive(async () => {
      await current();
      if (!attempt) return;
      const withinWindow = now() - attempt.createdMs < CANCEL_NONCE_WINDOW_MS;
      if (withinWindow && nonce !== attempt.nonce) throw new InvalidRequestError('invalid request');
      clear();
    });
  }

  /** Decodes a share and checks Vault's length bounds (16..33 bytes); the exact length comes later. */
  function decodeShare(input: unknown): Buffer {
    if (typeof input !== 'string' || input === '') throw new InvalidRequestError("'key' must be specified in request body as JSON");
    const key = decodeUnsealKey(input);
    try {
      assertKeyLength(key, key.length);
    } catch (err) {
      key.fill(0);
      throw err;
    }
    return key;
  }

  /** Splits (and PGP-encrypts) a new root key the way the attempt asks; stores the backup. */
  async function distribute(a: Attempt, newKey: Buffer): Promise<RekeyResult> {
    const raw = a.shares === 1 ? [Buffer.from(newKey)] : split(newKey, a.shares, a.threshold).map((s) => Buffer.from(s));
    try {
      let out: Uint8Array[] = raw;
      if (a.recipients.length > 0) {
        // Like Vault, each holder's PGP message holds the hex form of the share.
        try {
          out = await Promise.all(raw.map((share, i) => encryptToPgpKey(a.recipients[i]!, new TextEncoder().encode(share.toString('hex')))));
        } catch (err) {
          throw new InternalError('failed to encrypt shares', { cause: err });
        }
        if (a.backup) {
          const keys: Record<string, string[]> = {};
          out.forEach((ct, i) => (keys[a.fingerprints[i]!] ??= []).push(Buffer.from(ct).toString('hex')));
          const stored: StoredBackup = { Nonce: a.nonce, Keys: keys };
          await physical.put(UNSEAL_KEYS_BACKUP_PATH, encodeJSON(stored));
        }
      }
      return {
        nonce: a.nonce, complete: true,
        keys: out.map((s) => Buffer.from(s).toString('hex')), keys_base64: out.map((s) => Buffer.from(s).toString('base64')),
        pgp_fingerprints: a.fingerprints.length > 0 ? [...a.fingerprints] : null, backup: a.backup && a.fingerprints.length > 0,
        verification_required: a.verificationRequired,
      };
    } finally {
      wipe(raw);
    }
  }

  /** PUT sys/rekey/update: one current share; at the threshold the new shares are returned. */
  function update(keyInput: unknown, nonce: unknown): Promise<RekeyStatus | RekeyResult> {
    return exclusive(async () => {
      const { threshold: required } = await current();
      const key = decodeShare(keyInput);
      let owned: Buffer | undefined = key;
      try {
        const a = attempt;
        if (!a) throw new InvalidRequestError('no barrier rekey in progress');
        if (a.verificationKey) {
          throw new InvalidRequestError(`rekey operation already finished; verification must be performed; nonce for the verification operation is "${a.verificationNonce}"`);
        }
        if (nonce !== a.nonce) throw new InvalidRequestError(`incorrect nonce supplied; nonce for this rekey operation is "${a.nonce}"`);
        // A share of the wrong size can never combine: refuse it before it counts.
        assertKeyLength(key, await seal.unsealKeyLength());
        if (a.progress.some((existing) => existing.length === key.length && timingSafeEqual(existing, key))) {
          throw new InvalidRequestError('given key has already been provided during this generation operation');
        }
        a.progress.push(key);
        owned = undefined;
        if (a.progress.length < required) return statusOf(required);

        // Threshold reached: whatever happens next, these shares are spent.
        const entered = a.progress;
        a.progress = [];
        await checkQuorum(entered, (k) => seal.verifyRootKey(k), '');

        const newKey = Buffer.alloc(ROOT_KEY_BYTES);
        randomBytes(ROOT_KEY_BYTES).copy(newKey);
        let result: RekeyResult;
        try {
          result = await distribute(a, newKey);
        } catch (err) {
          newKey.fill(0);
          throw err;
        }
        if (a.verificationRequired) {
          a.verificationKey = newKey;
          a.verificationNonce = randomUUID();
          result.verification_nonce = a.verificationNonce;
          return result;
        }
        try {
          await seal.replaceRootKey(newKey, a.shares, a.threshold);
        } finally {
          newKey.fill(0);
        }
        if (attempt === a) clear();
        return result;
      } finally {
        owned?.fill(0);
      }
    });
  }

  function verifyStatusOf(a: Attempt): RekeyVerifyStatus {
    return { nonce: a.verificationNonce, started: a.verificationKey !== undefined, t: a.threshold, n: a.shares, progress: a.verificationProgress.length };
  }

  async function verifyStatus(): Promise<RekeyVerifyStatus> {
    await current();
    if (!attempt) throw new InvalidRequestError('no rekey configuration found');
    return verifyStatusOf(attempt);
  }

  /** DELETE sys/rekey/verify: forget the new shares entered so far, with a fresh verification nonce. */
  function verifyRestart(): Promise<RekeyVerifyStatus> {
    return exclusive(async () => {
      await current();
      if (attempt) {
        wipe(attempt.verificationProgress);
        attempt.verificationProgress = [];
        if (attempt.verificationKey) attempt.verificationNonce = randomUUID();
      }
      return verifyStatus();
    });
  }

  /** PUT sys/rekey/verify: one new share; at the new threshold the new shares take effect. */
  function verify(keyInput: unknown, nonce: unknown): Promise<RekeyVerifyStatus | { nonce: string; complete: true }> {
    return exclusive(async () => {
      await current();
      const key = decodeShare(keyInput);
      let owned: Buffer | undefined = key;
      try {
        const a = attempt;
        if (!a) throw new InvalidRequestError('no rekey in progress');
        if (!a.verificationKey) throw new InvalidRequestError('no rekey verification in progress');
        if (nonce !== a.verificationNonce) throw new InvalidRequestError(`incorrect nonce supplied; nonce for this verify operation is "${a.verificationNonce}"`);
        assertKeyLength(key, a.shares === 1 && a.threshold === 1 ? ROOT_KEY_BYTES : ROOT_KEY_BYTES + 1);
        if (a.verificationProgress.some((existing) => existing.length === key.length && timingSafeEqual(existing, key))) {
          throw new InvalidRequestError('given key has already been provided during this verify operation');
        }
        a.verificationProgress.push(key);
        owned = undefined;
        if (a.verificationProgress.length < a.threshold) return verifyStatusOf(a);

        const entered = a.verificationProgress;
        a.verificationProgress = [];
        let combined: Uint8Array | undefined;
        let matches = false;
        try {
          try {
            combined = a.threshold === 1 ? Buffer.from(entered[0]!) : combine(entered);
          } catch (err) {
            throw new InvalidRequestError(`failed to compute key for verification: ${(err as Error).message}`);
          }
          matches = combined.length === a.verificationKey.length && timingSafeEqual(combined, a.verificationKey);
        } finally {
          combined?.fill(0);
          wipe(entered);
          // A failed round starts over with a new nonce (Vault rotates it too).
          if (!matches) a.verificationNonce = randomUUID();
        }
        if (!matches) throw new InvalidRequestError('rekey verification failed; incorrect key shares supplied');
        await seal.replaceRootKey(a.verificationKey, a.shares, a.threshold);
        const done = { nonce: a.verificationNonce, complete: true as const };
        if (attempt === a) clear();
        return done;
      } finally {
        owned?.fill(0);
      }
    });
  }

  /** GET sys/rekey/backup: the stored PGP-encrypted shares by key fingerprint (hex and base64). */
  async function retrieveBackup(): Promise<RekeyBackup> {
    if (seal.sealed) throw new SealedError();
    const stored = await getJSON<StoredBackup>(physical, UNSEAL_KEYS_BACKUP_PATH);
    if (!stored) throw new InvalidRequestError('no backed-up keys found');
    const keysBase64: Record<string, string[]> = {};
    for (const [fp, list] of Object.entries(stored.Keys)) keysBase64[fp] = list.map((hex) => Buffer.from(hex, 'hex').toString('base64'));
    return { nonce: stored.Nonce, keys: stored.Keys, keys_base64: keysBase64 };
  }

  async function deleteBackup(): Promise<void> {
    if (seal.sealed) throw new SealedError();
    await physical.delete(UNSEAL_KEYS_BACKUP_PATH);
  }

  return { status, init, cancel, update, verifyStatus, verify, verifyRestart, retrieveBackup, deleteBackup, clear };
}

export type RekeyOperation = ReturnType<typeof createRekeyOperation>;
