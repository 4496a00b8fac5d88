// The security barrier: a Storage that encrypts every value (AES-256-GCM, path as AAD, key term
// prefix) before it reaches the physical backend, so storage only ever holds ciphertext. The
// keyring lives at `core/keyring`, encrypted under the root key; sealing wipes every key.
import type { Storage, StorageBackend, StorageOp } from '../../storage/backend.js';
import { AppError, InvalidRequestError, PermissionDeniedError, SealedError } from '../errors.js';
import { DecryptionFailedError, decryptEntry, encryptEntry, entryTerm } from './entry-cipher.js';
import { KEY_BYTES, Keyring } from './keyring.js';

export const KEYRING_PATH = 'core/keyring';
/** Term written on the keyring blob: it is encrypted by the root key, not a keyring key. */
const ROOT_KEY_TERM = 0;
/** Physical paths written in plaintext by the seal, never through the barrier. */
const RESERVED_PATHS = new Set([KEYRING_PATH, 'core/seal-config', 'core/recovery-config', 'core/unseal-keys-backup']);

export interface KeyStatus {
  term: number;
  install_time: string;
  encryptions: number;
}

/** Constant message for a wrong root key: nothing about why it failed. */
export class InvalidRootKeyError extends InvalidRequestError {
  constructor() {
    super('cipher: message authentication failed');
  }
}

function copyKey(rootKey: Uint8Array): Buffer {
  if (!(rootKey instanceof Uint8Array) || rootKey.length !== KEY_BYTES) {
    throw new InvalidRequestError(`root key must be ${KEY_BYTES} bytes`);
  }
  const copy = Buffer.alloc(KEY_BYTES);
  copy.set(rootKey);
  return copy;
}

function assertWritable(key: string): void {
  if (RESERVED_PATHS.has(key)) throw new PermissionDeniedError(`cannot write reserved path "${key}"`);
}

export class Barrier implements Storage {
  readonly #physical: StorageBackend;
  #keyring: Keyring | undefined;
  #rootKey: Buffer | undefined;
  // Serialises keyring rewrites (rotate, rekey, reload) so two never race.
  #keyringWrites: Promise<unknown> = Promise.resolve();

  constructor(physical: StorageBackend) {
    this.#physical = physical;
  }

  get sealed(): boolean {
    return this.#keyring === undefined;
  }

  async initialized(): Promise<boolean> {
    return (await this.#physical.get(KEYRING_PATH)) !== undefined;
  }

  /** Creates and stores a fresh keyring under `rootKey`. The barrier stays sealed. */
  async initialize(rootKey: Uint8Array): Promise<void> {
    const root = copyKey(rootKey);
    try {
      if (await this.initialized()) throw new InvalidRequestError('Vault is already initialized');
      const keyring = Keyring.create();
      try {
        await this.#physical.put(KEYRING_PATH, this.#sealKeyring(keyring, root));
      } finally {
        keyring.zero();
      }
    } finally {
      root.fill(0);
    }
  }

  async unseal(rootKey: Uint8Array): Promise<void> {
    if (!this.sealed) return;
    const root = copyKey(rootKey);
    try {
      const keyring = await this.#loadKeyring(root);
      if (!this.sealed) {
        // A concurrent unseal won; keep its state.
        keyring.zero();
        root.fill(0);
        return;
      }
      this.#keyring = keyring;
      this.#rootKey = root;
    } catch (err) {
      root.fill(0);
      throw err;
    }
  }

  /** True when `rootKey` decrypts the stored keyring (for flows that must prove key possession). */
  async verifyRootKey(rootKey: Uint8Array): Promise<boolean> {
    const root = copyKey(rootKey);
    try {
      (await this.#loadKeyring(root)).zero();
      return true;
    } catch (err) {
      if (err instanceof InvalidRootKeyError) return false;
      throw err;
    } finally {
      root.fill(0);
    }
  }

  seal(): void {
    this.#keyring?.zero();
    this.#keyring = undefined;
    this.#rootKey?.fill(0);
    this.#rootKey = undefined;
  }

  keyStatus(): KeyStatus {
    const active = this.#unsealedKeyring().active;
    return { term: active.term, install_time: active.installTime.toISOString(), encryptions: active.encryptions };
  }

  /** Adds a new key term; new writes use it, old entries stay readable. */
  rotate(): Promise<{ term: number; installTime: string }> {
    return this.#withKeyringLock(async () => {
      const current = this.#unsealedKeyring();
      const next = current.withNewTerm();
      try {
        await this.#physical.put(KEYRING_PATH, this.#sealKeyring(next, this.#unsealedRootKey()));
      } catch (err) {
        next.discardNewTerm();
        throw err;
      }
      if (this.#keyring !== current) {
        // Sealed (and wiped) while the write was in flight.
        next.discardNewTerm();
        throw new SealedError();
      }
      this.#keyring = next;
      return { term: next.active.term, installTime: next.active.installTime.toISOString() };
    });
  }

