// sys/tools/random[/:source][/:bytes]: random bytes from the platform CSPRNG, base64 or hex.
import { randomBytes as platformRandom } from 'node:crypto';
import { InvalidRequestError } from '../core/errors.js';

/** Vault's limit: at most 128 KiB per call. */
export const MAX_RANDOM_BYTES = 128 * 1024;

export type RandomSource = 'platform' | 'seal' | 'all';

export interface RandomBytesInput {
  /** Number of bytes (number or numeric string); default 32. */
  bytes?: unknown;
  /** 'base64' (default) or 'hex'. */
  format?: unknown;
  /** 'platform' (default), 'seal' or 'all'. */
  source?: unknown;
}

export interface RandomBytesOptions {
  /**
   * Entropy from the seal (an HSM, a KMS), for source=seal|all. Without it those sources are refused:
   * Coffer does not pretend the platform RNG is a seal's.
   */
  sealEntropy?: (n: number) => Promise<Uint8Array>;
}

function parseCount(v: unknown): number {
  if (v === undefined || v === null || v === '') return 32;
  const n = typeof v === 'string' && /^\s*-?\d+\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new InvalidRequestError('error parsing bytes: must be an integer');
  if (n < 1) throw new InvalidRequestError('number of bytes to generate must be at least 1');
  if (n > MAX_RANDOM_BYTES) throw new InvalidRequestError(`number of bytes to generate cannot be more than ${MAX_RANDOM_BYTES}`);
  return n;
}

/** Returns the response `data`: `{random_bytes}`. */
export async function randomBytes(input: RandomBytesInput = {}, opts: RandomBytesOptions = {}): Promise<{ random_bytes: string }> {
  const n = parseCount(input.bytes);
  const format = input.format === undefined || input.format === '' ? 'base64' : input.format;
  if (format !== 'base64' && format !== 'hex') throw new InvalidRequestError(`unsupported encoding format ${JSON.stringify(format)}; must be "base64" or "hex"`);
  const source = input.source === undefined || input.source === '' ? 'platform' : input.source;
  if (source !== 'platform' && source !== 'seal' && source !== 'all') {
    throw new InvalidRequestError(`unsupported entropy source ${JSON.stringify(source)}; must be "platform", "seal" or "all"`);
  }
  let out: Uint8Array;
  if (source === 'platform') {
    out = platformRandom(n);
  } else {
    if (!opts.sealEntropy) throw new InvalidRequestError(`entropy source "${source}" is not available: the seal provides no entropy`);
    const seal = await opts.sealEntropy(n);
    if (seal.length !== n) throw new InvalidRequestError('the seal returned the wrong number of random bytes');
    if (source === 'seal') out = seal;
    else {
      // "all": platform XOR seal, as Vault does: as strong as the stronger of the two.
      const plat = platformRandom(n);
      out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = plat[i]! ^ seal[i]!;
    }
  }
  return { random_bytes: Buffer.from(out.buffer, out.byteOffset, out.byteLength).toString(format) };
}
