// Root token generation (Vault's sys/generate-root/*): a quorum of unseal key holders mints a new
// root token without any existing token. The token never travels in clear: it is XORed with a
// one-time password the initiator keeps (the server can generate it, and then returns it only in
// the answer to the request that started the attempt), or encrypted to the initiator's PGP key.
//
// State lives in memory only, like Vault's: sealing (or a restart) forgets the attempt, and the
// shares entered are held in Buffers that are zeroed when they are used or the attempt ends.
import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createKeyedMutex } from '../../lib/keyed-mutex.js';
import { randomBase62 } from '../../lib/ids.js';
import { encodeRootToken, ROOT_TOKEN_OTP_LENGTH } from '../../lib/root-token.js';
import { InternalError, InvalidRequestError, SealedError } from '../errors.js';
import { encryptToPgpKey, parsePgpPublicKey, pgpFingerprint, type PgpPublicKey } from './pgp.js';
import type { SealManager } from './seal-manager.js';
import { assertKeyLength, checkQuorum, decodeUnsealKey } from './unseal-key.js';

const OTP_LENGTH = ROOT_TOKEN_OTP_LENGTH;

/** GET/PUT/DELETE sys/generate-root/attempt and PUT sys/generate-root/update; Vault's field order. */
export interface GenerateRootStatus {
  nonce: string;
  started: boolean;
  progress: number;
  required: number;
  complete: boolean;
  encoded_token: string;
  encoded_root_token: string;
  pgp_fingerprint: string;
  otp: string;
  otp_length: number;
}

interface Attempt {
  nonce: string;
  otp?: string;
  pgpKey?: PgpPublicKey;
  fingerprint: string;
  progress: Buffer[];
}

export interface RootGenerationDeps {
  seal: Pick<SealManager, 'sealed' | 'initialized' | 'config' | 'verifyRootKey' | 'unsealKeyLength' | 'onSeal'>;
  /** Mints a root token (the token store must be running: throws SealedError otherwise). */
  createRootToken(): Promise<string>;
  /** Revokes a just-minted token that could not be handed out. */
  revokeToken?(token: string): Promise<void>;
}

export function createRootGeneration(deps: RootGenerationDeps) {
  const { seal } = deps;
  let attempt: Attempt | undefined;
  const lock = createKeyedMutex();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => lock.run('generate-root', work);

  function clear(): void {
    if (!attempt) return;
    for (const k of attempt.progress) k.fill(0);
    attempt = undefined;
  }
  seal.onSeal.push(async () => clear());

  async function required(): Promise<number> {
    if (!(await seal.initialized())) throw new InvalidRequestError('server is not yet initialized');
    if (seal.sealed) throw new SealedError();
    const config = await seal.config();
    if (!config) throw new InvalidRequestError('server is not yet initialized');
    return config.secret_threshold;
  }

  function statusOf(threshold: number, otp = ''): GenerateRootStatus {
    return {
      nonce: attempt?.nonce ?? '', started: attempt !== undefined, progress: attempt?.progress.length ?? 0, required: threshold,
      complete: false, encoded_token: '', encoded_root_token: '', pgp_fingerprint: attempt?.fingerprint ?? '', otp, otp_length: OTP_LENGTH,
    };
  }

  async function status(): Promise<GenerateRootStatus> {
    return statusOf(await required());
  }

  /**
   * PUT sys/generate-root/attempt. With neither `otp` nor `pgp_key` the server generates the OTP and
   * returns it (this is the only time it is shown).
   */
  async function init(body: { otp?: unknown; pgp_key?: unknown }): Promise<GenerateRootStatus> {
    const otpIn = body.otp ?? '';
    const pgpIn = body.pgp_key ?? '';
    if (typeof otpIn !== 'string') throw new InvalidRequestError('otp must be a string');
    if (typeof pgpIn !== 'string') throw new InvalidRequestError('pgp_key must be a string');
    if (otpIn !== '' && pgpIn !== '') throw new InvalidRequestError('only one of otp and pgp_key may be given');
    let otp = otpIn;
    let generated = '';
    let pgpKey: PgpPublicKey | undefined;
    if (pgpIn !== '') {
      pgpKey = await parsePgpPublicKey(pgpIn, 'pgp_key');
    } else if (otp === '') {
      otp = randomBase62(OTP_LENGTH);
      generated = otp;
    } else if (otp.length !== OTP_LENGTH) {
      throw new InvalidRequestError('OTP string is wrong length');
    }
    return exclusive(async () => {
      const threshold = await required();
      if (attempt) throw new InvalidRequestError('root generation already in progress');
      attempt = { nonce: randomUUID(), fingerprint: pgpKey ? pgpFingerprint(pgpKey) : '', progress: [], ...(pgpKey ? { pgpKey } : { otp }) };
      return statusOf(threshold, generated);
    });
  }

  function cancel(): Promise<void> {
    return exclusive(async () => {
      await required();
      clear();
    });
  }

  /** PUT sys/generate-root/update: one unseal key share; at the threshold, the encoded new root token. */
  function update(keyInput: unknown, nonce: unknown): Promise<GenerateRootStatus> {
    return exclusive(async () => {
      if (typeof keyInput !== 'string' || keyInput === '') throw new InvalidRequestError("'key' must be specified in request body as JSON");
      const key = decodeUnsealKey(keyInput);
      let owned: Buffer | undefined = key;
      try {
        assertKeyLength(key, key.length);
        const threshold = await required();
        const a = attempt;
        if (!a) throw new InvalidRequestError('no root generation in progress');
        if (nonce !== a.nonce) throw new InvalidRequestError(`incorrect nonce supplied; nonce for this root generation operation is "${a.nonce}"`);
        // A share of the wrong size can never combine: refuse it before it counts.
        assertKeyLength(key, await seal.unsealKeyLength());
        if (a.progress.some((existing) => existing.length === key.length && timingSafeEqual(existing, key))) {
          throw new InvalidRequestError('given key has already been provided during this generation operation');
        }
        a.progress.push(key);
        owned = undefined;
        const progress = a.progress.length;
        if (progress < threshold) return { ...statusOf(threshold), nonce: a.nonce, started: true, progress, otp_length: 0 };

        // Threshold reached: the shares are spent whatever happens next; the attempt stays open.
        const entered = a.progress;
        a.progress = [];
        await checkQuorum(entered, (k) => seal.verifyRootKey(k), 'root generation aborted: ');

        const token = await deps.createRootToken();
        let encoded: string;
        try {
          encoded = a.pgpKey
            ? Buffer.from(await encryptToPgpKey(a.pgpKey, new TextEncoder().encode(token))).toString('base64')
            : encodeRootToken(token, a.otp!);
        } catch (err) {
          await deps.revokeToken?.(token).catch(() => undefined);
          throw new InternalError('failed to encode the root token', { cause: err });
        }
        if (attempt === a) attempt = undefined;
        return {
          nonce: a.nonce, started: true, progress, required: threshold, complete: true, encoded_token: encoded, encoded_root_token: encoded,
          pgp_fingerprint: a.fingerprint, otp: '', otp_length: 0,
        };
      } finally {
        owned?.fill(0);
      }
    });
  }

  return { status, init, cancel, update, clear };
}

export type RootGeneration = ReturnType<typeof createRootGeneration>;
