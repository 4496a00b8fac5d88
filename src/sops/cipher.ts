// The per-value cipher: AES-256-GCM with a 32-byte IV, the tag stored apart, standard padded
// base64, and the tree path as additional data. See spec §1.
//
// The cipher remembers the IV of every value it decrypted, keyed by (AAD, type, plaintext). When the
// same value is encrypted again under the same data key it reuses that IV, so the ciphertext is
// byte-identical and `edit`/`set`/`merge` produce minimal diffs (spec §1.4).

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  type Comment,
  type Scalar,
  type ValueType,
  comment,
  normalizeTimestamp,
  parseGoBool,
  parseGoFloat,
  parseGoInt,
  plaintextData,
  plaintextString,
  sopsFloat,
  sopsInt,
  sopsTime,
  valueType,
} from './tree.js';

const ENC_RE = /^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]/;

export interface EncryptedValue {
  data: Uint8Array;
  iv: Uint8Array;
  tag: Uint8Array;
  type: string;
}

export function isEncryptedString(s: string): boolean {
  return ENC_RE.test(s);
}

export function parseEncryptedString(s: string): EncryptedValue | undefined {
  const m = ENC_RE.exec(s);
  if (!m) return undefined;
  return {
    data: Buffer.from(m[1]!, 'base64'),
    iv: Buffer.from(m[2]!, 'base64'),
    tag: Buffer.from(m[3]!, 'base64'),
    type: m[4]!,
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

export function formatEncryptedString(v: EncryptedValue): string {
  return `ENC[AES256_GCM,data:${b64(v.data)},iv:${b64(v.iv)},tag:${b64(v.tag)},type:${v.type}]`;
}

/** Low level: AES-256-GCM with the given IV. */
export function sealBytes(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array | string, aad: string): { data: Uint8Array; tag: Uint8Array } {
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const head = typeof plaintext === 'string' ? c.update(plaintext, 'utf8') : c.update(plaintext);
  const tail = c.final();
  const data = tail.length ? Buffer.concat([head, tail]) : head;
  return { data, tag: c.getAuthTag() };
}

/** Low level: returns undefined when authentication fails (never throws with details). */
export function openBytes(key: Uint8Array, v: EncryptedValue, aad: string): Uint8Array | undefined {
  try {
    const d = createDecipheriv('aes-256-gcm', key, v.iv);
    d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(v.tag);
    return Buffer.concat([d.update(v.data), d.final()]);
  } catch {
    return undefined;
  }
}

/** Turns decrypted bytes back into a typed value according to the `type:` tag. */
export function parseTyped(type: string, bytes: Uint8Array, binary: boolean): Scalar | Comment {
  const text = () => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  switch (type) {
    case 'str':
      return binary ? bytes : text();
    case 'bytes':
      return bytes;
    case 'comment':
      return comment(text());
    case 'int': {
      const n = parseGoInt(text(), 10);
      if (n === undefined) throw new TypeError('Error parsing int value');
      return sopsInt(n);
    }
    case 'float': {
      const f = parseGoFloat(text());
      if (f === undefined) throw new TypeError('Error parsing float value');
      return sopsFloat(f);
    }
    case 'bool': {
      const b = parseGoBool(text());
      if (b === undefined) throw new TypeError('Error parsing bool value');
      return b;
    }
    case 'time': {
      const t = normalizeTimestamp(text());
      if (t === undefined) throw new TypeError('Error parsing time value');
      return sopsTime(t);
    }
    default:
      throw new TypeError(`Unknown datatype: ${type}`);
  }
}

export type DecryptResult = { ok: true; value: Scalar | Comment } | { ok: false; reason: 'format' | 'auth' | 'type'; detail?: string };

export interface ValueCipher {
  readonly dataKey: Uint8Array;
  /** Encrypts a scalar or comment; reuses the remembered IV for a value decrypted earlier. */
  encrypt(value: Scalar | Comment, aad: string): string;
  /** Decrypts an `ENC[…]` string and remembers its IV. */
  decrypt(s: string, aad: string, opts?: { binary?: boolean }): DecryptResult;
}

/** IVs drawn from a pooled CSPRNG buffer: one randomFillSync per 1,024 values instead of one each. */
function pooledRandom(): (n: number) => Uint8Array {
  let pool = Buffer.alloc(0);
  let off = 0;
  return (n) => {
    if (off + n > pool.length) {
      pool = randomBytes(Math.max(32 * 1024, n));
      off = 0;
    }
    const out = pool.subarray(off, off + n);
    off += n;
    return out;
  };
}

export function createValueCipher(dataKey: Uint8Array, random: (n: number) => Uint8Array = pooledRandom()): ValueCipher {
  const stash = new Map<string, Uint8Array>();
  const stashKey = (aad: string, type: ValueType, value: Scalar | Comment) =>
    `${aad}\u0000${type}\u0000${value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1') : plaintextString(value)}`;

  return {
    dataKey,
    encrypt(value, aad) {
      const type = valueType(value);
      const bytes = plaintextData(value);
      // Inline comments are never stashed as inline (sops §1.4), so they always get a fresh IV.
      const reusable = stash.size > 0 && !(type === 'comment' && (value as Comment).inline);
      const iv = (reusable ? stash.get(stashKey(aad, type, value)) : undefined) ?? random(32);
      const { data, tag } = sealBytes(dataKey, iv, bytes, aad);
      return formatEncryptedString({ data, iv, tag, type });
    },
    decrypt(s, aad, opts = {}) {
      const parsed = parseEncryptedString(s);
      if (!parsed) return { ok: false, reason: 'format' };
      const bytes = openBytes(dataKey, parsed, aad);
      if (!bytes) return { ok: false, reason: 'auth' };
      let value: Scalar | Comment;
      try {
        value = parseTyped(parsed.type, bytes, opts.binary ?? false);
      } catch (err) {
        return { ok: false, reason: 'type', detail: (err as Error).message.startsWith('Unknown datatype') ? (err as Error).message : `invalid ${parsed.type} value` };
      }
      if (value !== null) {
        const t = valueType(value);
        if (!(t === 'comment' && (value as Comment).inline)) stash.set(stashKey(aad, t, value), parsed.iv);
      }
      return { ok: true, value };
    },
  };
}
