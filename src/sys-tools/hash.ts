// sys/tools/hash[/:algorithm]: digest of base64 input with SHA-2 or SHA-3 (node:crypto).
import { createHash } from 'node:crypto';
import { InvalidRequestError } from '../core/errors.js';

/** Vault's algorithm names → OpenSSL digest names. */
const ALGORITHMS = {
  'sha2-224': 'sha224',
  'sha2-256': 'sha256',
  'sha2-384': 'sha384',
  'sha2-512': 'sha512',
  'sha3-224': 'sha3-224',
  'sha3-256': 'sha3-256',
  'sha3-384': 'sha3-384',
  'sha3-512': 'sha3-512',
} as const;

export type HashAlgorithm = keyof typeof ALGORITHMS;
export const HASH_ALGORITHMS = Object.keys(ALGORITHMS) as HashAlgorithm[];

export interface HashInput {
  /** base64 (standard alphabet, padded) of the bytes to hash. */
  input?: unknown;
  algorithm?: unknown;
  format?: unknown;
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes strict standard base64 (what Go's base64.StdEncoding accepts); throws otherwise. */
export function decodeStdBase64(text: string): Buffer {
  const t = text.replace(/[\r\n]/g, ''); // Go's decoder skips newlines
  if (!STD_BASE64.test(t)) throw new InvalidRequestError('unable to decode input as base64: illegal base64 data');
  return Buffer.from(t, 'base64');
}

/** Returns the response `data`: `{sum}`. */
export function hashInput(req: HashInput): { sum: string } {
  if (req.input === undefined || req.input === null) throw new InvalidRequestError('missing input');
  if (typeof req.input !== 'string') throw new InvalidRequestError('input must be a base64 string');
  const algorithm = req.algorithm === undefined || req.algorithm === '' ? 'sha2-256' : req.algorithm;
  if (typeof algorithm !== 'string' || !Object.hasOwn(ALGORITHMS, algorithm)) {
    throw new InvalidRequestError(`unsupported algorithm ${JSON.stringify(algorithm)}`);
  }
  const format = req.format === undefined || req.format === '' ? 'hex' : req.format;
  if (format !== 'hex' && format !== 'base64') throw new InvalidRequestError(`unsupported encoding format ${JSON.stringify(format)}; must be "hex" or "base64"`);
  const bytes = decodeStdBase64(req.input);
  return { sum: createHash(ALGORITHMS[algorithm as HashAlgorithm]).update(bytes).digest(format) };
}
