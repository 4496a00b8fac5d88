// Decoding an unseal key as Vault's sys/unseal does: hex is tried first and used only when its
// decoded length is a plausible key length (16..33 bytes), otherwise standard base64.
import { combine } from '../crypto/shamir.js';
import { InvalidRequestError } from '../errors.js';

export const MIN_KEY_BYTES = 16;
export const MAX_KEY_BYTES = 33; // 32-byte key + the Shamir x-coordinate byte

const HEX = /^(?:[0-9a-fA-F]{2})+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** Copies into a Buffer.alloc'd buffer (never the shared pool) and wipes the temporary. */
function ownedCopy(temp: Buffer): Buffer {
  const out = Buffer.alloc(temp.length);
  temp.copy(out);
  temp.fill(0);
  return out;
}

export function decodeUnsealKey(input: unknown): Buffer {
  if (typeof input !== 'string' || input === '') {
    throw new InvalidRequestError("'key' must be specified in request body as JSON, or 'reset' set to true");
  }
  const hexBytes = input.length / 2;
  if (HEX.test(input) && hexBytes >= MIN_KEY_BYTES && hexBytes <= MAX_KEY_BYTES) {
    return ownedCopy(Buffer.from(input, 'hex'));
  }
  // Standard, padded base64 only, as Go's base64.StdEncoding accepts.
  if (BASE64.test(input) && input.length % 4 === 0) {
    return ownedCopy(Buffer.from(input, 'base64'));
  }
  throw new InvalidRequestError("'key' must be a valid hex or base64 string");
}

export function assertKeyLength(key: Uint8Array, expected: number): void {
  if (key.length < MIN_KEY_BYTES) throw new InvalidRequestError(`invalid key: key is shorter than minimum ${MIN_KEY_BYTES} bytes`);
  if (key.length > MAX_KEY_BYTES) throw new InvalidRequestError(`invalid key: key is longer than maximum ${MAX_KEY_BYTES} bytes`);
  if (key.length !== expected) throw new InvalidRequestError(`invalid key: expected a ${expected}-byte key, got ${key.length} bytes`);
}

/**
 * Combines a quorum of entered shares and checks the result opens the barrier; `prefix` begins the
 * verification failure message (Vault words it per operation). The shares and the combined key are
 * wiped whatever happens: once a threshold was entered, those shares are spent.
 */
export async function checkQuorum(entered: Buffer[], verify: (rootKey: Uint8Array) => Promise<boolean>, prefix: string): Promise<void> {
  let rootKey: Uint8Array | undefined;
  try {
    try {
      rootKey = entered.length === 1 ? Buffer.from(entered[0]!) : combine(entered);
    } catch (err) {
      throw new InvalidRequestError(`failed to compute root key: ${(err as Error).message}`);
    }
    if (!(await verify(rootKey))) throw new InvalidRequestError(`${prefix}root key verification failed: Unseal failed, invalid key`);
  } finally {
    rootKey?.fill(0);
    for (const k of entered) k.fill(0);
  }
}
