// Init, unseal and seal with a Shamir-split root key, as Vault's sys/init, sys/unseal, sys/seal
// and sys/seal-status behave. The combined shares are the root key that opens the barrier's
// keyring; key material lives only in Buffers that are zeroed after use, on reset and on seal.
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { StorageBackend } from '../../storage/backend.js';
import { encodeJSON, getJSON, putJSON } from '../../storage/json.js';
import { InvalidRootKeyError, type Barrier } from '../barrier/barrier.js';
import { combine, split } from '../crypto/shamir.js';
import { AppError, InternalError, InvalidRequestError, SealedError } from '../errors.js';
import { encryptToPgpKey, parsePgpPublicKey } from './pgp.js';
import { type InitRequest, type SealConfig, SEAL_CONFIG_PATH, readSealConfig, validateInitRequest, writeSealConfig } from './seal-config.js';
import { assertKeyLength, decodeUnsealKey } from './unseal-key.js';

const ROOT_KEY_BYTES = 32;
const CLUSTER_INFO_PATH = 'core/cluster/local/info';

/** The sys/seal-status body, fields in Vault's order. */
export interface SealStatus {
  type: 'shamir';
  initialized: boolean;
  sealed: boolean;
  t: number;
  n: number;
  progress: number;
  nonce: string;
  version: string;
  build_date: string;
  migration: boolean;
  cluster_name?: string;
  cluster_id?: string;
  recovery_seal: boolean;
  storage_type: string;
}

export interface InitResult {
  keys: string[];
  keys_base64: string[];
  root_token?: string;
}

export type SealListener = () => Promise<void>;
/** Mints the root token once the barrier is open; `requestedId` is dev mode's -dev-root-token-id. */
export type CreateRootToken = (requestedId?: string) => Promise<string>;

export interface InitializeOptions {
  createRootToken?: CreateRootToken;
  /** Vault leaves a Shamir-sealed node sealed after init; dev mode keeps it unsealed. */
  stayUnsealed?: boolean;
}

export interface SealManagerOptions {
  physical: StorageBackend;
  barrier: Barrier;
  /** Reported as `version`; clients such as the Terraform provider gate features on a Vault version. */
  version?: string;
  buildDate?: string;
  /** Cluster name to record at first unseal (default `vault-cluster-<8 hex>`). */
  clusterName?: string;
  onUnseal?: SealListener[];
  onSeal?: SealListener[];
}

interface ClusterInfo {
  name: string;
  id: string;
}

export const DEFAULT_VERSION = '1.17.0+coffer';

