// Request body reading and decoding: a hard size limit, JSON (Vault's default) or a form body.
import type { Readable } from 'node:stream';
import { AppError, InvalidRequestError } from '../core/errors.js';
import { checkJsonLimits, DEFAULT_JSON_LIMITS, JsonLimitError, type JsonLimits } from './json-limits.js';

export const DEFAULT_MAX_BODY = 32 * 1024 * 1024;

export function bodyTooLarge(): AppError {
  return new AppError('ERR_BODY_TOO_LARGE', 'http: request body too large');
}

export const EMPTY_BODY = Buffer.alloc(0);

/** Reads the whole body, refusing more than `limit` bytes. Plain listeners: cheaper than an async iterator per request. */
export function readBody(stream: Readable, limit: number, declaredLength: number | undefined): Promise<Buffer> {
  if (declaredLength !== undefined && declaredLength > limit) return Promise.reject(bodyTooLarge());
  if (stream.readableEnded) return Promise.resolve(EMPTY_BODY);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    stream.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(bodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    stream.once('end', () => {
      if (!failed) resolve(chunks.length === 0 ? EMPTY_BODY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    stream.once('error', (err) => { if (!failed) { failed = true; reject(err); } });
  });
}

/**
 * Parses a body the way Vault does: JSON unless it is a form post whose first non-blank byte isn't
 * { or [. JSON is held to the listener's limits before it is parsed.
 */
export function decodeBody(raw: Buffer, contentType: string | undefined, limits: JsonLimits = DEFAULT_JSON_LIMITS): unknown {
  if (raw.length === 0) return undefined;
  const text = raw.toString('utf8');
  const trimmed = text.trimStart();
  if (trimmed === '') return undefined;
  const ct = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (ct === 'application/x-www-form-urlencoded' && trimmed[0] !== '{' && trimmed[0] !== '[') {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(text)) {
      const prev = out[k];
      out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    return out;
  }
  try {
    checkJsonLimits(text, limits);
  } catch (err) {
    if (err instanceof JsonLimitError) throw new InvalidRequestError(`failed to parse JSON input: ${err.message}`);
    throw err;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new InvalidRequestError('failed to parse JSON input: invalid JSON in request body');
  }
}