  /**
   * Re-encrypts the keyring under a new root key (rekey). Data entries are untouched. `alongside`
   * are physical writes (the seal configuration) committed in the same storage transaction, so the
   * stored keyring and the share count/threshold never disagree.
   */
  rekeyRootKey(newRootKey: Uint8Array, alongside: StorageOp[] = []): Promise<void> {
    const root = copyKey(newRootKey);
    return this.#withKeyringLock(async () => {
      try {
        const keyring = this.#unsealedKeyring();
        const sealed = this.#sealKeyring(keyring, root);
        if (alongside.length === 0) await this.#physical.put(KEYRING_PATH, sealed);
        else await this.#physical.transaction([{ type: 'put', key: KEYRING_PATH, value: sealed }, ...alongside]);
        if (this.#keyring !== keyring) throw new SealedError();
      } catch (err) {
        root.fill(0);
        throw err;
      }
      this.#rootKey?.fill(0);
      this.#rootKey = root;
    });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.#unsealedKeyring();
    const entry = await this.#physical.get(key);
    if (entry === undefined) return undefined;
    const term = entryTerm(entry);
    if (term === undefined || term === ROOT_KEY_TERM) throw new DecryptionFailedError();
    let keyTerm = this.#unsealedKeyring().term(term);
    // Another node sharing this storage may have rotated: pick up its keyring once.
    if (keyTerm === undefined) keyTerm = (await this.#reloadKeyring()).term(term);
    if (keyTerm === undefined) throw new DecryptionFailedError();
    return decryptEntry(keyTerm.key, key, entry);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    assertWritable(key);
    await this.#physical.put(key, this.#encrypt(key, value));
  }

  async delete(key: string): Promise<void> {
    assertWritable(key);
    this.#unsealedKeyring();
    await this.#physical.delete(key);
  }

  async list(prefix: string): Promise<string[]> {
    this.#unsealedKeyring();
    return this.#physical.list(prefix);
  }

  async transaction(ops: StorageOp[]): Promise<void> {
    for (const op of ops) assertWritable(op.key);
    const encrypted = ops.map((op): StorageOp => (op.type === 'put' ? { type: 'put', key: op.key, value: this.#encrypt(op.key, op.value) } : op));
    await this.#physical.transaction(encrypted);
  }

  #encrypt(key: string, value: Uint8Array): Uint8Array {
    if (!(value instanceof Uint8Array)) throw new TypeError('storage value must be a Uint8Array');
    const active = this.#unsealedKeyring().active;
    active.encryptions++;
    return encryptEntry(active.term, active.key, key, value);
  }

  #unsealedKeyring(): Keyring {
    if (this.#keyring === undefined) throw new SealedError();
    return this.#keyring;
  }

  #unsealedRootKey(): Buffer {
    if (this.#rootKey === undefined) throw new SealedError();
    return this.#rootKey;
  }

  #sealKeyring(keyring: Keyring, root: Uint8Array): Uint8Array {
    const plain = keyring.serialize();
    try {
      return encryptEntry(ROOT_KEY_TERM, root, KEYRING_PATH, plain);
    } finally {
      plain.fill(0);
    }
  }

  async #loadKeyring(root: Uint8Array): Promise<Keyring> {
    const blob = await this.#physical.get(KEYRING_PATH);
    if (blob === undefined) throw new AppError('ERR_NOT_INITIALIZED', 'Vault is not initialized');
    let plain: Uint8Array;
    try {
      plain = decryptEntry(root, KEYRING_PATH, blob);
    } catch (err) {
      if (err instanceof DecryptionFailedError) throw new InvalidRootKeyError();
      throw err;
    }
    try {
      return Keyring.parse(plain);
    } finally {
      plain.fill(0);
    }
  }

  #reloadKeyring(): Promise<Keyring> {
    return this.#withKeyringLock(async () => {
      const current = this.#unsealedKeyring();
      const fresh = await this.#loadKeyring(this.#unsealedRootKey());
      if (this.#keyring !== current) {
        fresh.zero();
        return this.#unsealedKeyring();
      }
      // Carry over in-memory encryption counts the stored copy may not have yet.
      for (let term = 1; term <= fresh.active.term; term++) {
        const old = current.term(term);
        const now = fresh.term(term);
        if (old && now) now.encryptions = Math.max(now.encryptions, old.encryptions);
      }
      current.zero();
      this.#keyring = fresh;
      return fresh;
    });
  }

  #withKeyringLock<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#keyringWrites.then(work, work);
    this.#keyringWrites = run.catch(() => undefined);
    return run;
  }
}