export function createSealManager(options: SealManagerOptions) {
  const { physical, barrier } = options;
  const version = options.version ?? DEFAULT_VERSION;
  const buildDate = options.buildDate ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const onUnseal: SealListener[] = [...(options.onUnseal ?? [])];
  const onSeal: SealListener[] = [...(options.onSeal ?? [])];

  let config: SealConfig | undefined;
  let cluster: ClusterInfo | undefined;
  // Unseal progress: the distinct keys entered so far and the attempt's nonce.
  let pending: Buffer[] = [];
  let attemptNonce = '';
  // State changes (init, unseal, seal, reset) run one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };

  async function loadConfig(): Promise<SealConfig | undefined> {
    config ??= await readSealConfig(physical);
    return config;
  }

  function clearProgress(): void {
    for (const key of pending) key.fill(0);
    pending = [];
    attemptNonce = '';
  }

  async function status(): Promise<SealStatus> {
    const initialized = await barrier.initialized();
    const current = initialized ? await loadConfig() : undefined;
    const sealed = barrier.sealed;
    return {
      type: 'shamir',
      initialized,
      sealed,
      t: current?.secret_threshold ?? 0,
      n: current?.secret_shares ?? 0,
      progress: sealed ? pending.length : 0,
      nonce: sealed ? attemptNonce : '',
      version,
      build_date: buildDate,
      migration: false,
      ...(!sealed && cluster ? { cluster_name: cluster.name, cluster_id: cluster.id } : {}),
      recovery_seal: false,
      storage_type: physical.kind,
    };
  }

  async function runListeners(listeners: SealListener[]): Promise<unknown[]> {
    const errors: unknown[] = [];
    for (const listener of listeners) {
      try {
        await listener();
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }

  async function sealNow(): Promise<void> {
    clearProgress();
    if (barrier.sealed) return;
    // Tear-down runs while storage is still readable; the barrier seals whatever they report.
    await runListeners(onSeal);
    barrier.seal();
    cluster = undefined;
  }

  /** Opens the barrier, records cluster identity, and runs the post-unseal listeners. */
  async function openBarrier(rootKey: Uint8Array): Promise<void> {
    await barrier.unseal(rootKey);
    try {
      let info = await getJSON<ClusterInfo>(barrier, CLUSTER_INFO_PATH);
      if (!info) {
        info = { name: options.clusterName ?? `vault-cluster-${randomBytes(4).toString('hex')}`, id: randomUUID() };
        await putJSON(barrier, CLUSTER_INFO_PATH, info);
      }
      cluster = info;
      const errors = await runListeners(onUnseal);
      if (errors.length > 0) throw new InternalError('post-unseal setup failed', { cause: errors[0] });
    } catch (err) {
      await sealNow();
      throw err;
    }
  }

  async function initialize(request: InitRequest, init: InitializeOptions = {}): Promise<InitResult> {
    const { shares, threshold, pgpKeys } = validateInitRequest(request);
    const recipients = await Promise.all(pgpKeys.map((key, i) => parsePgpPublicKey(key, `pgp_keys[${i}]`)));
    const rootTokenRecipient =
      request.root_token_pgp_key === undefined || request.root_token_pgp_key === ''
        ? undefined
        : await parsePgpPublicKey(request.root_token_pgp_key, 'root_token_pgp_key');
    // recovery_* apply only to auto-unseal seals; Vault ignores them for Shamir (its CLI always sends them).

    return exclusive(async () => {
      if (await barrier.initialized()) throw new InvalidRequestError('Vault is already initialized');
      const rootKey = Buffer.alloc(ROOT_KEY_BYTES);
      randomBytes(ROOT_KEY_BYTES).copy(rootKey);
      const rawShares = shares === 1 ? [Buffer.from(rootKey)] : split(rootKey, shares, threshold).map((s) => Buffer.from(s.buffer, s.byteOffset, s.length));
      try {
        let outShares: Uint8Array[] = rawShares;
        if (recipients.length > 0) {
          // Like Vault, each recipient gets the hex form of its share.
          outShares = await Promise.all(rawShares.map((share, i) => encryptToPgpKey(recipients[i]!, new TextEncoder().encode(share.toString('hex')))));
        }
        const result: InitResult = {
          keys: outShares.map((s) => Buffer.from(s).toString('hex')),
          keys_base64: outShares.map((s) => Buffer.from(s).toString('base64')),
        };

        const sealConfig: SealConfig = { type: 'shamir', secret_shares: shares, secret_threshold: threshold, nonce: '' };
        await writeSealConfig(physical, sealConfig);
        config = sealConfig;
        await barrier.initialize(rootKey);
        clearProgress();
        await openBarrier(rootKey);
        try {
          if (init.createRootToken) {
            const token = await init.createRootToken();
            result.root_token = rootTokenRecipient
              ? Buffer.from(await encryptToPgpKey(rootTokenRecipient, new TextEncoder().encode(token))).toString('base64')
              : token;
          }
        } finally {
          if (!init.stayUnsealed) await sealNow();
        }
        return result;
      } finally {
        rootKey.fill(0);
        for (const share of rawShares) share.fill(0);
      }
    });
  }

  function submitUnsealKey(input: string): Promise<SealStatus> {
    return exclusive(async () => {
      const current = (await barrier.initialized()) ? await loadConfig() : undefined;
      if (!current) throw new AppError('ERR_NOT_INITIALIZED', 'Vault is not initialized');
      if (!barrier.sealed) return status();

      const key = decodeUnsealKey(input);
      try {
        assertKeyLength(key, current.secret_threshold === 1 && current.secret_shares === 1 ? ROOT_KEY_BYTES : ROOT_KEY_BYTES + 1);
      } catch (err) {
        key.fill(0);
        throw err;
      }
      // Entering the same key twice does not count twice.
      if (pending.some((existing) => timingSafeEqual(existing, key))) {
        key.fill(0);
        return status();
      }
      if (pending.length === 0) attemptNonce = randomUUID();
      pending.push(key);
      if (pending.length < current.secret_threshold) return status();

      let rootKey: Uint8Array | undefined;
      try {
        rootKey = current.secret_threshold === 1 ? Buffer.from(pending[0]!) : combine(pending);
        await openBarrier(rootKey);
      } catch (err) {
        if (err instanceof InvalidRootKeyError) {
          throw new InvalidRequestError('Error unsealing: cipher: message authentication failed (unseal progress was reset)');
        }
        if (err instanceof AppError && err.code === 'ERR_INVALID_REQUEST') {
          throw new InvalidRequestError(`Error unsealing: ${err.message} (unseal progress was reset)`);
        }
        throw err;
      } finally {
        rootKey?.fill(0);
        clearProgress();
      }
      return status();
    });
  }

  function resetUnseal(): Promise<SealStatus> {
    return exclusive(async () => {
      if (!barrier.sealed) throw new InvalidRequestError('vault is unsealed');
      clearProgress();
      return status();
    });
  }

  /**
   * Rekey: re-encrypts the keyring under `newRootKey` and stores the new share count and threshold
   * in the same storage transaction, so the old shares stop working exactly when the new ones start.
   */
  function replaceRootKey(newRootKey: Uint8Array, shares: number, threshold: number): Promise<void> {
    return exclusive(async () => {
      if (barrier.sealed) throw new SealedError();
      const next: SealConfig = { type: 'shamir', secret_shares: shares, secret_threshold: threshold, nonce: '' };
      await barrier.rekeyRootKey(newRootKey, [{ type: 'put', key: SEAL_CONFIG_PATH, value: encodeJSON(next) }]);
      config = next;
    });
  }

  /** The length of one unseal key share: the root key itself (32) for 1-of-1, else 33. */
  async function unsealKeyLength(): Promise<number> {
    const current = await loadConfig();
    return current && current.secret_threshold === 1 && current.secret_shares === 1 ? ROOT_KEY_BYTES : ROOT_KEY_BYTES + 1;
  }

  async function initializeDev(dev: { rootTokenId?: string; createRootToken?: CreateRootToken } = {}): Promise<InitResult> {
    const mint = dev.createRootToken;
    return initialize(
      { secret_shares: 1, secret_threshold: 1 },
      { stayUnsealed: true, createRootToken: mint ? () => mint(dev.rootTokenId) : undefined },
    );
  }

  return {
    status,
    initialize,
    initializeDev,
    submitUnsealKey,
    resetUnseal,
    /** Runs the onSeal listeners, then wipes the barrier keys and any unseal progress. */
    seal: (): Promise<void> => exclusive(sealNow),
    initialized: (): Promise<boolean> => barrier.initialized(),
    get sealed(): boolean {
      return barrier.sealed;
    },
    /** The stored seal configuration (undefined before init). */
    config: loadConfig,
    replaceRootKey,
    unsealKeyLength,
    /** True when `rootKey` opens the stored keyring (generate-root and rekey prove key possession with it). */
    verifyRootKey: (rootKey: Uint8Array): Promise<boolean> => barrier.verifyRootKey(rootKey),
    /** Async callbacks run in order after every unseal (load mounts, policies…); push to add. */
    onUnseal,
    /** Async callbacks run in order before every seal (tear down); push to add. */
    onSeal,
  };
}

export type SealManager = ReturnType<typeof createSealManager>;
