// Walks a document to encrypt or decrypt its leaves and computes the MAC (spec §1.1, §1.3, §2).
//
// Which leaves are encrypted is decided by the crypt rule against every key name on the path; the
// AAD is the path of mapping keys joined by `:` plus a trailing `:` (list indices never appear);
// comments use the path of their enclosing mapping. The MAC is SHA-512 over the plaintext bytes of
// every non-comment, non-null leaf in document order (only encrypted ones with mac_only_encrypted).

import { createHash } from 'node:crypto';
import type { ValueCipher } from './cipher.js';
import { ConfigError, SopsError, ExitCode, TreeDecryptionError } from './errors.js';
import type { CryptRule } from './metadata.js';
import {
  type Branch,
  type Comment,
  type Document,
  type Scalar,
  type Item,
  type TreeValue,
  branch,
  isBranch,
  isComment,
  plaintextData,
} from './tree.js';

/** Compiles an RE2-style pattern from .sops.yaml or metadata into a JS RegExp. */
export function compileGoRegex(pattern: string, where: string): RegExp {
  let src = pattern;
  let flags = '';
  const m = /^\(\?([imsU]+)\)/.exec(src);
  if (m) {
    src = src.slice(m[0].length);
    for (const f of m[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
  }
  src = src.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$(?![\\s\\S])').replace(/\\A/g, '^');
  try {
    return new RegExp(src, flags);
  } catch (err) {
    throw new ConfigError(`invalid regular expression ${JSON.stringify(pattern)} in ${where}: ${(err as Error).message.replace(/^Invalid regular expression: /, '')}`);
  }
}

export interface CryptOptions {
  rule: CryptRule | null;
  macOnlyEncrypted: boolean;
  /** Binary store: `str` values decrypt to raw bytes. */
  binary?: boolean;
  /** Shown in error messages (never a value). */
  fileLabel?: string;
}

export type ShouldEncrypt = (path: readonly string[]) => boolean;

export function createShouldEncrypt(rule: CryptRule | null): ShouldEncrypt {
  if (!rule) return () => true;
  const { kind, value } = rule;
  switch (kind) {
    case 'unencrypted_suffix': return (p) => !p.some((k) => k.endsWith(value));
    case 'encrypted_suffix': return (p) => p.some((k) => k.endsWith(value));
    case 'unencrypted_regex': {
      const re = compileGoRegex(value, 'unencrypted_regex');
      return (p) => !p.some((k) => re.test(k));
    }
    case 'encrypted_regex': {
      const re = compileGoRegex(value, 'encrypted_regex');
      return (p) => p.some((k) => re.test(k));
    }
    case 'unencrypted_comment_regex':
    case 'encrypted_comment_regex':
      throw new SopsError(ExitCode.generic, `${kind} is not supported by coffer sops yet`, {
        hints: ['use encrypted_regex, unencrypted_regex, encrypted_suffix or unencrypted_suffix instead'],
      });
  }
}

/** Human-readable location in `--extract` syntax, e.g. ["app"]["list"][2]. */
export function displayPath(path: readonly (string | number)[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `[${JSON.stringify(p)}]`)).join('');
}

interface LeafContext {
  /** Mapping keys from the root (the AAD path). Only valid during the visit. */
  path: readonly string[];
  /** Keys and list indices, for messages. Only valid during the visit. */
  location: readonly (string | number)[];
  encrypted: boolean;
}

type LeafVisitor = (v: Scalar | Comment, ctx: LeafContext) => Scalar | Comment;

/**
 * Visits every leaf (scalar or comment) in document order. With `rebuild`, returns a new document
 * whose leaves are the visitor's results; otherwise only visits. The path arrays are shared and
 * mutated as the walk goes (no per-leaf allocation).
 */
function walkLeaves(doc: Document, shouldEncrypt: ShouldEncrypt, visit: LeafVisitor, rebuild: boolean): Document {
  const path: string[] = [];
  const location: (string | number)[] = [];
  const ctx: LeafContext = { path, location, encrypted: false };
  // Crypt rules only look at key names on the path, so the decision is the same for every leaf
  // under one mapping: compute it once per mapping (and per key for its value).
  const walkValue = (v: TreeValue, encrypted: boolean): TreeValue => {
    if (isBranch(v)) return walkBranch(v);
    if (Array.isArray(v)) {
      const out: TreeValue[] = rebuild ? new Array(v.length) : [];
      for (let i = 0; i < v.length; i++) {
        location.push(i);
        const r = walkValue(v[i]!, encrypted);
        if (rebuild) out[i] = r;
        location.pop();
      }
      return out;
    }
    ctx.encrypted = encrypted;
    return visit(v, ctx);
  };
  const walkBranch = (b: Branch): Branch => {
    const here = shouldEncrypt(path);
    const items: Item[] = [];
    for (const it of b.items) {
      if (isComment(it.key)) {
        ctx.encrypted = here;
        const c = visit(it.key, ctx) as Comment;
        if (rebuild) items.push({ key: c, value: null });
        continue;
      }
      path.push(it.key);
      location.push(it.key);
      const r = walkValue(it.value, isBranch(it.value) ? false : shouldEncrypt(path));
      if (rebuild) items.push({ key: it.key, value: r });
      path.pop();
      location.pop();
    }
    return rebuild ? branch(items) : b;
  };
  const out: Document = [];
  for (const b of doc) out.push(walkBranch(b));
  return out;
}

/** Rebuilds a document with every leaf (scalar or comment) passed through `visit`. */
export function mapLeaves(doc: Document, shouldEncrypt: ShouldEncrypt, visit: LeafVisitor): Document {
  return walkLeaves(doc, shouldEncrypt, visit, true);
}

const MAC_ONLY_ENCRYPTED_INIT = createHash('sha256').update('sops').digest();

/** The MAC over a plaintext document, as 128 upper-case hex characters. */
export function computeMac(doc: Document, opts: Pick<CryptOptions, 'rule' | 'macOnlyEncrypted'>): string {
  const h = createHash('sha512');
  if (opts.macOnlyEncrypted) h.update(MAC_ONLY_ENCRYPTED_INIT);
  walkLeaves(doc, createShouldEncrypt(opts.rule), (v, ctx) => {
    if (isComment(v) || v === null) return v;
    if (opts.macOnlyEncrypted && !ctx.encrypted) return v;
    const data = plaintextData(v);
    if (typeof data === 'string') h.update(data, 'utf8');
    else h.update(data);
    return v;
  }, false);
  return h.digest('hex').toUpperCase();
}

const aadOf = (path: readonly string[]) => `${path.join(':')}:`;

/** Encrypts every leaf the rule selects; returns the encrypted document and the plaintext MAC. */
export function encryptDocument(doc: Document, cipher: ValueCipher, opts: CryptOptions): { doc: Document; mac: string } {
  const mac = computeMac(doc, opts);
  const out = mapLeaves(doc, createShouldEncrypt(opts.rule), (v, ctx) => {
    if (!ctx.encrypted || v === null) return v;
    if (isComment(v)) {
      if (v.value === '') return v;
      return { kind: 'comment', value: cipher.encrypt(v, aadOf(ctx.path)), ...(v.inline ? { inline: true } : {}) };
    }
    if (v === '' || (v instanceof Uint8Array && v.length === 0)) return '';
    return cipher.encrypt(v, aadOf(ctx.path));
  });
  return { doc: out, mac };
}

function tampered(ctx: LeafContext, opts: CryptOptions, what: string): TreeDecryptionError {
  const file = opts.fileLabel ? ` in ${opts.fileLabel}` : '';
  return new TreeDecryptionError(`the value at ${displayPath([...ctx.location])}${file} ${what}`, {
    hints: ['the file was modified outside sops, or a value was moved to another key', 'restore the file from version control'],
  });
}

/** Decrypts every encrypted leaf; returns the plaintext document and the recomputed MAC. */
export function decryptDocument(doc: Document, cipher: ValueCipher, opts: CryptOptions): { doc: Document; mac: string } {
  const out = mapLeaves(doc, createShouldEncrypt(opts.rule), (v, ctx) => {
    if (!ctx.encrypted || v === null) return v;
    if (isComment(v)) {
      // Comments written before sops encrypted comments stay as they are.
      if (v.value === '' || !v.value.startsWith('ENC[')) return v;
      const r = cipher.decrypt(v.value, aadOf(ctx.path));
      if (!r.ok) throw tampered(ctx, opts, r.reason === 'auth' ? '(a comment) failed authentication' : '(a comment) is malformed');
      return { kind: 'comment', value: (r.value as Comment).value, ...(v.inline ? { inline: true } : {}) };
    }
    if (typeof v !== 'string') return v;
    if (v === '') return v;
    const r = cipher.decrypt(v, aadOf(ctx.path), { binary: opts.binary ?? false });
    if (r.ok) return r.value as Scalar;
    if (r.reason === 'format') throw tampered(ctx, opts, "is not encrypted (it does not match sops' ENC[…] data format)");
    if (r.reason === 'type') throw tampered(ctx, opts, `could not be parsed after decryption: ${r.detail ?? 'bad type'}`);
    throw tampered(ctx, opts, 'failed authentication');
  });
  return { doc: out, mac: computeMac(out, opts) };
}
